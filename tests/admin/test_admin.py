"""Every admin page answers for an admin, and change lists do not run a query per row."""
import datetime as dt
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from collections_app import models as m
from tests import factories as f

pytestmark = pytest.mark.django_db


def make_everything(tag: str):
    """One row (at least) of every registered model, all linked."""
    lender = f.LenderFactory(code=f"len-{tag}")
    product = f.ProductFactory(lender=lender)
    supervisor = f.SupervisorFactory(username=f"sup-{tag}")
    team = f.TeamFactory(name=f"team-{tag}", supervisor=supervisor, lender=lender)
    collector = f.CollectorFactory(username=f"col-{tag}", team=team)
    borrower = f.BorrowerFactory(lender=lender)
    cp = f.ContactPointFactory(borrower=borrower)
    case = f.CaseFactory(lender=lender, borrower=borrower, assigned_to=collector, team=team)
    loan = f.LoanFactory(lender=lender, borrower=borrower, product=product, case=case)
    f.InstallmentFactory(loan=loan, seq=1)
    f.PaymentFactory(loan=loan)
    m.AgingPause.objects.create(loan=loan, kind=m.PauseKind.DISPUTE, starts_on=dt.date(2026, 3, 1))
    version = m.StrategyVersion.objects.create(number=m.StrategyVersion.objects.count() + 1)
    m.Bucket.objects.create(version=version, code="M1", min_dpd=31, max_dpd=60, position=1)
    m.StrategyRule.objects.create(version=version, code=f"r-{tag}", description="call", action=m.ActionKind.CALL)
    run = m.DelinquencyRun.objects.create(as_of=dt.date(2026, 3, 1), status="done")  # one running per date
    m.DelinquencyRunChunk.objects.create(run=run, lo=borrower.id, hi=borrower.id, done_at=timezone.now())
    m.BucketHistory.objects.create(loan=loan, lender=lender, on_date=dt.date(2026, 3, 1), from_bucket="M0",
                                   to_bucket="M1", dpd=31, run=run)
    m.BlacklistEntry.objects.create(lender=lender, borrower=borrower, name=borrower.name, reason="fraud")
    m.CaseAction.objects.create(case=case, rule_code="r", kind=m.ActionKind.CALL, due_on=dt.date(2026, 3, 1),
                                occurrence_key=tag)
    m.AssignmentHistory.objects.create(case=case, to_user=collector, by_user=supervisor)
    contact = f.ContactLogFactory(case=case, user=collector, contact_point=cp)
    f.PromiseFactory(case=case, contact=contact, created_by=collector)
    m.FieldVisit.objects.create(case=case, agent=f.FieldAgentFactory(username=f"fa-{tag}"))
    m.Letter.objects.create(case=case, kind=m.LetterKind.OVERDUE_NOTICE, as_of=dt.date(2026, 3, 1), body="x")
    m.ApprovalRequest.objects.create(kind=m.ApprovalKind.AGENCY, case=case, requested_by=collector)
    m.Complaint.objects.create(case=case, borrower=borrower, against_user=collector, description="rude",
                               received_at=timezone.now(), due_on=dt.date(2026, 3, 16))
    m.CaseNote.objects.create(case=case, author=collector, text="note")
    dispute = m.Dispute.objects.create(case=case, reason="not mine", opened_at=timezone.now(),
                                       respond_by=dt.date(2026, 4, 1))
    m.CaseDocument.objects.create(case=case, dispute=dispute, kind=m.DocumentKind.EVIDENCE, file="case_documents/x.pdf")
    m.SettlementTerms.objects.create(lender=lender, bucket="M1")
    m.SettlementOffer.objects.create(case=case, amount=Decimal("900"), payoff_amount=Decimal("1000"),
                                     discount_percent=Decimal("10"), offered_on=dt.date(2026, 3, 1),
                                     valid_until=dt.date(2026, 3, 9), status="lapsed", level="collector")
    plan = m.PaymentPlan.objects.create(case=case, base_amount=Decimal("100"), total_amount=Decimal("100"),
                                        proposed_on=dt.date(2026, 3, 1), status="kept", level="collector")
    m.PlanInstallment.objects.create(plan=plan, seq=1, due_date=dt.date(2026, 3, 5), amount=Decimal("100"),
                                     remind_from=dt.date(2026, 3, 3))
    m.Target.objects.create(period="month", period_start=dt.date(2026, 3, 1), team=team, amount=Decimal("100"))
    m.Target.objects.create(period="month", period_start=dt.date(2026, 3, 1), collector=collector, amount=Decimal("50"))
    m.ImportJob.objects.create(kind=m.ImportKind.LOANS, lender=lender, created_by=supervisor)
    m.PersonalDataAccess.objects.create(user=collector, borrower=borrower, what="national_id")
    template, _new = m.MessageTemplate.objects.get_or_create(code="reminder", language="en", lender=None, stage="any",
                                                            defaults={"channel": "sms", "name": "r", "body": "hi"})
    m.Message.objects.create(case=case, borrower=borrower, contact_point=cp, channel="sms", template=template,
                             to_address=cp.value, body="hi", send_at=timezone.now(), idempotency_key=f"k-{tag}")
    agency = m.Agency.objects.create(name=f"agency-{tag}", contract_start=dt.date(2026, 1, 1),
                                     default_rate=Decimal("0.2"))
    m.AgencyRate.objects.create(agency=agency, bucket="M1", rate=Decimal("0.25"))
    f.UserFactory(username=f"ag-{tag}", role="agency", agency=agency)
    placement = m.AgencyPlacement.objects.create(case=case, agency=agency, bucket="M1", commission_rate=Decimal("0.25"),
                                                 placed_on=dt.date(2026, 1, 10), recall_on=dt.date(2026, 4, 10))
    m.PlacementPayment.objects.create(placement=placement, payment=f.PaymentFactory(loan=loan))
    legal = m.LegalCase.objects.create(case=case, opened_on=dt.date(2026, 3, 1), court="court")
    m.LegalStageChange.objects.create(legal_case=legal, to_stage=m.LegalStage.PREPARED, on=dt.date(2026, 3, 1))
    m.LegalCost.objects.create(legal_case=legal, kind=m.LegalCostKind.COURT_FEE, amount=Decimal("10"),
                               incurred_on=dt.date(2026, 3, 1))
    checklist = m.QualityChecklist.objects.create(lender=lender, name="calls")
    item = m.QualityItem.objects.create(checklist=checklist, code="greeting", label="Greets")
    sample = m.QualitySample.objects.create(rule=m.SampleRule.RANDOM, date_from=dt.date(2026, 3, 1),
                                            date_to=dt.date(2026, 3, 1), created_by=supervisor)
    review = m.QualityReview.objects.create(sample=sample, contact=contact, collector=collector, checklist=checklist,
                                            status=m.ReviewStatus.DONE, score=Decimal("100"), reviewer=supervisor,
                                            reviewed_at=timezone.now())
    m.QualityScore.objects.create(review=review, item=item, result=m.ItemResult.PASS)
    m.Report.objects.create(kind="month", period_start=dt.date(2026, 3, 1), period_end=dt.date(2026, 3, 31),
                            scope="team", team=team, scope_name=team.name, status="ready", generated_at=timezone.now(),
                            figures={"collected": "10.00"})


def changelist_url(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture
def admin_client_role(client):
    """An admin by role (staff, not a superuser) — the product's admins."""
    user = f.AdminFactory(username="boss")
    assert user.is_staff and not user.is_superuser
    client.force_login(user)
    return client


def test_every_changelist_add_and_change_page_answers(admin_client_role):
    make_everything("a")
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in ("accounts", "collections_app"):
            continue
        response = admin_client_role.get(changelist_url(model))
        assert response.status_code == 200, (model, response.status_code)
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"no {model.__name__} row in the data set"
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk])
        assert admin_client_role.get(url).status_code == 200, model
        add = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")
        expected = 200 if model_admin.has_add_permission(response.wsgi_request) else 403
        assert admin_client_role.get(add).status_code == expected, model
        history = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_history", args=[obj.pk])
        assert admin_client_role.get(history).status_code == 200, model


def test_superuser_gets_every_page_of_every_app(client):
    client.force_login(f.UserFactory(username="root", is_superuser=True))
    make_everything("s")
    for model in admin.site._registry:
        assert client.get(changelist_url(model)).status_code == 200, model


def test_changelist_queries_do_not_grow_with_rows(admin_client_role):
    make_everything("a")
    models = [mo for mo in admin.site._registry if mo._meta.app_label in ("accounts", "collections_app")]
    first = {}
    for model in models:
        with CaptureQueriesContext(connection) as ctx:
            admin_client_role.get(changelist_url(model))
        first[model] = len(ctx)
    for tag in "bcd":
        make_everything(tag)
    for model in models:
        with CaptureQueriesContext(connection) as ctx:
            admin_client_role.get(changelist_url(model))
        assert len(ctx) <= first[model], (model.__name__, first[model], len(ctx))
        assert len(ctx) <= 25, (model.__name__, len(ctx))


def test_records_cannot_be_deleted_but_targets_can(admin_client_role):
    make_everything("a")
    case = m.CollectionCase.objects.first()
    assert admin_client_role.get(reverse("admin:collections_app_collectioncase_delete", args=[case.pk])).status_code == 403
    target = m.Target.objects.first()
    assert admin_client_role.get(reverse("admin:collections_app_target_delete", args=[target.pk])).status_code == 200


def test_collector_and_supervisor_are_kept_out(client, collector, supervisor):
    for user in (collector, supervisor):
        client.force_login(user)
        response = client.get(changelist_url(m.Loan))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def _change_form_data(response) -> dict:
    """The POST an admin's browser sends for the change page as it was shown."""
    data = {}
    for form in [response.context["adminform"].form] + [
            form_ for inline in response.context["inline_admin_formsets"] for form_ in [inline.formset.management_form]
            + list(inline.formset.forms)]:
        for bound in form:
            value = bound.value()
            if value is None or value is False:
                continue
            if isinstance(value, (list, tuple)):
                data[bound.html_name] = [str(v) for v in value]
            elif isinstance(value, dt.datetime):
                data[bound.html_name + "_0"], data[bound.html_name + "_1"] = value.date().isoformat(), value.time().isoformat()
            else:
                data[bound.html_name] = str(value)
    return data


def test_editing_a_case_writes_only_what_the_form_changed(admin_client_role, monkeypatch):
    """The nightly run (or a contact) writing the case while an admin's edit is being saved keeps what
    it wrote: the edit does not write back the row as it read it."""
    make_everything("a")
    case = m.CollectionCase.objects.first()
    url = reverse("admin:collections_app_collectioncase_change", args=[case.pk])
    data = _change_form_data(admin_client_role.get(url))
    data["overdue_reason"] = m.OverdueReason.values[-1]
    case_admin = admin.site._registry[m.CollectionCase]
    read = type(case_admin).get_object

    def read_then_written_behind(self, request, object_id, from_field=None):
        obj = read(self, request, object_id, from_field)
        if obj is not None and request.method == "POST":  # lands after the admin read the row
            m.CollectionCase.objects.filter(pk=obj.pk).update(bucket="M3", dpd=75, last_outcome="promise")
        return obj

    monkeypatch.setattr(type(case_admin), "get_object", read_then_written_behind)
    response = admin_client_role.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    case.refresh_from_db()
    assert (case.bucket, case.dpd, case.last_outcome) == ("M3", 75, "promise")
    assert case.overdue_reason == m.OverdueReason.values[-1]
