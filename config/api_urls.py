"""The HTTP API under /api/ (docs/api.md)."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from collections_app.api.views import api_not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("collections_app.api.urls")),
    re_path(r"^.*$", api_not_found),  # keep last: unknown /api/ paths answer JSON, not an HTML page
]
