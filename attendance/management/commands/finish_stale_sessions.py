"""Finish sessions left running longer than SESSION_MAX_HOURS (schedule it every few minutes)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from attendance.services import session_finish_stale


class Command(BaseCommand):
    help = "Finish attendance sessions running longer than SESSION_MAX_HOURS, as DONE would."

    def handle(self, *args, **options) -> None:
        finished = session_finish_stale()
        self.stdout.write(f"Finished {finished} session(s) older than {settings.SESSION_MAX_HOURS:g} hours.")
