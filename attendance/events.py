"""What happens to attendance sessions, announced after commit (see core.events).

- `session_started(session)`: a class's session began.
- `attendance_marked(session, record)`: a student was marked (the live transport does not
  subscribe: the consumer broadcasts a mark itself, straight after the write, for speed).
- `marks_removed(session, student_ids)`: marks of a running session were undone; those
  students are unmarked again.
- `record_updated(session, record, change)`: a record was set through the sessions routes:
  a mark of a running session when `change` is None (the class hears of it as of any mark),
  otherwise a correction of a finished one, `change` its RecordChange.
- `session_finished(session, summary, automatic)`: a session ended (DONE, the admin, or
  the stale-session finisher when `automatic`); `summary` is
  {present, late, excused, absent, total}.
"""

from django.dispatch import Signal

session_started = Signal()
attendance_marked = Signal()
record_updated = Signal()
marks_removed = Signal()
session_finished = Signal()
