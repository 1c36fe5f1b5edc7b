"""Class routes of the REST contract."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsTeacher
from accounts.serializers import PersonOut
from classes import selectors, services
from classes.serializers import (
    AddStudentIn,
    ClassDetailOut,
    ClassIn,
    ClassOut,
    class_data,
    class_detail_data,
)
from core import schema
from core.responses import ok
from core.validation import validated

FORBIDDEN_TEACHER = schema.error("`Forbidden, teacher access required`")


class ClassCreateView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="Create a class",
        request=ClassIn,
        responses={
            201: schema.ok("ClassCreated", ClassOut()),
            400: schema.INVALID,
            401: schema.UNAUTHORIZED,
            403: FORBIDDEN_TEACHER,
        },
        tags=["classes"],
    )
    def post(self, request: Request) -> Response:
        body = validated(ClassIn, request.data)
        klass = services.class_create(teacher=request.user, class_name=body["className"])
        return ok(class_data(klass), status=201)


class AddStudentView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="Enroll a student in the teacher's class (idempotent)",
        request=AddStudentIn,
        responses={
            200: schema.ok("StudentAdded", ClassOut()),
            400: schema.INVALID,
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`"),
            404: schema.error("`Class not found` or `Student not found`"),
        },
        tags=["classes"],
    )
    def post(self, request: Request, class_id: str) -> Response:
        body = validated(AddStudentIn, request.data)
        klass = selectors.class_owned(class_id=class_id, teacher=request.user)
        services.enrollment_add(klass=klass, student_id=body["studentId"])
        return ok(class_data(klass))


class ClassDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @schema.documented(
        summary="A class with its students (its teacher or an enrolled student)",
        responses={
            200: schema.ok("ClassDetail", ClassDetailOut()),
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, not class teacher`"),
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["classes"],
    )
    def get(self, request: Request, class_id: str) -> Response:
        klass = selectors.class_for_viewer(class_id=class_id, user=request.user)
        return ok(class_detail_data(klass))


class StudentListView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="Every student account",
        responses={
            200: schema.ok("StudentList", PersonOut(many=True)),
            401: schema.UNAUTHORIZED,
            403: FORBIDDEN_TEACHER,
        },
        tags=["classes"],
    )
    def get(self, request: Request) -> Response:
        return ok(PersonOut(selectors.students_all(), many=True).data)
