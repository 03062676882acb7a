"""The pure compliance rules (no database)."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from collections_app.domain import compliance as c

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
URUMQI = ZoneInfo("Asia/Urumqi")


def rules(tz=SH, **kw):
    return c.ContactRules(tz=tz, **kw)


def at(tz, y, mo, d, h, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=tz)


@pytest.mark.parametrize(
    ("hour", "minute", "allowed"),
    [(7, 59, False), (8, 0, True), (20, 59, True), (21, 0, False), (23, 30, False), (0, 10, False)],
)
def test_contact_hours_boundaries_in_local_time(hour, minute, allowed):
    v = c.check_contact(rules=rules(NY), now=at(NY, 2026, 3, 4, hour, minute))
    assert v.allowed is allowed
    if not allowed:
        assert v.rule == c.CONTACT_HOURS
        local = v.allowed_from.astimezone(NY)
        assert local.time() == dt.time(8, 0)
        expected_day = dt.date(2026, 3, 4) if hour < 8 else dt.date(2026, 3, 5)
        assert local.date() == expected_day


def test_borrower_in_new_york_is_judged_in_new_york_time_not_server_time():
    # 21:30 in Shanghai is 08:30 the same morning in New York (EST, UTC-5)
    now = at(SH, 2026, 1, 15, 21, 30)
    assert c.check_contact(rules=rules(SH), now=now).allowed is False
    assert c.check_contact(rules=rules(NY), now=now).allowed is True


def test_borrower_in_urumqi_two_hours_behind_shanghai():
    # 09:30 Shanghai = 07:30 Urumqi: too early there; allowed at 08:00 Urumqi = 10:00 Shanghai
    now = at(SH, 2026, 5, 6, 9, 30)
    v = c.check_contact(rules=rules(URUMQI), now=now)
    assert (v.allowed, v.rule) == (False, c.CONTACT_HOURS)
    assert v.allowed_from == at(SH, 2026, 5, 6, 10, 0)


def test_dst_spring_forward_next_morning_is_08_local_edt():
    # New York springs forward on 2026-03-08 at 02:00. At 22:00 EST on the 7th the next allowed
    # instant is 08:00 EDT (UTC-4) on the 8th, i.e. 12:00 UTC, not 13:00 UTC.
    v = c.check_contact(rules=rules(NY), now=at(NY, 2026, 3, 7, 22, 0))
    assert v.rule == c.CONTACT_HOURS
    assert v.allowed_from.astimezone(dt.UTC) == dt.datetime(2026, 3, 8, 12, 0, tzinfo=dt.UTC)


def test_dst_fall_back_boundary_uses_local_wall_clock():
    # 2026-11-01 New York falls back: 07:59 EST is refused, 08:00 EST allowed
    assert c.check_contact(rules=rules(NY), now=at(NY, 2026, 11, 1, 7, 59)).allowed is False
    assert c.check_contact(rules=rules(NY), now=at(NY, 2026, 11, 1, 8, 0)).allowed is True


def test_lunch_break_refuses_until_its_end():
    r = rules(lunch_start=dt.time(12, 0), lunch_end=dt.time(13, 30))
    v = c.check_contact(rules=r, now=at(SH, 2026, 4, 1, 12, 15))
    assert (v.allowed, v.rule) == (False, c.LUNCH_BREAK)
    assert v.allowed_from == at(SH, 2026, 4, 1, 13, 30)
    assert c.check_contact(rules=r, now=at(SH, 2026, 4, 1, 13, 30)).allowed is True
    assert c.check_contact(rules=r, now=at(SH, 2026, 4, 1, 11, 59)).allowed is True


def test_daily_cap_counts_the_local_day_and_reopens_at_next_contact_start():
    now = at(SH, 2026, 4, 1, 15, 0)
    three = [at(SH, 2026, 4, 1, h) for h in (9, 10, 11)]
    v = c.check_contact(rules=rules(), now=now, attempts=three)
    assert (v.allowed, v.rule) == (False, c.DAILY_CAP)
    assert v.allowed_from == at(SH, 2026, 4, 2, 8, 0)
    # two today and one yesterday: allowed
    assert c.check_contact(rules=rules(), now=now, attempts=[*three[:2], at(SH, 2026, 3, 31, 20)]).allowed


def test_daily_cap_uses_borrowers_local_day_not_server_day():
    # Borrower in New York. Attempts at 20:00-20:30 NY on Mar 3 are Mar 4 morning in Shanghai.
    attempts = [at(NY, 2026, 3, 3, 20, m) for m in (0, 10, 20)]
    # 08:05 NY on Mar 4 is a new local day there: allowed although Shanghai's day is the same
    assert c.check_contact(rules=rules(NY), now=at(NY, 2026, 3, 4, 8, 5), attempts=attempts).allowed
    assert c.check_contact(rules=rules(NY), now=at(NY, 2026, 3, 3, 20, 40), attempts=attempts).rule == c.DAILY_CAP


def test_seven_day_cap_reopens_when_oldest_attempt_leaves_the_window():
    r = rules(max_calls_per_day=10, max_calls_per_7_days=7)
    attempts = [at(SH, 2026, 4, d, 10) for d in range(1, 8)]  # one a day, Apr 1..7
    v = c.check_contact(rules=r, now=at(SH, 2026, 4, 7, 15), attempts=attempts)
    assert (v.allowed, v.rule) == (False, c.WEEKLY_CAP)
    assert v.allowed_from == at(SH, 2026, 4, 8, 10)
    assert c.check_contact(rules=r, now=at(SH, 2026, 4, 8, 10), attempts=attempts).allowed


def test_cap_reopening_outside_hours_moves_to_next_contact_start():
    r = rules(max_calls_per_day=10, max_calls_per_7_days=2)
    attempts = [at(SH, 2026, 4, 1, 20, 30), at(SH, 2026, 4, 3, 9)]
    v = c.check_contact(rules=r, now=at(SH, 2026, 4, 5, 10), attempts=attempts)
    # the oldest leaves at Apr 8 20:30 (in hours) -> allowed then
    assert v.allowed_from == at(SH, 2026, 4, 8, 20, 30)
    attempts = [at(SH, 2026, 4, 1, 21, 30), at(SH, 2026, 4, 3, 9)]  # oldest made after hours (e.g. sms? still counts)
    v = c.check_contact(rules=r, now=at(SH, 2026, 4, 5, 10), attempts=attempts)
    assert v.allowed_from == at(SH, 2026, 4, 9, 8, 0)


def test_quiet_days_after_conversation():
    r = rules(quiet_days_after_conversation=7)
    talk = at(SH, 2026, 4, 1, 10)
    v = c.check_contact(rules=r, now=at(SH, 2026, 4, 3, 10), last_conversation=talk)
    assert (v.allowed, v.rule, v.allowed_from) == (False, c.QUIET_DAYS, at(SH, 2026, 4, 8, 10))
    assert c.check_contact(rules=r, now=at(SH, 2026, 4, 8, 10), last_conversation=talk).allowed
    # default 0 = off
    assert c.check_contact(rules=rules(), now=at(SH, 2026, 4, 1, 11), last_conversation=talk).allowed


@pytest.mark.parametrize("flag", ["cease_contact", "dispute", "deceased", "bankruptcy", "lawyer_represented"])
def test_stop_flags_refuse_every_channel_and_waiting_does_not_help(flag):
    for channel in ("phone", "sms", "letter", "email", "visit"):
        v = c.check_contact(rules=rules(), now=at(SH, 2026, 4, 1, 10), channel=channel, stop_flags=[flag])
        assert (v.allowed, v.rule, v.allowed_from) == (False, c.STOP_FLAG, None)


def test_non_phone_channels_ignore_caps_but_obey_hours():
    attempts = [at(SH, 2026, 4, 1, h) for h in (9, 10, 11)]
    assert c.check_contact(rules=rules(), now=at(SH, 2026, 4, 1, 15), channel="sms", attempts=attempts).allowed
    v = c.check_contact(rules=rules(), now=at(SH, 2026, 4, 1, 22), channel="sms", attempts=attempts)
    assert v.rule == c.CONTACT_HOURS


@pytest.mark.parametrize(
    ("bucket", "threshold", "allowed"),
    [("M1", "M2", False), ("M2", "M2", True), ("M3", "M2", True), ("M4+", "M2", True), ("M3", None, False)],
)
def test_third_party_only_from_the_configured_bucket(bucket, threshold, allowed):
    v = c.check_contact(
        rules=rules(third_party_from_bucket=threshold), now=at(SH, 2026, 4, 1, 10), third_party=True, bucket=bucket
    )
    assert v.allowed is allowed
    if not allowed:
        assert (v.rule, v.allowed_from) == (c.THIRD_PARTY, None)
    # the borrower themselves is never limited by bucket
    assert c.check_contact(rules=rules(third_party_from_bucket=threshold), now=at(SH, 2026, 4, 1, 10), bucket=bucket).allowed


def test_naive_now_is_rejected():
    with pytest.raises(ValueError):
        c.check_contact(rules=rules(), now=dt.datetime(2026, 4, 1, 10))


def test_promise_limit_halved_for_unreliable_borrowers():
    from decimal import Decimal

    assert c.promise_limit_days(14, None) == 14
    assert c.promise_limit_days(14, Decimal("0.8")) == 14
    assert c.promise_limit_days(14, Decimal("0.3")) == 7


def test_attempts_stamped_after_now_still_count_for_the_caps():
    # a request that waited for the borrower's lock may hold an instant earlier than an attempt
    # stored meanwhile: that attempt is still one of the day's and of the 7-day window's
    now = at(SH, 2026, 4, 1, 15, 0)
    later = [now + dt.timedelta(seconds=s) for s in (1, 2, 3)]
    assert c.check_contact(rules=rules(), now=now, attempts=later).rule == c.DAILY_CAP
    weekly = rules(max_calls_per_day=10, max_calls_per_7_days=3)
    v = c.check_contact(rules=weekly, now=now, attempts=[at(SH, 2026, 3, 30, 10), *later[:2]])
    assert (v.rule, v.allowed_from) == (c.WEEKLY_CAP, at(SH, 2026, 4, 6, 10))
