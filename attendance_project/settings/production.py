"""What a deployment runs, and the default of manage.py, asgi, wsgi and the launcher.

`make run` sets DEBUG=1 for local use; with DEBUG off the server must bring its own secret.
"""

from django.core.exceptions import ImproperlyConfigured

from attendance_project.settings.base import *  # noqa: F403
from attendance_project.settings.base import DEBUG, DEFAULT_JWT_SECRET, JWT_SECRET

if JWT_SECRET == DEFAULT_JWT_SECRET and not DEBUG:
    raise ImproperlyConfigured(
        "JWT_SECRET is not set. Refusing to start with DEBUG off and the default secret: "
        "set JWT_SECRET to a long random value (or DEBUG=1 for local development)."
    )
