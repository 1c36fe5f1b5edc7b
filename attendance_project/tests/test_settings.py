"""Settings come from the environment, with a loud refusal of unsafe production defaults.

DJANGO_SETTINGS_MODULE picks the module; nothing else (a TESTING variable, pytest being
imported) changes what production enforces.
"""

import json
import subprocess
import sys

from harness.server import ROOT

PRODUCTION = "attendance_project.settings.production"
TEST = "attendance_project.settings.test"

PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'layer': s.CHANNEL_LAYERS['default']['BACKEND'],"
    " 'engine': s.DATABASES['default']['ENGINE'], 'hashers': s.PASSWORD_HASHERS,"
    " 'access_hours': s.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds() / 3600}))"
)


def load(env: dict, module: str = PRODUCTION, code: str = PRINT_SETTINGS) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": module}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_debug_off_with_the_default_secret_refuses_to_start():
    result = load({"DEBUG": "0"})
    assert result.returncode != 0
    assert "JWT_SECRET is not set" in result.stderr


def test_a_testing_flag_does_not_relax_production():
    result = load({"DEBUG": "0", "TESTING": "1"})
    assert result.returncode != 0
    assert "JWT_SECRET is not set" in result.stderr


def test_production_refuses_the_default_secret_even_with_pytest_imported():
    result = load({"DEBUG": "0"}, code="import pytest; " + PRINT_SETTINGS)
    assert result.returncode != 0
    assert "JWT_SECRET is not set" in result.stderr


def test_the_entry_points_default_to_production():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "0"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "JWT_SECRET is not set" in result.stderr


def test_production_hashes_passwords_with_argon2_first():
    result = load({"DEBUG": "0", "JWT_SECRET": "a-long-production-secret-value-of-40-chars", "TESTING": "1"})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["hashers"][0] == "accounts.hashers.TunedArgon2PasswordHasher"


def test_the_test_module_allows_the_default_secret_and_hashes_fast():
    result = load({"DEBUG": "0", "REDIS_URL": "redis://127.0.0.1:6379/0"}, module=TEST)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["hashers"][0] == "django.contrib.auth.hashers.MD5PasswordHasher"
    assert values["layer"] == "live.compat.SweepingInMemoryChannelLayer"


def test_this_suite_runs_on_the_test_module(settings):
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.MD5PasswordHasher"


def test_debug_off_with_a_secret_starts_on_the_embedded_defaults():
    result = load({"DEBUG": "0", "JWT_SECRET": "a-long-production-secret-value-of-48-characters!"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["layer"] == "live.compat.SweepingInMemoryChannelLayer"
    assert values["access_hours"] == 3


def test_environment_selects_redis_hosts_and_token_lifetime():
    result = load(
        {
            "DEBUG": "1",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "ALLOWED_HOSTS": "attendance.school.example, 10.0.0.5",
            "JWT_ACCESS_HOURS": "1.5",
        }
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["layer"] == "live.compat.ResubscribingRedisPubSubLayer"
    assert values["hosts"] == ["attendance.school.example", "10.0.0.5"]
    assert values["access_hours"] == 1.5


def test_check_in_settings_come_from_the_environment():
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.CHECKIN_ROTATE_SECONDS, s.CHECKIN_SCHOOL_NETWORKS]))"
    )
    env = {"DEBUG": "1", "CHECKIN_ROTATE_SECONDS": "30", "CHECKIN_SCHOOL_NETWORKS": "10.0.0.0/8, 2001:db8::1/48"}
    result = load(env, code=code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [30, ["10.0.0.0/8", "2001:db8::/48"]]
    assert json.loads(load({"DEBUG": "1", "CHECKIN_ROTATE_SECONDS": "0"}, code=code).stdout)[0] == 2


def test_a_school_network_that_is_not_one_refuses_to_start():
    result = load({"DEBUG": "1", "CHECKIN_SCHOOL_NETWORKS": "10.0.0.0/8,school-wifi"})
    assert result.returncode != 0
    assert "CHECKIN_SCHOOL_NETWORKS: 'school-wifi' is not a network" in result.stderr
