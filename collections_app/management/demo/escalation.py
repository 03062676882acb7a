"""seed_demo's agency and litigation part: a demo agency with an agency user (``agency1``), a few
of the oldest cases placed with it through approval, and one legal case (docs/agency.md)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Exists, OuterRef

from accounts.models import Role, User
from collections_app import models as m

AGENCY_NAME = "安信催收服务有限公司"
AGENCY_USERNAME = "agency1"


def demo_agency(today: dt.date) -> m.Agency:
    agency, _new = m.Agency.objects.get_or_create(
        name=AGENCY_NAME,
        defaults={"contact_person": "周经理", "phone": "010-65000000", "email": "ops@agency.demo.invalid",
                  "contract_start": today - dt.timedelta(days=365), "default_rate": Decimal("0.2000"),
                  "placement_days": 90},
    )
    return agency


def oldest_bucket_rates(agency: m.Agency) -> None:
    """The two oldest buckets of the active strategy earn 30% (others the default 20%)."""
    codes = list(m.Bucket.objects.filter(version__status=m.StrategyStatus.ACTIVE).order_by("-min_dpd")
                 .values_list("code", flat=True)[:2])
    m.AgencyRate.objects.bulk_create([m.AgencyRate(agency=agency, bucket=code, rate=Decimal("0.3000"))
                                      for code in codes], ignore_conflicts=True)


def agency_user(agency: m.Agency, password_hash: str) -> User:
    user, _new = User.objects.get_or_create(
        username=AGENCY_USERNAME,
        defaults={"role": Role.AGENCY, "agency": agency, "first_name": "晓东", "last_name": "周",
                  "password": password_hash, "email": f"{AGENCY_USERNAME}@demo.invalid"},
    )
    return user


def place_and_litigate(*, agency: m.Agency, requester: User, checker: User, places: int = 5) -> tuple[int, int]:
    """The ``places`` open cases with the highest DPD go to the agency (one request each, approved by
    ``checker``); the next one goes to court, filed with a court fee. Returns (placed, legal cases)."""
    from collections_app.selectors.agency import PlacementFilters, placeable_cases
    from collections_app.services import agency as agency_svc
    from collections_app.services import legal as legal_svc
    from collections_app.services.approvals import decide

    oldest_bucket_rates(agency)
    waiting = m.ApprovalRequest.objects.filter(status=m.ApprovalStatus.PENDING, case_id=OuterRef("pk"),
                                               kind__in=[m.ApprovalKind.AGENCY, m.ApprovalKind.LITIGATION])
    cases = list(placeable_cases(requester, PlacementFilters()).exclude(Exists(waiting))
                 .order_by("-dpd", "id")[:places + 1])
    placed = 0
    for case in cases[:places]:
        approval = agency_svc.request_placement(user=requester, agency=agency, case=case,
                                                reason="演示：长期失联，委外催收")
        decide(approval=approval, user=checker, approve=True)
        placed += 1
    legal = 0
    if len(cases) > places:
        approval = legal_svc.request_litigation(case=cases[places], user=requester, court="北京市朝阳区人民法院",
                                                reason="演示：M4+ 无还款")
        decide(approval=approval, user=checker, approve=True)
        lc = m.LegalCase.objects.get(approval=approval)
        legal_svc.change_stage(legal_case=lc, user=checker, stage=m.LegalStage.FILED, on=lc.opened_on,
                               case_number="(2026)京0105民初0001号")
        legal_svc.add_cost(legal_case=lc, user=checker, kind=m.LegalCostKind.COURT_FEE, amount=Decimal("350.00"),
                           incurred_on=lc.opened_on)
        legal = 1
    return placed, legal
