"""A stored report (``models.Report``) as XLSX and as PDF, rendered from the figures it was generated
with, so a download and the e-mail carry the same numbers. Every label is written in Chinese and in
English (the PDF with the CID font of ``letters_pdf``, no font files needed); pure, no database."""
from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from collections_app import spreadsheet
from collections_app.domain.kpis import percent
from collections_app.letters_pdf import _font
from collections_app.selectors.reports import COLUMNS, COUNTS, RATES

LANGUAGES = ("zh-hans", "en")


def _both(text) -> tuple[str, str]:
    """``text`` (a lazy or a callable of no arguments) in Chinese and in English."""
    out = []
    for language in LANGUAGES:
        with translation.override(language):
            out.append(str(text() if callable(text) else text))
    return out[0], out[1]


def _value(key: str, raw):
    """A stored figure as a number (Decimal / int), None when undefined."""
    if raw is None or key in COUNTS:
        return raw
    return Decimal(raw)


def _shown(key: str, raw) -> str:
    value = _value(key, raw)
    if key in RATES:
        return percent(value)
    return "—" if value is None else f"{value:,}"


def _title(report) -> tuple[str, str]:
    return _both(lambda: _("%(kind)s report — %(scope)s: %(name)s, %(start)s – %(end)s") % {
        "kind": report.get_kind_display(), "scope": report.get_scope_display(), "name": report.scope_name,
        "start": report.period_start.isoformat(), "end": report.period_end.isoformat()})


def rows(report) -> list[list]:
    """[KPI in Chinese, KPI in English, value] per figure; rates as fractions, money as amounts."""
    figures = report.figures or {}
    return [[*_both(label), _value(key, figures.get(key))] for key, label in COLUMNS]


def report_xlsx(report) -> bytes:
    zh, en = _title(report)
    header = [*_both(lambda: _("KPI")), f"{zh} / {en}"]
    return spreadsheet.xlsx_bytes(header, rows(report), title=f"{report.kind} {report.period_start:%Y-%m-%d}")


def report_pdf(report) -> bytes:
    font = _font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=14, leading=20, alignment=1, spaceAfter=4)
    cell = ParagraphStyle("cell", fontName=font, fontSize=10, leading=14, wordWrap="CJK")
    number = ParagraphStyle("number", parent=cell, alignment=2)
    zh, en = _title(report)
    head = [Paragraph(escape(t), cell) for t in (*_both(lambda: _("KPI")), _both(lambda: _("Value"))[0] + " / "
                                                 + _both(lambda: _("Value"))[1])]
    body = [[Paragraph(escape(zh_label), cell), Paragraph(escape(en_label), cell),
             Paragraph(escape(_shown(key, (report.figures or {}).get(key))), number)]
            for (key, _label), (zh_label, en_label, _v) in zip(COLUMNS, rows(report), strict=True)]
    table = Table([head, *body], colWidths=[50 * mm, 70 * mm, 40 * mm], repeatRows=1)
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=en)
    doc.build([Paragraph(escape(zh), title_style), Paragraph(escape(en), title_style), Spacer(1, 4 * mm), table])
    return buffer.getvalue()
