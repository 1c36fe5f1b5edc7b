"""Pages that fill a roster: the class's join code, roster import, and joining by code."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from accounts.pages import STUDENT_HOME, student_required, teacher_required
from classes import selectors as class_selectors
from classes import services
from classes.models import Class
from classes.roster_import import decode_roster, parse_roster
from core.client_address import client_address
from core.errors import ApplicationError, Messages
from pages.classes import RosterImportForm, class_page_response, owned_class


@require_POST
@teacher_required
def join_code_change(request: HttpRequest, class_id: str) -> HttpResponse:
    """Make a new join code (`action=new`) or turn joining off (`action=off`)."""
    klass = owned_class(request, class_id)
    if request.POST.get("action") == "off":
        services.join_code_clear(klass=klass)
        messages.success(request, "Joining by code is off. The old code and link no longer work.")
    else:
        code = services.join_code_set(klass=klass).code
        messages.success(request, f"New join code: {code}. Any earlier code no longer works.")
    return redirect(f"{klass_url(klass)}#join-code")


def klass_url(klass: Class) -> str:
    return reverse("class-page", kwargs={"class_id": str(klass.pk)})


@require_POST
@teacher_required
def roster_import(request: HttpRequest, class_id: str) -> HttpResponse:
    """Enroll everyone a pasted list or uploaded CSV names; show what happened to each line."""
    klass = owned_class(request, class_id)
    form = RosterImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            text = decode_roster(upload.read()) if upload else form.cleaned_data["text"]
            rows = services.roster_import(klass=klass, people=parse_roster(text))
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return class_page_response(
                request, klass, import_rows=rows, import_added=sum(1 for r in rows if r.result == "added")
            )
    return class_page_response(request, klass, import_form=form, status=400)


def _join_page(request: HttpRequest, *, code: str = "", error: str = "", status: int = 200, klass=None):
    context = {"code": code, "error": error, "klass": klass, "enrolled": False}
    if klass is not None:
        context["enrolled"] = class_selectors.is_enrolled(klass=klass, user=request.user)
    return render(request, "classes/join.html", context, status=status)


@require_http_methods(["GET", "POST"])
def join_link(request: HttpRequest, code: str) -> HttpResponse:
    """The link a teacher sends round: sign in (or up) as a student, see the class, join it."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.role != Role.STUDENT:
        return render(request, "classes/join.html", {"for_teacher": True, "code": code}, status=403)
    return _join(request, code)


@require_POST
@student_required
def join_typed(request: HttpRequest) -> HttpResponse:
    """Join with a code typed on the student's page."""
    return _join(request, request.POST.get("code", "")[:64], typed=True)


def _join(request: HttpRequest, code: str, *, typed: bool = False) -> HttpResponse:
    try:
        klass = services.join_code_lookup(student=request.user, code=code, client=client_address(request))
    except ApplicationError as exc:
        if exc.message == Messages.INVALID_JOIN_CODE:
            error = "This join code does not work. Check it with your teacher: they may have made a new one."
        else:
            error = exc.message
        return _join_page(request, code=code, error=error, status=exc.status)
    if request.method == "GET":
        return _join_page(request, code=code, klass=klass)
    services.class_join(student=request.user, code=code, client=client_address(request))
    messages.success(request, f"You joined {klass.class_name}.")
    return redirect(STUDENT_HOME)
