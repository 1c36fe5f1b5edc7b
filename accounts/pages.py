"""Sign-in, sign-up and sign-out pages, and the role checks every page uses."""

from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import services
from accounts.models import Role, User, normalize_email
from core.client_address import client_address
from core.errors import ApplicationError, Messages

TEACHER_HOME = "/app/"
STUDENT_HOME = "/app/live/"


def home_for(user: User) -> str:
    """Return where a signed-in user lands: the dashboard or the live page."""
    return TEACHER_HOME if user.role == Role.TEACHER else STUDENT_HOME


def _role_required(role: str) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.role != role:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


teacher_required = _role_required(Role.TEACHER)
student_required = _role_required(Role.STUDENT)


class PageForm(forms.Form):
    """A form whose labels carry no trailing colon."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class LoginForm(PageForm):
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        max_length=1024, strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, request: HttpRequest, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.request = request
        self.user: User | None = None

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        # The same lockout as the API and the admin: no door is a way around it.
        try:
            self.user = services.user_authenticate(
                email=data["email"],
                password=data["password"],
                client=client_address(self.request),
                request=self.request,
            )
        except ApplicationError as exc:
            raise forms.ValidationError(exc.message) from None
        return data


class SignupForm(PageForm):
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(
        max_length=1024,
        strip=False,
        help_text="At least 8 characters, not a common password, not only digits, not like your name or email.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    role = forms.ChoiceField(
        choices=[(Role.TEACHER, "I am a teacher"), (Role.STUDENT, "I am a student")],
        widget=forms.RadioSelect,
        label="Account type",
    )

    def clean(self) -> dict:
        data = super().clean()
        if "password" in data:
            probe = User(email=normalize_email(data.get("email", "")), name=data.get("name", ""))
            for message in services.validate_new_password(password=data["password"], user=probe):
                self.add_error("password", message)
        return data


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


def login_page(request: HttpRequest) -> HttpResponse:
    """The front door: sign in, or go straight home when already signed in."""
    if request.user.is_authenticated:
        return redirect(home_for(request.user))
    form = LoginForm(request.POST or None, request=request)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            login(request, form.user)
            return redirect(_safe_next(request) or home_for(form.user))
        status = 400
    context = {"form": form, "next": _safe_next(request) or "", "reset_by_email": settings.PASSWORD_RESET_BY_EMAIL}
    return render(request, "accounts/login.html", context, status=status)


def signup_page(request: HttpRequest) -> HttpResponse:
    """Create a teacher or student account and sign it in."""
    if request.user.is_authenticated:
        return redirect(home_for(request.user))
    initial = {"role": request.GET.get("role")} if request.GET.get("role") in Role.values else {}
    form = SignupForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.user_signup(
                    **form.cleaned_data, client=client_address(request), full_password_rules=True
                )
            except ApplicationError as exc:
                form.add_error("email" if exc.message == Messages.EMAIL_EXISTS else None, exc.message)
            else:
                login(request, user, backend="accounts.backends.EmailBackend")
                return redirect(_safe_next(request) or home_for(user))
        status = 400
    return render(request, "accounts/signup.html", {"form": form, "next": _safe_next(request) or ""}, status=status)


@require_POST
def logout_page(request: HttpRequest) -> HttpResponse:
    """Sign out and return to the sign-in page."""
    logout(request)
    return redirect("/")


def app_root(request: HttpRequest) -> HttpResponse:
    """Send `/app` to `/app/`."""
    return redirect(TEACHER_HOME)
