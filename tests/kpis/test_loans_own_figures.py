"""Aging, the non-performing ratio and the roll rates' end bucket read a loan's own row where its stored
figures hold at the end of the period's last day (``selectors.loan_figures.figures_hold_q``) and the raw
tables for the other loans. On random books evaluated by both nightly paths on dates with gaps, then
changed after the last evaluation (payments, a schedule edit, a pause, a loan settled with a discount,
one written off), they equal the figures computed from the raw tables alone, for every scope and for
period ends on, before, between and after the evaluations."""
import datetime as dt
import random
from decimal import Decimal as M

import pytest
from django.db.models import Count, Q

from collections_app.domain import kpis as formulas
from collections_app.models import AgingPause, BucketHistory, CollectionCase, DailyFigures, Installment, Loan
from collections_app.models.choices import LoanStatus
from collections_app.selectors import kpis as data
from collections_app.selectors.dashboard import bucket_ranges
from collections_app.selectors.loan_figures import figures_hold_q
from collections_app.services import daily_figures, nightly
from tests import factories as f

D = dt.date
pytestmark = pytest.mark.django_db
EVALUATED_ON = (D(2026, 9, 1), D(2026, 10, 12), D(2026, 11, 20))
LAST = EVALUATED_ON[-1]


def random_book(lender, rng):
    loans = []
    for _ in range(36):
        borrower = f.BorrowerFactory(lender=lender)
        for _ in range(rng.choice([1, 1, 2, 3])):  # a case holds every loan of its borrower
            loan = f.LoanFactory(lender=lender, borrower=borrower)
            start = D(2026, 4, 1) + dt.timedelta(days=rng.randint(0, 150))
            for seq in range(1, rng.randint(1, 8) + 1):
                f.InstallmentFactory(loan=loan, seq=seq, due_date=start + dt.timedelta(days=30 * seq),
                                     principal_due=M(rng.choice(["100", "250.55", "999.99"])),
                                     interest_due=M(rng.choice(["0", "10"])))
            if rng.random() < 0.3:  # due on the last evaluation's day: overdue at its end, not at its start
                f.InstallmentFactory(loan=loan, seq=20, due_date=LAST, principal_due=M("77.70"), interest_due=M("0"))
            for _ in range(rng.randint(0, 5)):  # some dated after the last evaluation (next_change_on)
                f.PaymentFactory(loan=loan, paid_on=min(start + dt.timedelta(days=rng.randint(0, 240)),
                                                        LAST + dt.timedelta(days=10)),
                                 amount=M(rng.choice(["50", "110", "260.55", "1000"])))
            if len(loans) % 7 == 3:  # paid on the last evaluation's day: not its figures at the day before's end
                f.PaymentFactory(loan=loan, paid_on=LAST, amount=M("30") if len(loans) % 2 else M("500"))
            if rng.random() < 0.1:
                AgingPause.objects.create(loan=loan, kind="dispute", starts_on=start + dt.timedelta(days=60),
                                          ends_on=rng.choice([None, start + dt.timedelta(days=90)]))
            loans.append(loan)
    return loans


def change_after_the_last_evaluation(rng, loans):
    """Writes that leave a loan's stored figures behind its rows (each flags the loan or takes it out of
    the evaluated statuses), as they happen during a business day."""
    rng.shuffle(loans)
    for loan in loans[:4]:
        f.PaymentFactory(loan=loan, paid_on=LAST, amount=M("120"))
    inst = Installment.objects.filter(loan=loans[4]).first()
    if inst:
        inst.principal_due += M("300")
        inst.save()
    AgingPause.objects.create(loan=loans[5], kind="dispute", starts_on=LAST - dt.timedelta(days=20))
    # closed with a discount (services.settlements.closing): figures zeroed, no longer evaluated
    discounted = loans[6]
    if discounted.bucket != "CURRENT":
        BucketHistory.objects.update_or_create(loan=discounted, on_date=LAST, defaults={
            "lender_id": discounted.lender_id, "from_bucket": discounted.bucket, "to_bucket": "CURRENT", "dpd": 0})
    Loan.objects.filter(id=discounted.id).update(status=LoanStatus.DISCOUNTED, settled_on=LAST, bucket="CURRENT",
                                                 overdue_amount=0, outstanding_amount=0, dpd=0)
    Loan.objects.filter(id=loans[7].id).update(status=LoanStatus.WRITTEN_OFF)


def figures(scope, codes, npl_codes):
    return data.aging_as_of(scope, codes), data.non_performing(scope, codes, npl_codes), data.roll_counts(scope, codes)


def evaluated_book(seed, force_python, lender, collector, other_collector, evaluated_on=EVALUATED_ON):
    """A random book evaluated on ``evaluated_on``, its cases held by random collectors of two teams, then
    changed after the last evaluation; returns the second team."""
    rng = random.Random(seed)
    loans = random_book(lender, rng)
    borrowers = tuple(sorted({x.borrower_id for x in loans}))
    for as_of in evaluated_on:
        nightly.process_scope(scope=nightly.Scope(borrower_ids=borrowers), as_of=as_of, force_python=force_python)
    team_b = f.TeamFactory(name="Team B")
    people = [collector, other_collector, f.CollectorFactory(username="coll3", team=team_b), None]
    for case in CollectionCase.objects.all():
        holder = rng.choice(people)
        CollectionCase.objects.filter(id=case.id).update(assigned_to=holder, team=holder.team if holder else None)
    for loan in loans:
        loan.refresh_from_db()
    change_after_the_last_evaluation(rng, loans)
    return team_b


def ways(end):
    """How many loans of cases are read each way at the end of ``end`` (``kpis.stored_or_raw``)."""
    codes = [c for c, _days in bucket_ranges()]
    rows = Loan.objects.filter(case__isnull=False).annotate(_how=data.stored_or_raw(end, codes[0])).values(
        "_how").annotate(n=Count("id")).order_by()
    return {r["_how"]: r["n"] for r in rows}


def every_loan_raw(patch):
    patch.setattr(data, "figures_hold_q", lambda day, prefix="": Q(**{f"{prefix}pk__lt": 0}))


@pytest.mark.parametrize("force_python", [False, True])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_loans_own_figures_equal_the_raw_tables(seed, force_python, lender, team, collector, other_collector,
                                                     monkeypatch):
    team_b = evaluated_book(seed, force_python, lender, collector, other_collector)

    holding = Loan.objects.filter(figures_hold_q(LAST))
    delinquent = holding.filter(case__isnull=False, overdue_amount__gt=0)
    assert delinquent.exists() and holding.filter(as_of__lt=LAST).exists(), "the stored figures are read"
    assert Installment.objects.filter(due_date=LAST, loan__in=delinquent).exists(), "due on the day itself"
    assert Loan.objects.exclude(id__in=holding).exists(), "and some loans are read raw"
    # the day before the last evaluation: held from the next day for most (3), the bucket from the history
    # for a loan moved then (4), every figure raw for a loan paid then (2)
    before = ways(LAST - dt.timedelta(days=1))
    assert before.get(3) and before.get(4) and before.get(2), before

    ranges = bucket_ranges()
    codes, npl_codes = [c for c, _days in ranges], formulas.non_performing_codes(ranges)
    ends = (LAST, LAST - dt.timedelta(days=1), LAST + dt.timedelta(days=5), EVALUATED_ON[1],
            EVALUATED_ON[1] - dt.timedelta(days=1), D(2026, 12, 31))
    for end in ends:
        period = dict(date_from=end.replace(day=1), date_to=end)
        scopes = [
            data.Scope(**period),
            data.Scope(**period, team_ids=(team.id,)),
            data.Scope(**period, team_ids=(team.id,), pool=True, lender_ids=(lender.id,)),
            data.Scope(**period, collector_id=collector.id),
            data.Scope(**period, lender_id=lender.id, team_ids=(team.id, team_b.id)),
        ]
        for scope in scopes:
            fast = figures(scope, codes, npl_codes)
            with monkeypatch.context() as patch:
                every_loan_raw(patch)
                raw = figures(scope, codes, npl_codes)
            assert fast == raw, (end, scope)


def daily_rows(day):
    return sorted(DailyFigures.objects.filter(day=day).values_list(
        "lender", "team", "collector", "bucket", "overdue", "overdue_loans", "collected", "loans_rolled", "loans_cured"),
        key=repr)


@pytest.mark.parametrize("force_python", [False, True])
@pytest.mark.parametrize("seed", [1, 2])
def test_the_daily_figures_read_the_loans_own_figures_and_equal_the_raw_tables(
        seed, force_python, lender, collector, other_collector, monkeypatch):
    """The nightly run builds the day before its date after evaluating the loans for its date: each loan's
    overdue at that day's end is read from its row unless a payment or a bucket move of the run's date
    changed it (then, and for every other day, from the raw tables) — the same rows either way."""
    evaluated_book(seed, force_python, lender, collector, other_collector)
    days = (LAST - dt.timedelta(days=1), LAST, EVALUATED_ON[1] - dt.timedelta(days=1), D(2026, 11, 1))
    assert ways(days[0]).get(3) and ways(days[0]).get(4), "the day before the last evaluation is read from the loans' rows"
    for day in days:
        daily_figures.rebuild_day(day=day)
        fast = daily_rows(day)
        with monkeypatch.context() as patch:
            every_loan_raw(patch)
            daily_figures.rebuild_day(day=day)
        raw = daily_rows(day)
        assert any(r[4] for r in raw), day
        assert fast == raw, day


@pytest.mark.parametrize("force_python", [False, True])
def test_the_day_before_a_first_night_reads_the_amounts_from_the_loans_rows(force_python, lender, collector,
                                                                          other_collector, monkeypatch):
    """A book's first night writes a bucket change for every loan it finds late: the day before, their
    amounts come from their rows and their bucket from the history (the first bucket) — the same daily
    figures and panels as from the raw tables."""
    evaluated_book(4, force_python, lender, collector, other_collector, evaluated_on=(LAST,))
    day = LAST - dt.timedelta(days=1)
    assert ways(day).get(4), ways(day)
    ranges = bucket_ranges()
    codes, npl_codes = [c for c, _days in ranges], formulas.non_performing_codes(ranges)
    scope = data.Scope(date_from=day.replace(day=1), date_to=day)
    daily_figures.rebuild_day(day=day)
    fast = daily_rows(day), figures(scope, codes, npl_codes)
    with monkeypatch.context() as patch:
        every_loan_raw(patch)
        daily_figures.rebuild_day(day=day)
        raw = daily_rows(day), figures(scope, codes, npl_codes)
    assert any(r[4] for r in raw[0])
    assert fast == raw
