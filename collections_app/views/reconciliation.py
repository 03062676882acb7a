"""/supervisor/reconciliation/: the monthly statement of one lender's payments (selectors.reconciliation),
with its table and the payments behind it as CSV/XLSX. Supervisors (their teams' lenders) and admins."""
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
    stmt = recon.statement(lender.id, month, codes)
    fmt, table = request.GET.get("export"), request.GET.get("table")
    if fmt in spreadsheet.FORMATS:
        name = f"reconciliation-{lender.code}-{month:%Y-%m}"
        if table == "payments":
            return spreadsheet.download(fmt, f"{name}-payments", [
                _("Payment"), _("Loan"), _("Paid on"), _("Amount"), _("Source"), _("Channel"), _("Bucket"),
                _("Credited to")], recon.payment_rows(lender.id, month, codes), title=_("Payments"))
        header = [_("Bucket"), _("From the lender's payment files"), _("From other sources"),
                  _("Credited to a collector"), _("Credited to no one"), _("Total"), _("Payments")]
        rows = [[r["bucket"] or _("Total"), *[r[k] for k in recon.FIGURES], r["payments"]]
                for r in [*stmt["lines"], stmt["total"]]]
        return spreadsheet.download(fmt, name, header, rows, title=_("Reconciliation"))
    return render(request, "supervisor/reconciliation.html", {
        "lenders": lenders, "lender": lender, "month": month, "stmt": stmt, "tab": "reconciliation",
        "query": f"lender={lender.code}&month={month:%Y-%m}",
    })
