"""Request and response shapes of the auth routes."""

from rest_framework import serializers

from accounts.models import Role, User
from core.validation import StrictCharField, StrictEmailField


class SignupIn(serializers.Serializer):
    name = StrictCharField(max_length=200, trim_whitespace=True)
    email = StrictEmailField(max_length=254)
    password = StrictCharField(min_length=6, max_length=1024, trim_whitespace=False)
    role = serializers.ChoiceField(choices=Role.values)

    def validate_role(self, value):
        if not isinstance(self.initial_data.get("role"), str):
            raise serializers.ValidationError("role must be a string")
        return value


class LoginIn(serializers.Serializer):
    email = StrictEmailField(max_length=254)
    password = StrictCharField(max_length=1024, trim_whitespace=False)


class RefreshIn(serializers.Serializer):
    refresh = StrictCharField(max_length=4096)


class PasswordChangeIn(serializers.Serializer):
    currentPassword = StrictCharField(max_length=1024, trim_whitespace=False)
    newPassword = StrictCharField(max_length=1024, trim_whitespace=False)


class EmptyOut(serializers.Serializer):
    pass


class UserOut(serializers.ModelSerializer):
    _id = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["_id", "name", "email", "role"]

    def get__id(self, user: User) -> str:
        return str(user.pk)


class PersonOut(serializers.ModelSerializer):
    _id = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["_id", "name", "email"]

    def get__id(self, user: User) -> str:
        return str(user.pk)


class TokensOut(serializers.Serializer):
    token = serializers.CharField()
    refresh = serializers.CharField()
