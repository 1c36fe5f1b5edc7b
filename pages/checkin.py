"""Self check-in on the site: the teacher's switch and projector view, the student's code box and "I'm here"."""

import secrets
from datetime import UTC, datetime

import segno
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from accounts.pages import STUDENT_HOME, student_required, teacher_required
from attendance import checkin
from attendance.selectors import iso_millis, session_active
from classes import selectors as class_selectors
from core.client_address import client_address
from core.errors import ApplicationError
from core.exceptions import error_body
from pages.classes import owned_class

# A random id for the browser, so that one browser checking in two students can be told apart.
DEVICE_COOKIE = "attendance_checkin_device"
DEVICE_COOKIE_DAYS = 180


# Teacher ---------------------------------------------------------------------------------


@require_POST
@teacher_required
def checkin_open(request: HttpRequest, class_id: str) -> HttpResponse:
    """Open check-in (with an optional late threshold in minutes) and go to the projector view."""
    klass = owned_class(request, class_id)
    raw = request.POST.get("late_after_minutes", "").strip()
    late_after = None
    if raw:
        if not raw.isdigit() or int(raw) > checkin.MAX_LATE_AFTER_MINUTES:
            messages.error(request, "Late after: enter a whole number of minutes, from 0 to 1440, or leave it empty.")
            return redirect("session-live", class_id=str(klass.pk))
        late_after = int(raw)
    try:
        checkin.checkin_open(klass=klass, late_after_minutes=late_after)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("session-live", class_id=str(klass.pk))
    return redirect("checkin-projector", class_id=str(klass.pk))


@require_POST
@teacher_required
def checkin_close(request: HttpRequest, class_id: str) -> HttpResponse:
    """Close check-in and go back to the live view."""
    klass = owned_class(request, class_id)
    try:
        checkin.checkin_close(klass=klass)
        messages.success(request, "Check-in is closed: codes are no longer accepted.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("session-live", class_id=str(klass.pk))


@require_GET
@teacher_required
def projector(request: HttpRequest, class_id: str) -> HttpResponse:
    """The full-screen view for the projector: the code, its QR, a countdown and the count of check-ins."""
    klass = owned_class(request, class_id)
    session = session_active(klass=klass)
    state = checkin.checkin_state_teacher(session) if session else None
    context = {
        "klass": klass,
        "session": session,
        "open": bool(state and state["open"]),
        "checked_in": len(state["checkedIn"]) if state else 0,
        "enrolled": len(class_selectors.roster_ids(klass=klass)),
        "rotate_seconds": checkin.rotate_seconds(),
    }
    return render(request, "live/projector.html", context)


@require_GET
@teacher_required
def projector_code(request: HttpRequest, class_id: str) -> HttpResponse:
    """The projector's data: code, when it changes, its QR as SVG, the server's clock, the count."""
    klass = owned_class(request, class_id)
    session = session_active(klass=klass)
    try:
        data = checkin.checkin_code(klass=klass)
    except ApplicationError as exc:
        return JsonResponse(error_body(exc.message), status=exc.status)
    link = (
        request.build_absolute_uri(reverse("student-live"))
        + "?"
        + urlencode({"checkin": str(klass.pk), "code": data["code"]})
    )
    qr = segno.make(link, error="m").svg_inline(scale=1, border=2, omitsize=True, dark="#000", light="#fff")
    data.update(
        {
            "qr": qr,
            "link": link,
            "now": iso_millis(datetime.fromtimestamp(checkin.clock(), tz=UTC)),
            "checkedIn": len(checkin.checkin_state_teacher(session)["checkedIn"]),
        }
    )
    return JsonResponse({"success": True, "data": data})


# Student ---------------------------------------------------------------------------------


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _answer(request: HttpRequest, *, data: dict | None, error: ApplicationError | None, done: str) -> HttpResponse:
    """JSON for the page's script; a message and a redirect to the live page without it."""
    if _wants_json(request):
        if error is not None:
            return JsonResponse(error_body(error.message), status=error.status)
        return JsonResponse({"success": True, "data": data})
    if error is not None:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(STUDENT_HOME)


def _device(request: HttpRequest) -> tuple[str, bool]:
    """Return the browser's id and whether it is new (then it must be set on the response)."""
    device = request.COOKIES.get(DEVICE_COOKIE, "")
    if 16 <= len(device) <= 64 and device.replace("-", "").replace("_", "").isalnum():
        return device, False
    return secrets.token_urlsafe(24), True


@require_POST
@student_required
def student_checkin(request: HttpRequest) -> HttpResponse:
    """Check in with the code on the projector."""
    device, new = _device(request)
    try:
        klass = class_selectors.class_enrolled(class_id=request.POST.get("classId", ""), student=request.user)
        data = checkin.checkin_submit(
            klass=klass,
            student=request.user,
            code=request.POST.get("code", ""),
            device=device,
            address=client_address(request),
        )
    except ApplicationError as exc:
        data, error = None, exc
    else:
        error = None
    done = f"Checked in: {data['status']}." if data else ""
    response = _answer(request, data=data, error=error, done=done)
    if new:
        response.set_cookie(
            DEVICE_COOKIE,
            device,
            max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


@require_POST
@student_required
def student_claim(request: HttpRequest) -> HttpResponse:
    """Tell the teacher "I'm here"."""
    try:
        klass = class_selectors.class_enrolled(class_id=request.POST.get("classId", ""), student=request.user)
        checkin.claim_make(klass=klass, student=request.user)
    except ApplicationError as exc:
        return _answer(request, data=None, error=exc, done="")
    data = {"classId": str(klass.pk), "claimed": True}
    return _answer(request, data=data, error=None, done="Your teacher has been told you are here.")
