"""What happens to attendance sessions, announced after commit (see core.events).

- `session_started(session)`: a class's session began.
- `attendance_marked(session, record)`: a student was marked (the live transport does not
  subscribe: the consumer broadcasts a mark itself, straight after the write, for speed).
- `session_finished(session, summary, automatic)`: a session ended (DONE, the admin, or
  the stale-session finisher when `automatic`); `summary` is
  {present, late, excused, absent, total}.
"""

from django.dispatch import Signal

session_started = Signal()
attendance_marked = Signal()
session_finished = Signal()
