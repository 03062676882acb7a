"""Reads in selectors, writes in services: the layering the architecture page describes, and the
services and selectors that moved there (personal-data records, contact points, the buckets in force)."""
import ast
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from collections_app import models as m
from collections_app.selectors import buckets
from collections_app.services.contact_points import add_contact_point, set_contact_point_status
from collections_app.services.personal_data import record_personal_data_access
from tests import factories as f

SELECTORS = Path(__file__).resolve().parents[2] / "collections_app" / "selectors"
WRITES = {"save", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "delete"}


def _modules():
    for path in sorted(SELECTORS.glob("*.py")):
        yield path, ast.parse(path.read_text())


def test_selectors_import_no_service():
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("collections_app.services"), (path.name, node.module)
                if node.module == "collections_app":
                    assert "services" not in {a.name for a in node.names}, path.name


def test_selectors_call_no_model_write():
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                on_manager = isinstance(owner, ast.Attribute) and owner.attr == "objects"
                assert not (on_manager and node.func.attr in WRITES), (path.name, node.lineno)
                assert node.func.attr not in {"save", "bulk_create", "delete"}, (path.name, node.lineno)


@pytest.mark.django_db
def test_file_download_and_list_records():
    borrower = f.BorrowerFactory()
    other = f.BorrowerFactory()
    user = f.SupervisorFactory()
    assert record_personal_data_access(user=user, what="address", where="/x/", borrower_ids=[borrower.pk, None,
                                                                                              other.pk, borrower.pk]) == 2
    assert record_personal_data_access(user=AnonymousUser(), what="address", borrower_ids=[borrower.pk]) == 0
    assert record_personal_data_access(user=AnonymousUser(), what="call recording", file_name="r/a.mp3",
                                       borrower_ids=[borrower.pk]) == 1
    download = m.PersonalDataAccess.objects.get(file="r/a.mp3")
    assert (download.user, download.borrower_id, download.what) == (None, borrower.pk, "call recording")
    assert m.PersonalDataAccess.objects.filter(what="address", user=user).count() == 2


@pytest.mark.django_db
def test_contact_point_service_cleans_refuses_and_marks():
    borrower = f.BorrowerFactory()
    user = f.CollectorFactory()
    cp = add_contact_point(borrower=borrower, user=user, kind="", relation="", value=" 138-1234-5678 ", name=" 王 ")
    assert (cp.kind, cp.relation, cp.value, cp.name, cp.status) == (
        m.ContactKind.PHONE, m.Relation.SELF, "13812345678", "王", m.ContactStatus.VALID)
    for value in ("12-3", "13812345678"):  # too short; already recorded
        with pytest.raises(ValidationError):
            add_contact_point(borrower=borrower, user=user, kind=m.ContactKind.PHONE, relation=m.Relation.SELF,
                              value=value)
    with pytest.raises(ValidationError):
        set_contact_point_status(contact_point=cp, status="nonsense")
    set_contact_point_status(contact_point=cp, status=m.ContactStatus.WRONG)
    cp.refresh_from_db()
    assert cp.status == m.ContactStatus.WRONG


@pytest.mark.django_db
def test_bucket_codes_follow_the_active_version():
    assert buckets.current_bucket_code() == "CURRENT"  # no version yet: the default table
    version = m.StrategyVersion.objects.create(number=1, status=m.StrategyStatus.ACTIVE,
                                               approved_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                                               effective_from=dt.date(2026, 1, 1))
    for pos, (code, lo, hi) in enumerate([("OK", 0, 0), ("EARLY", 1, 45), ("LATE", 46, None)]):
        m.Bucket.objects.create(version=version, code=code, name=code, min_dpd=lo, max_dpd=hi, position=pos,
                                risk_weight=Decimal("1"))
    assert buckets.bucket_order() == ["OK", "EARLY", "LATE"]
    assert buckets.case_bucket_codes() == ["EARLY", "LATE"]
    assert buckets.current_bucket_code() == "OK"
    assert [b.code for b in buckets.bucket_ranges()] == ["OK", "EARLY", "LATE"]
