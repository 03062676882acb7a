"""PostgreSQL set-based case lifecycle and strategy actions for one chunk of the nightly run.

The same rules as the Python backend's ``nightly/python/cases.py`` (which SQLite runs, and which the
tests run against the same books on PostgreSQL to check that both agree), written as a handful of
statements over the whole chunk: no row is fetched into Python.

* ``sync_cases``: one temp table ``dq_keys`` with one row per (borrower, lender) of the chunk (is any
  loan delinquent, the worst bucket, DPD and amounts), then reopen / open / update / close / link
  statements over it.
* ``apply_strategy``: the active rules become a ``VALUES`` list joined to the open cases; the actions
  not created yet (and their approval requests) are inserted in one statement.

History (django-simple-history) is written for state changes that matter (a case opened, reopened,
closed, or moving stage/bucket; every approval request created), in bulk ``INSERT … SELECT``. The
daily drift of DPD and amounts is not a history event: the loans' bucket history records it.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import connection

from collections_app.domain.actions import CASE_CLOSED, NEWER_OF_KIND, system_how
from collections_app.models import (
    AgencyPlacement,
    ApprovalRequest,
    CaseAction,
    CollectionCase,
    ContactPoint,
    Loan,
    StrategyRule,
)
from collections_app.models.choices import (
    ActionStatus,
    ApprovalStatus,
    CaseCloseReason,
    CaseStatus,
    LoanStatus,
    Relation,
)
from collections_app.models.parties import Borrower
from collections_app.services.actions import next_action_sql
from collections_app.services.daily_figures import mark_changed_payment_days

from ..rules import COLLECTOR_TIME_ACTIONS, LAPSED_BLOCKS, current_bucket, reminder_only_buckets
from ..scope import Scope

HISTORY_REASON = "delinquency run"
ANALYZE_AFTER = 1000  # rows inserted by one statement, after which the table's statistics are refreshed


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _t(model) -> str:
    return _q(model._meta.db_table)


def insert_columns(model, overrides: dict[str, str]) -> tuple[list[str], list[str], list]:
    """Columns, SQL expressions and parameters to INSERT a row of ``model`` by SQL: ``overrides``
    (column → expression) first, then each other field's default (Django keeps defaults in Python)."""
    cols, exprs, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        col = field.column
        cols.append(_q(col))
        if col in overrides:
            exprs.append(overrides[col])
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            exprs.append("NOW()")
        elif field.has_default() or (not field.null and field.empty_strings_allowed):
            exprs.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
        elif field.null:
            exprs.append("NULL")
        else:
            raise ValueError(f"{model.__name__}.{field.name} needs a value")
    return cols, exprs, params


def history_columns(model, alias: str, history_type: str) -> tuple[list[str], list[str]]:
    """Columns and expressions of django-simple-history rows for ``model`` rows read as ``alias``."""
    assert history_type in ("+", "~", "-")
    fixed = {"history_date": "NOW()", "history_type": f"'{history_type}'",
             "history_change_reason": f"'{HISTORY_REASON}'", "history_user_id": "NULL"}
    source_cols = {f.column for f in model._meta.concrete_fields}
    cols, exprs = [], []
    for field in model.history.model._meta.concrete_fields:
        col = field.column
        if col == "history_id":
            continue
        cols.append(_q(col))
        exprs.append(fixed.get(col) or (f"{alias}.{_q(col)}" if col in source_cols else "NULL"))
    return cols, exprs


def write_history(cursor, model, source_sql: str, params: list, history_type: str) -> None:
    """Historical rows (django-simple-history) for the rows ``source_sql`` selects."""
    cols, exprs = history_columns(model, "s", history_type)
    cursor.execute(
        f"INSERT INTO {_t(model.history.model)} ({', '.join(cols)}) SELECT {', '.join(exprs)} FROM ({source_sql}) s",
        params,
    )


def _bucket_values(buckets) -> tuple[str, list]:
    rows = ", ".join(["(%s, %s::int, %s::numeric)"] * len(buckets))
    return rows, [x for b in buckets for x in (b.code, b.position, Decimal(str(b.risk_weight)))]


ACTIVE = (str(CaseStatus.OPEN), str(CaseStatus.SUSPENDED))
# a case's priority from its keys row ``k``, its borrower ``b`` and its bucket's weight ``w``
# (as nightly.python.cases.priority: overdue × risk weight × (1 + promise shortfall + broken promises / 10))
CASE_PRIORITY = """ROUND(k.overdue * COALESCE(w.weight, 1) * (
                           1 + CASE WHEN b.promised_amount_total <> 0
                                    THEN 1 - LEAST(b.kept_amount_total / b.promised_amount_total, 1) ELSE 0 END
                             + LEAST(b.promises_broken, 5) / 10.0), 4)"""


def build_keys(cursor, scope, as_of: dt.date, buckets) -> None:
    """Temp table ``dq_keys``: one row per (borrower, lender) of the chunk's evaluated loans."""
    where, params = scope.sql("l")
    rows, bucket_params = _bucket_values(buckets)
    statuses = [str(LoanStatus.OPEN), str(LoanStatus.SETTLED), str(LoanStatus.WRITTEN_OFF)]
    cursor.execute("DROP TABLE IF EXISTS dq_keys")
    cursor.execute(
        f"""
        CREATE TEMP TABLE dq_keys ON COMMIT DROP AS
        SELECT l.borrower_id, l.lender_id,
               bool_or(l.bad) AS bad,
               bool_and(l.status = %s) AS all_settled,
               COALESCE(MAX(l.dpd) FILTER (WHERE l.bad), 0) AS dpd,
               COALESCE(SUM(l.overdue_amount) FILTER (WHERE l.bad), 0) AS overdue,
               COALESCE(SUM(l.outstanding_amount) FILTER (WHERE l.bad), 0) AS outstanding_bad,
               COALESCE(SUM(l.outstanding_amount), 0) AS outstanding_all,
               (array_agg(l.bucket ORDER BY COALESCE(b.pos, 0) DESC, l.dpd DESC) FILTER (WHERE l.bad))[1] AS bucket,
               MAX(l.aging_days) FILTER (WHERE l.bad) AS aging,
               MIN(l.oldest_unpaid_due_date) FILTER (WHERE l.bad) AS episode,
               COALESCE(bool_and(l.as_of = %s) FILTER (WHERE l.bad), FALSE) AS current,
               array_agg(DISTINCT l.product_id) FILTER (WHERE l.bad AND l.product_id IS NOT NULL) AS products
        FROM (
            SELECT l.borrower_id, l.lender_id, l.status, l.dpd, l.aging_days, l.bucket, l.overdue_amount,
                   l.outstanding_amount, l.oldest_unpaid_due_date, l.as_of, l.product_id,
                   (l.dpd > 0 AND l.status <> %s) AS bad
            FROM {_t(Loan)} l WHERE {where} AND l.status = ANY(%s)
        ) l
        LEFT JOIN (VALUES {rows}) AS b(code, pos, weight) ON b.code = l.bucket
        GROUP BY l.borrower_id, l.lender_id
        """,
        [str(LoanStatus.SETTLED), as_of, str(LoanStatus.SETTLED), *params, statuses, *bucket_params],
    )
    cursor.execute("CREATE INDEX ON dq_keys (borrower_id, lender_id)")
    # statistics for the columns the statements join and filter on only (the others, arrays among
    # them, cost half of the ANALYZE and no plan reads them)
    cursor.execute("ANALYZE dq_keys (borrower_id, lender_id, bad, current)")


def sync_cases(*, scope: Scope, as_of: dt.date, buckets) -> tuple[int, int]:
    """Open, reopen, update and close the chunk's cases. Returns (opened, closed)."""
    cases = _t(CollectionCase)
    with connection.cursor() as cursor:
        build_keys(cursor, scope, as_of, buckets)
        # the chunk as a predicate on each table read, so that every statement reads the chunk's rows
        # through an index instead of scanning the whole table for each chunk
        sc, sp = scope.sql("c")
        s2, sp2 = scope.sql("c2")
        sb, sbp = scope.sql_on("b.id")
        # with the chunk's own range: without it the anti-join read the case index from its start up to
        # the chunk (the whole index for the last chunk)
        sa, sap = scope.sql("ac")
        active_case = (f"SELECT 1 FROM {cases} ac WHERE ac.borrower_id = k.borrower_id AND ac.lender_id = k.lender_id "
                       f"AND ac.status IN %s AND {sa}")
        # a re-delinquent borrower: reopen the last case closed as cured or settled, history intact
        cursor.execute(
            f"""
            WITH last_closed AS (
                SELECT DISTINCT ON (c.borrower_id, c.lender_id) c.id
                FROM dq_keys k JOIN {cases} c ON c.borrower_id = k.borrower_id AND c.lender_id = k.lender_id
                WHERE k.bad AND NOT EXISTS ({active_case}) AND c.status = %s AND c.close_reason IN %s AND {sc}
                ORDER BY c.borrower_id, c.lender_id, c.closed_at DESC NULLS FIRST, c.id DESC
            )
            UPDATE {cases} c SET status = %s, close_reason = '', closed_at = NULL, first_contact_due_at = NULL,
                   updated_at = NOW()
            FROM last_closed x WHERE c.id = x.id AND {sc} RETURNING c.id
            """,
            [ACTIVE, *sap, str(CaseStatus.CLOSED), (str(CaseCloseReason.CURED), str(CaseCloseReason.SETTLED)), *sp,
             str(CaseStatus.OPEN), *sp],
        )
        reopened = [r[0] for r in cursor.fetchall()]
        # a new case is written with its figures (those the next statement sets): a first night opens
        # hundreds of thousands of cases, and writing each again rewrote its row and its indexes
        rows, bucket_params = _bucket_values(buckets)
        cols, exprs, params = insert_columns(CollectionCase, {
            "borrower_id": "k.borrower_id", "lender_id": "k.lender_id", "status": f"'{CaseStatus.OPEN}'",
            "bucket": "k.bucket", "stage": "k.bucket", "dpd": "k.dpd", "overdue_amount": "k.overdue",
            "outstanding_amount": "k.outstanding_bad", "priority_score": CASE_PRIORITY,
        })
        cursor.execute(
            f"""
            INSERT INTO {cases} ({', '.join(cols)})
            SELECT {', '.join(exprs)}
            FROM dq_keys k JOIN {_t(Borrower)} b ON b.id = k.borrower_id
            LEFT JOIN (VALUES {rows}) AS w(code, pos, weight) ON w.code = k.bucket
            WHERE k.bad AND NOT EXISTS ({active_case})
            RETURNING id
            """,
            [*params, *bucket_params, ACTIVE, *sap],
        )
        created = [r[0] for r in cursor.fetchall()]
        _analyze_if_grown(cursor, CollectionCase, len(created))

        # figures of the active cases with delinquent loans: the worst loan's bucket and DPD, sums
        cursor.execute(
            f"""
            UPDATE {cases} c SET bucket = x.bucket, stage = x.bucket, dpd = x.dpd, overdue_amount = x.overdue,
                   outstanding_amount = x.outstanding_bad, priority_score = x.priority, updated_at = NOW()
            FROM (
                SELECT c2.id, c2.bucket AS old_bucket, c2.stage AS old_stage, k.bucket, k.dpd, k.overdue,
                       k.outstanding_bad, {CASE_PRIORITY} AS priority
                FROM dq_keys k
                JOIN {cases} c2 ON c2.borrower_id = k.borrower_id AND c2.lender_id = k.lender_id AND c2.status IN %s
                JOIN {_t(Borrower)} b ON b.id = k.borrower_id
                LEFT JOIN (VALUES {rows}) AS w(code, pos, weight) ON w.code = k.bucket
                WHERE k.bad AND {s2} AND {sb}
            ) x
            WHERE c.id = x.id AND {sc} AND (c.bucket <> x.bucket OR c.stage <> x.bucket OR c.dpd <> x.dpd
                                   OR c.overdue_amount <> x.overdue OR c.outstanding_amount <> x.outstanding_bad
                                   OR c.priority_score <> x.priority)
            RETURNING c.id, (x.old_bucket <> c.bucket OR x.old_stage <> c.stage)
            """,
            [ACTIVE, *bucket_params, *sp2, *sbp, *sp],
        )
        moved = [r[0] for r in cursor.fetchall() if r[1]]
        # cured or settled: close, with the reason
        cursor.execute(
            f"""
            UPDATE {cases} c SET status = %s,
                   close_reason = CASE WHEN k.all_settled THEN %s ELSE %s END, closed_at = NOW(),
                   dpd = 0, overdue_amount = 0, outstanding_amount = k.outstanding_all, bucket = %s,
                   next_action = '', next_action_at = NULL, updated_at = NOW()
            FROM dq_keys k
            WHERE NOT k.bad AND c.borrower_id = k.borrower_id AND c.lender_id = k.lender_id AND c.status IN %s
              AND {sc}
            RETURNING c.id
            """,
            [str(CaseStatus.CLOSED), str(CaseCloseReason.SETTLED), str(CaseCloseReason.CURED),
             current_bucket(buckets), ACTIVE, *sp],
        )
        closed = [r[0] for r in cursor.fetchall()]
        if closed:
            # cured or settled: what was still to do no longer applies
            cursor.execute(
                f"UPDATE {_t(CaseAction)} SET status = %s, done_at = NOW(), done_how = %s "
                f"WHERE case_id = ANY(%s) AND status = %s",
                [str(ActionStatus.SUPERSEDED), system_how(CASE_CLOSED), closed, str(ActionStatus.OPEN)],
            )
        # the delinquent loans belong to their borrower's active case
        where, params = scope.sql("l")
        cursor.execute(
            f"""
            UPDATE {_t(Loan)} l SET case_id = c.id
            FROM {cases} c
            WHERE {where} AND l.status = ANY(%s) AND l.dpd > 0 AND l.status <> %s
              AND c.borrower_id = l.borrower_id AND c.lender_id = l.lender_id AND c.status IN %s
              AND l.case_id IS DISTINCT FROM c.id AND {sc}
            RETURNING l.id
            """,
            [*params, [str(LoanStatus.OPEN), str(LoanStatus.WRITTEN_OFF)], str(LoanStatus.SETTLED), ACTIVE, *sp],
        )
        # their earlier payments now count for this case (docs/kpis.md, "Stored and live days")
        mark_changed_payment_days(r[0] for r in cursor.fetchall())
        fresh = set(created)
        changed = sorted((set(reopened) | set(moved) | set(closed)) - fresh)
        if created:
            write_history(cursor, CollectionCase, f"SELECT * FROM {cases} WHERE id = ANY(%s)", [created], "+")
        if changed:
            write_history(cursor, CollectionCase, f"SELECT * FROM {cases} WHERE id = ANY(%s)", [changed], "~")
    return len(reopened) + len(created), len(closed)


def _rule_values(rules, approval_for_action) -> tuple[str, list]:
    rows, params = [], []
    for pos, rule in enumerate(rules):
        cond = rule.condition or {}
        rows.append("(%s::bigint, %s, %s, %s::int, %s::int, %s::bigint, %s::boolean, %s::numeric, %s::numeric, "
                    "%s::int, %s::boolean, %s, %s, %s, %s::int, %s::boolean)")
        params += [
            rule.id, rule.code, rule.bucket or "", rule.dpd_min, rule.dpd_max, rule.product_id,
            bool(cond.get("has_guarantor")),
            Decimal(str(cond["min_overdue_amount"])) if "min_overdue_amount" in cond else None,
            Decimal(str(cond["max_overdue_amount"])) if "max_overdue_amount" in cond else None,
            rule.repeat_every_days or None, rule.needs_approval, rule.action, rule.description[:300],
            str(approval_for_action.get(rule.action, "settlement")), pos,
            rule.action in COLLECTOR_TIME_ACTIONS,
        ]
    return ", ".join(rows), params


def apply_strategy(*, scope: Scope, as_of: dt.date, run=None, rules: list[StrategyRule], approval_for_action, buckets) -> int:
    """Create the rules' actions (and approval requests) for the chunk's open cases, once per rule and
    occurrence; set each open case's next action. Needs ``dq_keys`` (``sync_cases``) of the same chunk."""
    cases = _t(CollectionCase)
    created = 0
    with connection.cursor() as cursor:
        if rules:
            values, rule_params = _rule_values(rules, approval_for_action)
            a_cols, a_exprs, a_params = insert_columns(ApprovalRequest, {
                "kind": "n.akind", "case_id": "n.case_id", "status": f"'{ApprovalStatus.PENDING}'",
                "reason": "n.note",
                "payload": "jsonb_build_object('rule', n.code, 'occurrence', n.occ, 'as_of', %(d_text)s::text)",
            })
            act_cols, act_exprs, act_params = insert_columns(CaseAction, {
                "case_id": "n.case_id", "rule_id": "n.rule_id", "rule_code": "n.code", "kind": "n.action",
                "due_on": "%(d)s", "occurrence_key": "n.occ",
                "status": f"CASE WHEN n.appr THEN '{ActionStatus.AWAITING_APPROVAL}' WHEN n.last_of_kind "
                          f"THEN '{ActionStatus.OPEN}' ELSE '{ActionStatus.SUPERSEDED}' END",
                "note": "n.note", "approval_id": "n.approval_id", "run_id": "%(run)s",
                "done_at": "CASE WHEN n.appr OR n.last_of_kind THEN NULL ELSE NOW() END",
                "done_how": "CASE WHEN n.appr OR n.last_of_kind THEN '' ELSE %(newer)s END",
            })
            h_cols, h_exprs = history_columns(ApprovalRequest, "appr", "+")
            named = {"appr_table": ApprovalRequest._meta.db_table, "d": as_of, "d_text": as_of.isoformat(), "run": run.id if run else None,
                     "active": str(CaseStatus.OPEN), "guarantor": str(Relation.GUARANTOR),
                     "no_time": list(reminder_only_buckets(buckets)), "pending": str(ApprovalStatus.PENDING),
                     "lapsed_blocks": [str(a) for a in LAPSED_BLOCKS], "newer": system_how(NEWER_OF_KIND),
                     "open": str(ActionStatus.OPEN), "superseded": str(ActionStatus.SUPERSEDED)}
            # positional defaults → named parameters
            for n, value in enumerate(a_params):
                named[f"ap{n}"] = value
            for n, value in enumerate(act_params):
                named[f"cp{n}"] = value
            for n, value in enumerate(rule_params):
                named[f"r{n}"] = value
            sc_sql, sc_params = scope.sql("c")
            cp_sql, cp_params = scope.sql("cp")
            sc_sql, cp_sql = _name_params([sc_sql], "sc")[0], _name_params([cp_sql], "sp")[0]
            named.update({f"sc{n}": v for n, v in enumerate(sc_params)})
            named.update({f"sp{n}": v for n, v in enumerate(cp_params)})
            a_exprs = _name_params(a_exprs, "ap")
            act_exprs = _name_params(act_exprs, "cp")
            values = _name_params([values], "r")[0]
            cursor.execute("DROP TABLE IF EXISTS dq_new")
            cursor.execute(
                f"""
                CREATE TEMP TABLE dq_new ON COMMIT DROP AS
                -- the chunk's cases materialised once: inlined, the planner (which expects a few keys)
                -- looked each case up again for every rule of the strategy
                WITH c AS MATERIALIZED (
                    SELECT c.id AS case_id, c.bucket, c.overdue_amount, c.limitation_date, k.aging,
                           to_char(k.episode, 'YYYY-MM-DD') AS episode,
                           k.products, g.borrower_id IS NOT NULL AS has_g
                    FROM dq_keys k
                    JOIN {cases} c ON c.borrower_id = k.borrower_id AND c.lender_id = k.lender_id
                    LEFT JOIN (
                        SELECT DISTINCT cp.borrower_id FROM {_t(ContactPoint)} cp
                        JOIN dq_keys k2 ON k2.borrower_id = cp.borrower_id AND k2.bad
                        WHERE cp.relation = %(guarantor)s AND {cp_sql}
                    ) g ON g.borrower_id = c.borrower_id
                    WHERE c.status = %(active)s AND k.bad AND k.current AND {sc_sql}
                      -- a case placed with an agency gets no automatic actions (docs/agency.md)
                      AND NOT EXISTS (SELECT 1 FROM {_t(AgencyPlacement)} pl
                                      WHERE pl.case_id = c.id AND pl.recalled_on IS NULL)
                ),
                r(rule_id, code, bucket, dmin, dmax, product_id, need_g, min_over, max_over, rep, appr, action, note,
                  akind, pos, busy) AS (VALUES {values}),
                cand AS (
                    SELECT c.case_id, r.*,
                           CASE WHEN r.rep IS NULL THEN c.episode ELSE c.episode || '/' || (c.aging / r.rep) END AS occ
                    FROM c JOIN r
                      ON (r.bucket = '' OR r.bucket = c.bucket)
                     AND (r.dmin IS NULL OR c.aging >= r.dmin) AND (r.dmax IS NULL OR c.aging <= r.dmax)
                     AND (r.product_id IS NULL OR r.product_id = ANY(c.products))
                     AND (NOT r.need_g OR c.has_g)
                     AND (r.min_over IS NULL OR c.overdue_amount >= r.min_over)
                     AND (r.max_over IS NULL OR c.overdue_amount < r.max_over)
                     -- M0: reminders only, no collector time (rules.COLLECTOR_TIME_ACTIONS)
                     AND NOT (r.busy AND c.bucket = ANY(%(no_time)s))
                     -- a lapsed claim is not proposed for litigation (rules.LAPSED_BLOCKS)
                     AND NOT (r.action = ANY(%(lapsed_blocks)s) AND COALESCE(c.limitation_date < %(d)s, FALSE))
                ),
                fresh AS (
                    -- of two proposals of one kind for one case on the same night, the first rule's
                    SELECT cand.*, ROW_NUMBER() OVER (PARTITION BY cand.case_id, cand.appr, cand.akind
                                                      ORDER BY cand.pos) AS nth
                    FROM cand WHERE NOT EXISTS (
                        SELECT 1 FROM {_t(CaseAction)} x
                        WHERE x.case_id = cand.case_id AND x.rule_code = cand.code AND x.occurrence_key = cand.occ)
                ),
                kept AS (
                    SELECT fresh.* FROM fresh
                    -- a proposal is not raised again while an equal one (case, kind) waits for a decision
                    WHERE NOT fresh.appr OR (fresh.nth = 1 AND NOT EXISTS (
                        SELECT 1 FROM {_t(ApprovalRequest)} p
                        WHERE p.case_id = fresh.case_id AND p.kind = fresh.akind AND p.status = %(pending)s))
                )
                -- the approval request's id is drawn here, so actions need no join back to it; one open
                -- action of each kind per case: of tonight's, the last rule's in the strategy's order
                SELECT kept.*, CASE WHEN kept.appr THEN nextval(pg_get_serial_sequence(%(appr_table)s, 'id'))
                               END AS approval_id,
                       (NOT kept.appr AND ROW_NUMBER() OVER (PARTITION BY kept.case_id, kept.appr, kept.action
                                                             ORDER BY kept.pos DESC) = 1) AS last_of_kind
                FROM kept
                """,
                named,
            )
            # the open action of a kind opened tonight, from before, is superseded first
            # (one_open_action_per_kind)
            cursor.execute(
                f"""
                UPDATE {_t(CaseAction)} x SET status = %(superseded)s, done_at = NOW(), done_how = %(newer)s
                FROM dq_new n
                WHERE n.last_of_kind AND x.case_id = n.case_id AND x.kind = n.action AND x.status = %(open)s
                """,
                named,
            )
            cursor.execute(
                f"""
                WITH n AS (SELECT * FROM dq_new),
                appr AS (
                    INSERT INTO {_t(ApprovalRequest)} (id, {', '.join(a_cols)})
                    SELECT n.approval_id, {', '.join(a_exprs)} FROM n WHERE n.appr
                    RETURNING *
                ),
                hist AS (
                    INSERT INTO {_t(ApprovalRequest.history.model)} ({', '.join(h_cols)})
                    SELECT {', '.join(h_exprs)} FROM appr
                ),
                ins AS (
                    INSERT INTO {_t(CaseAction)} ({', '.join(act_cols)})
                    SELECT {', '.join(act_exprs)} FROM n  -- approval_id: a deferred foreign key
                    ORDER BY n.case_id, n.pos  -- ids in the strategy's order, as the Python backend
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT (SELECT COUNT(*) FROM ins), (SELECT COUNT(*) FROM appr)
                """,
                named,
            )
            created, approvals = cursor.fetchone()
            _analyze_if_grown(cursor, CaseAction, created)
            # a first night raises tens of thousands of approvals: planned on a stale size, the pending
            # test above read every pending approval of the kind for each proposal (37 s a chunk at 1M)
            _analyze_if_grown(cursor, ApprovalRequest, approvals)
        # next action of each open case (services.actions.next_action_sql: the rule's one SQL form)
        sc, sp = scope.sql("c")
        s2, sp2 = scope.sql("c2")
        join, at, (status, tz) = next_action_sql("c2")
        cursor.execute(
            f"""
            UPDATE {cases} c SET next_action = COALESCE(f.kind, ''), next_action_at = f.at
            FROM (
                SELECT c2.id, a.kind, {at} AS at
                FROM dq_keys k
                JOIN {cases} c2 ON c2.borrower_id = k.borrower_id AND c2.lender_id = k.lender_id AND c2.status = %s
                {join}
                WHERE {s2}
            ) f
            WHERE c.id = f.id AND {sc}
              AND (c.next_action <> COALESCE(f.kind, '') OR c.next_action_at IS DISTINCT FROM f.at)
            """,
            [tz, str(CaseStatus.OPEN), status, *sp2, *sp],
        )
    return created


def _analyze_if_grown(cursor, model, inserted: int) -> None:
    """ANALYZE a table a statement grew by a good part (a first run: from nothing to hundreds of
    thousands of rows), so that the next statements are planned on its true size; not for the usual
    nightly few percent, which autovacuum's analyze covers."""
    if inserted <= ANALYZE_AFTER:
        return
    cursor.execute("SELECT GREATEST(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table])
    known = cursor.fetchone()[0]
    if inserted > 0.2 * known:
        cursor.execute(f"ANALYZE {_t(model)}")


def _name_params(exprs: list[str], prefix: str) -> list[str]:
    """Turn each positional ``%s`` into ``%(prefixN)s`` (N counting across the list)."""
    out, n = [], 0
    for expr in exprs:
        parts = expr.split("%s")
        text = parts[0]
        for part in parts[1:]:
            text += f"%({prefix}{n})s" + part
            n += 1
        out.append(text)
    return out
