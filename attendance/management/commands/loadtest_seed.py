"""Create a teacher, a class of N students and a running session; print their tokens as JSON.

For benchmarks and load tests: accounts get unusable passwords (they sign in by token
only), so thousands are created in seconds instead of paying Argon2 for each.
"""

import json
import uuid

from django.core.management.base import BaseCommand

from accounts.models import Role, User
from accounts.tokens import issue_tokens
from attendance.services import session_start
from classes.models import Class, Enrollment


class Command(BaseCommand):
    help = "Seed one class of N students with a running session and print tokens (load testing)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--students", type=int, default=30)
        parser.add_argument("--no-session", action="store_true", help="do not start a session")
        parser.add_argument(
            "--classes", type=int, default=0, help="seed this many classes, each with its own teacher: {classes: [...]}"
        )

    def handle(self, *args, students: int, no_session: bool, classes: int, **options) -> None:
        if classes:
            seeded = [self.seed(students, no_session) for _ in range(classes)]
            self.stdout.write(json.dumps({"classes": seeded}))
        else:
            self.stdout.write(json.dumps(self.seed(students, no_session)))

    def seed(self, students: int, no_session: bool) -> dict:
        run = uuid.uuid4().hex[:10]
        teacher = User(email=f"load-teacher-{run}@load.test", name=f"Load teacher {run}", role=Role.TEACHER)
        teacher.set_unusable_password()
        teacher.save()
        pupils = []
        for n in range(students):
            pupil = User(email=f"load-{run}-{n}@load.test", name=f"Load student {n:04d}", role=Role.STUDENT)
            pupil.set_unusable_password()
            pupils.append(pupil)
        User.objects.bulk_create(pupils, batch_size=500)
        pupils = list(User.objects.filter(email__startswith=f"load-{run}-").order_by("name"))
        klass = Class.objects.create(teacher=teacher, class_name=f"Load class {run}")
        Enrollment.objects.bulk_create([Enrollment(klass=klass, student=p) for p in pupils], batch_size=500)
        started_at = None
        if not no_session:
            started_at = session_start(teacher=teacher, klass=klass).started_at.isoformat()
        return {
            "classId": str(klass.pk),
            "startedAt": started_at,
            "teacher": {"id": str(teacher.pk), "token": issue_tokens(teacher)["token"]},
            "students": [{"id": str(p.pk), "token": issue_tokens(p)["token"]} for p in pupils],
        }
