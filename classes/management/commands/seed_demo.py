"""Create a demo teacher, a dozen students and two classes; safe to run again."""

from django.core.management.base import BaseCommand

from accounts.models import Role, User
from classes.models import Class, Enrollment

PASSWORD = "demo-pass-123"
TEACHER = ("Ada Lovelace", "teacher@demo.school")
STUDENTS = [
    "Alan Turing",
    "Grace Hopper",
    "Katherine Johnson",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Margaret Hamilton",
    "Dennis Ritchie",
    "Frances Allen",
    "Ken Thompson",
    "Radia Perlman",
    "John Backus",
]
CLASSES = {"Mathematics 7A": STUDENTS[:8], "Physics 7B": STUDENTS[4:]}


def _email(name: str) -> str:
    return name.lower().replace(" ", ".") + "@demo.school"


class Command(BaseCommand):
    help = "Create demo accounts and classes (idempotent) and print the logins."

    def handle(self, *args, **options) -> None:
        teacher = self._user(TEACHER[0], TEACHER[1], Role.TEACHER)
        students = {name: self._user(name, _email(name), Role.STUDENT) for name in STUDENTS}
        for class_name, names in CLASSES.items():
            klass, _ = Class.objects.get_or_create(teacher=teacher, class_name=class_name)
            for name in names:
                Enrollment.objects.get_or_create(klass=klass, student=students[name])
        self.stdout.write(self.style.SUCCESS("Demo data ready. Every password is " + PASSWORD))
        self.stdout.write(f"  teacher  {TEACHER[1]}")
        for name in STUDENTS:
            self.stdout.write(f"  student  {_email(name)}")

    def _user(self, name: str, email: str, role: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=PASSWORD, name=name, role=role)
        return user
