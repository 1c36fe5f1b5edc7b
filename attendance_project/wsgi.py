"""WSGI entry point (HTTP only; the WebSocket needs the ASGI application)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings.production")
application = get_wsgi_application()
