"""/supervisor/reconciliation/: the monthly statement of one lender (selectors.reconciliation) —
payments by bucket and channel, cases, settlements, write-offs and recoveries, agency commission,
legal costs — with every table and the rows behind every figure as CSV/XLSX. Supervisors (their
teams' lenders) and admins."""
from __future__ import annotations

import datetime as dt

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import Role
from accounts.roles import role_required
from collections_app import spreadsheet
from collections_app.selectors import dashboard as dash
from collections_app.selectors import reconciliation as recon
from collections_app.selectors.loan_figures import business_date


def _month(text: str | None) -> dt.date:
    last = business_date().replace(day=1) - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(f"{text}-01") if text else last.replace(day=1)
    except ValueError:
        return last.replace(day=1)


def _row_tables() -> dict:
    """table name -> (header, rows function) of the rows behind each figure."""
    return {
        "payments": ([_("Payment"), _("Loan"), _("Paid on"), _("Amount"), _("Source"), _("Channel"), _("Bucket"),
                      _("Credited to")], None),
        "channels": ([_("Channel"), _("Payment"), _("Loan"), _("Paid on"), _("Amount"), _("Source")],
                     recon.channel_rows),
        "cases": ([_("Case"), _("Borrower"), _("Opened at"), _("Status at the start of the month"),
                   _("Status at the end of the month")], recon.case_rows),
        "closed": ([_("Case"), _("Close reason"), _("Closed at")], recon.closing_rows),
        "settlements": ([_("Offer"), _("Case"), _("Offered on"), _("Paid on"), _("Payoff amount when offered"),
                         _("Settlement amount"), _("Paid"), _("Forgiven amount")], recon.settlement_rows),
        "write_offs": ([_("Approval"), _("Case"), _("Written off on"), _("Balance written off")],
                       recon.write_off_rows),
        "recoveries": ([_("Payment"), _("Case"), _("Loan"), _("Written off on"), _("Paid on"), _("Amount"),
                        _("Channel")], recon.recovery_rows),
        "commission": ([_("Agency"), _("Case"), _("Bucket at placement"), _("Commission rate"), _("Payment"),
                        _("Paid on"), _("Amount")], recon.commission_rows),
        "legal_costs": ([_("Legal cost"), _("Case"), _("Court case number"), _("Kind"), _("Incurred on"),
                         _("Amount")], recon.legal_cost_rows),
    }


def _summary_rows(stmt: dict) -> list[list]:
    """The statement's figures as (figure, value) rows for the CSV/XLSX of the whole month."""
    c, s, w, r = stmt["cases"], stmt["settlements"], stmt["write_offs"], stmt["recoveries"]
    rows = [[_("Cases open at the start of the month"), c["open_at_start"]], [_("Cases received"), c["received"]],
            [_("Cases closed"), c["closed"]], [_("Cases returned to the lender"), c["returned"]],
            [_("Cases open at the end of the month"), c["open_at_end"]]]
    rows += [[_("Closed: %(reason)s") % {"reason": x["label"]}, x["cases"]] for x in c["closed_by_reason"]]
    rows += [[_("Collected"), stmt["total"]["total"]]]
    rows += [[_("Collected by %(channel)s") % {"channel": x["channel"] or "—"}, x["amount"]] for x in stmt["channels"]]
    rows += [[_("Settlements paid"), s["offers"]], [_("Settlement amounts agreed"), s["agreed"]],
             [_("Forgiven amount"), s["forgiven"]], [_("Cases written off"), w["cases"]],
             [_("Balance written off"), w["balance"]], [_("Recoveries after write-off"), r["amount"]],
             [_("Agency commission"), stmt["commission"]["commission"]], [_("Legal costs"), stmt["legal_costs"]["amount"]]]
    return rows


def _export(fmt: str, table: str | None, lender, month: dt.date, stmt: dict, codes: list[str]):
    name = f"reconciliation-{lender.code}-{month:%Y-%m}"
    tables = _row_tables()
    if table == "payments":
        return spreadsheet.download(fmt, f"{name}-payments", tables["payments"][0],
                                    recon.payment_rows(lender.id, month, codes), title=_("Payments"))
    if table in tables:
        header, rows = tables[table]
        return spreadsheet.download(fmt, f"{name}-{table}", header, rows(lender.id, month), title=table)
    if table == "summary":
        return spreadsheet.download(fmt, f"{name}-summary", [_("Figure"), _("Value")], _summary_rows(stmt),
                                    title=_("Reconciliation"))
    header = [_("Bucket"), _("From the lender's payment files"), _("From other sources"),
              _("Credited to a collector"), _("Credited to no one"), _("Total"), _("Payments")]
    rows = [[r["bucket"] or _("Total"), *[r[k] for k in recon.FIGURES], r["payments"]]
            for r in [*stmt["lines"], stmt["total"]]]
    return spreadsheet.download(fmt, name, header, rows, title=_("Reconciliation"))


@role_required(Role.SUPERVISOR)
@require_safe
def reconciliation_page(request):
    lenders = list(recon.lenders_for(request.user))
    code = request.GET.get("lender")
    lender = next((x for x in lenders if x.code == code), lenders[0] if lenders else None)
    month = _month(request.GET.get("month"))
    codes = dash.bucket_codes()
    if lender is None:
        return render(request, "supervisor/reconciliation.html", {"lenders": [], "tab": "reconciliation"})
    fmt, table = request.GET.get("export"), request.GET.get("table")
    if fmt in spreadsheet.FORMATS and table in _row_tables():
        return _export(fmt, table, lender, month, {}, codes)
    stmt = recon.month_statement(lender.id, month, codes)
    if fmt in spreadsheet.FORMATS:
        return _export(fmt, table, lender, month, stmt, codes)
    return render(request, "supervisor/reconciliation.html", {
        "lenders": lenders, "lender": lender, "month": month, "stmt": stmt, "tab": "reconciliation",
        "query": f"lender={lender.code}&month={month:%Y-%m}",
    })
