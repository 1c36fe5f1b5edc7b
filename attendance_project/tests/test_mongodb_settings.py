"""What MONGO_URI / MONGO_OFFLINE / MONGO_DB_NAME make the settings choose (no server needed)."""

import json

import pytest

from attendance_project.settings.base import mongo_uri_database
from tests.mongo.subprocess_env import UNREACHABLE_URI, run

OBJECT_ID_AUTO_FIELD = "django_mongodb_backend.fields.auto.ObjectIdAutoField"
APPS = ("admin", "auth", "contenttypes", "sessions", "accounts", "classes", "attendance")

# Prints the decisions the settings made, after django.setup() (which must not need a server).
DESCRIBE = """
import json
import django
from django.apps import apps
from django.conf import settings

django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "host": db.get("HOST", ""),
    "name": db["NAME"],
    "default_auto_field": settings.DEFAULT_AUTO_FIELD,
    "migration_modules": getattr(settings, "MIGRATION_MODULES", {}),
    "app_configs": {c.label: type(c).__module__ + "." + type(c).__qualname__ for c in apps.get_app_configs()},
    "primary_keys": {
        m._meta.label: type(m._meta.pk).__module__ + "." + type(m._meta.pk).__qualname__
        for m in apps.get_models(include_auto_created=True)
    },
}))
"""


def describe(**variables: str) -> dict:
    result = run(["-c", DESCRIBE], **variables)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def offline() -> dict:
    return describe(MONGO_URI="mongodb://offline.invalid/attendance", MONGO_OFFLINE="1")


@pytest.fixture(scope="module")
def online() -> dict:
    return describe(MONGO_URI="mongodb://db1:27017,db2:27017/school?replicaSet=rs0&retryWrites=true")


def test_mongo_offline_uses_the_dummy_engine(offline):
    assert offline["engine"] == "django.db.backends.dummy"
    assert offline["name"] == "attendance"


def test_mongo_uri_selects_django_mongodb_backend_with_the_whole_uri_as_host(online):
    assert online["engine"] == "django_mongodb_backend"
    assert online["host"] == "mongodb://db1:27017,db2:27017/school?replicaSet=rs0&retryWrites=true"
    assert online["name"] == "school"


@pytest.mark.parametrize("mode", ["offline", "online"])
def test_mongodb_mode_uses_object_id_keys_everywhere(mode, request):
    decisions = request.getfixturevalue(mode)
    assert decisions["default_auto_field"] == "django_mongodb_backend.fields.ObjectIdAutoField"
    keys = dict(decisions["primary_keys"])
    # The session key is the one natural primary key; every other model, contrib ones and
    # many-to-many tables included, gets an ObjectId.
    assert keys.pop("sessions.Session") == "django.db.models.fields.CharField"
    assert {"accounts.User", "admin.LogEntry", "auth.Group", "contenttypes.ContentType"} <= set(keys)
    assert {label for label, field in keys.items() if field != OBJECT_ID_AUTO_FIELD} == set()


@pytest.mark.parametrize("mode", ["offline", "online"])
def test_mongodb_mode_swaps_contrib_apps_and_migration_modules(mode, request):
    decisions = request.getfixturevalue(mode)
    assert decisions["migration_modules"] == {app: f"mongo_migrations.{app}" for app in APPS}
    configs = decisions["app_configs"]
    assert configs["admin"] == "attendance_project.mongo_apps.MongoAdminConfig"
    assert configs["auth"] == "attendance_project.mongo_apps.MongoAuthConfig"
    assert configs["contenttypes"] == "attendance_project.mongo_apps.MongoContentTypesConfig"


def test_without_mongo_uri_everything_stays_sql(tmp_path):
    decisions = describe(SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    assert decisions["engine"] == "django.db.backends.sqlite3"
    assert decisions["default_auto_field"] == "django.db.models.BigAutoField"
    assert decisions["migration_modules"] == {}
    assert decisions["app_configs"]["admin"] == "django.contrib.admin.apps.AdminConfig"
    assert OBJECT_ID_AUTO_FIELD not in decisions["primary_keys"].values()


def test_mongo_db_name_overrides_the_uri_path():
    decisions = describe(MONGO_URI="mongodb://mongo:27017/attendance?replicaSet=rs0", MONGO_DB_NAME="other")
    assert decisions["name"] == "other"


def test_a_uri_naming_no_database_is_refused_with_a_clear_message():
    result = run(["-c", DESCRIBE], MONGO_URI="mongodb://mongo:27017/?replicaSet=rs0")
    assert result.returncode != 0
    assert "MONGO_URI names no database" in result.stderr


@pytest.mark.parametrize(
    ("uri", "database"),
    [
        ("mongodb://mongo:27017/attendance?replicaSet=rs0", "attendance"),
        ("mongodb://user:p%40ss@db1:27017,db2:27017/school", "school"),
        ("mongodb+srv://user:secret@cluster0.example.net/prod?retryWrites=true&w=majority", "prod"),
        ("mongodb://mongo:27017/my%2Ddb", "my-db"),
        ("mongodb://mongo:27017/", ""),
        ("mongodb://mongo:27017", ""),
        ("mongodb://mongo:27017/?replicaSet=rs0", ""),
    ],
)
def test_database_name_comes_from_the_uri_path(uri, database):
    assert mongo_uri_database(uri) == database


def test_system_checks_pass_for_mongodb_without_a_server():
    # --database runs the backend's own checks too: mongodb.E001 refuses AutoField and
    # BigAutoField, so any app still declaring one would fail here.
    result = run(["manage.py", "check", "--database", "default", "--fail-level", "WARNING"], MONGO_URI=UNREACHABLE_URI)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
