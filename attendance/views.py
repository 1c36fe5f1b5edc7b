"""Attendance routes of the REST contract."""

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStudent, IsTeacher
from attendance import selectors, services
from attendance.serializers import (
    MyAttendanceOut,
    RecordIn,
    RecordOut,
    SessionDetailOut,
    SessionRowOut,
    StartIn,
    StartOut,
)
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


OWNER_FORBIDDEN = schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`")


class SessionListView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="The class's sessions with their counts, newest first",
        responses={
            200: schema.ok("SessionList", SessionRowOut(many=True)),
            401: schema.UNAUTHORIZED,
            403: OWNER_FORBIDDEN,
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["sessions"],
        operation_id="class_sessions_list",
    )
    def get(self, request: Request, class_id: str) -> Response:
        klass = class_selectors.class_owned(class_id=class_id, teacher=request.user)
        return ok(selectors.class_session_list(klass=klass))


class SessionDetailView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="One session of the class with every record, its note and its changes",
        responses={
            200: schema.ok("SessionDetail", SessionDetailOut()),
            401: schema.UNAUTHORIZED,
            403: OWNER_FORBIDDEN,
            404: schema.error("`Class not found` or `Session not found`"),
        },
        tags=["sessions"],
        operation_id="class_session_retrieve",
    )
    def get(self, request: Request, class_id: str, session_id: str) -> Response:
        klass = class_selectors.class_owned(class_id=class_id, teacher=request.user)
        session = selectors.class_session(klass=klass, session_id=session_id)
        return ok(selectors.session_detail(session=session))


class RecordView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="Set a student's status (and note): a mark while the session runs, a logged correction once finished",
        request=RecordIn,
        responses={
            200: schema.ok("Record", RecordOut()),
            400: schema.error("`Invalid request schema`, `Invalid status` or `Note too long, at most 500 characters`"),
            401: schema.UNAUTHORIZED,
            403: OWNER_FORBIDDEN,
            404: schema.error(
                "`Class not found`, `Session not found`, `Record not found` (the student was not in the finished "
                "session) or `Student not enrolled in class` (a running session)"
            ),
        },
        tags=["sessions"],
    )
    def patch(self, request: Request, class_id: str, session_id: str, student_id: str) -> Response:
        body = validated(RecordIn, request.data)
        services.record_input_check(status=body["status"], note=body.get("note"))
        klass = class_selectors.class_owned(class_id=class_id, teacher=request.user)
        session = selectors.class_session(klass=klass, session_id=session_id)
        record = services.record_set(
            session=session, student_id=student_id, status=body["status"], note=body.get("note"), by=request.user
        )
        return ok(selectors.record_data(selectors.record_row(record=record)))
