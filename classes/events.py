"""What happens to classes and rosters, announced after commit (see core.events).

- `student_enrolled(klass, student)`: a student was added to a class.
- `student_unenrolled(klass, student)`: a student was taken off a class, or left it.
- `class_renamed(klass, student_ids)`: a class has a new name; `student_ids` are its roster's ids.
- `class_archived(klass, student_ids)` / `class_restored(klass, student_ids)`: a class was
  archived (hidden from its students' pages) or restored.
- `class_deleted(class_id, teacher_id, student_ids)`: a class and its history were deleted
  (ids as strings: the row is gone).

One signal is sent before a write instead, so that a higher layer can refuse it:

- `class_change_requested(klass, action, student)`: `action` is `archive`, `delete` or
  `leave` (then `student` is the one leaving). A receiver refuses by raising
  `core.errors.ApplicationError`, which reaches the caller; nothing is written. The
  attendance app refuses while the class's session runs.
"""

from django.dispatch import Signal

student_enrolled = Signal()
student_unenrolled = Signal()
class_renamed = Signal()
class_archived = Signal()
class_restored = Signal()
class_deleted = Signal()
class_change_requested = Signal()

ARCHIVE = "archive"
DELETE = "delete"
LEAVE = "leave"


def check_change_allowed(*, klass, action: str, student=None) -> None:
    """Ask every receiver of `class_change_requested`; the first refusal is raised."""
    class_change_requested.send(sender=None, klass=klass, action=action, student=student)
