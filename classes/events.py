"""What happens to rosters, announced after commit (see core.events).

- `student_enrolled(klass, student)`: a student was added to a class.
- `student_unenrolled(klass, student)`: a student was taken off a class.
"""

from django.dispatch import Signal

student_enrolled = Signal()
student_unenrolled = Signal()
