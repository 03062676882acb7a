"""An evidence pack's summary as PDF (docs/evidence-pack.md): reportlab with the built-in CID font
of letters_pdf.py, so Chinese renders with no font files; pure, no database. Written to a file (the
story is bounded by the caller: the CSV files hold every row)."""
from __future__ import annotations

from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from collections_app.letters_pdf import _font

# characters the CID font has no glyph for (drawn as a box), and the ones it has in their place
NO_GLYPH = str.maketrans({"\u00b7": "\u30fb", "\u2012": "-", "\u2013": "-"})


def printable(text) -> str:
    """``text`` as the PDF draws it: the middle dot the product writes (·) becomes the CJK one (・)."""
    return str(text).translate(NO_GLYPH)


def _p(text, style) -> Paragraph:
    return Paragraph(escape(printable(text)).replace("\n", "<br/>") or "&nbsp;", style)


def render_summary_pdf(path, *, title: str, facts: list[tuple[str, str]], counts_title: str,
                       counts: list[tuple[str, int]], timeline_title: str, timeline: list[tuple[str, str, str]],
                       footer: str = "") -> None:
    """Write the summary to ``path``: a title, the case's facts, the number of rows of each section,
    then the timeline (time, kind, what) and a closing line."""
    font = _font()
    h1 = ParagraphStyle("h1", fontName=font, fontSize=16, leading=22, spaceAfter=8)
    h2 = ParagraphStyle("h2", fontName=font, fontSize=12, leading=18, spaceBefore=8, spaceAfter=4)
    cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    doc = SimpleDocTemplate(str(path), pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=printable(title))
    story = [_p(title, h1)]
    lines = TableStyle([("GRID", (0, 0), (-1, -1), 0.25, colors.grey)])
    if facts:
        story.append(Table([[_p(k, cell), _p(v, cell)] for k, v in facts], colWidths=[45 * mm, 135 * mm],
                           style=lines))
    story += [Spacer(1, 3 * mm), _p(counts_title, h2)]
    if counts:
        story.append(Table([[_p(k, cell), _p(n, cell)] for k, n in counts], colWidths=[80 * mm, 25 * mm],
                           style=lines))
    story += [Spacer(1, 3 * mm), _p(timeline_title, h2)]
    if timeline:
        story.append(Table([[_p(a, cell), _p(b, cell), _p(c, cell)] for a, b, c in timeline],
                           colWidths=[32 * mm, 35 * mm, 113 * mm], repeatRows=1, style=grid))
    if footer:
        story += [Spacer(1, 4 * mm), _p(footer, cell)]
    doc.build(story)
