"""Admin forms for the email-login user, and the admin's sign-in form."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import forms as auth_forms

from accounts import services
from accounts.models import User
from core.client_address import client_address
from core.errors import ApplicationError, Messages


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name", "role"]


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in, through the same lockout as the API and the sign-in page."""

    def clean(self) -> dict:
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email and password:
            try:
                self.user_cache = services.user_authenticate(
                    email=email, password=password, client=client_address(self.request), request=self.request
                )
            except ApplicationError as exc:
                if exc.message == Messages.TOO_MANY_LOGINS:
                    raise forms.ValidationError(exc.message, code="locked") from None
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class AdminSetPasswordForm(auth_forms.AdminPasswordChangeForm):
    """An admin setting someone's password also signs that user out everywhere."""

    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        if commit:
            services.logout_everywhere(user=user)
        return user
