"""Class routes of the REST contract."""

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsStudent, IsTeacher
from accounts.serializers import EmptyOut, PersonOut
from classes import selectors, services
from classes.roster_import import parse_roster
from classes.serializers import (
    AddStudentIn,
    ClassDetailOut,
    ClassIn,
    ClassManagedOut,
    ClassOut,
    JoinCodeOut,
    JoinIn,
    RosterImportIn,
    RosterImportOut,
    class_data,
    class_detail_data,
    class_managed_data,
    roster_import_data,
)
from core import schema
from core.client_address import client_address
from core.errors import ApplicationError, Messages
from core.responses import ok
from core.validation import validated

FORBIDDEN_TEACHER = schema.error("`Forbidden, teacher access required`")
FORBIDDEN_OWNER = schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`")
SESSION_RUNNING = schema.error("`Session running`: finish the class's session first")


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
    """GET for its teacher or an enrolled student; PATCH (rename) and DELETE for its teacher."""

    def get_permissions(self):
        return [IsTeacher()] if self.request.method in {"PATCH", "DELETE"} else [IsAuthenticated()]

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

    @schema.documented(
        summary="Rename the teacher's class",
        request=ClassIn,
        responses={
            200: schema.ok("ClassRenamed", ClassManagedOut()),
            400: schema.INVALID,
            401: schema.UNAUTHORIZED,
            403: FORBIDDEN_OWNER,
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["classes"],
    )
    def patch(self, request: Request, class_id: str) -> Response:
        body = validated(ClassIn, request.data)
        klass = selectors.class_owned(class_id=class_id, teacher=request.user)
        services.class_rename(klass=klass, class_name=body["className"])
        return ok(class_managed_data(klass))

    @schema.documented(
        summary="Delete the teacher's class with its roster, sessions and records",
        responses={
            200: schema.ok("ClassDeleted", EmptyOut()),
            401: schema.UNAUTHORIZED,
            403: FORBIDDEN_OWNER,
            404: schema.CLASS_NOT_FOUND,
            409: SESSION_RUNNING,
        },
        tags=["classes"],
    )
    def delete(self, request: Request, class_id: str) -> Response:
        klass = selectors.class_owned(class_id=class_id, teacher=request.user)
        services.class_delete(klass=klass)
        return ok({})


class ClassArchiveView(APIView):
    """POST /class/:id/archive (`archive=True`) and POST /class/:id/restore (`archive=False`)."""

    permission_classes = [IsTeacher]
    archive = True

    @schema.documented(
        summary=(
            "Archive the teacher's class (hidden from the dashboard and students' pages, history kept), or restore it"
        ),
        responses={
            200: schema.ok("ClassArchived", ClassManagedOut()),
            401: schema.UNAUTHORIZED,
            403: FORBIDDEN_OWNER,
            404: schema.CLASS_NOT_FOUND,
            409: SESSION_RUNNING,
        },
        tags=["classes"],
    )
    def post(self, request: Request, class_id: str) -> Response:
        klass = selectors.class_owned(class_id=class_id, teacher=request.user)
        if self.archive:
            services.class_archive(klass=klass)
        else:
            services.class_restore(klass=klass)
        return ok(class_managed_data(klass))


class ClassLeaveView(APIView):
    permission_classes = [IsStudent]

    @schema.documented(
        summary="Leave a class the student is enrolled in (not while its session runs)",
        responses={
            200: schema.ok("ClassLeft", EmptyOut()),
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, student access required` or `Forbidden, not enrolled in class`"),
            404: schema.CLASS_NOT_FOUND,
            409: SESSION_RUNNING,
        },
        tags=["classes"],
    )
    def post(self, request: Request, class_id: str) -> Response:
        klass = selectors.class_enrolled(class_id=class_id, student=request.user)
        services.enrollment_leave(klass=klass, student=request.user)
        return ok({})


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


class JoinCodeView(APIView):
    permission_classes = [IsTeacher]
    TEACHER_ERRORS = {
        401: schema.UNAUTHORIZED,
        403: schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`"),
        404: schema.CLASS_NOT_FOUND,
    }

    @schema.documented(
        summary="The class's join code (null while joining is off)",
        responses={200: schema.ok("JoinCodeCurrent", JoinCodeOut()), **TEACHER_ERRORS},
        tags=["classes"],
    )
    def get(self, request: Request, class_id: str) -> Response:
        klass = selectors.class_owned(class_id=class_id, teacher=request.user)
        return ok({"code": selectors.join_code_of(klass=klass)})

    @schema.documented(
        summary="Give the class a new join code (the old one stops working)",
        responses={200: schema.ok("JoinCode", JoinCodeOut()), **TEACHER_ERRORS},
        tags=["classes"],
    )
    def post(self, request: Request, class_id: str) -> Response:
        klass = selectors.class_owned(class_id=class_id, teacher=request.user)
        return ok({"code": services.join_code_set(klass=klass).code})

    @schema.documented(
        summary="Turn joining by code off",
        responses={200: schema.ok("JoinCodeOff", EmptyOut()), **TEACHER_ERRORS},
        tags=["classes"],
    )
    def delete(self, request: Request, class_id: str) -> Response:
        klass = selectors.class_owned(class_id=class_id, teacher=request.user)
        services.join_code_clear(klass=klass)
        return ok({})


class JoinView(APIView):
    permission_classes = [IsStudent]

    def get_permissions(self) -> list:
        # GET /class/join is a read of a class whose id is "join": as for any id naming nothing.
        return [IsAuthenticated()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(exclude=True)
    def get(self, request: Request) -> Response:
        raise ApplicationError(Messages.CLASS_NOT_FOUND, 404)

    @schema.documented(
        summary="Join the class a join code names (joining twice is fine)",
        request=JoinIn,
        responses={
            200: schema.ok("Joined", ClassOut()),
            400: schema.INVALID,
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, student access required`"),
            404: schema.error("`Invalid join code`"),
            429: schema.error("`Too many join attempts, try again later` (wrong codes, per student and per client)"),
        },
        tags=["classes"],
    )
    def post(self, request: Request) -> Response:
        body = validated(JoinIn, request.data)
        klass = services.class_join(student=request.user, code=body["code"], client=client_address(request))
        return ok(class_data(klass))


class RosterImportView(APIView):
    permission_classes = [IsTeacher]

    @schema.documented(
        summary="Enroll every known student a CSV or list of emails names, all at once",
        request=RosterImportIn,
        responses={
            200: schema.ok("RosterImported", RosterImportOut()),
            400: schema.error(
                "`Invalid request schema`, or the roster refused whole: `Roster too large: …`, "
                "`Roster line N: … is not an email address`, `Roster line N: no email address`, "
                "`Roster line N: malformed CSV`, `Roster has no email addresses`"
            ),
            401: schema.UNAUTHORIZED,
            403: schema.error("`Forbidden, teacher access required` or `Forbidden, not class teacher`"),
            404: schema.CLASS_NOT_FOUND,
        },
        tags=["classes"],
    )
    def post(self, request: Request, class_id: str) -> Response:
        body = validated(RosterImportIn, request.data)
        klass = selectors.class_owned(class_id=class_id, teacher=request.user)
        rows = services.roster_import(klass=klass, people=parse_roster(body["csv"]))
        return ok(roster_import_data(klass, rows))
