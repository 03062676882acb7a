"""Row validation and batch storage for each kind of file (loans, installments, payments).

``validate`` is pure: one row → (record, errors). ``store`` writes a batch of valid records
through a writer (set-based) and returns the rows it had to reject after looking at the database
(e.g. an unknown loan).
"""
from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext as _

from collections_app.models import (
    Borrower,
    ContactKind,
    ContactPoint,
    ContactSource,
    ImportKind,
    Installment,
    Loan,
    Payment,
    Product,
    Relation,
)
from collections_app.selectors.loan_figures import business_date
from collections_app.services.daily_figures import mark_changed

from .parsing import parse_amount, parse_date, parse_positive_int, parse_rate
from .pg import payment_line, store_loans, store_payments
from .reader import cell_text
from .schedule import annuity_schedule

RELATION_WORDS = {
    Relation.RELATIVE: ("relative", "parent", "father", "mother", "spouse", "wife", "husband", "brother", "sister",
                        "son", "daughter", "child", "亲属", "父", "母", "爸", "妈", "配偶", "妻", "夫", "兄", "弟",
                        "姐", "妹", "子", "女", "儿"),
    Relation.OTHER: ("other", "friend", "colleague", "朋友", "同事", "其他"),
}


def map_relation(text: str) -> str:
    low = text.lower()
    for relation, words in RELATION_WORDS.items():
        if any(w in low for w in words):
            return relation
    return Relation.EMERGENCY


class RowErrors(list):
    def add(self, column, message):
        self.append((column, str(message)))


def _text(row, column, errors, *, required=False, max_length=None):
    value = row.get(column)
    text = "" if value is None else str(value).strip()
    if required and not text:
        errors.add(column, _("required value missing"))
    elif max_length and len(text) > max_length:
        errors.add(column, _("longer than %(n)d characters") % {"n": max_length})
    return text


def _parsed(row, column, parser, errors, *, required=False, **kwargs):
    value = row.get(column)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors.add(column, _("required value missing"))
        return None
    try:
        return parser(value, **kwargs)
    except ValueError as exc:
        errors.add(column, str(exc))
        return None


class LoansKind:
    kind = ImportKind.LOANS

    def key(self, record):
        return f"{record['lender_id']}\x1f{record['loan_id']}"

    def key_column(self):
        return "loan_id"

    def validate(self, row):
        e = RowErrors()
        rec = {
            "loan_id": _text(row, "loan_id", e, required=True, max_length=64),
            "borrower_id": _text(row, "borrower_id", e, required=True, max_length=64),
            "borrower_name": _text(row, "borrower_name", e, required=True, max_length=200),
            "national_id": _text(row, "national_id", e, max_length=32),
            "address": _text(row, "address", e, max_length=300),
            "employer": _text(row, "employer", e, max_length=200),
            "product": _text(row, "product", e, max_length=50),
            "principal": _parsed(row, "principal", parse_amount, e, required=True),
            "disbursed_on": _parsed(row, "disbursed_on", parse_date, e, required=True),
            "annual_rate": None,
            "term_months": None,
            "schedule": None,
        }
        currency = _text(row, "currency", e).upper() or "CNY"
        if len(currency) != 3 or not currency.isalpha():
            e.add("currency", _("not a 3-letter currency code"))
        rec["currency"] = currency
        phones = [p.strip() for p in _text(row, "phones", e).replace("；", ";").split(";")]
        rec["phones"] = [p for p in phones if p]
        for p in rec["phones"]:
            if len(p) > 300:
                e.add("phones", _("longer than %(n)d characters") % {"n": 300})
        name = _text(row, "contact_name", e, max_length=200)
        relation = _text(row, "contact_relation", e, max_length=50)
        label = f"{name} ({relation})" if name and relation else (name or relation)
        rec["contact"] = (label[:200], map_relation(relation) if relation else Relation.EMERGENCY,
                          _text(row, "contact_phone", e, max_length=300))
        rec["guarantor"] = (_text(row, "guarantor_name", e, max_length=200), _text(row, "guarantor_phone", e, max_length=300))

        annuity = [c for c in ("term_months", "first_due_date", "annual_rate") if _text(row, c, e)]
        overdue = [c for c in ("overdue_since", "overdue_amount") if _text(row, c, e)]
        if annuity and overdue:
            e.add(annuity[0], _("give either term_months/first_due_date/annual_rate or overdue_since/overdue_amount, not both"))
        elif annuity:
            term = _parsed(row, "term_months", parse_positive_int, e, required=True, maximum=600)
            first = _parsed(row, "first_due_date", parse_date, e, required=True)
            rate = _parsed(row, "annual_rate", parse_rate, e, required=True)
            if term and first and rate is not None and rec["principal"] is not None:
                rec["term_months"], rec["annual_rate"] = term, rate
                if rec["disbursed_on"] and first < rec["disbursed_on"]:
                    e.add("first_due_date", _("before the disbursement date"))
                rec["schedule"] = [
                    (s.seq, s.due_date, s.principal_due, s.interest_due)
                    for s in annuity_schedule(rec["principal"], rate, term, first)
                ]
        elif overdue:
            since = _parsed(row, "overdue_since", parse_date, e, required=True)
            amount = _parsed(row, "overdue_amount", parse_amount, e, required=True)
            if since and amount is not None:
                rec["schedule"] = [(1, since, amount, 0)]
        return rec, e

    header: list[str] = []
    raw_indexes: list[int] = []  # the columns kept in Loan.raw (runner.raw_column_indexes)

    def store(self, records, writer, job):
        if writer.vendor == "postgresql":
            return store_loans(self.header, records, writer, self.raw_indexes)
        errors = []
        for r in records:
            cells = r["_cells"]
            r["raw"] = {self.header[i]: cell_text(cells[i]) for i in self.raw_indexes}
        products = {}
        for r in records:
            if r["product"]:
                products[(r["lender_id"], r["product"])] = {"lender_id": r["lender_id"], "code": r["product"], "name": r["product"]}
        product_ids, _created = writer.upsert(Product, list(products.values()), ["lender_id", "code"], [])

        borrowers = {}
        for r in records:
            key = (r["lender_id"], r["borrower_id"])
            b = borrowers.get(key)
            if b is None:
                borrowers[key] = {"lender_id": r["lender_id"], "external_id": r["borrower_id"], "name": r["borrower_name"],
                                  "national_id": r["national_id"], "address": r["address"], "employer": r["employer"]}
            else:  # the same borrower on several loans: later non-empty values win
                b["name"] = r["borrower_name"]
                for f in ("national_id", "address", "employer"):
                    b[f] = r[f] or b[f]
        borrower_ids, _created = writer.upsert(
            Borrower, list(borrowers.values()), ["lender_id", "external_id"],
            ["name", "national_id", "address", "employer", "updated_at"], keep_if_blank=("national_id", "address", "employer"),
        )

        loans = []
        for r in records:
            loans.append({
                "lender_id": r["lender_id"], "external_id": r["loan_id"],
                "borrower_id": borrower_ids[(r["lender_id"], r["borrower_id"])],
                "product_id": product_ids.get((r["lender_id"], r["product"])) if r["product"] else None,
                "principal": r["principal"], "currency": r["currency"], "disbursed_on": r["disbursed_on"],
                "annual_rate": r["annual_rate"], "term_months": r["term_months"], "raw": r["raw"], "needs_recalc": True,
            })
        loan_ids, created = writer.upsert(
            Loan, loans, ["lender_id", "external_id"],
            ["borrower_id", "product_id", "principal", "currency", "disbursed_on", "annual_rate", "term_months", "raw",
             "needs_recalc", "updated_at"],
        )

        contacts = {}

        def contact(borrower_id, kind, value, relation, name="", primary=False):
            key = (borrower_id, kind, value, relation)
            if value and key not in contacts:
                contacts[key] = {"borrower_id": borrower_id, "kind": kind, "value": value, "relation": relation,
                                 "name": name, "is_primary": primary, "source": ContactSource.IMPORT}

        for r in records:
            bid = borrower_ids[(r["lender_id"], r["borrower_id"])]
            for i, phone in enumerate(r["phones"]):
                contact(bid, ContactKind.PHONE, phone, Relation.SELF, r["borrower_name"], i == 0)
            contact(bid, ContactKind.ADDRESS, r["address"], Relation.SELF, r["borrower_name"])
            contact(bid, ContactKind.EMPLOYER, r["employer"], Relation.EMPLOYER, r["employer"])
            label, relation, phone = r["contact"]
            contact(bid, ContactKind.PHONE, phone, relation, label)
            g_name, g_phone = r["guarantor"]
            contact(bid, ContactKind.PHONE, g_phone, Relation.GUARANTOR, g_name)
        writer.insert_ignore(ContactPoint, list(contacts.values()), unique=("borrower_id", "kind", "value", "relation"))

        installments, counts = [], {}
        for r in records:
            if r["schedule"] is None:
                continue
            lid = loan_ids[(r["lender_id"], r["loan_id"])]
            counts[lid] = len(r["schedule"])
            for seq, due, principal, interest in r["schedule"]:
                installments.append({"loan_id": lid, "seq": seq, "due_date": due, "principal_due": principal,
                                     "interest_due": interest, "fee_due": 0})
        writer.upsert(Installment, installments, ["loan_id", "seq"], ["due_date", "principal_due", "interest_due", "fee_due"])
        writer.trim_schedules(counts)
        return len(records), created, errors


def _loan_ids(records):
    """{(lender_id, loan external id): loan id} for the loans these records name (one query)."""
    lenders = {r["lender_id"] for r in records}
    ext = {r["loan_id"] for r in records}
    return {
        (lender_id, external_id): pk
        for pk, lender_id, external_id in Loan.objects.filter(lender_id__in=lenders, external_id__in=ext).values_list(
            "id", "lender_id", "external_id"
        )
    }


class InstallmentsKind:
    kind = ImportKind.INSTALLMENTS

    def __init__(self):
        self.kept: dict[int, set[int]] = {}

    def key(self, record):
        return f"{record['lender_id']}\x1f{record['loan_id']}\x1f{record['seq']}"

    def key_column(self):
        return "seq"

    def validate(self, row):
        e = RowErrors()
        rec = {
            "loan_id": _text(row, "loan_id", e, required=True, max_length=64),
            "seq": _parsed(row, "seq", parse_positive_int, e, required=True, maximum=10000),
            "due_date": _parsed(row, "due_date", parse_date, e, required=True),
            "principal_due": _parsed(row, "principal_due", parse_amount, e, required=True),
            "interest_due": _parsed(row, "interest_due", parse_amount, e, required=True),
            "fee_due": _parsed(row, "fee_due", parse_amount, e) or 0,
        }
        return rec, e

    def store(self, records, writer, job):
        loans = _loan_ids(records)
        errors, rows, good = [], [], 0
        touched = set()
        for r in records:
            lid = loans.get((r["lender_id"], r["loan_id"]))
            if lid is None:
                errors.append((r, "loan_id", _("unknown loan (import the loans file first)")))
                continue
            good += 1
            touched.add(lid)
            self.kept.setdefault(lid, set()).add(r["seq"])
            rows.append({"loan_id": lid, "seq": r["seq"], "due_date": r["due_date"], "principal_due": r["principal_due"],
                         "interest_due": r["interest_due"], "fee_due": r["fee_due"]})
        _ids, created = writer.upsert(Installment, rows, ["loan_id", "seq"], ["due_date", "principal_due", "interest_due", "fee_due"])
        writer.replace_schedules({lid: self.kept[lid] for lid in touched})
        writer.mark_recalc(touched)
        return good, created, errors


class PaymentsKind:
    kind = ImportKind.PAYMENTS

    def __init__(self, today=None):
        self.today = today or business_date()
        self.copy_lines = connection.vendor == "postgresql"

    def key(self, record):
        return f"{record['lender_id']}\x1f{record['payment_id']}"

    def key_column(self):
        return "payment_id"

    def validate(self, row):
        e = RowErrors()
        rec = {
            "payment_id": _text(row, "payment_id", e, required=True, max_length=64),
            "loan_id": _text(row, "loan_id", e, required=True, max_length=64),
            "paid_on": _parsed(row, "paid_on", parse_date, e, required=True),
            "amount": _parsed(row, "amount", parse_amount, e, required=True),
            "channel": _text(row, "channel", e, max_length=50),
            "note": _text(row, "note", e, max_length=500),
        }
        if rec["amount"] is not None and rec["amount"] == 0:
            e.add("amount", _("must be more than 0"))
        if rec["paid_on"] is not None and rec["paid_on"] > self.today:
            e.add("paid_on", _("in the future (today is %(today)s)") % {"today": self.today.isoformat()})
        return rec, e

    def prepare(self, record):
        """The record's line for the PostgreSQL batch's COPY, made while the previous batch is stored."""
        if self.copy_lines:
            record["_copy"] = payment_line(record)

    def store(self, records, writer, job):
        if writer.vendor == "postgresql":
            unknown, stored, created = store_payments(records, job)
            message = _("unknown loan (import the loans file first)")
            return stored, created, [(r, "loan_id", message) for r in records if r["_row"] in unknown]
        loans = _loan_ids(records)
        errors, rows, touched = [], [], set()
        for r in records:
            lid = loans.get((r["lender_id"], r["loan_id"]))
            if lid is None:
                errors.append((r, "loan_id", _("unknown loan (import the loans file first)")))
                continue
            touched.add(lid)
            rows.append({"lender_id": r["lender_id"], "external_id": r["payment_id"], "loan_id": lid, "paid_on": r["paid_on"],
                         "amount": r["amount"], "channel": r["channel"], "note": r["note"], "source": Payment.Source.IMPORT,
                         "import_job_id": job.pk})
        # the days the batch writes to or moves a payment from (docs/kpis.md, "Stored and live days")
        # and the loans a payment imported again moves away from (their money goes with it)
        stored = Payment.objects.filter(lender_id__in={r["lender_id"] for r in rows},
                                        external_id__in=[r["external_id"] for r in rows]).values_list(
            "lender_id", "external_id", "paid_on", "loan_id")
        new_loan = {(r["lender_id"], r["external_id"]): r["loan_id"] for r in rows}
        left = {loan_id for lender_id, ext, _day, loan_id in stored if new_loan.get((lender_id, ext)) != loan_id}
        mark_changed({r["paid_on"] for r in rows} | {day for _l, _e, day, _loan in stored})
        _ids, created = writer.upsert(Payment, rows, ["lender_id", "external_id"], ["loan_id", "paid_on", "amount", "channel", "note"])
        writer.flag_paid(touched | left)
        return len(rows), created, errors


KINDS = {ImportKind.LOANS: LoansKind, ImportKind.INSTALLMENTS: InstallmentsKind, ImportKind.PAYMENTS: PaymentsKind}
