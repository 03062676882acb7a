"""PostgreSQL fast paths (loans and payments files): one COPY of the batch (one line per validated row) into
a temporary staging table, then set-based ``INSERT … SELECT … ON CONFLICT`` statements fan it out
into products, borrowers, loans, contact points and installments. Same results as the generic path
in kinds.LoansKind.store (the tests run on both)."""
from __future__ import annotations

import io

from django.db import connection
from django.utils import timezone

from collections_app.models import (
    Borrower,
    ContactPoint,
    FiguresChange,
    Installment,
    Loan,
    LoanRecalc,
    Payment,
    Product,
)
from collections_app.services.nightly.postgres.cases import history_columns

from .reader import cell_text
from .store import _defaults, _insert_fields, _tracked

FIXED = [
    ("row_no", "int"), ("lender_id", "bigint"), ("loan_id", "text"), ("borrower_id", "text"), ("borrower_name", "text"),
    ("national_id", "text"), ("address", "text"), ("employer", "text"), ("product", "text"), ("currency", "text"),
    ("principal", "numeric"), ("disbursed_on", "date"), ("annual_rate", "text"), ("term_months", "text"),
    ("phones", "text"), ("contact_label", "text"), ("contact_relation", "text"), ("contact_phone", "text"),
    ("guarantor_name", "text"), ("guarantor_phone", "text"),
]
SCHED = [("lender_id", "bigint"), ("loan_id", "text"), ("seq", "int"), ("due_date", "date"), ("principal_due", "numeric"),
         ("interest_due", "numeric")]
_SPECIAL = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


# Plans for batch-sized statements (this transaction only). Every join here is a batch of at most a
# few thousand staged rows against a table of millions with a unique index on the join key, so index
# nested loops are right; left to itself the planner hashed the whole big table for every batch (0.75 s
# per batch at 1M loans, most of an import's time). JIT compiles for longer than these statements run.
# A lost batch is re-imported by running the file again: its commit need not wait for the disk.
BATCH_SETTINGS = ("SET LOCAL jit = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
                  "SET LOCAL synchronous_commit = off")


def _prepare_batch(cursor, *statements: str) -> None:
    """``statements`` (no parameters) and BATCH_SETTINGS sent as one query: each round trip costs a
    batch a wait for the server and, while the reader thread validates the next batch, up to a GIL
    switch interval (5 ms) to resume — a dozen small statements a batch took 0.56 s of 3.6 s for 100,000
    payments (docs/performance.md, "Round trips of an import batch")."""
    cursor.execute("; ".join((*statements, BATCH_SETTINGS)))


def _esc(value: str) -> str:
    return value.translate(_SPECIAL)


def _line(values: list[str], width: int) -> str:
    line = "\t".join(values)
    if line.count("\t") != width - 1 or "\\" in line or "\n" in line or "\r" in line:
        line = "\t".join(_esc(v) for v in values)
    return line + "\n"


def _insert_select(model, exprs: dict[str, str], from_sql: str) -> tuple[str, list]:
    """INSERT INTO model (given columns + every other column at its default) SELECT exprs FROM …"""
    opts = model._meta
    defaults = _defaults(model, timezone.now())
    extra = [f for f in _insert_fields(model) if f.attname not in exprs and f.attname in defaults]
    target = [f'"{opts.get_field(a).column}"' for a in exprs] + [f'"{f.column}"' for f in extra]
    select = list(exprs.values()) + [f"CAST(%s AS {f.db_type(connection)})" for f in extra]
    params = [f.get_db_prep_save(defaults[f.attname], connection) for f in extra]
    return f'INSERT INTO "{opts.db_table}" AS t ({", ".join(target)}) SELECT {", ".join(select)} FROM {from_sql}', params


def _history(model, writer, *, updates: bool) -> tuple[str, list]:
    """A CTE ``hist`` that writes the django-simple-history rows of an upsert's ``ins`` (its
    ``RETURNING t.*``) in one INSERT … SELECT: '+' for a new row, and with ``updates`` '~' for a row
    whose tracked columns changed. It reads the rows' old values from the table itself: every part of
    the statement sees the snapshot taken before it, where a new row does not exist yet."""
    cols, exprs = history_columns(model, "ins", "+")
    params = []
    for i, col in enumerate(cols):
        if col == '"history_type"':
            exprs[i] = "CASE WHEN o.id IS NULL THEN '+' ELSE '~' END" if updates else "'+'"
        elif col == '"history_change_reason"':
            exprs[i] = "%s"
            params.append(writer.history_reason)
        elif col == '"history_user_id"':
            exprs[i] = "%s::bigint"
            params.append(writer.history_user_id)
    hist = f'hist AS (INSERT INTO "{model.history.model._meta.db_table}" ({", ".join(cols)}) SELECT {", ".join(exprs)} FROM ins'
    if updates:
        tracked = [f'"{model._meta.get_field(a).column}"' for a in _tracked(model)]
        hist += (f' LEFT JOIN "{model._meta.db_table}" o ON o.id = ins.id WHERE o.id IS NULL OR '
                 f"ROW({', '.join('o.' + c for c in tracked)}) IS DISTINCT FROM ROW({', '.join('ins.' + c for c in tracked)})")
    return hist + ")", params


def _ensure_tables(cursor, width):
    """The loans' staging tables, created once per connection and emptied, with the batch's settings."""
    stage = f"imp_loans_stage_{width}"
    cols = ", ".join([f"{n} {t}" for n, t in FIXED] + [f"c{i} text" for i in range(width)])
    _prepare_batch(cursor, f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({cols})",
                   "CREATE TEMP TABLE IF NOT EXISTS imp_loans_sched ({})".format(", ".join(f"{n} {t}" for n, t in SCHED)),
                   f"TRUNCATE {stage}, imp_loans_sched")
    return stage


def store_loans(header, records, writer, raw_indexes):
    """The loans file's rows, set-based: staged with COPY, then products, borrowers (the last non-empty
    value of each field wins), loans (with their raw columns), contact points and schedules upserted,
    each with its history rows. Returns (rows, loans created, errors)."""
    width = len(header)
    buf, sched = _stage_lines(header, records)
    with connection.cursor() as cursor:
        stage = _ensure_tables(cursor, width)
        names = ", ".join(n for n, _t in FIXED) + "".join(f", c{i}" for i in range(width))
        cursor.cursor.copy_expert(f"COPY {stage} ({names}) FROM STDIN", buf)
        cursor.cursor.copy_expert(f"COPY imp_loans_sched ({', '.join(n for n, _t in SCHED)}) FROM STDIN", sched)
        # statistics of the columns the statements join and group on only: the others (a file's raw
        # columns among them) made ANALYZE a twentieth of a batch's time
        cursor.execute(f"ANALYZE {stage} (lender_id, borrower_id, loan_id, product); "
                       "ANALYZE imp_loans_sched (lender_id, loan_id)")
        _upsert_borrowers(cursor, stage, writer)
        created = _upsert_loans(cursor, stage, header, raw_indexes, writer)
        _upsert_contact_points(cursor, stage, writer)
        _upsert_schedules(cursor)
    return len(records), created, []


def _stage_lines(header, records) -> tuple[io.StringIO, io.StringIO]:
    """The rows and their schedules as COPY text for the staging tables."""
    width = len(header)
    buf, sched = io.StringIO(), io.StringIO()
    nfixed = len(FIXED) + width
    for r in records:
        cells = r["_cells"]
        raw = [c.strip() if isinstance(c, str) else cell_text(c) for c in cells[:width]]
        rate, term = r["annual_rate"], r["term_months"]
        label, relation, phone = r["contact"]
        g_name, g_phone = r["guarantor"]
        lender = str(r["lender_id"])
        buf.write(_line([
            str(r["_row"]), lender, r["loan_id"], r["borrower_id"], r["borrower_name"], r["national_id"], r["address"],
            r["employer"], r["product"], r["currency"], str(r["principal"]), r["disbursed_on"].isoformat(),
            "" if rate is None else str(rate), "" if term is None else str(term), ";".join(r["phones"]),
            label, relation, phone, g_name, g_phone, *raw,
        ], nfixed))
        if r["schedule"] is not None:
            for seq, due, principal, interest in r["schedule"]:
                sched.write(f"{lender}\t{_esc(r['loan_id'])}\t{seq}\t{due.isoformat()}\t{principal}\t{interest}\n")
    buf.seek(0)
    sched.seek(0)
    return buf, sched


def _upsert_borrowers(cursor, stage: str, writer) -> None:
    """The file's products (new codes only) and borrowers."""
    sql, params = _insert_select(Product, {"lender_id": "s.lender_id", "code": "s.product", "name": "s.product"},
                                 f"(SELECT DISTINCT lender_id, product FROM {stage} WHERE product <> '') s")
    cursor.execute(sql + " ON CONFLICT (lender_id, code) DO NOTHING", params)

    def last_non_empty(col):
        return f"coalesce((array_agg({col} ORDER BY row_no DESC) FILTER (WHERE {col} <> ''))[1], '')"

    sql, params = _insert_select(
        Borrower,
        {"lender_id": "s.lender_id", "external_id": "s.borrower_id", "name": "s.borrower_name",
         "national_id": "s.national_id", "address": "s.address", "employer": "s.employer"},
        f"(SELECT lender_id, borrower_id, (array_agg(borrower_name ORDER BY row_no DESC))[1] AS borrower_name, "
        f"{last_non_empty('national_id')} AS national_id, {last_non_empty('address')} AS address, "
        f"{last_non_empty('employer')} AS employer FROM {stage} GROUP BY lender_id, borrower_id) s",
    )
    keep = ", ".join(f"{c} = COALESCE(NULLIF(EXCLUDED.{c}, ''), t.{c})" for c in ("national_id", "address", "employer"))
    hist, h_params = _history(Borrower, writer, updates=True)
    cursor.execute(f"WITH ins AS ({sql} ON CONFLICT (lender_id, external_id) DO UPDATE SET name = EXCLUDED.name, "
                   f"{keep}, updated_at = EXCLUDED.updated_at RETURNING t.*), {hist} SELECT 1", params + h_params)


def _upsert_loans(cursor, stage: str, header, raw_indexes, writer) -> int:
    """The loans, with the file's raw columns; returns how many were created."""
    b_tbl, p_tbl = Borrower._meta.db_table, Product._meta.db_table
    raw_pairs = []
    raw_params = []
    for i in raw_indexes:
        raw_pairs.append(f"%s::text, s.c{i}")
        raw_params.append(header[i])
    raw_expr = f"jsonb_build_object({', '.join(raw_pairs)})" if raw_pairs else "'{}'::jsonb"
    sql, params = _insert_select(
        Loan,
        {"lender_id": "s.lender_id", "external_id": "s.loan_id", "borrower_id": "b.id", "product_id": "p.id",
         "principal": "s.principal", "currency": "s.currency", "disbursed_on": "s.disbursed_on",
         "annual_rate": "NULLIF(s.annual_rate, '')::numeric", "term_months": "NULLIF(s.term_months, '')::int", "raw": raw_expr, "needs_recalc": "true"},
        f'{stage} s JOIN "{b_tbl}" b ON b.lender_id = s.lender_id AND b.external_id = s.borrower_id '
        f'LEFT JOIN "{p_tbl}" p ON s.product <> \'\' AND p.lender_id = s.lender_id AND p.code = s.product',
    )
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in (
        "borrower_id", "product_id", "principal", "currency", "disbursed_on", "annual_rate", "term_months", "raw",
        "needs_recalc", "updated_at"))
    hist, h_params = _history(Loan, writer, updates=True)
    # raw's parameters come first in the SELECT list, the defaults' after
    cursor.execute(f"WITH ins AS ({sql} ON CONFLICT (lender_id, external_id) DO UPDATE SET {updates} "
                   f"RETURNING t.*, (t.xmax = 0) AS created_), {hist} SELECT count(*) FILTER (WHERE created_) FROM ins",
                   raw_params + params + h_params)
    created = cursor.fetchone()[0]
    return created


def _upsert_contact_points(cursor, stage: str, writer) -> None:
    """The borrowers' phones, address, employer, contact and guarantor as contact points (new ones only)."""
    b_tbl = Borrower._meta.db_table
    cp_source = (
        f"(SELECT DISTINCT ON (bid, kind, value, relation) bid, kind, value, relation, name, is_primary FROM ("
        f"WITH x AS (SELECT s.*, b.id AS bid FROM {stage} s JOIN \"{b_tbl}\" b "
        "ON b.lender_id = s.lender_id AND b.external_id = s.borrower_id) "
        "SELECT bid, 'phone' AS kind, ph.value, 'self' AS relation, borrower_name AS name, ph.ord = 1 AS is_primary, "
        "row_no, ph.ord AS sub FROM x, unnest(string_to_array(x.phones, ';')) WITH ORDINALITY AS ph(value, ord) "
        "WHERE x.phones <> '' "
        "UNION ALL SELECT bid, 'address', address, 'self', borrower_name, false, row_no, 1000 FROM x WHERE address <> '' "
        "UNION ALL SELECT bid, 'employer', employer, 'employer', employer, false, row_no, 1001 FROM x WHERE employer <> '' "
        "UNION ALL SELECT bid, 'phone', contact_phone, contact_relation, contact_label, false, row_no, 1002 FROM x "
        "WHERE contact_phone <> '' "
        "UNION ALL SELECT bid, 'phone', guarantor_phone, 'guarantor', guarantor_name, false, row_no, 1003 FROM x "
        "WHERE guarantor_phone <> '') c ORDER BY bid, kind, value, relation, row_no, sub) s"
    )
    sql, params = _insert_select(
        ContactPoint,
        {"borrower_id": "s.bid", "kind": "s.kind", "value": "s.value", "relation": "s.relation", "name": "s.name",
         "is_primary": "s.is_primary"},
        cp_source,
    )
    hist, h_params = _history(ContactPoint, writer, updates=False)
    cursor.execute(f"WITH ins AS ({sql} ON CONFLICT (borrower_id, kind, value, relation) DO NOTHING RETURNING t.*), "
                   f"{hist} SELECT 1", params + h_params)


def _upsert_schedules(cursor) -> None:
    """The loans' installments as the file gives them; installments past a shortened schedule go."""
    l_tbl, i_tbl = Loan._meta.db_table, Installment._meta.db_table
    sql, params = _insert_select(
        Installment,
        {"loan_id": "l.id", "seq": "k.seq", "due_date": "k.due_date", "principal_due": "k.principal_due",
         "interest_due": "k.interest_due", "fee_due": "0"},
        f'imp_loans_sched k JOIN "{l_tbl}" l ON l.lender_id = k.lender_id AND l.external_id = k.loan_id',
    )
    cursor.execute(sql + " ON CONFLICT (loan_id, seq) DO UPDATE SET due_date = EXCLUDED.due_date, "
                   "principal_due = EXCLUDED.principal_due, interest_due = EXCLUDED.interest_due, "
                   "fee_due = EXCLUDED.fee_due", params)
    cursor.execute(
        f'DELETE FROM "{i_tbl}" i USING (SELECT l.id, max(k.seq) AS n FROM imp_loans_sched k JOIN "{l_tbl}" l '
        "ON l.lender_id = k.lender_id AND l.external_id = k.loan_id GROUP BY l.id) x "
        "WHERE i.loan_id = x.id AND i.seq > x.n"
    )


PAY = [("row_no", "int"), ("lender_id", "bigint"), ("payment_id", "text"), ("loan_id", "text"), ("paid_on", "date"),
       ("amount", "numeric"), ("channel", "text"), ("note", "text")]


def payment_line(r) -> str:
    """A validated payment record as a line of the staging table's COPY."""
    return _line([str(r["_row"]), str(r["lender_id"]), r["payment_id"], r["loan_id"], r["paid_on"].isoformat(),
                  str(r["amount"]), r["channel"], r["note"]], len(PAY))


def store_payments(records, job):
    """Payments: unknown loans found with the same lookup that links the others; those upserted and
    their loans flagged (``LoanRecalc``). Each record's COPY line is made by the reader thread
    (``kinds.PaymentsKind.prepare``) when it can."""
    buf = io.StringIO("".join(r.get("_copy") or payment_line(r) for r in records))
    l_tbl, r_tbl = Loan._meta.db_table, LoanRecalc._meta.db_table
    p_tbl, c_tbl = Payment._meta.db_table, FiguresChange._meta.db_table
    with connection.cursor() as cursor:
        _prepare_batch(cursor, "CREATE TEMP TABLE IF NOT EXISTS imp_pay_stage ({})".format(
            ", ".join(f"{n} {t}" for n, t in PAY)), "TRUNCATE imp_pay_stage")
        cursor.cursor.copy_expert(f"COPY imp_pay_stage ({', '.join(n for n, _t in PAY)}) FROM STDIN", buf)
        sql, params = _insert_select(
            Payment,
            {"lender_id": "j.lender_id", "external_id": "j.payment_id", "loan_id": "j.lid", "paid_on": "j.paid_on",
             "amount": "j.amount", "channel": "j.channel", "note": "j.note", "source": "'import'",
             "import_job_id": "%s::bigint"},
            "j WHERE j.lid IS NOT NULL",
        )
        # One statement: each row's loan looked up once (the rows without one are the unknown loans); the
        # days the batch writes to or moves a payment from (docs/kpis.md, "Stored and live days"); the
        # upsert; and one narrow flag per loan (selectors.recalc) — the loans paid, and the loans a payment
        # imported again moves away from (their money goes with it). Every part reads the table as it was
        # before the statement, so ``old`` is the payments as stored until now. flagged_at is set again on
        # a loan flagged already, so a nightly chunk that read the flag before this payment does not
        # delete it (selectors.recalc.clear_flags).
        cursor.execute(
            # the staged batch's statistics first, in the same round trip
            'ANALYZE imp_pay_stage (lender_id, payment_id, loan_id, paid_on); '
            f'WITH j AS MATERIALIZED (SELECT s.*, l.id AS lid FROM imp_pay_stage s LEFT JOIN "{l_tbl}" l '
            "ON l.lender_id = s.lender_id AND l.external_id = s.loan_id), "
            f'old AS MATERIALIZED (SELECT p.paid_on, p.loan_id, j.lid FROM "{p_tbl}" p JOIN j '
            "ON p.lender_id = j.lender_id AND p.external_id = j.payment_id), "
            f'days AS (INSERT INTO "{c_tbl}" (day) SELECT d FROM (SELECT paid_on AS d FROM j UNION '
            "SELECT paid_on FROM old) x WHERE d < %s ORDER BY d), "
            f"ins AS ({sql} ON CONFLICT (lender_id, external_id) DO UPDATE SET loan_id = EXCLUDED.loan_id, "
            "paid_on = EXCLUDED.paid_on, amount = EXCLUDED.amount, channel = EXCLUDED.channel, note = EXCLUDED.note "
            "RETURNING (t.xmax = 0) AS created, t.loan_id), "
            f'flag AS (INSERT INTO "{r_tbl}" (loan_id, flagged_at) SELECT d.loan_id, statement_timestamp() '
            "FROM (SELECT loan_id FROM ins UNION SELECT loan_id FROM old WHERE lid <> loan_id) d ORDER BY d.loan_id "
            "ON CONFLICT (loan_id) DO UPDATE SET flagged_at = EXCLUDED.flagged_at) "
            "SELECT NULL::int, count(*) FILTER (WHERE created), count(*) FROM ins "
            "UNION ALL SELECT row_no, NULL, NULL FROM j WHERE lid IS NULL",
            [timezone.localdate(), job.pk, *params],
        )
        unknown, created, stored = set(), 0, 0
        for row_no, new, total in cursor.fetchall():
            if row_no is None:
                created, stored = new, total
            else:
                unknown.add(row_no)
    return unknown, stored, created
