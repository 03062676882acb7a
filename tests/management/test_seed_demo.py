import datetime as dt
import io
import random
import re
import zoneinfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Role, Team, User
from collections_app import models as m
from collections_app.management.demo.reference import (
    add_months,
    history_dates,
    make_national_id,
    national_id_check_digit,
)


def test_national_id_check_digit_matches_the_standard_example():
    # GB 11643-1999 example: 11010519491231002X
    assert national_id_check_digit("11010519491231002") == "X"
    nid = make_national_id(random.Random(1), "440305")
    assert len(nid) == 18 and nid.startswith("440305")
    assert national_id_check_digit(nid[:17]) == nid[17]


def test_add_months_clamps_to_month_end():
    import datetime as dt

    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    assert add_months(dt.date(2026, 3, 31), -1) == dt.date(2026, 2, 28)


def test_history_runs_at_the_end_of_each_past_month():
    assert history_dates(dt.date(2026, 12, 2), 3) == [dt.date(2026, 9, 30), dt.date(2026, 10, 31), dt.date(2026, 11, 30)]
    assert history_dates(dt.date(2026, 3, 31), 2, days=10) == [dt.date(2026, 1, 31), dt.date(2026, 2, 28),
                                                               dt.date(2026, 3, 21)]
    assert history_dates(dt.date(2026, 3, 31), 0) == []


@pytest.mark.django_db(transaction=True)
def test_seed_demo_loads_a_working_book_once():
    out = io.StringIO()
    call_command("seed_demo", "--loans", "200", "--seed", "7", stdout=out)
    text = out.getvalue()
    assert "collector1" in text and "demo-pass" in text

    assert set(m.Lender.objects.values_list("code", flat=True)) == {"demo-xd", "demo-bank"}
    assert m.Product.objects.filter(penalty_daily_rate__gt=0, late_fee_rate__gt=0).count() == 3
    assert Team.objects.filter(supervisor__role=Role.SUPERVISOR).count() == 3
    for role in Role.values:
        assert User.objects.filter(role=role).exists(), role
    collector = User.objects.get(username="collector1")
    assert collector.check_password("demo-pass") and collector.team is not None

    assert m.Loan.objects.count() == 200
    assert not m.Loan.objects.filter(installments__isnull=True).exists()
    assert m.Payment.objects.exists()
    for nid in m.Borrower.objects.values_list("national_id", flat=True):
        assert len(nid) == 18 and national_id_check_digit(nid[:17]) == nid[17]
    phones = m.ContactPoint.objects.filter(kind=m.ContactKind.PHONE).values_list("value", flat=True)
    assert phones and all(re.fullmatch(r"1[3-9]\d{9}", p) for p in phones)
    assert m.ContactPoint.objects.filter(relation=m.Relation.EMERGENCY).count() == m.Borrower.objects.count()
    assert m.ContactPoint.objects.filter(relation=m.Relation.GUARANTOR).exists()
    assert all(re.search(r"[\u4e00-\u9fff]", n) for n in m.Borrower.objects.values_list("name", flat=True))

    # The engine ran: loans in every bucket and some settled; cases were allocated and worked.
    assert set(m.Loan.objects.values_list("bucket", flat=True)) == {"CURRENT", "M0", "M1", "M2", "M3", "M4", "M4+"}
    assert m.Loan.objects.filter(status=m.LoanStatus.SETTLED).exists()
    assert m.DelinquencyRun.objects.filter(triggered_by="seed_demo").exists()
    open_cases = m.CollectionCase.objects.filter(status=m.CaseStatus.OPEN)
    assert open_cases.count() > 50
    assert open_cases.filter(assigned_to__isnull=False).count() == open_cases.count()
    assert m.ContactLog.objects.filter(is_attempt=True).exists()
    assert set(m.PromiseToPay.objects.values_list("status", flat=True)) >= {
        m.PromiseStatus.PENDING, m.PromiseStatus.KEPT, m.PromiseStatus.BROKEN
    }
    this_month = timezone.localdate().replace(day=1)
    team_target_months = set(m.Target.objects.filter(team__isnull=False).values_list("period_start", flat=True))
    assert this_month in team_target_months and len(team_target_months) >= 3
    assert m.Target.objects.filter(team__isnull=False, period_start=this_month).count() == 3
    assert m.ApprovalRequest.objects.exists()
    # Some cases are left unworked, so the SLA report has something to show.
    assert open_cases.filter(first_worked_at__isnull=True).exists()

    assert_months_of_history()

    counts = (m.Loan.objects.count(), User.objects.count(), m.ContactLog.objects.count())
    out = io.StringIO()
    call_command("seed_demo", "--loans", "200", stdout=out)
    assert "already" in out.getvalue()
    assert (m.Loan.objects.count(), User.objects.count(), m.ContactLog.objects.count()) == counts


def assert_months_of_history():
    """Several months of history: the engine ran at past month ends, and last month's dashboard
    has real numbers in every panel — judged by the product's own rules, not written in."""
    from collections_app.selectors import dashboard as dash
    from collections_app.services.promises import judge

    today = m.DelinquencyRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    run_dates = sorted(set(m.DelinquencyRun.objects.values_list("as_of", flat=True)))
    assert len(run_dates) >= 4 and run_dates[-1] == today
    assert len(set(m.BucketHistory.objects.filter(on_date__lt=today).values_list("on_date", flat=True))) >= 3

    last_month_end = today.replace(day=1) - dt.timedelta(days=1)
    filters = dash.DashboardFilters(date_from=last_month_end.replace(day=1), date_to=last_month_end)
    board = dash.dashboard(User.objects.get(username="admin1"), filters)
    s = board.summary
    for key in ("collected", "opening_overdue", "recovery_rate", "target", "promises_made", "promise_keep_rate",
                "attempts", "contact_rate", "rpc_rate"):
        assert s[key], key
    assert s["promises_kept"] + s["promises_partially_kept"] + s["promises_broken"] > 0
    assert len([r for r in board.roll if r["from"] != "CURRENT"]) >= 3  # loans were already late a month ago
    assert any(r["roll_forward_rate"] for r in board.roll if r["from"] != "CURRENT")
    assert board.aging and board.sla["not_worked"] > 0
    assert any(row["collected"] and row["attempts"] for row in board.league)
    assert m.Complaint.objects.exists()
    assert m.ContactLog.objects.filter(occurred_at__date__lt=filters.date_from).exists()

    # promises: taken over the months, each status what the nightly run's rule gives from the payments
    assert m.PromiseToPay.objects.filter(created_at__date__lt=filters.date_from).exists()
    # (a pending promise superseded by a newer one on its case is replaced, not judged)
    for p in m.PromiseToPay.objects.exclude(status=m.PromiseStatus.REPLACED).select_related("case"):
        taken = p.created_at.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
        until = min(p.promised_date, today)
        paid = sum(m.Payment.objects.filter(loan__borrower_id=p.borrower_id, lender_id=p.case.lender_id,
                                            paid_on__range=(taken, until)).values_list("amount", flat=True))
        assert p.status == judge(p.amount, paid, p.promised_date, today), p
        assert p.paid_amount == paid
    for p in m.PromiseToPay.objects.filter(status=m.PromiseStatus.REPLACED):
        newer = m.PromiseToPay.objects.filter(case_id=p.case_id, created_at__gt=p.created_at)
        assert newer.exists(), p
