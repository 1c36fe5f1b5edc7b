"""Contrib app configs with ObjectId keys, used only when MongoDB is the database."""

from django.contrib.admin.apps import AdminConfig
from django.contrib.auth.apps import AuthConfig
from django.contrib.contenttypes.apps import ContentTypesConfig

OBJECT_ID_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"


class MongoAdminConfig(AdminConfig):
    """Admin with ObjectId log entry keys."""

    default_auto_field = OBJECT_ID_FIELD


class MongoAuthConfig(AuthConfig):
    """Auth with ObjectId permission and group keys."""

    default_auto_field = OBJECT_ID_FIELD


class MongoContentTypesConfig(ContentTypesConfig):
    """Content types with ObjectId keys."""

    default_auto_field = OBJECT_ID_FIELD
