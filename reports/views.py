"""Standing routes: a student's rate and absence budget in a class, and the teacher's list of them."""

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStudent, IsTeacher
from attendance.policy import policy_of
from classes import selectors as class_selectors
from core import schema
from core.responses import ok
from reports import selectors
from reports.standing import standing_data


class StandingOut(serializers.Serializer):
    requiredRate = serializers.IntegerField(allow_null=True, help_text="percent, null when the class requires none")
    rate = serializers.FloatField(allow_null=True, help_text="percent attended, rounded down to a tenth")
    attended = serializers.FloatField(help_text="sessions attended, a late counting for its part")
    counted = serializers.IntegerField(help_text="sessions in the rate")
    present = serializers.IntegerField()
    late = serializers.IntegerField()
    excused = serializers.IntegerField()
    absent = serializers.IntegerField()
    canMiss = serializers.IntegerField(allow_null=True, help_text="sessions that can still be missed in a row")
    toRecover = serializers.IntegerField(
        allow_null=True, help_text="sessions to attend in a row to get back (null: not possible at 100%)"
    )
    level = serializers.ChoiceField(choices=["off", "ok", "at_risk", "below"])


class MyStandingOut(StandingOut):
    classId = serializers.CharField()


class StudentStandingOut(StandingOut):
    studentId = serializers.CharField()
    name = serializers.CharField()
    email = serializers.CharField()


class ClassStandingOut(serializers.Serializer):
    classId = serializers.CharField()
    requiredRate = serializers.IntegerField(allow_null=True)
    students = StudentStandingOut(many=True)


class MyStandingView(APIView):
    permission_classes = [IsStudent]

    @schema.documented(
        summary="The student's rate in the class and how many more sessions they can miss",
        responses={
            200: schema.ok("MyStanding", MyStandingOut()),
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, student access required` or `Forbidden, not enrolled in class`"),
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["policy"],
    )
    def get(self, request: Request, class_id: str) -> Response:
        klass = class_selectors.class_enrolled(class_id=class_id, student=request.user)
        standing = selectors.student_standing(klass=klass, student=request.user)
        return ok({"classId": str(klass.pk), **standing_data(standing)})


class ClassStandingView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="Every student's rate and budget: below the requirement first, then at risk",
        responses={
            200: schema.ok("ClassStanding", ClassStandingOut()),
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`"),
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["policy"],
    )
    def get(self, request: Request, class_id: str) -> Response:
        klass = class_selectors.class_owned(class_id=class_id, teacher=request.user)
        rows = selectors.class_standings(klass=klass)
        required = policy_of(klass=klass).required_rate
        students = [
            {"studentId": str(student.pk), "name": student.name, "email": student.email, **standing_data(standing)}
            for student, standing in rows
        ]
        return ok({"classId": str(klass.pk), "requiredRate": required, "students": students})
