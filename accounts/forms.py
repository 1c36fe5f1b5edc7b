"""Admin forms for the email-login user."""

from django.contrib.auth import forms as auth_forms

from accounts.models import User


class UserCreationForm(auth_forms.UserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name", "role"]


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"
