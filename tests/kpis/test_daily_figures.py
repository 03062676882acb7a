"""DailyFigures equal the live computation from the raw tables (the dashboard's own selectors), on the
hand-made November book and on random books; rebuilding a day gives the same rows."""
import datetime as dt
import random
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db.models import Sum

from collections_app import models as m
from collections_app.selectors import dashboard as dash
from collections_app.services import daily_figures
from tests import factories as f

from .book import NOV, NOW, TZ, assigned, call, d, loan, promise

pytestmark = pytest.mark.django_db
FIELDS = ("collected", "attempts", "rpc", "promises_made", "promises_due", "promises_kept")


def table_by_collector(date_from, date_to, **filters):
    rows = m.DailyFigures.objects.filter(day__range=(date_from, date_to), **filters).values("collector").annotate(
        collected=Sum("collected"), attempts=Sum("attempts"), rpc=Sum("rpc"), promises_made=Sum("promises_made"),
        promises_due=Sum("promises_due"), promises_kept=Sum("promises_kept")).order_by()
    return {r["collector"]: {k: (D(r[k]).quantize(D("0.01")) if k == "collected" else r[k]) for k in FIELDS}
            for r in rows}


def live_by_collector(user, filters):
    return {r["user"].id: {k: r[k] for k in FIELDS} for r in dash.dashboard(user, filters, now=NOW).league
            if any(r[k] for k in FIELDS)}


def test_daily_figures_equal_the_live_figures_on_the_november_book(book, supervisor, admin_user, team):
    call_command("build_daily_figures", "--from", "2026-10-25", "--to", "2026-12-02", verbosity=0)
    filters = dash.DashboardFilters(**NOV)
    assert table_by_collector(*NOV.values(), team=team) == live_by_collector(supervisor, filters)
    s = dash.dashboard(admin_user, filters, now=NOW).summary
    totals = m.DailyFigures.objects.filter(day__range=tuple(NOV.values())).aggregate(
        collected=Sum("collected"), attempts=Sum("attempts"), contacts=Sum("contacts"), rpc=Sum("rpc"),
        made=Sum("promises_made"), due=Sum("promises_due"), kept=Sum("promises_kept"), broken=Sum("promises_broken"))
    assert (D(totals["collected"]), totals["attempts"], totals["contacts"], totals["rpc"]) == (
        s["collected"], s["attempts"], s["contacts_reached"], s["rpc"])
    assert (totals["made"], totals["due"], totals["kept"], totals["broken"]) == (
        s["promises_made"], s["promises_due"], s["promises_kept"], s["promises_broken"])
    # Overdue at the end of Nov 30 by bucket equals the aging table as of that day.
    aging = {r["bucket"]: r["overdue"] for r in dash.dashboard(supervisor, filters, now=NOW).aging}
    kept = m.DailyFigures.objects.filter(day=d(11, 30), team=team).exclude(bucket="CURRENT").values("bucket").annotate(
        o=Sum("overdue")).order_by()
    assert {r["bucket"]: D(r["o"]).quantize(D("0.01")) for r in kept} == aging
    # Moves on the day: Q1 rolled M2 → M3 on Nov 20, W2 cured on Nov 5.
    assert m.DailyFigures.objects.filter(day=d(11, 20), bucket="M2").aggregate(n=Sum("loans_rolled"))["n"] == 1
    assert m.DailyFigures.objects.filter(day=d(11, 5), bucket="M1").aggregate(n=Sum("loans_cured"))["n"] == 1


def test_rebuilding_a_day_gives_the_same_rows(book):
    def snapshot():
        return sorted(m.DailyFigures.objects.filter(day=d(11, 20)).values_list(
            "lender", "team", "collector", "bucket", "collected", "overdue", "attempts", "promises_made"))

    daily_figures.rebuild_day(day=d(11, 20))
    first = snapshot()
    assert first
    daily_figures.rebuild_day(day=d(11, 20))
    assert snapshot() == first


def random_book(rng, lender, team, people):
    for _ in range(8):
        holder = rng.choice(people)
        case = f.CaseFactory(lender=lender, assigned_to=holder, team=holder.team, bucket="M0")
        assigned(case, dt.datetime(2026, 10, rng.randint(1, 28), rng.randint(0, 23), tzinfo=TZ), None, holder)
        if rng.random() < 0.6:
            other = rng.choice(people)
            assigned(case, dt.datetime(2026, 11, rng.randint(1, 28), rng.randint(0, 23), tzinfo=TZ), holder, other)
            m.CollectionCase.objects.filter(id=case.id).update(assigned_to=other, team=other.team)
        for _ in range(rng.randint(1, 2)):
            due = [(d(rng.choice([9, 10, 11]), rng.randint(1, 28)), str(rng.randint(1, 20) * 50))]
            paid = [(d(rng.choice([10, 11, 12]), rng.randint(1, 28)), str(rng.randint(1, 10) * 30))
                    for _ in range(rng.randint(0, 3))]
            ln = loan(case, due, paid, [(due[0][0] + dt.timedelta(days=1), "CURRENT", "M0")])
            if rng.random() < 0.3:  # a correction after an upheld dispute: not money collected
                f.PaymentFactory(loan=ln, paid_on=d(11, rng.randint(1, 30)), amount=D("25"),
                                 source=m.Payment.Source.ADJUSTMENT)
        for _ in range(rng.randint(0, 4)):
            call(case, rng.choice(people), rng.choice(list(m.Outcome)),
                 dt.datetime(2026, 11, rng.randint(1, 30), rng.randint(0, 23), tzinfo=TZ), third_party=rng.random() < 0.2)
        if rng.random() < 0.7:
            status = rng.choice([m.PromiseStatus.KEPT, m.PromiseStatus.BROKEN, m.PromiseStatus.PARTIALLY_KEPT])
            promise(case, holder, "100", dt.datetime(2026, 11, rng.randint(1, 20), 9, tzinfo=TZ),
                    d(11, rng.randint(21, 30)), status)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_daily_figures_equal_the_live_figures_on_random_books(seed, lender, team, supervisor, collector,
                                                              other_collector):
    rng = random.Random(seed)
    b1 = f.CollectorFactory(username="coll3", team=f.TeamFactory(name="Team B", supervisor=supervisor))
    random_book(rng, lender, team, [collector, other_collector, b1])
    daily_figures.rebuild_range(date_from=d(11, 1), date_to=d(11, 30))
    filters = dash.DashboardFilters(**NOV)
    assert table_by_collector(*NOV.values()) == live_by_collector(supervisor, filters)


def test_the_nightly_run_builds_the_last_whole_day(lender, collector, team):
    """The run on the 20th builds the 19th (a whole day); the 20th is built by the run on the 21st."""
    from collections_app.services.nightly.run import run_delinquency

    case = f.CaseFactory(lender=lender, assigned_to=collector, team=team)
    loan(case, [(d(11, 1), "500")], [(d(11, 19), "100"), (d(11, 20), "40")])

    def collected_by_day():
        by_day = dict(m.DailyFigures.objects.values("day").annotate(c=Sum("collected")).values_list("day", "c"))
        return {day: D(c).quantize(D("0.01")) for day, c in by_day.items() if c}

    run_delinquency(as_of=d(11, 20))
    assert collected_by_day() == {d(11, 19): D("100.00")}
    run_delinquency(as_of=d(11, 21))
    assert collected_by_day() == {d(11, 19): D("100.00"), d(11, 20): D("40.00")}
