from django.contrib import admin
from django.urls import include, path

from accounts.views import OwnPasswordChangeView
from config import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # before the admin's own: the password change revokes the admin's API tokens (accounts/services.py)
    path("admin/password_change/", admin.site.admin_view(OwnPasswordChangeView.as_view()), name="admin_password_change"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("config.api_urls")),
    path("", include("collections_app.urls")),
]
# Nothing under MEDIA_ROOT has a URL: stored files leave only through the views in
# collections_app/views/files.py, which check the user's access and record the download.
