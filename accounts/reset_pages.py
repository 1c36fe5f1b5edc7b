"""Forgotten passwords: Django's reset views and tokens, rate limited, ending every session.

The request page answers the same for a known and an unknown email (no account
enumeration). A link works once (the token covers the password hash and the last login)
and for PASSWORD_RESET_TIMEOUT seconds. Setting the new password goes through
`services.set_password_everywhere`, which ends every token, page session and socket of the
account.
"""

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from accounts import services, throttling
from accounts.models import User, normalize_email
from accounts.pages import PageForm
from core.client_address import client_address
from core.errors import Messages

PASSWORD_HELP = "At least 8 characters, not a common password, not only digits, not like your name or email."


class ResetRequestForm(PageForm, auth_forms.PasswordResetForm):
    """Ask for a reset link by email; sends at most PASSWORD_RESET_EMAIL_LIMIT per address and window."""

    def get_users(self, email: str):
        email = normalize_email(email)
        if not throttling.reset_email_allowed(email):
            return iter(())
        return (user for user in User.objects.filter(email=email, is_active=True) if user.has_usable_password())


class ResetSetPasswordForm(PageForm, auth_forms.SetPasswordForm):
    """The new password, twice, checked by the validators every page applies."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = PASSWORD_HELP

    def save(self, commit: bool = True) -> User:
        services.set_password_everywhere(user=self.user, new_password=self.cleaned_data["new_password1"])
        return self.user


class LinkLifetimeMixin:
    """Tell the template (and the email) how many minutes a link works."""

    def get_context_data(self, **kwargs) -> dict:
        return {**super().get_context_data(**kwargs), "timeout_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}


class ResetFormMixin(LinkLifetimeMixin):
    """Offered only when the server can send email; a refused form answers 400."""

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not settings.PASSWORD_RESET_BY_EMAIL:
            return render(request, "accounts/password_reset_unavailable.html", status=404)
        return super().dispatch(request, *args, **kwargs)

    def form_invalid(self, form) -> HttpResponse:
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ResetRequestView(ResetFormMixin, auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-sent")

    def form_valid(self, form) -> HttpResponse:
        if not throttling.reset_request_allowed(client_address(self.request)):
            form.add_error(None, Messages.TOO_MANY_RESETS)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        self.extra_email_context = {"timeout_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
        return super().form_valid(form)


class ResetSentView(LinkLifetimeMixin, auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_sent.html"


class ResetConfirmView(ResetFormMixin, auth_views.PasswordResetConfirmView):
    form_class = ResetSetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password-reset-complete")

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        # A user who locked themselves out guessing may sign in from here at once.
        throttling.reset(form.user.email, client_address(self.request))
        return response


class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"
