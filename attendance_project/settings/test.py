"""The test suite's settings (pytest selects them through pyproject.toml).

Tests run in-process on the in-memory channel layer and local cache whatever REDIS_URL
says; tests that need Redis start real server processes (production settings) and hand
them REDIS_URL themselves. The default secret is allowed, and static files need no manifest.
"""

from attendance_project.settings.base import *  # noqa: F403
from attendance_project.settings.base import PASSWORD_HASHERS, STORAGES, caches, channel_layers

REDIS_URL = ""
CHANNEL_LAYERS = channel_layers(REDIS_URL)
CACHES = caches(REDIS_URL)

# Argon2 at full cost would dominate the suite's run time; what the tests check is the same.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

# pytest-django swaps in the locmem mail backend: its outbox is the mail server.
PASSWORD_RESET_BY_EMAIL = True
