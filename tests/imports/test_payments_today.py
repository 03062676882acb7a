"""A payments import without an explicit ``today`` uses the business date (its import resolves)."""
import pytest

from collections_app.services.imports.kinds import PaymentsKind

pytestmark = pytest.mark.django_db


def test_payments_kind_defaults_to_the_business_date(settings):
    settings.BUSINESS_DATE = "2026-03-04"
    assert PaymentsKind().today.isoformat() == "2026-03-04"
