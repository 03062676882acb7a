"""The first-contact SLA counts only contactable time (collections_app/domain/sla.py)."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collections_app.domain.sla import first_contact_due

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
HOURS = {"contact_start": dt.time(8), "contact_end": dt.time(21)}


def sh(h, mi=0, day=4):
    return dt.datetime(2026, 3, day, h, mi, tzinfo=SH)


@pytest.mark.parametrize(
    ("assigned", "due"),
    [
        (sh(3, 44), sh(10, 0)),  # before the window: the clock starts at 08:00
        (sh(9, 15), sh(11, 15)),  # inside: plain two hours
        (sh(20, 30), sh(9, 30, day=5)),  # 30 minutes tonight, 90 tomorrow morning
        (sh(21, 0), sh(10, 0, day=5)),  # the end is exclusive
        (sh(23, 59), sh(10, 0, day=5)),
    ],
)
def test_deadline_counts_only_contact_hours(assigned, due):
    assert first_contact_due(assigned, tz=SH, **HOURS) == due


def test_lunch_break_does_not_count():
    lunch = {"lunch_start": dt.time(12), "lunch_end": dt.time(13, 30)}
    assert first_contact_due(sh(11), tz=SH, **HOURS, **lunch) == sh(14, 30)
    assert first_contact_due(sh(12, 10), tz=SH, **HOURS, **lunch) == sh(15, 30)


def test_borrower_zone_decides_the_window():
    # 22:00 in Shanghai is 09:00 in New York (EST): inside New York's window
    assigned = sh(22)
    assert first_contact_due(assigned, tz=NY, **HOURS) == assigned + dt.timedelta(hours=2)


def test_spring_forward_morning_is_real_time():
    # 2026-03-08 02:00 EST jumps to 03:00 EDT; a case assigned at 01:00 EST starts at 08:00 EDT
    assigned = dt.datetime(2026, 3, 8, 1, 0, tzinfo=NY)
    assert first_contact_due(assigned, tz=NY, **HOURS) == dt.datetime(2026, 3, 8, 10, 0, tzinfo=NY)


def test_window_without_time_falls_back_to_the_clock():
    empty = {"contact_start": dt.time(9), "contact_end": dt.time(9)}
    assert first_contact_due(sh(3), tz=SH, **empty) == sh(5)
    covered = {**HOURS, "lunch_start": dt.time(7), "lunch_end": dt.time(22)}
    assert first_contact_due(sh(3), tz=SH, **covered) == sh(5)


def test_naive_assignment_time_is_refused():
    with pytest.raises(ValueError):
        first_contact_due(dt.datetime(2026, 3, 4, 3, 44), tz=SH, **HOURS)


# --- properties, against a minute-by-minute count of allowed time --------------------------------

ZONES = [SH, NY, ZoneInfo("UTC"), ZoneInfo("Asia/Urumqi"), ZoneInfo("Europe/London")]
quarter = st.integers(0, 3).map(lambda q: q * 15)


@st.composite
def windows(draw):
    start = dt.time(draw(st.integers(6, 11)), draw(quarter))
    end = dt.time(draw(st.integers(13, 22)), draw(quarter))
    w = {"tz": draw(st.sampled_from(ZONES)), "contact_start": start, "contact_end": end}
    if draw(st.booleans()):
        ls = dt.time(draw(st.integers(11, 12)), draw(quarter))
        w["lunch_start"], w["lunch_end"] = ls, dt.time(ls.hour + 1, draw(quarter))
    return w


assignments = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31), timezones=st.just(dt.UTC)
).map(lambda d: d.replace(second=0, microsecond=0))
withins = st.integers(1, 6 * 60).map(lambda m: dt.timedelta(minutes=m))


def allowed(t, w):
    wall = t.astimezone(w["tz"]).time()
    if not (w["contact_start"] <= wall < w["contact_end"]):
        return False
    return not (w.get("lunch_start") and w["lunch_start"] <= wall < w["lunch_end"])


@settings(max_examples=150, deadline=None)
@given(assigned=assignments, w=windows(), within=withins)
def test_exactly_within_of_allowed_time_passes_before_the_deadline(assigned, w, within):
    due = first_contact_due(assigned, within=within, **w)
    assert due >= assigned + within
    minute = dt.timedelta(minutes=1)
    counted, t = 0, assigned
    while t < due:
        counted += allowed(t, w)
        t += minute
    assert counted * minute == within
    assert allowed(due - minute, w)  # the deadline is not padded with forbidden time


@settings(max_examples=150, deadline=None)
@given(a=assignments, b=assignments, w=windows())
def test_a_later_assignment_is_never_due_earlier(a, b, w):
    a, b = min(a, b), max(a, b)
    assert first_contact_due(a, **w) <= first_contact_due(b, **w)


@settings(max_examples=150, deadline=None)
@given(assigned=assignments, w=windows())
def test_inside_the_window_with_room_it_is_the_plain_two_hours(assigned, w):
    plain = assigned + dt.timedelta(hours=2)
    minute = dt.timedelta(minutes=1)
    t, room = assigned, True
    while t < plain:
        room = room and allowed(t, w)
        t += minute
    if room:
        assert first_contact_due(assigned, **w) == plain
