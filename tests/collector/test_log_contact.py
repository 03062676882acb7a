"""log_contact / contact_allowed: the compliance guard against the database."""
import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from collections_app import models as m
from collections_app.selectors import contact_verdicts as verdict_reads
from collections_app.services import contacts as svc
from tests import factories as f

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")


def at(h, mi=0, day=4, tz=SH):
    return dt.datetime(2026, 3, day, h, mi, tzinfo=tz)


@pytest.fixture
def case(lender, collector):
    return f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1")


def call(case, user, now, **kw):
    kw.setdefault("channel", "phone")
    kw.setdefault("outcome", "no_answer")
    return svc.log_contact(case=case, user=user, now=now, **kw)


def test_phone_call_is_stored_as_attempt_and_updates_case(case, collector):
    log = call(case, collector, at(10), outcome="rpc", overdue_reason="cash_flow", borrower_type="evasive", note="hi")
    assert (log.is_attempt, log.is_conversation, log.is_third_party) == (True, True, False)
    case.refresh_from_db()
    assert case.last_contact_at == at(10)
    assert case.first_worked_at == at(10)
    assert case.last_outcome == "rpc"
    assert case.overdue_reason == "cash_flow"
    case.borrower.refresh_from_db()
    assert case.borrower.borrower_type == "evasive"


def test_sms_is_not_a_call_attempt(case, collector):
    log = call(case, collector, at(10), channel="sms", outcome="no_answer")
    assert log.is_attempt is False


def test_fourth_call_in_a_day_is_refused_and_not_stored(case, collector):
    for h in (9, 10, 11):
        call(case, collector, at(h))
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(12))
    assert exc.value.rule == "daily_cap"
    assert exc.value.allowed_from == at(8, day=5)
    assert m.ContactLog.objects.filter(case=case).count() == 3
    # but an SMS still goes
    call(case, collector, at(12), channel="sms")
    assert m.ContactLog.objects.filter(case=case).count() == 4


def test_seven_day_cap_counts_attempts_of_the_borrower_across_days(case, collector):
    for d in range(1, 8):  # Mar 1..7, one call a day at 10:00
        call(case, collector, at(10, day=d))
    allowed, rule, detail, allowed_from = verdict_reads.contact_allowed(case, now=at(15, day=7))
    assert (allowed, rule, allowed_from) == (False, "weekly_cap", at(10, day=8))
    assert detail
    assert verdict_reads.contact_allowed(case, now=at(10, day=8))[0] is True


def test_cap_is_per_lender_setting(lender, collector):
    lender.max_calls_per_day = 1
    lender.save()
    case = f.CaseFactory(lender=lender, assigned_to=collector)
    call(case, collector, at(9))
    with pytest.raises(svc.ContactRefused):
        call(case, collector, at(10))


def test_quiet_days_after_conversation_blocks_calls_not_from_other_borrowers(lender, collector):
    lender.quiet_days_after_conversation = 7
    lender.save()
    case = f.CaseFactory(lender=lender, assigned_to=collector)
    other = f.CaseFactory(lender=lender, assigned_to=collector)
    call(case, collector, at(10), outcome="refused")
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(10, day=6))
    assert exc.value.rule == "quiet_days"
    assert exc.value.allowed_from == at(10, day=11)
    call(other, collector, at(10, day=6))  # other borrower unaffected
    # a non-conversation does not start the quiet period
    call(other, collector, at(11, day=6))


def test_out_of_hours_in_borrowers_time_zone(case, collector):
    case.borrower.timezone = "America/New_York"
    case.borrower.save()
    # 10:00 Shanghai = 21:00 New York (EST) -> refused; 08:00 NY next day = 21:00 Shanghai
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(10))
    assert exc.value.rule == "contact_hours"
    assert exc.value.allowed_from == dt.datetime(2026, 3, 4, 8, 0, tzinfo=NY)
    assert not m.ContactLog.objects.exists()
    call(case, collector, at(9, 59))  # 20:59 in New York


def test_invalid_borrower_timezone_falls_back_to_lender(case, collector):
    case.borrower.timezone = "Mars/Olympus"
    case.borrower.save()
    assert verdict_reads.contact_allowed(case, now=at(10))[0] is True


@pytest.mark.parametrize("flag", ["cease_contact", "dispute", "deceased", "bankruptcy", "lawyer_represented"])
def test_stop_flag_refuses_and_stores_nothing(case, collector, flag):
    setattr(case.borrower, flag, True)
    case.borrower.save()
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(10), channel="letter", outcome="no_answer")
    assert (exc.value.rule, exc.value.allowed_from) == ("stop_flag", None)
    assert not m.ContactLog.objects.exists()
    case.refresh_from_db()
    assert case.last_contact_at is None


def test_third_party_contact_only_from_m2(lender, collector):
    case = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M1")
    relative = f.ContactPointFactory(borrower=case.borrower, relation="relative")
    with pytest.raises(svc.ContactRefused) as exc:
        call(case, collector, at(10), contact_point=relative, outcome="third_party")
    assert exc.value.rule == "third_party_bucket"
    case.bucket = "M2"
    case.save()
    log = call(case, collector, at(10), contact_point=relative, outcome="third_party")
    assert log.is_third_party and log.number_used == relative.value


def test_third_party_never_when_lender_disables_it(lender, collector):
    lender.third_party_from_bucket = None
    lender.save()
    case = f.CaseFactory(lender=lender, assigned_to=collector, bucket="M4+")
    cp = f.ContactPointFactory(borrower=case.borrower, relation="emergency")
    assert verdict_reads.contact_allowed(case, now=at(10), contact_point=cp)[:2] == (False, "third_party_bucket")


def test_promise_creates_ptp_and_counts(case, collector):
    log = call(case, collector, at(10), outcome="promise", promise_amount="1,200.50", promise_date="2026-03-10")
    ptp = m.PromiseToPay.objects.get(case=case)
    assert (ptp.amount, ptp.promised_date, ptp.contact_id, ptp.approval) == (
        Decimal("1200.50"), dt.date(2026, 3, 10), log.pk, None
    )
    case.borrower.refresh_from_db()
    assert case.borrower.promises_made == 1
    case.refresh_from_db()
    assert case.next_action_at.astimezone(SH).date() == dt.date(2026, 3, 11)


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"promise_amount": "0", "promise_date": "2026-03-10"}, "promise_amount"),
        ({"promise_amount": "-5", "promise_date": "2026-03-10"}, "promise_amount"),
        ({"promise_amount": "abc", "promise_date": "2026-03-10"}, "promise_amount"),
        ({"promise_amount": "100", "promise_date": "2026-03-03"}, "promise_date"),
        ({"promise_amount": "100", "promise_date": "10/03/2026"}, "promise_date"),
        ({"promise_amount": "100"}, "promise_date"),
    ],
)
def test_bad_promise_is_rejected_with_field_error_and_stores_nothing(case, collector, fields, error_field):
    with pytest.raises(ValidationError) as exc:
        call(case, collector, at(10), outcome="promise", **fields)
    assert error_field in exc.value.message_dict
    assert not m.ContactLog.objects.exists() and not m.PromiseToPay.objects.exists()


def test_promise_fields_need_promise_outcome(case, collector):
    with pytest.raises(ValidationError) as exc:
        call(case, collector, at(10), outcome="rpc", promise_amount="100", promise_date="2026-03-10")
    assert "outcome" in exc.value.message_dict


def test_promise_beyond_limit_needs_approval(case, collector):
    call(case, collector, at(10), outcome="promise", promise_amount="100", promise_date="2026-03-18")  # 14 days: ok
    assert m.ApprovalRequest.objects.count() == 0
    call(case, collector, at(11), outcome="promise", promise_amount="100", promise_date="2026-03-19")  # 15 days
    approval = m.ApprovalRequest.objects.get()
    assert approval.kind == m.ApprovalKind.PROMISE_EXTENSION and approval.status == "pending"
    assert m.PromiseToPay.objects.get(promised_date=dt.date(2026, 3, 19)).approval == approval


def test_unreliable_borrower_gets_half_the_promise_limit(case, collector):
    b = case.borrower
    b.promised_amount_total = Decimal("1000")
    b.kept_amount_total = Decimal("200")
    b.save()
    call(case, collector, at(10), outcome="promise", promise_amount="100", promise_date="2026-03-12")  # 8 days > 7
    assert m.ApprovalRequest.objects.filter(kind="promise_extension").count() == 1


def test_wrong_number_marks_contact_point(case, collector):
    cp = f.ContactPointFactory(borrower=case.borrower)
    call(case, collector, at(10), contact_point=cp, outcome="wrong_number")
    cp.refresh_from_db()
    assert cp.status == m.ContactStatus.WRONG


def test_contact_point_of_another_borrower_is_rejected(case, collector):
    cp = f.ContactPointFactory()
    with pytest.raises(ValidationError):
        call(case, collector, at(10), contact_point=cp)


def test_callback_sets_next_action_and_is_cleared_by_next_contact(case, collector):
    call(case, collector, at(10), callback_at=at(15))
    case.refresh_from_db()
    assert case.callback_at == at(15) and case.next_action_at == at(15)
    call(case, collector, at(15, 5))
    case.refresh_from_db()
    assert case.callback_at is None


def test_past_callback_and_unknown_choices_rejected(case, collector):
    with pytest.raises(ValidationError) as exc:
        call(case, collector, at(10), callback_at=at(9), channel="pigeon", outcome="maybe")
    assert {"callback_at", "channel", "outcome"} <= set(exc.value.message_dict)


def test_verdicts_for_many_cases_use_one_query(lender, collector, django_assert_num_queries):
    cases = [f.CaseFactory(lender=lender, assigned_to=collector) for _ in range(5)]
    for h in (9, 10, 11):
        call(cases[0], collector, at(h))
    loaded = list(m.CollectionCase.objects.select_related("borrower", "lender"))
    with django_assert_num_queries(1):
        verdicts = verdict_reads.verdicts_for_cases(loaded, now=at(12))
    assert verdicts[cases[0].pk].rule == "daily_cap"
    assert all(verdicts[c.pk].allowed for c in cases[1:])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_attempts_cannot_both_pass_the_cap():
    import threading

    from django.db import connection

    lender = f.LenderFactory(code="race", max_calls_per_day=1)
    user = f.CollectorFactory(username="racer")
    case = f.CaseFactory(lender=lender, assigned_to=user)
    barrier = threading.Barrier(2)
    results = []

    def attempt(minute):
        try:
            barrier.wait()
            svc.log_contact(case=m.CollectionCase.objects.get(pk=case.pk), user=user, channel="phone",
                            outcome="no_answer", now=at(10, minute))
            results.append("stored")
        except svc.ContactRefused as exc:
            results.append(exc.rule)
        finally:
            connection.close()

    # the same instant for both: an attempt "later" than the other's now would not count for it, so
    # different minutes made the outcome depend on which thread ran first
    threads = [threading.Thread(target=attempt, args=(1,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["daily_cap", "stored"]
    assert m.ContactLog.objects.filter(case=case).count() == 1
