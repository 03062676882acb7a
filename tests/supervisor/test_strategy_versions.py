"""Strategy changes through the strategy page: draft, edit, diff, submit, approve by a second admin
for a date, activation on that date; the active version is read-only on the page and in the admin."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse

from collections_app import models as m
from collections_app.selectors.loan_figures import business_date
from collections_app.services import strategy
from collections_app.services import strategy_versions as svc
from collections_app.tasks import activate_strategy_versions
from tests import factories as f

pytestmark = pytest.mark.django_db
LIST = reverse("strategy_versions")


@pytest.fixture
def maker(db):
    return f.AdminFactory(username="maker")


@pytest.fixture
def checker(db):
    return f.AdminFactory(username="checker")


@pytest.fixture
def active(db):
    return strategy.ensure_default_strategy()


def url(v):
    return reverse("strategy_version", args=[v.id])


def formset_data(version):
    """The edit form as the page renders it, unchanged."""
    data = {"action": "save"}
    for prefix, rows, fields in (
        ("b", version.buckets.order_by("position"), ("position", "code", "name", "min_dpd", "max_dpd", "risk_weight")),
        ("r", version.rules.all(), ("position", "code", "description", "bucket", "dpd_min", "dpd_max", "action",
                                    "channel", "repeat_every_days")),
    ):
        rows = list(rows)
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": len(rows),
                     f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
        for i, row in enumerate(rows):
            data[f"{prefix}-{i}-id"] = row.id
            data[f"{prefix}-{i}-version"] = version.id
            for name in fields:
                value = getattr(row, name)
                data[f"{prefix}-{i}-{name}"] = "" if value is None else value
            if prefix == "r":
                import json

                data[f"{prefix}-{i}-condition"] = json.dumps(row.condition)
                if row.needs_approval:
                    data[f"{prefix}-{i}-needs_approval"] = "on"
    return data


def test_only_admins(client, supervisor, active):
    client.force_login(supervisor)
    assert client.get(LIST).status_code == 403
    assert client.get(url(active)).status_code == 403


def test_draft_edit_diff_submit_approve_today(client, maker, checker, active):
    client.force_login(maker)
    response = client.post(LIST, {"note": "M1 calls every 2 days"})
    draft = m.StrategyVersion.objects.get(status="draft")
    assert response["Location"] == url(draft)
    assert draft.created_by == maker and draft.rules.count() == active.rules.count()
    data = formset_data(draft)
    i = [k for k, v in data.items() if k.endswith("-code") and v == "m1-reminder-calls"][0].split("-")[1]
    data[f"r-{i}-repeat_every_days"] = 2
    response = client.post(url(draft), data, follow=True)
    assert "Draft saved." in response.content.decode()
    assert draft.rules.get(code="m1-reminder-calls").repeat_every_days == 2
    assert active.rules.get(code="m1-reminder-calls").repeat_every_days == 3
    diff = client.get(url(draft)).context["diff"]
    assert [(c.kind, c.code, c.fields) for c in diff["rules"]] == [
        ("changed", "m1-reminder-calls", [("repeat every (days)", "3", "2")])]
    assert diff["buckets"] == []
    client.post(url(draft), {"action": "submit"})
    draft.refresh_from_db()
    assert draft.status == "pending"
    # the maker cannot approve their own change
    response = client.post(url(draft), {"action": "approve", "effective_from": business_date()},
                           follow=True)
    assert "The admin who made a change cannot approve it." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "pending"
    client.force_login(checker)
    client.post(url(draft), {"action": "approve", "effective_from": business_date().isoformat()})
    draft.refresh_from_db()
    active.refresh_from_db()
    assert (draft.status, draft.approved_by, active.status) == ("active", checker, "retired")


def test_maker_cannot_approve_in_the_service_nor_the_database(maker, active):
    draft = svc.version_draft(user=maker, note="x")
    svc.version_submit(version=draft, user=maker)
    with pytest.raises(PermissionDenied):
        svc.version_approve(version=draft, user=maker, effective_from=business_date())
    with pytest.raises(IntegrityError), transaction.atomic():
        m.StrategyVersion.objects.filter(id=draft.id).update(approved_by=maker)


def test_approved_for_a_later_date_becomes_active_on_that_date(maker, checker, active):
    today = dt.date(2026, 12, 1)
    draft = svc.version_draft(user=maker, note="later")
    svc.version_submit(version=draft, user=maker)
    svc.version_approve(version=draft, user=checker, effective_from=dt.date(2026, 12, 5), today=today)
    draft.refresh_from_db()
    assert (draft.status, draft.effective_from) == ("approved", dt.date(2026, 12, 5))
    assert svc.activate_due_versions(today=dt.date(2026, 12, 4)) is None
    assert strategy.active_version() == active
    assert svc.activate_due_versions(today=dt.date(2026, 12, 5)) == draft
    assert svc.activate_due_versions(today=dt.date(2026, 12, 5)) is None  # twice: nothing more to do
    assert strategy.active_version() == draft
    active.refresh_from_db()
    assert active.status == "retired"


def test_the_beat_task_activates_what_is_due(settings, maker, checker, active):
    draft = svc.version_draft(user=maker, note="later")
    svc.version_submit(version=draft, user=maker)
    svc.version_approve(version=draft, user=checker, effective_from=dt.date(2030, 1, 1), today=dt.date(2029, 12, 1))
    settings.BUSINESS_DATE = "2029-12-31"
    assert activate_strategy_versions.delay().get() == "nothing due"
    settings.BUSINESS_DATE = "2030-01-01"
    assert activate_strategy_versions.delay().get() == f"v{draft.number} active"


def test_a_date_in_the_past_is_refused(client, maker, checker, active):
    draft = svc.version_draft(user=maker, note="x")
    svc.version_submit(version=draft, user=maker)
    client.force_login(checker)
    response = client.post(url(draft), {"action": "approve", "effective_from": "2000-01-01"}, follow=True)
    assert "cannot be in the past" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == "pending"


def test_the_active_version_cannot_be_edited_on_the_page(client, maker, active):
    client.force_login(maker)
    page = client.get(url(active))
    assert page.context["editable"] is False and 'id="edit-form"' not in page.content.decode()
    data = formset_data(active)
    data["b-0-name"] = "changed"
    response = client.post(url(active), data, follow=True)
    assert "only a draft can be changed" in response.content.decode()
    assert not m.Bucket.objects.filter(name="changed").exists()


def test_another_admin_cannot_edit_someone_elses_draft(client, maker, checker, active):
    draft = svc.version_draft(user=maker, note="x")
    data = formset_data(draft)
    data["b-0-name"] = "changed"
    client.force_login(checker)
    response = client.post(url(draft), data, follow=True)
    assert "Only the admin who drafted this version" in response.content.decode()
    assert not m.Bucket.objects.filter(name="changed").exists()


def test_an_invalid_ladder_is_not_saved_and_the_input_is_kept(client, maker, active):
    draft = svc.version_draft(user=maker, note="x")
    data = formset_data(draft)
    data["b-1-min_dpd"] = 5  # leaves a gap after CURRENT..M0
    client.force_login(maker)
    response = client.post(url(draft), data)
    assert response.status_code == 200
    texts = [str(msg) for msg in response.context["messages"]]
    assert texts == ["Buckets CURRENT and M0 are not contiguous."], texts
    assert 'value="5"' in response.content.decode()
    assert list(draft.buckets.order_by("position").values_list("min_dpd", flat=True)) == \
        list(active.buckets.order_by("position").values_list("min_dpd", flat=True))


def test_the_active_version_is_read_only_in_the_admin(client, maker, active):
    client.force_login(maker)
    bucket = active.buckets.first()
    rule = active.rules.first()
    response = client.post(reverse("admin:collections_app_bucket_change", args=[bucket.id]),
                           {"version": active.id, "code": bucket.code, "name": "hacked", "min_dpd": bucket.min_dpd,
                            "position": bucket.position, "risk_weight": "1"})
    assert response.status_code == 403
    bucket.refresh_from_db()
    assert bucket.name != "hacked"
    assert client.post(reverse("admin:collections_app_bucket_delete", args=[bucket.id]), {"post": "yes"}).status_code == 403
    assert client.post(reverse("admin:collections_app_strategyrule_delete", args=[rule.id]),
                       {"post": "yes"}).status_code == 403
    page = client.get(reverse("admin:collections_app_strategyversion_change", args=[active.id])).content.decode()
    assert 'name="buckets-0-min_dpd"' not in page and 'name="note"' not in page
    draft = svc.version_draft(user=maker, note="x")
    page = client.get(reverse("admin:collections_app_strategyversion_change", args=[draft.id])).content.decode()
    assert 'name="buckets-0-min_dpd"' in page
