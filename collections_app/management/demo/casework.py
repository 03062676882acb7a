"""The casework of ``manage.py seed_demo`` on the cases the engine opened: each case's life in business
dates, contacts over it, promises judged by the product's own rule, then complaints, field visits and
escalation requests, and monthly targets. A mixin of the command: it shares the command's random
generator, so the same seed gives the same data."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from accounts.models import Role, User
from collections_app import models as m
from collections_app.domain.complaints import complaint_due_on
from collections_app.services.allocation import add_working_days
from collections_app.services.promises import judge
from collections_app.services.rows import update_rows

from .reference import BATCH, OUTCOMES, money

CALL_NOTES = ["", "客户称本周内处理", "无人接听", "已告知逾期后果及征信影响", "客户情绪激动，稍后再联系"]


class Casework:
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
        now = timezone.now()
        cases = list(
            m.CollectionCase.objects.filter(assigned_to__isnull=False)
            .order_by("id")
            .values("id", "borrower_id", "assigned_to_id", "dpd", "overdue_amount", "lender_id", "bucket", "status")
        )
        spans, loan_case = self._case_spans(cases)
        logs, promises, worked = self._contacts(cases, spans, loan_case, now)
        self._store_promises(promises)
        visits, approvals, complaints = self._escalations(cases, spans, worked, teams, users, now)
        targets = self._targets(teams, users)
        return {"contacts": len(logs), "promises": len(promises), "visits": len(visits), "approvals": len(approvals),
                "complaints": len(complaints), "targets": targets}

    def _contacts(self, cases, spans, loan_case, now):
        """Calls over each worked case's life (a few days of it, the first day always) and the promises
        planned with the loans, judged against the payments made; the cases' contact stamps follow.
        Some new cases stay unworked, for the SLA table."""
        rng = self.rng
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
            cp = phones.get(c["borrower_id"])
            case_logs = self._calls(c, cp, begin, first_day, days, now)
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
        update_rows(model=m.CollectionCase, objs=case_updates, fields=["opened_at", "assigned_at", "first_contact_due_at", "closed_at",
                                                     "first_worked_at", "last_contact_at", "last_outcome"])
        return logs, promises, worked

    def _calls(self, c, cp, begin, first_day, days, now) -> list[m.ContactLog]:
        """The case's calls on those days (none later than now); third parties only from the 61st day."""
        rng = self.rng
        outcomes, weights = zip(*[(o, w) for o, w in OUTCOMES if o != m.Outcome.PROMISE], strict=True)
        logs = []
        for offset in days:
            day = first_day + dt.timedelta(days=offset)
            at = self._at(day, rng.randrange(9, 20), rng.randrange(0, 60))
            if at > now:
                continue
            outcome = rng.choices(outcomes, weights)[0]
            if outcome == m.Outcome.THIRD_PARTY and (day - begin).days < 61:
                outcome = m.Outcome.NO_ANSWER  # third parties only from M2 (the lenders' default)
            logs.append(self._log(c, cp, outcome, at, rng.choice(CALL_NOTES)))
        return logs

    def _store_promises(self, promises) -> None:
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
        update_rows(model=m.PromiseToPay, objs=promises, fields=["created_at"])
        self._borrower_promise_record(promises)

    def _escalations(self, cases, spans, worked, teams, users, now):
        """On some worked cases: a complaint (at least one on any book); on open ones a field visit
        (M1–M3) or an agency / litigation / write-off request (M4, M4+)."""
        rng = self.rng
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
        return visits, approvals, complaints

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
        update_rows(model=m.Borrower, objs=borrowers,
                    fields=["promises_made", "promises_kept", "promises_broken", "promised_amount_total", "kept_amount_total"])

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
