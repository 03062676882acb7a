"""The case page's escalation card: agency placement and litigation (docs/agency.md,
docs/litigation.md). A fixed number of queries."""
from __future__ import annotations

import datetime as dt

from accounts.roles import is_agency_user, is_supervisor_or_admin
from collections_app.domain.legal import next_stages
from collections_app.models import Agency, CaseStatus, LegalCostKind, LegalStage
from collections_app.selectors.agency import case_placements
from collections_app.selectors.legal import case_legal_cases


def case_escalation(case, user, today: dt.date) -> dict:
    placements = case_placements(case)
    active = next((p for p in placements if p.recalled_on is None), None)
    legal_cases = case_legal_cases(case)
    for legal in legal_cases:
        legal.next_stages = [(s, LegalStage(s).label) for s in next_stages(legal.stage)]
    internal = not is_agency_user(user)
    is_open = case.status == CaseStatus.OPEN
    return {
        "placements": placements,
        "active_placement": active,
        "can_place": internal and is_open and active is None,
        "can_recall": is_supervisor_or_admin(user),
        "agencies": list(Agency.objects.filter(is_active=True).order_by("name")) if internal and is_open else [],
        "legal_cases": legal_cases,
        "can_request_litigation": internal and case.status != CaseStatus.CLOSED
        and not any(lc.stage != LegalStage.CLOSED for lc in legal_cases),
        "can_edit_legal": is_supervisor_or_admin(user),
        "cost_kinds": LegalCostKind.choices,
        "today": today,
    }
