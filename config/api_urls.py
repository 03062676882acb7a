"""The HTTP API under /api/ (docs/api.md)."""
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from collections_app.api.views import api_not_found

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # GET only: its OPTIONS answer rendered a template that does not exist (500)
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema", http_method_names=["get", "head"]),
         name="api-docs"),
    path("", include("collections_app.api.urls")),
    re_path(r"^.*$", api_not_found),  # keep last: unknown /api/ paths answer JSON, not an HTML page
]
