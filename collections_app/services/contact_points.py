"""A collector adds a borrower's number or address, or marks one wrong / disconnected / valid (the
case page's contact-points card). Refusals are a ValidationError with the message to show.

    add_contact_point(*, borrower, user, kind, relation, value, name="") -> ContactPoint
    set_contact_point_status(*, contact_point, status) -> ContactPoint
"""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from collections_app.models import Borrower, ContactKind, ContactPoint, ContactSource, ContactStatus, Relation


def add_contact_point(
    *, borrower: Borrower, user: User, kind: str | None, relation: str | None, value: str | None, name: str | None = ""
) -> ContactPoint:
    """A new valid contact point recorded by a collector: a phone keeps its digits and "+" only and
    needs at least 5 of them; the same point twice is refused (the database's unique constraint)."""
    kind = kind or ContactKind.PHONE
    relation = relation or Relation.SELF
    value = (value or "").strip()
    if kind == ContactKind.PHONE:
        value = "".join(ch for ch in value if ch.isdigit() or ch == "+")
    if kind not in ContactKind.values or relation not in Relation.values:
        raise ValidationError(_("Choose a kind and a relation."))
    if not value or (kind == ContactKind.PHONE and len(value) < 5):
        raise ValidationError(_("Enter the number or address."))
    try:
        with transaction.atomic():
            return ContactPoint.objects.create(
                borrower=borrower, kind=kind, relation=relation, value=value[:300],
                name=(name or "").strip()[:200], status=ContactStatus.VALID,
                source=ContactSource.COLLECTOR, created_by=user,
            )
    except IntegrityError:
        raise ValidationError(_("This contact point is already recorded."))


def set_contact_point_status(*, contact_point: ContactPoint, status: str | None) -> ContactPoint:
    if status not in ContactStatus.values:
        raise ValidationError(_("Choose a status."))
    contact_point.status = status
    contact_point.save(update_fields=["status", "updated_at"])
    return contact_point
