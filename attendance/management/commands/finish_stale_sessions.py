"""Finish sessions left running longer than SESSION_MAX_HOURS (schedule it every few minutes).

It also deletes any check-in data an ended session still holds (normally gone the moment it ends).
"""

from django.conf import settings
from django.core.management.base import BaseCommand

from attendance.checkin import checkin_purge_ended
from attendance.services import session_finish_stale


class Command(BaseCommand):
    help = "Finish attendance sessions running longer than SESSION_MAX_HOURS, as DONE would."

    def handle(self, *args, **options) -> None:
        finished = session_finish_stale()
        self.stdout.write(f"Finished {finished} session(s) older than {settings.SESSION_MAX_HOURS:g} hours.")
        purged = checkin_purge_ended()
        if purged:
            self.stdout.write(f"Deleted the check-in data of {purged} ended session(s).")
