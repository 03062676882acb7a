"""API routes. Each area keeps its own url list: core (api/core_urls.py), imports (api/imports.py),
KPIs (api/kpis.py), agency placement and litigation (api/escalation.py)."""
from .core_urls import urlpatterns as core_urls
from .escalation import urlpatterns as escalation_urls
from .imports import urlpatterns as imports_urls
from .kpis import urlpatterns as kpis_urls

urlpatterns = [*core_urls, *imports_urls, *kpis_urls, *escalation_urls]
