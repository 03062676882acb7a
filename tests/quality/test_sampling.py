"""Drawing a review sample: each rule finds what it says, within the period and the supervisor's
teams, never queueing a contact twice (docs/quality.md)."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from collections_app import models as m
from collections_app.domain import quality as rules
from collections_app.services import complaints, quality
from tests import factories as f
from tests.quality.conftest import DAY, at, contact

pytestmark = pytest.mark.django_db
FROM, TO = DAY - dt.timedelta(days=9), DAY


def drawn(sample) -> set[int]:
    return set(sample.reviews.values_list("contact_id", flat=True))


def draw(user, rule, **kw):
    kw.setdefault("size", 50)
    return quality.draw_sample(user=user, rule=rule, date_from=kw.pop("date_from", FROM), date_to=kw.pop("date_to", TO),
                               now=at(DAY, 18), **kw)


def test_random_takes_answered_calls_and_visits_of_the_period_in_the_supervisors_teams(world):
    w = world
    inside = [contact(w.case_a, w.coll_a, at(FROM)), contact(w.case_a, w.coll_a, at(TO, 23, 59), m.Outcome.REFUSED),
              contact(w.case_a, w.coll_a, at(DAY), m.Outcome.THIRD_PARTY, channel=m.Channel.VISIT)]
    contact(w.case_a, w.coll_a, at(DAY), m.Outcome.NO_ANSWER)  # nobody answered
    contact(w.case_a, w.coll_a, at(FROM - dt.timedelta(days=1), 23, 59))  # before the period
    contact(w.case_a, w.coll_a, at(TO + dt.timedelta(days=1), 0, 0))  # after it
    contact(w.case_a, w.coll_a, at(DAY), channel=m.Channel.SMS)  # not a conversation to judge
    contact(w.case_a, None, at(DAY))  # no person made it
    contact(w.case_b, w.coll_b, at(DAY))  # another team's case
    sample = draw(w.sup_a, m.SampleRule.RANDOM)
    assert drawn(sample) == {c.id for c in inside}
    review = sample.reviews.get(contact=inside[0])
    assert review.status == m.ReviewStatus.OPEN and review.collector == w.coll_a
    assert review.checklist.lender == w.lender and review.checklist.is_active


def test_random_draws_at_most_the_size_asked_and_by_team(world):
    w = world
    mine = {contact(w.case_a, w.coll_a, at(DAY, 9, i)).id for i in range(6)}
    admin = f.AdminFactory(username="boss")
    other = contact(w.case_b, w.coll_b, at(DAY))
    sample = draw(admin, m.SampleRule.RANDOM, size=4, team=w.team_a)
    assert len(drawn(sample)) == 4 and drawn(sample) <= mine
    assert other.id in drawn(draw(admin, m.SampleRule.RANDOM, team=w.team_b))


def test_refusal_rule_takes_contacts_made_despite_a_refusal(world):
    w = world
    breach = contact(w.case_a, w.coll_a, at(DAY), m.Outcome.NO_ANSWER, breach_rule="cease_contact",
                     breach_detail="Asked to stop")
    contact(w.case_a, w.coll_a, at(DAY))
    assert drawn(draw(w.sup_a, m.SampleRule.REFUSAL_OVERRIDDEN)) == {breach.id}


def test_complaints_rule_takes_the_contacts_a_complaint_names(world):
    w = world
    named, other = contact(w.case_a, w.coll_a, at(DAY)), contact(w.case_a, w.coll_a, at(DAY, 11))
    complaint = complaints.complaint_log(user=w.coll_a, case=w.case_a, description="Rude call",
                                         against_user=w.coll_a, received_at=at(DAY, 12))
    complaints.complaint_link_contacts(complaint=complaint, user=w.sup_a, contact_ids=[named.id])
    assert list(complaint.contacts.all()) == [named] and list(named.complaints.all()) == [complaint]
    assert drawn(draw(w.sup_a, m.SampleRule.COMPLAINTS)) == {named.id}
    assert other.id not in drawn(draw(w.sup_a, m.SampleRule.COMPLAINTS))


def test_a_complaint_names_only_contacts_of_its_case(world):
    w = world
    foreign = contact(w.case_b, w.coll_b, at(DAY))
    complaint = complaints.complaint_log(user=w.sup_a, case=w.case_a, description="x", received_at=at(DAY))
    with pytest.raises(ValidationError):
        complaints.complaint_link_contacts(complaint=complaint, user=w.sup_a, contact_ids=[foreign.id])
    with pytest.raises(PermissionDenied):
        complaints.complaint_link_contacts(complaint=complaint, user=w.coll_a, contact_ids=[])


def test_long_calls_rule_takes_phone_calls_longer_than_the_minutes_given(world):
    w = world
    long_call = contact(w.case_a, w.coll_a, at(DAY), duration_seconds=601)
    contact(w.case_a, w.coll_a, at(DAY, 11), duration_seconds=600)  # exactly 10 minutes: not longer
    contact(w.case_a, w.coll_a, at(DAY, 12))  # length unknown
    sample = draw(w.sup_a, m.SampleRule.LONG_CALLS, long_minutes=10)
    assert drawn(sample) == {long_call.id} and sample.params == {"long_minutes": 10}


def test_new_collectors_rule_takes_the_first_calls_of_those_who_started_recently(world):
    w = world
    rookie = f.CollectorFactory(username="rookie", team=w.team_a, date_joined=at(DAY - dt.timedelta(days=20)))
    case = f.CaseFactory(lender=w.lender, assigned_to=rookie, team=w.team_a)
    contact(case, rookie, at(FROM - dt.timedelta(days=2), 8), m.Outcome.NO_ANSWER)  # unanswered: not counted
    before = contact(case, rookie, at(FROM - dt.timedelta(days=1)))  # the first call, before the period
    calls = [contact(case, rookie, at(DAY - dt.timedelta(days=i))) for i in range(5, 0, -1)]
    contact(w.case_a, w.coll_a, at(DAY))  # a collector of long standing
    sample = draw(w.sup_a, m.SampleRule.NEW_COLLECTORS, first_calls=3, new_within_days=30)
    # the first 3 calls ever are `before` and calls[0:2]; the period holds the latter two
    assert before.id not in drawn(sample)
    assert drawn(sample) == {c.id for c in calls[:2]}
    assert sample.params == {"first_calls": 3, "new_within_days": 30}
    # started more than 10 days ago: not new any more
    assert drawn(draw(w.sup_a, m.SampleRule.NEW_COLLECTORS, first_calls=3, new_within_days=10)) == set()


def test_a_contact_is_never_queued_twice(world):
    w = world
    c = contact(w.case_a, w.coll_a, at(DAY))
    first = draw(w.sup_a, m.SampleRule.RANDOM)
    assert drawn(first) == {c.id}
    assert drawn(draw(w.sup_a, m.SampleRule.RANDOM)) == set()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        m.QualityReview.objects.create(contact=c, checklist=first.reviews.get().checklist, collector=w.coll_a)


def test_one_default_checklist_per_lender_is_created_and_reused(world):
    w = world
    contact(w.case_a, w.coll_a, at(DAY))
    contact(w.case_a, w.coll_a, at(DAY, 11))
    draw(w.sup_a, m.SampleRule.RANDOM, size=1)
    draw(w.sup_a, m.SampleRule.RANDOM, size=1)
    checklist = m.QualityChecklist.objects.get(lender=w.lender)
    assert [i.code for i in checklist.items.order_by("order")] == [code for code, _l, _w in rules.DEFAULT_ITEMS]
    assert m.QualityReview.objects.filter(checklist=checklist).count() == 2


def test_only_supervisors_and_admins_draw_and_the_input_is_checked(world):
    w = world
    with pytest.raises(PermissionDenied):
        draw(w.coll_a, m.SampleRule.RANDOM)
    with pytest.raises(ValidationError):
        draw(w.sup_a, "nonsense")
    with pytest.raises(ValidationError):
        draw(w.sup_a, m.SampleRule.RANDOM, date_from=TO, date_to=FROM)
    with pytest.raises(ValidationError):
        draw(w.sup_a, m.SampleRule.RANDOM, size=0)
