"""factory_boy factories shared by every test. Add new ones here (keep them small)."""
import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, Team, User
from collections_app import models as m

PASSWORD = "pass-1234"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    role = Role.COLLECTOR
    password = factory.django.Password(PASSWORD)


class CollectorFactory(UserFactory):
    role = Role.COLLECTOR


class FieldAgentFactory(UserFactory):
    role = Role.FIELD_AGENT


class SupervisorFactory(UserFactory):
    role = Role.SUPERVISOR


class AdminFactory(UserFactory):
    role = Role.ADMIN


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    supervisor = factory.SubFactory(SupervisorFactory)


class LenderFactory(DjangoModelFactory):
    class Meta:
        model = m.Lender
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"lender{n}")
    name = factory.Sequence(lambda n: f"Lender {n}")


class ProductFactory(DjangoModelFactory):
    class Meta:
        model = m.Product

    lender = factory.SubFactory(LenderFactory)
    code = factory.Sequence(lambda n: f"prod{n}")
    name = factory.Sequence(lambda n: f"Product {n}")


class BorrowerFactory(DjangoModelFactory):
    class Meta:
        model = m.Borrower

    lender = factory.SubFactory(LenderFactory)
    external_id = factory.Sequence(lambda n: f"B{n:06d}")
    name = factory.Faker("name", locale="zh_CN")
    national_id = factory.Sequence(lambda n: f"11010119900101{n:04d}")
    address = factory.Faker("address", locale="zh_CN")


class ContactPointFactory(DjangoModelFactory):
    class Meta:
        model = m.ContactPoint

    borrower = factory.SubFactory(BorrowerFactory)
    kind = m.ContactKind.PHONE
    value = factory.Sequence(lambda n: f"138{n:08d}")
    relation = m.Relation.SELF


class LoanFactory(DjangoModelFactory):
    class Meta:
        model = m.Loan

    lender = factory.SubFactory(LenderFactory)
    borrower = factory.SubFactory(BorrowerFactory, lender=factory.SelfAttribute("..lender"))
    external_id = factory.Sequence(lambda n: f"L{n:07d}")
    principal = Decimal("10000.00")
    disbursed_on = dt.date(2026, 1, 1)


class InstallmentFactory(DjangoModelFactory):
    class Meta:
        model = m.Installment

    loan = factory.SubFactory(LoanFactory)
    seq = factory.Sequence(lambda n: n + 1)
    due_date = dt.date(2026, 2, 1)
    principal_due = Decimal("1000.00")
    interest_due = Decimal("50.00")
    fee_due = Decimal("0.00")


class PaymentFactory(DjangoModelFactory):
    class Meta:
        model = m.Payment

    loan = factory.SubFactory(LoanFactory)
    lender = factory.SelfAttribute("loan.lender")
    external_id = factory.Sequence(lambda n: f"P{n:08d}")
    paid_on = dt.date(2026, 2, 1)
    amount = Decimal("100.00")


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = m.CollectionCase

    lender = factory.SubFactory(LenderFactory)
    borrower = factory.SubFactory(BorrowerFactory, lender=factory.SelfAttribute("..lender"))
    bucket = "M1"
    stage = "M1"
    dpd = 35
    overdue_amount = Decimal("1050.00")
    outstanding_amount = Decimal("9000.00")


class ContactLogFactory(DjangoModelFactory):
    class Meta:
        model = m.ContactLog

    case = factory.SubFactory(CaseFactory)
    borrower = factory.SelfAttribute("case.borrower")
    channel = m.Channel.PHONE
    outcome = m.Outcome.NO_ANSWER
    is_attempt = True
    occurred_at = factory.Faker("date_time_this_year", tzinfo=dt.UTC)


class PromiseFactory(DjangoModelFactory):
    class Meta:
        model = m.PromiseToPay

    case = factory.SubFactory(CaseFactory)
    borrower = factory.SelfAttribute("case.borrower")
    amount = Decimal("500.00")
    promised_date = dt.date(2026, 3, 1)
