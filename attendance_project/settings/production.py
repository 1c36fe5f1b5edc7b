"""What a deployment runs, and the default of manage.py, asgi, wsgi and the launcher.

`make run` sets DEBUG=1 for local use; with DEBUG off the server must bring its own long secret.
"""

from attendance_project.secrets import check_jwt_secret
from attendance_project.settings.base import *  # noqa: F403
from attendance_project.settings.base import DEBUG, DEFAULT_JWT_SECRET, JWT_SECRET

if not DEBUG:
    check_jwt_secret(JWT_SECRET, DEFAULT_JWT_SECRET)
