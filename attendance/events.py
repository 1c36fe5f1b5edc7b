"""What happens to attendance sessions, announced after commit (see core.events).

- `session_started(session)`: a class's session began.
- `session_finished(session, summary, automatic)`: a session ended (DONE, the admin, or
  the stale-session finisher when `automatic`); `summary` is {present, absent, total}.
"""

from django.dispatch import Signal

session_started = Signal()
session_finished = Signal()
