"""HTML pages. Each area keeps its own url list in views/<area>_urls.py."""
from django.urls import path

from .views import home
from .views.collector_urls import urlpatterns as collector_urls
from .views.disputes_urls import urlpatterns as disputes_urls
from .views.escalation_urls import urlpatterns as escalation_urls
from .views.imports_urls import urlpatterns as imports_urls
from .views.messages_urls import urlpatterns as messages_urls
from .views.settlements_urls import urlpatterns as settlements_urls
from .views.supervisor_urls import urlpatterns as supervisor_urls

urlpatterns = [
    path("", home.home, name="home"), *collector_urls, *imports_urls, *supervisor_urls, *messages_urls, *disputes_urls,
    *settlements_urls, *escalation_urls,
]
