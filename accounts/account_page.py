"""The account page: change your name, your email (with your password) and your password.

Each form posts to its own address and the page is drawn again with that form's errors.
The password form goes through `services.change_password`, as `POST /auth/password` does:
the same validators, the same lockout on the current password, and every other session,
token and socket of the account ends; this browser stays signed in.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import services
from accounts.models import User
from accounts.pages import PageForm
from accounts.reset_pages import PASSWORD_HELP
from core.client_address import client_address
from core.errors import ApplicationError, Messages

PASSWORD_WIDGET = {"autocomplete": "current-password"}


class NameForm(PageForm):
    name = forms.CharField(max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}))


class EmailForm(PageForm):
    email = forms.EmailField(
        max_length=254, label="New email", widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = forms.CharField(
        max_length=1024,
        strip=False,
        label="Your password",
        help_text="To confirm that it is you.",
        widget=forms.PasswordInput(attrs=PASSWORD_WIDGET),
    )


class PasswordForm(PageForm):
    current_password = forms.CharField(
        max_length=1024, strip=False, label="Current password", widget=forms.PasswordInput(attrs=PASSWORD_WIDGET)
    )
    new_password = forms.CharField(
        max_length=1024,
        strip=False,
        label="New password",
        help_text=PASSWORD_HELP,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password_again = forms.CharField(
        max_length=1024,
        strip=False,
        label="New password, again",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean(self) -> dict:
        data = super().clean()
        new = data.get("new_password")
        if new is not None:
            for message in services.validate_new_password(password=new, user=self.user):
                self.add_error("new_password", message)
            if "new_password_again" in data and data["new_password_again"] != new:
                self.add_error("new_password_again", "The two new passwords differ.")
        return data


def _page(request: HttpRequest, status: int = 200, **forms_given) -> HttpResponse:
    user = request.user
    context = {
        "name_form": forms_given.get("name_form") or NameForm(initial={"name": user.name}),
        "email_form": forms_given.get("email_form") or EmailForm(),
        "password_form": forms_given.get("password_form") or PasswordForm(user=user),
    }
    return render(request, "accounts/account.html", context, status=status)


def _refused(form: forms.Form, exc: ApplicationError, field_of: dict[str, str]) -> None:
    form.add_error(field_of.get(exc.message), exc.message)


@require_GET
@login_required
def account_page(request: HttpRequest) -> HttpResponse:
    """Your name, email and password."""
    return _page(request)


@require_POST
@login_required
def name_change(request: HttpRequest) -> HttpResponse:
    form = NameForm(request.POST)
    if form.is_valid():
        try:
            services.change_name(user=request.user, name=form.cleaned_data["name"])
        except ApplicationError as exc:
            form.add_error("name", "Give a name of 1 to 200 characters." if exc.status == 400 else exc.message)
        else:
            messages.success(request, "Your name is changed.")
            return redirect("account")
    return _page(request, 400, name_form=form)


@require_POST
@login_required
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST)
    if form.is_valid():
        try:
            services.change_email(
                user=request.user,
                password=form.cleaned_data["password"],
                new_email=form.cleaned_data["email"],
                client=client_address(request),
            )
        except ApplicationError as exc:
            request.user.refresh_from_db(fields=["email"])
            _refused(form, exc, {Messages.WRONG_PASSWORD: "password", Messages.EMAIL_EXISTS: "email"})
        else:
            messages.success(request, f"You now sign in with {request.user.email}.")
            return redirect("account")
    return _page(request, _status(form), email_form=form)


@require_POST
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.change_password(
                user=request.user,
                current_password=form.cleaned_data["current_password"],
                new_password=form.cleaned_data["new_password"],
                client=client_address(request),
            )
        except ApplicationError as exc:
            _refused(form, exc, {Messages.WRONG_PASSWORD: "current_password"})
        else:
            # The new password hash signs every session out; this one carries on.
            update_session_auth_hash(request, request.user)
            messages.success(request, "Your password is changed. Every other device was signed out.")
            return redirect("account")
    return _page(request, _status(form), password_form=form)


def _status(form: forms.Form) -> int:
    return 429 if Messages.TOO_MANY_LOGINS in form.non_field_errors() else 400
