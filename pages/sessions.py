"""The teacher's session page: one session's records, each with its status, note and corrections."""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.pages import PageForm, teacher_required
from attendance import selectors, services
from attendance.models import NOTE_MAX_LENGTH, AttendanceSession, Status
from classes.models import Class
from core.errors import ApplicationError, Messages
from pages.classes import owned_class


class RecordForm(PageForm):
    status = forms.ChoiceField(choices=Status.choices, label="Status")
    note = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        required=False,
        strip=False,
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX_LENGTH}),
        error_messages={"max_length": Messages.NOTE_TOO_LONG},
    )


def _session(klass: Class, session_id: str) -> AttendanceSession:
    try:
        return selectors.class_session(klass=klass, session_id=session_id)
    except ApplicationError:
        raise Http404(Messages.SESSION_NOT_FOUND) from None


def _page(
    request: HttpRequest,
    klass: Class,
    session: AttendanceSession,
    *,
    failed: tuple[str, RecordForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    rows = []
    for row in selectors.session_records(session=session):
        student_id = str(row.student.pk)
        if failed is not None and failed[0] == student_id:
            form = failed[1]
        else:
            initial = {"status": row.record.status if row.record else "", "note": row.record.note if row.record else ""}
            form = RecordForm(initial=initial, prefix=f"r{student_id}")
        rows.append({"row": row, "form": form, "student_id": student_id})
    counts = selectors.session_summary(session=session) if session.is_active else selectors.session_counts(session)
    context = {"klass": klass, "session": session, "rows": rows, "counts": counts}
    return render(request, "classes/session_page.html", context, status=status)


@require_GET
@teacher_required
def session_page(request: HttpRequest, class_id: str, session_id: str) -> HttpResponse:
    """Every record of one session, each editable: a mark while it runs, a logged correction once finished."""
    klass = owned_class(request, class_id)
    return _page(request, klass, _session(klass, session_id))


@require_POST
@teacher_required
def record_save(request: HttpRequest, class_id: str, session_id: str, student_id: str) -> HttpResponse:
    """Set one student's status and note in the session."""
    klass = owned_class(request, class_id)
    session = _session(klass, session_id)
    form = RecordForm(request.POST, prefix=f"r{student_id}")
    if not form.is_valid():
        return _page(request, klass, session, failed=(student_id, form), status=400)
    try:
        record = services.record_set(
            session=session,
            student_id=student_id,
            status=form.cleaned_data["status"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
    except ApplicationError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        form.add_error(None, exc.message)
        return _page(request, klass, session, failed=(student_id, form), status=400)
    name = selectors.record_row(record=record).student.name
    verb = "Marked" if session.is_active else "Corrected"
    messages.success(request, f"{verb} {name}: {Status(record.status).label.lower()}.")
    page = reverse("class-session", kwargs={"class_id": str(klass.pk), "session_id": str(session.pk)})
    return redirect(f"{page}#student-{student_id}")
