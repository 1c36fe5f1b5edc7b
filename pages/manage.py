"""Class management pages: rename, archive, restore, delete; a student's classes and leaving one.

Every change goes through classes.services, as the API's routes do; a refusal (a running
session) is shown as a message and changes nothing.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.pages import PageForm, student_required, teacher_required
from attendance.selectors import session_active, session_count
from classes import selectors, services
from classes.models import Class
from core.errors import ApplicationError, Messages
from pages.classes import ClassForm, class_page_response, owned_class

RUNNING_FIRST = {
    "archive": "Finish the running session of {name} first: a class with a session running cannot be archived.",
    "delete": "Finish the running session of {name} first: a class with a session running cannot be deleted.",
    "leave": "{name} has a session running: you can leave the class once your teacher has finished it.",
}


class DeleteForm(PageForm):
    confirm_name = forms.CharField(max_length=200, strip=False, label="Type the class name to confirm")

    def __init__(self, *args, klass: Class, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.klass = klass

    def clean_confirm_name(self) -> str:
        typed = self.cleaned_data["confirm_name"]
        if typed.strip() != self.klass.class_name:
            raise forms.ValidationError(f"Type the class name exactly as it is: {self.klass.class_name}")
        return typed


def _refusal(exc: ApplicationError, action: str, klass: Class) -> str:
    if exc.message == Messages.SESSION_RUNNING:
        return RUNNING_FIRST[action].format(name=klass.class_name)
    return exc.message


@require_POST
@teacher_required
def class_rename(request: HttpRequest, class_id: str) -> HttpResponse:
    """Rename the class; an empty name is shown on the class page and changes nothing."""
    klass = owned_class(request, class_id)
    form = ClassForm(request.POST, prefix="rename")
    if form.is_valid():
        old = klass.class_name
        services.class_rename(klass=klass, class_name=form.cleaned_data["class_name"])
        messages.success(request, f"Renamed {old} to {klass.class_name}.")
        return redirect("class-page", class_id=str(klass.pk))
    klass.refresh_from_db()
    return class_page_response(request, klass, rename_form=form, status=400)


@require_POST
@teacher_required
def class_archive(request: HttpRequest, class_id: str) -> HttpResponse:
    """Archive the class and go back to the dashboard; refused while its session runs."""
    klass = owned_class(request, class_id)
    try:
        services.class_archive(klass=klass)
    except ApplicationError as exc:
        messages.error(request, _refusal(exc, "archive", klass))
        return redirect("class-page", class_id=str(klass.pk))
    messages.success(request, f"Archived {klass.class_name}. Its history is kept under Archived classes.")
    return redirect("dashboard")


@require_POST
@teacher_required
def class_restore(request: HttpRequest, class_id: str) -> HttpResponse:
    """Bring an archived class back to the dashboard and its students' pages."""
    klass = owned_class(request, class_id)
    services.class_restore(klass=klass)
    messages.success(request, f"Restored {klass.class_name}.")
    return redirect("class-page", class_id=str(klass.pk))


@require_http_methods(["GET", "POST"])
@teacher_required
def class_delete(request: HttpRequest, class_id: str) -> HttpResponse:
    """Ask for the class name, then delete the class with its roster, sessions and records."""
    klass = owned_class(request, class_id)
    form = DeleteForm(request.POST or None, klass=klass)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.class_delete(klass=klass)
            except ApplicationError as exc:
                form.add_error(None, _refusal(exc, "delete", klass))
                status = 409
            else:
                messages.success(request, f"Deleted {klass.class_name} and its history.")
                return redirect("dashboard")
        else:
            status = 400
    context = {
        "klass": klass,
        "form": form,
        "sessions": session_count(klass=klass),
        "students": len(selectors.roster_ids(klass=klass)),
        "running": session_active(klass=klass),
    }
    return render(request, "classes/delete.html", context, status=status)


@require_GET
@teacher_required
def archived_classes(request: HttpRequest) -> HttpResponse:
    """The teacher's archived classes, to open, restore or delete."""
    return render(request, "classes/archived.html", {"classes": selectors.archived_classes(teacher=request.user)})


@require_GET
@student_required
def student_classes(request: HttpRequest) -> HttpResponse:
    """The classes a student is in, each with its teacher and a way to leave it."""
    rows = [
        {"klass": klass, "running": session_active(klass=klass) is not None}
        for klass in selectors.classes_of_student(student=request.user)
    ]
    return render(request, "classes/student_classes.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@student_required
def student_leave(request: HttpRequest, class_id: str) -> HttpResponse:
    """Confirm, then take the student off the class's roster (their past records stay)."""
    try:
        klass = selectors.class_enrolled(class_id=class_id, student=request.user)
    except ApplicationError:
        raise Http404(Messages.CLASS_NOT_FOUND) from None
    if request.method == "POST":
        try:
            services.enrollment_leave(klass=klass, student=request.user)
        except ApplicationError as exc:
            messages.error(request, _refusal(exc, "leave", klass))
        else:
            messages.success(request, f"You left {klass.class_name}. Your past attendance in it is kept.")
        return redirect("student-classes")
    context = {"klass": klass, "running": session_active(klass=klass) is not None}
    return render(request, "classes/leave.html", context)
