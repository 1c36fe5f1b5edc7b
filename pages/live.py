"""Live pages: the teacher's session view, the student's live status and history."""

from datetime import datetime

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Role
from accounts.pages import TEACHER_HOME, student_required, teacher_required
from attendance import codes, services, snapshots
from attendance.models import Status
from classes import selectors as class_selectors
from core.errors import ApplicationError, Messages
from pages.classes import owned_class
from reports import history

# Statuses that need neither a code nor a claim; a check-in never changes an excused one either.
HERE = {Status.PRESENT.value, Status.LATE.value}


@require_POST
@teacher_required
def session_start(request: HttpRequest, class_id: str) -> HttpResponse:
    """Start the class's session (or keep the running one) and open the live view."""
    klass = owned_class(request, class_id)
    try:
        services.session_start(teacher=request.user, klass=klass)
    except ApplicationError as exc:
        if exc.message != Messages.CLASS_ARCHIVED:
            raise
        messages.error(request, f"{klass.class_name} is archived: restore it to take attendance.")
        return redirect("class-page", class_id=str(klass.pk))
    return redirect("session-live", class_id=str(klass.pk))


@require_GET
@teacher_required
def teacher_live(request: HttpRequest, class_id: str) -> HttpResponse:
    """Every enrolled student as a button, live counters, who is connected, Finish."""
    klass = owned_class(request, class_id)
    entry = snapshots.snapshot_sync(user=request.user, class_ids=[str(klass.pk)])["classes"][0]
    session = entry["session"]
    marks = session["marks"] if session else {}
    students = [
        {"id": student["_id"], "name": student["name"], "status": marks.get(student["_id"], "")}
        for student in entry["students"]
    ]
    last = history.class_sessions(klass=klass, limit=1)
    context = {
        "klass": klass,
        "session": session,
        "started_at": datetime.fromisoformat(session["startedAt"]) if session else None,
        "students": students,
        "counts": session["counts"] if session else None,
        "checkin": session["checkIn"] if session else None,
        "last": last[0] if last else None,
    }
    return render(request, "live/teacher_live.html", context)


def _student_classes(request: HttpRequest) -> list[dict]:
    class_ids = list(class_selectors.memberships(user=request.user))
    entries = snapshots.snapshot_sync(user=request.user, class_ids=class_ids)["classes"]
    for entry in entries:
        session = entry["session"]
        if session is None:
            entry["state"] = "idle"
        else:
            entry["state"] = session["status"] if session["status"] in Status.values else "waiting"
            entry["started_at"] = datetime.fromisoformat(session["startedAt"])
            here = session["status"] in HERE
            entry["can_check_in"] = session["checkIn"]["open"] and not here and session["status"] != Status.EXCUSED
            entry["claimed"] = session["checkIn"]["claimed"]
            entry["can_claim"] = not here and not entry["claimed"]
    return entries


@require_GET
def student_live(request: HttpRequest) -> HttpResponse:
    """The student's status in each running session of their classes, then their history."""
    if request.user.is_authenticated and request.user.role == Role.TEACHER:
        return redirect(TEACHER_HOME)
    return _student_live(request)


@student_required
def _student_live(request: HttpRequest) -> HttpResponse:
    context = {
        "classes": _student_classes(request),
        "history": history.student_history(student=request.user),
        # The QR code on the projector links here with the class and the code to fill in.
        "prefill_class": request.GET.get("checkin", "")[:64],
        "prefill_code": codes.normalize(request.GET.get("code", "")) or "",
    }
    return render(request, "live/student_live.html", context)


@require_GET
@student_required
def student_history(request: HttpRequest) -> HttpResponse:
    """The student's attendance in every finished session, per class."""
    return render(request, "live/student_history.html", {"history": history.student_history(student=request.user)})
