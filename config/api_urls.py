"""The HTTP API under /api/ (docs/api.md)."""
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from collections_app.api.views import api_not_found

# Swagger UI from our own static files (drf-spectacular-sidecar), its start-up script a separate
# request (no inline script, so the Content-Security-Policy holds), and only for signed-in users;
# the OpenAPI document itself stays public (scripts and clients read it before they sign in).
api_docs = login_required(
    SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html",
                                      http_method_names=["get", "head"])
)

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", api_docs, name="api-docs"),
    path("", include("collections_app.api.urls")),
    re_path(r"^.*$", api_not_found),  # keep last: unknown /api/ paths answer JSON, not an HTML page
]
