from django.apps import AppConfig


class ReportsConfig(AppConfig):
    """Reports on finished sessions: history, rates, CSV, the chart, and the sessions' admin."""

    name = "reports"
