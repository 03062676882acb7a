"""Factories of agencies, their users and placements (tests/agency only)."""
import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role
from collections_app import models as m
from tests.factories import UserFactory


class AgencyFactory(DjangoModelFactory):
    class Meta:
        model = m.Agency

    name = factory.Sequence(lambda n: f"Agency {n}")
    contract_start = dt.date(2020, 1, 1)
    default_rate = Decimal("0.2000")


class AgencyUserFactory(UserFactory):
    role = Role.AGENCY
    agency = factory.SubFactory(AgencyFactory)
