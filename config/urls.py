from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from accounts.views import OwnPasswordChangeView

urlpatterns = [
    # before the admin's own: the password change revokes the admin's API tokens (accounts/services.py)
    path("admin/password_change/", admin.site.admin_view(OwnPasswordChangeView.as_view()), name="admin_password_change"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("config.api_urls")),
    path("", include("collections_app.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
