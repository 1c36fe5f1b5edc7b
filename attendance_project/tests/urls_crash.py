"""The project's routes plus two that crash, to prove unexpected errors stay in the envelope."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from attendance_project.urls import urlpatterns as project_urlpatterns


def plain_crash(request):
    raise RuntimeError("secret detail from a plain view")


class CrashView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise KeyError("secret detail from an API view")


urlpatterns = [
    path("crash/plain", plain_crash),
    path("crash/api", CrashView.as_view()),
    *project_urlpatterns,
]
