"""Attendance routes of the REST contract."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStudent, IsTeacher
from attendance import policy, selectors, services
from attendance.serializers import MyAttendanceOut, PolicyIn, PolicyOut, StartIn, StartOut
from classes import selectors as class_selectors
from core import schema
from core.responses import ok
from core.validation import validated


class StartView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="Start the class's attendance session, or return the running one",
        request=StartIn,
        responses={
            200: schema.ok("SessionStarted", StartOut()),
            400: schema.INVALID,
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`"),
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["attendance"],
    )
    def post(self, request: Request) -> Response:
        body = validated(StartIn, request.data)
        klass = class_selectors.class_owned(class_id=body["classId"], teacher=request.user)
        session = services.session_start(teacher=request.user, klass=klass)
        return ok({"classId": str(klass.pk), "startedAt": selectors.iso_millis(session.started_at)})


class MyAttendanceView(APIView):
    permission_classes = [IsStudent]

    @schema.documented(
        summary="The student's status in the class's latest ended session",
        responses={
            200: schema.ok("MyAttendance", MyAttendanceOut()),
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, student access required` or `Forbidden, not enrolled in class`"),
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["attendance"],
    )
    def get(self, request: Request, class_id: str) -> Response:
        klass = class_selectors.class_enrolled(class_id=class_id, student=request.user)
        status = selectors.my_attendance(klass=klass, student=request.user)
        return ok({"classId": str(klass.pk), "status": status})


class PolicyView(APIView):
    def get_permissions(self) -> list:
        return [IsTeacher()] if self.request.method == "PATCH" else [IsAuthenticated()]

    @schema.documented(
        summary="The class's attendance policy and time zone (its teacher or an enrolled student)",
        responses={
            200: schema.ok("ClassPolicy", PolicyOut()),
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, not class teacher`"),
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["policy"],
    )
    def get(self, request: Request, class_id: str) -> Response:
        klass = class_selectors.class_for_viewer(class_id=class_id, user=request.user)
        return ok(policy.policy_data(klass=klass, policy=policy.policy_of(klass=klass)))

    @schema.documented(
        summary="Change the class's policy or time zone (fields left out stay as they are)",
        request=PolicyIn,
        responses={
            200: schema.ok("ClassPolicyChanged", PolicyOut()),
            400: schema.error("`Invalid request schema` or `Invalid time zone`"),
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`"),
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["policy"],
    )
    def patch(self, request: Request, class_id: str) -> Response:
        changes = policy.parse_policy_body(request.data)
        klass = class_selectors.class_owned(class_id=class_id, teacher=request.user)
        saved = policy.class_settings_update(klass=klass, changes=changes)
        return ok(policy.policy_data(klass=klass, policy=saved))
