from django.apps import AppConfig


class ClassesConfig(AppConfig):
    """Classes and their rosters."""

    name = "classes"
