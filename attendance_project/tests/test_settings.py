"""Settings come from the environment, with a loud refusal of unsafe production defaults."""

import json
import subprocess
import sys

from tests.server import ROOT

PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'debug': s.DEBUG, 'hosts': s.ALLOWED_HOSTS, 'layer': s.CHANNEL_LAYERS['default']['BACKEND'],"
    " 'engine': s.DATABASES['default']['ENGINE'],"
    " 'access_hours': s.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds() / 3600}))"
)


def load(env: dict) -> subprocess.CompletedProcess:
    base = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "attendance_project.settings"}
    return subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS],
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


def test_debug_off_with_a_secret_starts_on_the_embedded_defaults():
    result = load({"DEBUG": "0", "JWT_SECRET": "a-long-production-secret-value-of-48-characters!"})
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["layer"] == "live.layers.SweepingInMemoryChannelLayer"
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
    assert values["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert values["hosts"] == ["attendance.school.example", "10.0.0.5"]
    assert values["access_hours"] == 1.5
