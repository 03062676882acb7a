"""python manage.py seed_demo [--loans N] [--seed S] [--history-months M]

Demo data for trying the product: two lenders with penalty/fee products, three teams, users of
every role sharing the documented password ``demo-pass`` (listed in the README), N loans with
plausible Chinese borrowers, contact points, schedules and payments spread over every bucket, then the delinquency run at the end of each of
the last M months and today (so bucket history, roll rates and cure rates cover several months),
allocation, and months of work on the cases: contacts over each case's life, promises to pay
(some kept or partly kept by real payments, judged by the product's own rule), visits, approvals,
complaints, and monthly targets — every dashboard panel has real numbers on a fresh run.

Set-based (bulk_create in batches) and deterministic for a given --seed and day. If the demo
lenders already exist it says so and changes nothing.
"""
from __future__ import annotations

import datetime as dt
import random
import time
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, Team, User
from collections_app import models as m
from collections_app.management.demo.casework import Casework
from collections_app.management.demo.escalation import (
    AGENCY_NAME,
    AGENCY_USERNAME,
    agency_user,
    demo_agency,
    place_and_litigate,
)
from collections_app.management.demo.reference import (
    BATCH,
    DEMO_LENDERS,
    DEMO_PASSWORD,
    EMPLOYERS,
    GIVEN,
    MIX,
    PHONE_PREFIXES,
    PLACES,
    RELATIONS,
    STREETS,
    SURNAMES,
    USERS,
    add_months,
    demo_password_hash,
    history_dates,
    make_national_id,
    money,
)
from collections_app.services.allocation import auto_allocate
from collections_app.services.nightly import run_delinquency

__all__ = ["DEMO_PASSWORD", "Command"]


class Command(Casework, BaseCommand):
    help = "Load demo lenders, users, loans, payments and collection work (idempotent: skips if present)."

    def add_arguments(self, parser):
        parser.add_argument("--loans", type=int, default=2000, help="Number of loans (default 2,000).")
        parser.add_argument("--seed", type=int, default=20240601, help="Random seed (same seed, same data).")
        parser.add_argument(
            "--history-months", type=int, default=3,
            help="Run the delinquency engine at the end of each of this many past months, and build that much "
                 "history of casework (default 3; 0 = today only).",
        )
        parser.add_argument(
            "--history-days", type=int, default=0,
            help="Also run the delinquency engine this many days ago (0 = no extra run).",
        )

    def handle(self, *args, **opts):
        if m.Lender.objects.filter(code__in=[code for code, _n, _p in DEMO_LENDERS]).exists():
            self.stdout.write("Demo data is already loaded (lenders demo-xd / demo-bank exist); nothing changed.")
            return
        started = time.monotonic()
        self.rng = random.Random(opts["seed"])
        self.today = timezone.localdate()
        self.tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self.history_dates = history_dates(self.today, max(0, opts["history_months"]), max(0, opts["history_days"]))
        # casework (contacts, promises) reaches back to the first history run, at least four weeks
        self.history_start = min([*self.history_dates, self.today - dt.timedelta(days=28)])
        self.delinquent_since: dict[str, dt.date] = {}  # loan external id -> first day past due
        self.promise_plans: list[tuple[str, dt.date, dt.date, Decimal]] = []  # (loan, taken, promised, amount)
        n_loans = max(0, opts["loans"])
        with transaction.atomic():
            lenders, products = self._lenders()
            teams, users, passwords = self._teams_and_users(lenders)
            counts = self._loans(n_loans, lenders, products)
        self._print_users(passwords)
        self.stdout.write(
            f"Loaded {counts['borrowers']} borrowers, {counts['loans']} loans, {counts['installments']} installments, "
            f"{counts['payments']} payments in {time.monotonic() - started:.1f} s."
        )
        ran = self._delinquency(self.history_dates)
        if ran:
            allocated = auto_allocate()
            t0 = time.monotonic()
            with transaction.atomic():
                work = self._casework(teams, users)
            with transaction.atomic():
                placed, legal = place_and_litigate(agency=m.Agency.objects.get(name=AGENCY_NAME),
                                                   requester=users[Role.ADMIN][0], checker=users[Role.ADMIN][1])
            self.stdout.write(f"Placed {placed} cases with the demo agency; {legal} legal case opened.")
            self.stdout.write(
                f"Allocated {allocated} more cases; {work['contacts']} contacts, {work['promises']} promises, "
                f"{work['visits']} visits, {work['approvals']} approvals, {work['complaints']} complaints, "
                f"{work['targets']} targets in {time.monotonic() - t0:.1f} s."
            )
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f} s."))

    # --- reference data ------------------------------------------------------------------------

    def _lenders(self):
        lenders, products = [], {}
        for code, name, prods in DEMO_LENDERS:
            lender = m.Lender.objects.create(code=code, name=name, lunch_start=dt.time(12, 0), lunch_end=dt.time(13, 30),
                                             commission_rate=Decimal("0.1500"))
            lenders.append(lender)
            products[lender.id] = [
                m.Product.objects.create(lender=lender, code=pc, name=pn, penalty_daily_rate=Decimal(rate),
                                         late_fee_rate=Decimal(fee), late_fee_min=Decimal(fee_min), grace_days=grace)
                for pc, pn, rate, fee, fee_min, grace in prods
            ]
        return lenders, products

    def _teams_and_users(self, lenders):
        xd, bank = lenders
        team_specs = [("电催一组", xd, "M0,M1,M2", ""), ("电催二组", xd, "M3,M4,M4+", ""), ("银行卡组", bank, "", "")]
        hashes: dict[str, str] = {}
        created: dict[str, list[User]] = {}
        passwords = []
        for role, prefix, count in USERS:
            created[role] = []
            for i in range(1, count + 1):
                username, password = f"{prefix}{i}", DEMO_PASSWORD
                if password not in hashes:
                    hashes[password] = demo_password_hash(password)
                surname = SURNAMES[(i * 7 + len(prefix)) % len(SURNAMES)]
                user, _new = User.objects.get_or_create(
                    username=username,
                    defaults={"role": role, "first_name": GIVEN[(i * 3) % len(GIVEN)] + GIVEN[(i * 5 + 1) % len(GIVEN)],
                              "last_name": surname, "password": hashes[password], "email": f"{username}@demo.invalid"},
                )
                created[role].append(user)
                passwords.append((username, password, user.get_role_display()))
        teams = []
        for idx, (name, lender, buckets, region) in enumerate(team_specs):
            team, _new = Team.objects.get_or_create(
                name=name, defaults={"lender": lender, "buckets": buckets, "region": region,
                                     "supervisor": created[Role.SUPERVISOR][idx]},
            )
            teams.append(team)
        agency = demo_agency(self.today)  # the outside agency and its user (docs/agency.md)
        created[Role.AGENCY] = [agency_user(agency, hashes[DEMO_PASSWORD])]
        passwords.append((AGENCY_USERNAME, DEMO_PASSWORD, created[Role.AGENCY][0].get_role_display()))
        members = [(u, teams[i % 3]) for i, u in enumerate(created[Role.COLLECTOR])]
        members += [(u, teams[i % 3]) for i, u in enumerate(created[Role.FIELD_AGENT])]
        members += [(u, teams[i]) for i, u in enumerate(created[Role.SUPERVISOR])]
        for user, team in members:
            user.team = team
        for i, (user, _team) in enumerate(members):
            if user.role == Role.COLLECTOR and i % 4 == 0:
                user.languages_spoken = "普通话, 粤语"
        User.objects.bulk_update([u for u, _t in members], ["team", "languages_spoken"])
        return teams, created, passwords

    def _print_users(self, passwords):
        self.stdout.write(f"Demo users (every one signs in with the password {DEMO_PASSWORD}):")
        self.stdout.write(f"  {'username':<14} {'password':<14} role")
        for username, password, role in passwords:
            self.stdout.write(f"  {username:<14} {password:<14} {role}")

    # --- the loan book -------------------------------------------------------------------------

    def _person(self):
        rng = self.rng
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        return name

    def _phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(0, 10**8):08d}"

    def _loans(self, n_loans, lenders, products):
        borrowers, loan_specs = self._borrowers(n_loans, lenders, products)
        loans, schedules, payments_by_loan = self._loan_rows(borrowers, loan_specs)
        return self._store_loans(borrowers, loans, schedules, payments_by_loan)

    def _borrowers(self, n_loans, lenders, products):
        """The borrowers with their contact points (stored), and what each of their loans will be:
        (borrower index, lender, product, target state, loan number)."""
        rng = self.rng
        states = [code for code, share, _r in MIX for _ in range(share)]
        borrowers, contact_rows, loan_specs = [], [], []
        b_index = 0
        i = 0
        while i < n_loans:
            lender = lenders[0] if rng.random() < 0.6 else lenders[1]
            region, prefix, place = rng.choice(PLACES)
            b_index += 1
            name = self._person()
            employer = place[:2].rstrip("省市") + rng.choice(["华信", "宏达", "鑫源", "恒通", "金盛", "嘉禾"]) + rng.choice(EMPLOYERS)
            address = f"{place}{rng.choice(STREETS)}{rng.randrange(1, 400)}号{rng.randrange(1, 30)}栋{rng.randrange(101, 2800)}室"
            borrowers.append(m.Borrower(
                lender=lender, external_id=f"C{b_index:07d}", name=name, national_id=make_national_id(rng, prefix),
                address=address, employer=employer, region=region,
                preferred_language="粤语" if region == "华南" and rng.random() < 0.3 else "",
                work_starts_at=dt.time(rng.choice((8, 9, 9, 10)), rng.choice((0, 30))),
                income_day=rng.choice((None, 5, 10, 15, 25)),
                borrower_type=rng.choice(["", "", "", *m.BorrowerType.values]),
            ))
            contacts = [
                (m.ContactKind.PHONE, self._phone(), m.Relation.SELF, name, True),
                (m.ContactKind.ADDRESS, address, m.Relation.SELF, name, True),
                (m.ContactKind.EMPLOYER, employer, m.Relation.EMPLOYER, employer, False),
                (m.ContactKind.PHONE, self._phone(), m.Relation.EMERGENCY,
                 f"{self._person()}（{rng.choice(RELATIONS)}）", False),
            ]
            if rng.random() < 0.3:
                contacts.append((m.ContactKind.PHONE, self._phone(), m.Relation.SELF, name, False))
            if rng.random() < 0.3:
                contacts.append((m.ContactKind.PHONE, self._phone(), m.Relation.GUARANTOR, self._person(), False))
            contact_rows.append(contacts)
            n_for_borrower = 2 if rng.random() < 0.1 else 1
            for _ in range(min(n_for_borrower, n_loans - i)):
                i += 1
                loan_specs.append((len(borrowers) - 1, lender, rng.choice(products[lender.id]), rng.choice(states), i))
        m.Borrower.objects.bulk_create(borrowers, batch_size=BATCH)
        points = [
            m.ContactPoint(borrower=borrowers[bi], kind=kind, value=value, relation=rel, name=pname, is_primary=primary,
                           status=m.ContactStatus.VALID, source=m.ContactSource.IMPORT)
            for bi, rows in enumerate(contact_rows)
            for kind, value, rel, pname, primary in rows
        ]
        m.ContactPoint.objects.bulk_create(points, batch_size=BATCH, ignore_conflicts=True)
        return borrowers, loan_specs

    def _loan_rows(self, borrowers, loan_specs):
        """Each loan with its schedule and the payments made on it (on time up to its target state,
        a part payment on some delinquent ones, and the payments that keep some promises)."""
        rng = self.rng
        dpd_ranges = {code: r for code, _s, r in MIX}
        loans, schedules, payments_by_loan = [], [], []
        for bi, lender, product, state, n in loan_specs:
            principal = Decimal(rng.randrange(30, 2000) * 100)
            term = rng.choice((6, 12, 12, 24, 36))
            rate = Decimal(rng.choice(("0.120000", "0.150000", "0.180000", "0.240000")))
            if state == "settled":
                first_due = add_months(self.today, -term - rng.randrange(1, 6))
                paid_through = term
            elif state == "current":
                first_due = add_months(self.today, -rng.randrange(0, term))
                paid_through = sum(1 for k in range(term) if add_months(first_due, k) < self.today)
            else:
                lo, hi = dpd_ranges[state]
                oldest_unpaid = self.today - dt.timedelta(days=rng.randint(lo, hi))
                paid_through = rng.randrange(0, term)
                first_due = add_months(oldest_unpaid, -paid_through)
                self.delinquent_since[f"{lender.code.upper()}-{n:07d}"] = oldest_unpaid + dt.timedelta(days=1)
            disbursed = add_months(first_due, -1)
            inst = []
            per_principal = money(principal / term)
            interest = money(principal * rate / 12)
            for k in range(term):
                p_due = per_principal if k < term - 1 else principal - per_principal * (term - 1)
                fee = Decimal("20.00") if product.code == "bank-card" else Decimal("0.00")
                inst.append((k + 1, add_months(first_due, k), p_due, interest, fee))
            loans.append(m.Loan(
                lender=lender, borrower=borrowers[bi], product=product, external_id=f"{lender.code.upper()}-{n:07d}",
                principal=principal, disbursed_on=disbursed, annual_rate=rate, term_months=term,
            ))
            schedules.append(inst)
            pays = []
            for _seq, due, p_due, i_due, fee in inst[:paid_through]:
                early = rng.randrange(0, 4)
                pays.append((due - dt.timedelta(days=early), p_due + i_due + fee))
            if state not in ("settled", "current") and rng.random() < 0.35 and paid_through < term:
                _seq, due, p_due, i_due, fee = inst[paid_through]
                part = money((p_due + i_due + fee) * Decimal(rng.choice(("0.2", "0.4", "0.6"))))
                pays.append((min(self.today - dt.timedelta(days=1), due + dt.timedelta(days=rng.randrange(1, 20))), part))
            if state not in ("settled", "current"):
                pays += self._promise_plans(f"{lender.code.upper()}-{n:07d}", inst[paid_through])
            payments_by_loan.append(pays)
        return loans, schedules, payments_by_loan

    def _store_loans(self, borrowers, loans, schedules, payments_by_loan):
        rng = self.rng
        m.Loan.objects.bulk_create(loans, batch_size=BATCH)
        installments = [
            m.Installment(loan=loan, seq=seq, due_date=due, principal_due=p, interest_due=i_, fee_due=fee)
            for loan, inst in zip(loans, schedules, strict=True)
            for seq, due, p, i_, fee in inst
        ]
        m.Installment.objects.bulk_create(installments, batch_size=BATCH)
        channels = ["银行转账", "支付宝", "微信支付", "代扣", "柜台"]
        payments = []
        for loan, pays in zip(loans, payments_by_loan, strict=True):
            for k, (paid_on, amount) in enumerate(pays, start=1):
                payments.append(m.Payment(
                    lender_id=loan.lender_id, loan=loan, external_id=f"{loan.external_id}-P{k:03d}",
                    paid_on=min(paid_on, self.today), amount=amount, channel=rng.choice(channels),
                    source=m.Payment.Source.IMPORT,
                ))
        m.Payment.objects.bulk_create(payments, batch_size=BATCH)
        return {"borrowers": len(borrowers), "loans": len(loans), "installments": len(installments),
                "payments": len(payments)}
    def _promise_plans(self, loan_id: str, oldest_unpaid) -> list[tuple[dt.date, Decimal]]:
        """Promises this delinquent loan's borrower will have made in the history window, and the
        payments that kept (or partly kept) some of them. The payments exist before the engine runs,
        so the loan's history reflects them; the promises are written with the casework and judged
        then by the product's own rule."""
        rng = self.rng
        start = max(self.delinquent_since[loan_id], self.history_start)
        days = (self.today - start).days
        if days < 2 or rng.random() >= 0.55:
            return []
        _seq, _due, p_due, i_due, fee = oldest_unpaid
        pays = []
        for _k in range(rng.choice((1, 1, 2))):
            taken = start + dt.timedelta(days=rng.randrange(0, days))
            promised = taken + dt.timedelta(days=rng.randrange(1, 10))
            amount = money((p_due + i_due + fee) * Decimal(rng.choice(("0.5", "1", "1"))))
            self.promise_plans.append((loan_id, taken, promised, amount))
            intent = rng.choices(("kept", "partly", "broken"), (35, 20, 45))[0]
            if intent != "broken":
                last = min(promised, self.today - dt.timedelta(days=1))
                paid_on = taken + dt.timedelta(days=rng.randrange(0, (last - taken).days + 1))
                pays.append((paid_on, amount if intent == "kept" else money(amount / 2)))
        return pays

    # --- the engine ----------------------------------------------------------------------------

    def _delinquency(self, dates: list[dt.date]) -> bool:
        for as_of in [*dates, self.today]:
            t0 = time.monotonic()
            run = run_delinquency(as_of=as_of, triggered_by="seed_demo")
            self.stdout.write(
                f"Delinquency run {as_of}: {run.loans_processed} loans, {run.bucket_changes} bucket changes, "
                f"{run.cases_opened} cases opened, {run.cases_closed} closed in {time.monotonic() - t0:.1f} s."
            )
        return True
