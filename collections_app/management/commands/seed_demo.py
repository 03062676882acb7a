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
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, Team, User
from collections_app import models as m
from collections_app.domain.complaints import complaint_due_on
from collections_app.management.commands._demo_escalation import (
    AGENCY_NAME,
    AGENCY_USERNAME,
    agency_user,
    demo_agency,
    place_and_litigate,
)
from collections_app.services.allocation import add_working_days
from collections_app.services.rows import update_rows

BATCH = 1000
# Every demo user signs in with this password. Demo data is for trying the product on the embedded
# database only; the README lists the users (tests/foundation/test_readme_logins.py keeps them in step).
DEMO_PASSWORD = "demo-pass"
CENT = Decimal("0.01")
DEMO_LENDERS = (
    ("demo-xd", "示范小额贷款有限公司", [("xd-biz", "经营贷", "0.000500", "0.0500", "50.00", 3),
                                    ("xd-consumer", "消费贷", "0.000600", "0.0300", "30.00", 0)]),
    ("demo-bank", "示范银行信用卡中心", [("bank-card", "信用卡分期", "0.000500", "0.0500", "10.00", 3)]),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文辉海燕鹏飞晓东春梅雪丹宇浩然子涵欣怡俊"
PLACES = [
    # (region, id prefix, province/city/district)
    ("华北", "110105", "北京市朝阳区"), ("华北", "110108", "北京市海淀区"), ("华北", "120101", "天津市和平区"),
    ("华东", "310104", "上海市徐汇区"), ("华东", "320102", "江苏省南京市玄武区"), ("华东", "330106", "浙江省杭州市西湖区"),
    ("华南", "440305", "广东省深圳市南山区"), ("华南", "440106", "广东省广州市天河区"), ("华南", "350203", "福建省厦门市思明区"),
    ("西南", "510104", "四川省成都市锦江区"), ("西南", "500103", "重庆市渝中区"), ("华中", "420106", "湖北省武汉市武昌区"),
]
STREETS = ["人民路", "建设路", "解放大道", "中山路", "和平街", "新华路", "长江路", "青年路", "光明街", "胜利路"]
EMPLOYERS = ["科技有限公司", "商贸有限公司", "建筑工程有限公司", "餐饮管理有限公司", "物流有限公司", "服装厂",
             "汽车维修中心", "装饰工程有限公司", "超市", "医药连锁有限公司"]
RELATIONS = ["配偶", "父亲", "母亲", "兄弟", "姐妹", "同事", "朋友"]
PHONE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159",
                  "166", "176", "177", "180", "181", "186", "187", "188", "189", "191", "199"]
# target state of a loan -> (share, DPD range)
MIX = [("settled", 5, None), ("current", 25, None), ("M0", 15, (1, 30)), ("M1", 12, (31, 60)), ("M2", 10, (61, 90)),
       ("M3", 9, (91, 120)), ("M4", 8, (121, 150)), ("M4+", 16, (151, 700))]
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
USERS = (
    # role, username prefix, count, team index per user (None = no team)
    (Role.ADMIN, "admin", 2),
    (Role.SUPERVISOR, "supervisor", 3),
    (Role.COLLECTOR, "collector", 12),
    (Role.FIELD_AGENT, "agent", 3),
)
OUTCOMES = [(m.Outcome.NO_ANSWER, 30), (m.Outcome.BUSY, 8), (m.Outcome.SWITCHED_OFF, 8), (m.Outcome.RPC, 20),
            (m.Outcome.PROMISE, 12), (m.Outcome.REFUSED, 6), (m.Outcome.THIRD_PARTY, 8), (m.Outcome.WRONG_NUMBER, 4),
            (m.Outcome.DISPUTE, 2)]


def national_id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def make_national_id(rng: random.Random, prefix: str) -> str:
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 38))
    body = f"{prefix}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return body + national_id_check_digit(body)


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)


def demo_password_hash(password: str) -> str:
    """A valid PBKDF2 hash with few iterations (fast to seed); Django re-hashes it at full
    strength on the user's first login."""
    hasher = get_hasher()
    if not isinstance(hasher, PBKDF2PasswordHasher):
        return make_password(password)
    return hasher.encode(password, hasher.salt(), iterations=20_000)


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def history_dates(today: dt.date, months: int, days: int = 0) -> list[dt.date]:
    """Business dates for the history runs: the last day of each of the ``months`` months before
    ``today``'s month (so a month's roll rates compare its first and last day), plus ``today - days``."""
    first = today.replace(day=1)
    dates = {add_months(first, -k + 1) - dt.timedelta(days=1) for k in range(1, months + 1)}
    if days > 0:
        dates.add(today - dt.timedelta(days=days))
    return sorted(d for d in dates if d < today)


class Command(BaseCommand):
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
            from collections_app.services.allocation import auto_allocate

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
        rng = self.rng
        states = [code for code, share, _r in MIX for _ in range(share)]
        dpd_ranges = {code: r for code, _s, r in MIX}
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
        try:
            from collections_app.services.nightly import run_delinquency
        except ImportError:
            self.stdout.write(self.style.WARNING("The delinquency engine is not installed: run skipped, no cases."))
            return False
        for as_of in [*dates, self.today]:
            t0 = time.monotonic()
            run = run_delinquency(as_of=as_of, triggered_by="seed_demo")
            self.stdout.write(
                f"Delinquency run {as_of}: {run.loans_processed} loans, {run.bucket_changes} bucket changes, "
                f"{run.cases_opened} cases opened, {run.cases_closed} closed in {time.monotonic() - t0:.1f} s."
            )
        return True

    # --- work on the open cases ----------------------------------------------------------------

    def _at(self, day: dt.date, hour: int, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=self.tz)

    def _case_spans(self, cases) -> tuple[dict, dict]:
        """Each case's life in business dates: from the first day its loans were past due to the
        day the run that closed it ran for (today while open). Cases opened by the runs at
        past dates get those dates, not the moment the seed ran."""
        ext_by_case: dict[int, list[str]] = {}
        loan_case = {}
        for case_id, ext in m.Loan.objects.filter(case_id__in=[c["id"] for c in cases]).values_list(
            "case_id", "external_id"
        ):
            ext_by_case.setdefault(case_id, []).append(ext)
            loan_case[ext] = case_id
        cured_on: dict[int, dt.date] = {}
        closed = {c["id"] for c in cases if c["status"] == m.CaseStatus.CLOSED}
        for case_id, on_date in m.BucketHistory.objects.filter(
            loan__case_id__in=closed, to_bucket="CURRENT"
        ).values_list("loan__case_id", "on_date"):
            cured_on[case_id] = max(on_date, cured_on.get(case_id, on_date))
        spans = {}
        for c in cases:
            starts = [self.delinquent_since[e] for e in ext_by_case.get(c["id"], []) if e in self.delinquent_since]
            begin = min(starts, default=self.today)
            end = cured_on.get(c["id"], self.today) if c["id"] in closed else self.today
            spans[c["id"]] = (begin, max(begin, end))
        return spans, loan_case

    def _casework(self, teams, users):
        from collections_app.services.promises import judge

        rng = self.rng
        now = timezone.now()
        cases = list(
            m.CollectionCase.objects.filter(assigned_to__isnull=False)
            .order_by("id")
            .values("id", "borrower_id", "assigned_to_id", "dpd", "overdue_amount", "lender_id", "bucket", "status")
        )
        spans, loan_case = self._case_spans(cases)
        phones = {}
        for cp_id, borrower_id, value in m.ContactPoint.objects.filter(
            kind=m.ContactKind.PHONE, relation=m.Relation.SELF, is_primary=True,
            borrower_id__in=[c["borrower_id"] for c in cases],
        ).values_list("id", "borrower_id", "value"):
            phones[borrower_id] = (cp_id, value)
        plans_by_case: dict[int, list] = {}
        for loan_ext, taken, promised, amount in self.promise_plans:
            if loan_ext in loan_case:
                plans_by_case.setdefault(loan_case[loan_ext], []).append((taken, promised, amount))
        paid: dict[tuple[int, int], list] = {}
        for borrower_id, lender_id, paid_on, amount in m.Payment.objects.filter(
            loan__borrower_id__in={c["borrower_id"] for c in cases}, paid_on__gte=self.history_start,
        ).values_list("loan__borrower_id", "lender_id", "paid_on", "amount"):
            paid.setdefault((borrower_id, lender_id), []).append((paid_on, amount))

        outcomes, weights = zip(*[(o, w) for o, w in OUTCOMES if o != m.Outcome.PROMISE], strict=True)
        notes = ["", "客户称本周内处理", "无人接听", "已告知逾期后果及征信影响", "客户情绪激动，稍后再联系"]
        logs, promises, case_updates, worked = [], [], [], set()
        for c in cases:
            begin, end = spans[c["id"]]
            opened = self._at(begin, 1, 30)
            assigned = self._at(begin, 9, 0)
            update = m.CollectionCase(id=c["id"], opened_at=opened, assigned_at=assigned,
                                      first_contact_due_at=assigned + dt.timedelta(hours=2),
                                      closed_at=self._at(end, 1, 30) if c["status"] == m.CaseStatus.CLOSED else None)
            case_updates.append(update)
            recent = (self.today - begin).days <= 10
            if c["status"] == m.CaseStatus.OPEN and rng.random() < (0.4 if recent else 0.03):
                continue  # not worked yet: the SLA table has something to show
            worked.add(c["id"])
            first_day = max(begin, self.history_start)
            span = (end - first_day).days + 1
            days = sorted(rng.sample(range(span), min(span, 2 + span // 10, 10)))
            if first_day == begin and 0 not in days:
                days[0] = 0  # a case is called on its first day
            case_logs = []
            cp = phones.get(c["borrower_id"])
            for offset in days:
                day = first_day + dt.timedelta(days=offset)
                at = self._at(day, rng.randrange(9, 20), rng.randrange(0, 60))
                if at > now:
                    continue
                outcome = rng.choices(outcomes, weights)[0]
                if outcome == m.Outcome.THIRD_PARTY and (day - begin).days < 61:
                    outcome = m.Outcome.NO_ANSWER  # third parties only from M2 (the lenders' default)
                case_logs.append(self._log(c, cp, outcome, at, rng.choice(notes)))
            for taken, promised, amount in plans_by_case.get(c["id"], []):
                if not begin <= taken <= end:
                    continue
                at = self._at(taken, rng.randrange(10, 19), rng.randrange(0, 60))
                if at > now:
                    continue
                log = self._log(c, cp, m.Outcome.PROMISE, at, "客户承诺还款")
                case_logs.append(log)
                until = min(promised, self.today)
                total = sum((a for d, a in paid.get((c["borrower_id"], c["lender_id"]), []) if taken <= d <= until),
                            Decimal("0"))
                status = judge(amount, total, promised, self.today)
                promises.append(m.PromiseToPay(
                    case_id=c["id"], borrower_id=c["borrower_id"], contact=log, amount=amount, promised_date=promised,
                    status=status, paid_amount=total,
                    resolved_on=None if status == m.PromiseStatus.PENDING else until,
                    created_by_id=c["assigned_to_id"],
                ))
            if not case_logs:
                continue
            logs += case_logs
            first = min(case_logs, key=lambda log: log.occurred_at)
            last = max(case_logs, key=lambda log: log.occurred_at)
            update.first_worked_at, update.last_contact_at, update.last_outcome = (
                first.occurred_at, last.occurred_at, last.outcome)
        m.ContactLog.objects.bulk_create(logs, batch_size=BATCH)
        update_rows(m.CollectionCase, case_updates, ["opened_at", "assigned_at", "first_contact_due_at", "closed_at",
                                                     "first_worked_at", "last_contact_at", "last_outcome"])
        # one open promise per case: of several, the latest taken stays pending, the others were replaced
        latest = {}
        for p in sorted(promises, key=lambda p: p.contact.occurred_at):
            if p.status == m.PromiseStatus.PENDING:
                if p.case_id in latest:
                    latest[p.case_id].status = m.PromiseStatus.REPLACED
                    latest[p.case_id].resolved_on = p.contact.occurred_at.astimezone(self.tz).date()
                latest[p.case_id] = p
        m.PromiseToPay.objects.bulk_create(promises, batch_size=BATCH)
        for p in promises:
            p.created_at = p.contact.occurred_at
        update_rows(m.PromiseToPay, promises, ["created_at"])
        self._borrower_promise_record(promises)

        agents = users[Role.FIELD_AGENT]
        supervisors = {t.id: t.supervisor_id for t in teams}
        team_of = dict(User.objects.filter(id__in={c["assigned_to_id"] for c in cases}).values_list("id", "team_id"))
        visits, approvals, complaints = [], [], []
        last_worked = max(worked, default=None)
        for c in cases:
            if c["id"] not in worked:
                continue
            collector_id = c["assigned_to_id"]
            supervisor_id = supervisors.get(team_of.get(collector_id))
            roll = rng.random()
            if roll > 0.985 or (not complaints and c["id"] == last_worked):  # at least one on any book
                begin, end = spans[c["id"]]
                first_day = max(begin, self.history_start)
                day = first_day + dt.timedelta(days=rng.randrange(0, (end - first_day).days + 1))
                received_at = min(now, self._at(day, 16, 0))
                resolved = day < self.today - dt.timedelta(days=14)
                complaints.append(m.Complaint(
                    case_id=c["id"], borrower_id=c["borrower_id"], against_user_id=collector_id, channel="电话",
                    description="客户投诉催收频率过高", received_at=received_at,
                    status=m.ComplaintStatus.RESOLVED if resolved else m.ComplaintStatus.OPEN,
                    due_on=complaint_due_on(day), owner_id=supervisor_id or None,
                    resolved_at=received_at + dt.timedelta(days=3) if resolved else None,
                    resolved_by_id=supervisor_id if resolved else None,
                    resolution="已回电致歉，调整联系频率" if resolved else "",
                ))
            if c["status"] != m.CaseStatus.OPEN:
                continue
            if c["bucket"] in ("M1", "M2", "M3") and roll < 0.08:
                agent = rng.choice(agents)
                handed = self.today - dt.timedelta(days=rng.randrange(0, 6))
                done = roll < 0.04
                visits.append(m.FieldVisit(
                    case_id=c["id"], requested_by_id=collector_id, agent=agent,
                    status=m.VisitStatus.DONE if done else m.VisitStatus.APPROVED, handed_over_on=handed,
                    due_on=add_working_days(handed, 2), reason="电话失联，上门核实",
                    visited_at=self._at(add_working_days(handed, 1), 15, 0) if done else None,
                    met_whom="本人" if done else "", place="住所" if done else "",
                    agreement="承诺月底前还款" if done else "", signed_acknowledgement=done,
                ))
            if c["bucket"] in ("M4", "M4+") and roll < 0.1:
                kind = m.ApprovalKind.AGENCY if c["overdue_amount"] < 20000 else m.ApprovalKind.LITIGATION
                decided = roll < 0.04 and supervisor_id
                approvals.append(m.ApprovalRequest(
                    kind=kind, case_id=c["id"], requested_by_id=collector_id, reason="电催无效，建议升级处理",
                    status=m.ApprovalStatus.APPROVED if decided else m.ApprovalStatus.PENDING,
                    decided_by_id=supervisor_id if decided else None, decided_at=now if decided else None,
                    decision_note="同意" if decided else "",
                ))
            elif c["bucket"] == "M4+" and 0.1 <= roll < 0.13:
                approvals.append(m.ApprovalRequest(kind=m.ApprovalKind.WRITE_OFF, case_id=c["id"],
                                                   requested_by_id=collector_id, reason="失联两年以上，建议核销"))
        m.FieldVisit.objects.bulk_create(visits, batch_size=BATCH)
        for agent in agents:
            ids = [v.case_id for v in visits if v.agent_id == agent.id]
            m.CollectionCase.objects.filter(id__in=ids).update(field_agent=agent)
        # one pending request per case and kind: the nightly run may already have proposed it
        pending = set(m.ApprovalRequest.objects.filter(status=m.ApprovalStatus.PENDING, case__isnull=False)
                      .values_list("case_id", "kind"))
        approvals = [a for a in approvals if a.status != m.ApprovalStatus.PENDING or (a.case_id, a.kind) not in pending]
        m.ApprovalRequest.objects.bulk_create(approvals, batch_size=BATCH)
        m.Complaint.objects.bulk_create(complaints, batch_size=BATCH)
        targets = self._targets(teams, users)
        return {"contacts": len(logs), "promises": len(promises), "visits": len(visits), "approvals": len(approvals),
                "complaints": len(complaints), "targets": targets}

    def _log(self, c, cp, outcome, at, note) -> m.ContactLog:
        conversation = outcome in m.CONVERSATION_OUTCOMES
        return m.ContactLog(
            case_id=c["id"], borrower_id=c["borrower_id"], user_id=c["assigned_to_id"], channel=m.Channel.PHONE,
            outcome=outcome, contact_point_id=cp[0] if cp else None, number_used=cp[1] if cp else "",
            is_third_party=outcome == m.Outcome.THIRD_PARTY, is_attempt=True, is_conversation=conversation,
            occurred_at=at, note=note,
            overdue_reason=self.rng.choice(["", *m.OverdueReason.values]) if conversation else "",
        )

    def _borrower_promise_record(self, promises):
        record: dict[int, list] = {}
        for p in promises:
            r = record.setdefault(p.borrower_id, [0, 0, 0, Decimal("0"), Decimal("0")])
            if p.status == m.PromiseStatus.REPLACED:  # renewed by a later one: counted once, as that one
                continue
            r[0] += 1
            r[1] += p.status == m.PromiseStatus.KEPT
            r[2] += p.status == m.PromiseStatus.BROKEN
            if p.status != m.PromiseStatus.PENDING:
                r[3] += p.amount
                r[4] += p.paid_amount
        borrowers = [
            m.Borrower(id=bid, promises_made=r[0], promises_kept=r[1], promises_broken=r[2], promised_amount_total=r[3],
                       kept_amount_total=r[4])
            for bid, r in record.items()
        ]
        update_rows(m.Borrower, borrowers,
                    ["promises_made", "promises_kept", "promises_broken", "promised_amount_total", "kept_amount_total"])

    def _targets(self, teams, users) -> int:
        """Monthly targets for this month and every history month (team: 15 % of its open overdue)."""
        months = sorted({d.replace(day=1) for d in [self.history_start, *self.history_dates, self.today]
                         if d >= self.history_start})
        overdue = {
            row["team_id"]: row["total"] or Decimal("0")
            for row in m.CollectionCase.objects.filter(status=m.CaseStatus.OPEN, team__in=teams)
            .values("team_id").annotate(total=Sum("overdue_amount"))
        }
        setter = users[Role.ADMIN][0]
        rows = []
        for month in months:
            for team in teams:
                amount = money(overdue.get(team.id, Decimal("0")) * Decimal("0.15"))
                rows.append(m.Target(period="month", period_start=month, team=team, amount=amount, set_by=setter))
                members = [u for u in users[Role.COLLECTOR] if u.team_id == team.id]
                for u in members:
                    rows.append(m.Target(period="month", period_start=month, collector=u,
                                         amount=money(amount / max(len(members), 1)), set_by=setter))
        m.Target.objects.bulk_create(rows)
        return len(rows)
