"""Routes: the REST contract at the root, the site under /app, admin, OpenAPI docs."""

from csp.decorators import csp_update
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.security_headers import API_DOCS_CSP_UPDATE


def healthz(request):
    """Answer load balancers and container health checks."""
    return JsonResponse({"success": True, "data": {"status": "ok"}})


urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("attendance.urls")),
    path("", include("classes.urls")),
    path("", include("reports.urls")),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        csp_update(API_DOCS_CSP_UPDATE)(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("admin/", admin.site.urls),
    path("", include("pages.urls")),
]
