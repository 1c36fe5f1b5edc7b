"""What happens to attendance sessions, announced after commit (see core.events).

- `session_started(session)`: a class's session began.
- `attendance_marked(session, record)`: a student was marked (the live transport does not
  subscribe: the consumer broadcasts a mark itself, straight after the write, for speed).
- `session_finished(session, summary, automatic)`: a session ended (DONE, the admin, or
  the stale-session finisher when `automatic`); `summary` is
  {present, late, excused, absent, total}.
- `checkin_changed(session, state)`: the teacher opened or closed self check-in; `state` is
  what a student may know of it ({open}).
- `checked_in(session, record, teacher_state)`: a student checked in with a code and was
  marked; `teacher_state` is the session's check-in state as its teacher sees it (flags included).
- `claim_made(session, student)`: a student said "I'm here" and waits for the teacher.
"""

from django.dispatch import Signal

session_started = Signal()
attendance_marked = Signal()
session_finished = Signal()
checkin_changed = Signal()
checked_in = Signal()
claim_made = Signal()
