"""API routes. Each area keeps its own url list: core (api/core_urls.py), imports (api/imports.py),
KPIs (api/kpis.py), templates and messages (api/messages.py), disputes / limitation / blacklist / dialer
(api/disputes.py), offers and plans (api/settlements.py),
agency placement and litigation (api/escalation.py)."""
from .core_urls import urlpatterns as core_urls
from .disputes import urlpatterns as disputes_urls
from .escalation import urlpatterns as escalation_urls
from .imports import urlpatterns as imports_urls
from .kpis import urlpatterns as kpis_urls
from .messages import urlpatterns as messages_urls
from .settlements import urlpatterns as settlements_urls

urlpatterns = [*core_urls, *imports_urls, *kpis_urls, *messages_urls, *disputes_urls, *settlements_urls, *escalation_urls]
