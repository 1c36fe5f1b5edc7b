"""Attendance routes of the REST contract."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStudent, IsTeacher
from attendance import checkin, policy, selectors, services
from attendance.serializers import (
    CheckInCodeOut,
    CheckInIn,
    CheckInOpenIn,
    CheckInOpenOut,
    CheckInOut,
    ClaimOut,
    ClassIdIn,
    MyAttendanceOut,
    PolicyIn,
    PolicyOut,
    StartIn,
    StartOut,
)
from classes import selectors as class_selectors
from core import schema
from core.client_address import client_address
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


TEACHER_FORBIDDEN = schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`")
STUDENT_FORBIDDEN = schema.error("`Forbidden, student access required` or `Forbidden, not enrolled in class`")


def checkin_documented(summary: str, success, *, request=None, forbidden=TEACHER_FORBIDDEN, **errors):
    """Document a check-in route: its success, 401, the role's 403, and `errors` keyed `e400`, `e404`..."""
    responses = {200: success, 401: schema.UNAUTHORIZED, 403: forbidden}
    responses.update({int(key[1:]): schema.error(text) for key, text in errors.items()})
    return schema.documented(summary=summary, request=request, responses=responses, tags=["check-in"])


class CheckInOpenView(APIView):
    permission_classes = [IsTeacher]

    @checkin_documented(
        "Open self check-in on the class's running session",
        schema.ok("CheckInOpened", CheckInOpenOut()),
        request=CheckInOpenIn,
        e400="`Invalid request schema`",
        e404="`Class not found` or `No active attendance session`",
    )
    def post(self, request: Request) -> Response:
        body = validated(CheckInOpenIn, request.data)
        klass = class_selectors.class_owned(class_id=body["classId"], teacher=request.user)
        checkin.checkin_open(klass=klass, late_after_minutes=body.get("lateAfterMinutes"))
        return ok({"classId": str(klass.pk), "open": True})


class CheckInCloseView(APIView):
    permission_classes = [IsTeacher]

    @checkin_documented(
        "Close self check-in: codes are refused from now on",
        schema.ok("CheckInClosed", CheckInOpenOut()),
        request=ClassIdIn,
        e400="`Invalid request schema`",
        e404="`Class not found` or `No active attendance session`",
    )
    def post(self, request: Request) -> Response:
        klass = class_selectors.class_owned(
            class_id=validated(ClassIdIn, request.data)["classId"], teacher=request.user
        )
        checkin.checkin_close(klass=klass)
        return ok({"classId": str(klass.pk), "open": False})


class CheckInCodeView(APIView):
    permission_classes = [IsTeacher]

    @checkin_documented(
        "The check-in code to show now (a new one every rotateSeconds; the one before stays valid a period)",
        schema.ok("CheckInCode", CheckInCodeOut()),
        e404="`Class not found` or `Check-in is not open`",
    )
    def get(self, request: Request, class_id: str) -> Response:
        klass = class_selectors.class_owned(class_id=class_id, teacher=request.user)
        return ok(checkin.checkin_code(klass=klass))


class CheckInView(APIView):
    permission_classes = [IsStudent]

    @checkin_documented(
        "Check in with the code on the projector: present, or late after the teacher's threshold",
        schema.ok("CheckedIn", CheckInOut()),
        request=CheckInIn,
        forbidden=STUDENT_FORBIDDEN,
        e400="`Invalid request schema` or `Invalid code`",
        e404="`Class not found` or `Check-in is not open`",
        e429="`Too many attempts` (after 5 wrong codes in one session)",
    )
    def post(self, request: Request) -> Response:
        body = validated(CheckInIn, request.data)
        klass = class_selectors.class_enrolled(class_id=body["classId"], student=request.user)
        result = checkin.checkin_submit(
            klass=klass, student=request.user, code=body["code"], address=client_address(request)
        )
        return ok(result)


class ClaimView(APIView):
    permission_classes = [IsStudent]

    @checkin_documented(
        '"I\'m here": ask the teacher to confirm a student who is not marked present',
        schema.ok("Claimed", ClaimOut()),
        request=ClassIdIn,
        forbidden=STUDENT_FORBIDDEN,
        e400="`Invalid request schema`",
        e404="`Class not found` or `No active attendance session`",
        e409="`Already marked present or late`",
        e429="`Too many attempts` (after 3 claims in one session)",
    )
    def post(self, request: Request) -> Response:
        klass = class_selectors.class_enrolled(
            class_id=validated(ClassIdIn, request.data)["classId"], student=request.user
        )
        checkin.claim_make(klass=klass, student=request.user)
        return ok({"classId": str(klass.pk), "claimed": True})
