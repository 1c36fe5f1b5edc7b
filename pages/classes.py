"""The teacher's pages: dashboard, class page (roster, history, chart), CSV export."""

import csv

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Role, User, normalize_email
from accounts.pages import STUDENT_HOME, PageForm, teacher_required
from attendance.models import ClassPolicy
from attendance.policy import policy_of
from attendance.selectors import session_active
from classes import selectors, services
from classes.models import Class
from core import csv_safety, timezones
from core.errors import ApplicationError, Messages
from core.ids import get_by_id
from reports import history
from reports.selectors import standing_sort_key
from reports.standing import Level

SEARCH_LIMIT = 20
CHART_SESSIONS = 12


class ClassForm(PageForm):
    class_name = forms.CharField(max_length=200, label="Class name")


class AddByEmailForm(PageForm):
    email = forms.EmailField(max_length=254, label="Student email")


class RosterImportForm(PageForm):
    text = forms.CharField(
        required=False,
        strip=False,
        label="Paste emails or CSV",
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "autocomplete": "off"}),
        help_text="One email per line, “name, email” rows, or a spreadsheet export with an email column.",
    )
    file = forms.FileField(
        required=False,
        label="Or upload a CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        rows, size = settings.ROSTER_IMPORT_MAX_ROWS, settings.ROSTER_IMPORT_MAX_BYTES
        self.fields[
            "file"
        ].help_text = f"UTF-8 text (a spreadsheet's “CSV UTF-8”), at most {rows} rows and {size // 1024} KB."


class ClassSettingsForm(PageForm):
    """The class's time zone and attendance policy."""

    time_zone = forms.ChoiceField(label="Time zone", help_text="Session times on this page, the CSV and the chart.")
    required_rate = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label="Required attendance (%)",
        help_text="Leave empty for no requirement. Students see how many more sessions they can miss.",
    )
    late_credit = forms.IntegerField(
        min_value=0,
        max_value=100,
        label="A late counts as (% of a session)",
        help_text="100: the same as present. 50: half a session.",
    )
    excused_left_out = forms.BooleanField(
        required=False,
        label="Leave excused sessions out of the rate",
        help_text="Otherwise an excused session counts as missed.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name.replace("_", " ")) for name in timezones.zone_names()]
        for name in ("required_rate", "late_credit"):
            self.fields[name].widget.attrs.update({"inputmode": "numeric"})

    @classmethod
    def for_class(cls, klass: Class) -> "ClassSettingsForm":
        policy = policy_of(klass=klass)
        return cls(
            initial={
                "time_zone": klass.time_zone,
                "required_rate": policy.required_rate,
                "late_credit": policy.late_credit,
                "excused_left_out": policy.excused_left_out,
            }
        )


def owned_class(request: HttpRequest, class_id: str) -> Class:
    """Return the signed-in teacher's class; anyone else's, or none, is a 404."""
    try:
        return selectors.class_owned(class_id=class_id, teacher=request.user)
    except ApplicationError:
        raise Http404(Messages.CLASS_NOT_FOUND) from None


@require_http_methods(["GET", "POST"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """The teacher's classes, with a form to create one; students go to their live page."""
    if request.method == "GET" and request.user.is_authenticated and request.user.role == Role.STUDENT:
        return redirect(STUDENT_HOME)
    return _dashboard(request)


@teacher_required
def _dashboard(request: HttpRequest) -> HttpResponse:
    form = ClassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        klass = services.class_create(teacher=request.user, class_name=form.cleaned_data["class_name"].strip())
        messages.success(request, f"Created {klass.class_name}. Add your students below.")
        return redirect("class-page", class_id=str(klass.pk))
    rows = history.dashboard_rows(teacher=request.user)
    status = 400 if request.method == "POST" else 200
    archived_count = len(selectors.archived_classes(teacher=request.user))
    context = {"rows": rows, "form": form, "archived_count": archived_count}
    return render(request, "classes/dashboard.html", context, status=status)


def _search(*, klass: Class, query: str) -> tuple[list[User], int]:
    candidates = User.objects.filter(role=Role.STUDENT, is_active=True).exclude(
        pk__in=selectors.roster_ids(klass=klass)
    )
    if query:
        candidates = candidates.filter(Q(name__icontains=query) | Q(email__icontains=query))
    candidates = candidates.order_by("name", "email")
    return list(candidates[:SEARCH_LIMIT]), candidates.count()


def _flagged(policy: ClassPolicy, rows: list) -> dict[str, int]:
    levels = [row.standing.level for row in rows] if policy.required_rate else []
    return {"below": levels.count(Level.BELOW), "at_risk": levels.count(Level.AT_RISK)}


def join_url(request: HttpRequest, code: str) -> str:
    """Return the link that carries a join code, absolute, for the teacher to send round."""
    return request.build_absolute_uri(reverse("join", kwargs={"code": code}))


def class_page_response(
    request: HttpRequest,
    klass: Class,
    *,
    email_form: AddByEmailForm | None = None,
    rename_form: ClassForm | None = None,
    status: int = 200,
    **extra,
) -> HttpResponse:
    """Draw the class page, with the given forms' errors (and what a form just did, in `extra`)."""
    query = request.GET.get("q", "").strip()[:100]
    roster = selectors.roster(klass=klass)
    rates = history.student_rates(klass=klass, students=roster)
    rates_policy = policy_of(klass=klass)
    standings = [rates[str(student.pk)] for student in roster]
    if rates_policy.required_rate:
        # Those who need attention first: below the requirement, then at risk, lowest rate first.
        standings.sort(key=lambda row: standing_sort_key(row.standing, row.student.name, row.student.email))
    sessions = history.class_sessions(klass=klass)
    candidates, candidate_count = _search(klass=klass, query=query)
    code = selectors.join_code_of(klass=klass)
    context = {
        "klass": klass,
        "roster": standings,
        "running": session_active(klass=klass),
        "sessions": sessions,
        "chart": history.attendance_chart(sessions=sessions[:CHART_SESSIONS], time_zone=klass.time_zone),
        "query": query,
        "candidates": candidates,
        "candidate_count": candidate_count,
        "email_form": email_form or AddByEmailForm(),
        "rename_form": rename_form or ClassForm(prefix="rename", initial={"class_name": klass.class_name}),
        "join_code": code,
        "join_url": join_url(request, code) if code else "",
        "import_form": RosterImportForm(),
        "settings_form": ClassSettingsForm.for_class(klass),
        "policy": rates_policy,
        "flagged": _flagged(rates_policy, standings),
        **extra,
    }
    return render(request, "classes/class_page.html", context, status=status)


@require_GET
@teacher_required
def class_page(request: HttpRequest, class_id: str) -> HttpResponse:
    """The roster with rates, adding and removing students, sessions, history and chart."""
    return class_page_response(request, owned_class(request, class_id))


@require_POST
@teacher_required
def student_add(request: HttpRequest, class_id: str) -> HttpResponse:
    """Enroll a student picked from the list (`student_id`) or named by `email`."""
    klass = owned_class(request, class_id)
    student_id = request.POST.get("student_id")
    if student_id is None:
        form = AddByEmailForm(request.POST)
        if not form.is_valid():
            return class_page_response(request, klass, email_form=form, status=400)
        email = normalize_email(form.cleaned_data["email"])
        found = User.objects.filter(email=email, role=Role.STUDENT, is_active=True).first()
        if found is None:
            form.add_error("email", "No student account has this email. Ask the student to sign up first.")
            return class_page_response(request, klass, email_form=form, status=400)
        student_id = str(found.pk)
    try:
        student = services.enrollment_add(klass=klass, student_id=student_id)
    except ApplicationError:
        raise Http404(Messages.STUDENT_NOT_FOUND) from None
    messages.success(request, f"Added {student.name} to {klass.class_name}.")
    return redirect("class-page", class_id=str(klass.pk))


@require_POST
@teacher_required
def student_remove(request: HttpRequest, class_id: str, student_id: str) -> HttpResponse:
    """Take a student off the roster (their past records stay)."""
    klass = owned_class(request, class_id)
    try:
        student = get_by_id(User.objects.filter(role=Role.STUDENT), student_id, Messages.STUDENT_NOT_FOUND)
    except ApplicationError:
        raise Http404(Messages.STUDENT_NOT_FOUND) from None
    if services.enrollment_remove(klass=klass, student=student):
        messages.success(request, f"Removed {student.name} from {klass.class_name}. Their past records are kept.")
    return redirect("class-page", class_id=str(klass.pk))


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


@require_GET
@teacher_required
def export_csv(request: HttpRequest, class_id: str) -> HttpResponse:
    """Download every attendance record of the class as CSV."""
    klass = owned_class(request, class_id)
    writer = csv.writer(_Echo(), quoting=csv_safety.QUOTING)
    body = "".join(writer.writerow(row) for row in history.class_csv_rows(klass=klass))
    filename = f"{slugify(klass.class_name) or 'class'}-attendance.csv"
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
