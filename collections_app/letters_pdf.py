"""A letter as PDF (docs/messages.md, "Letters"): reportlab with its built-in CID font STSong-Light,
so Chinese renders on a fresh machine with no font files; pure, no database."""
from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def render_letter_pdf(*, title: str, body: str, author: str = "") -> bytes:
    """The letter's PDF: the title, then each paragraph of ``body`` (blank lines separate them,
    single line breaks are kept)."""
    font = _font()
    title_style = ParagraphStyle("title", fontName=font, fontSize=16, leading=22, alignment=1, spaceAfter=12)
    text_style = ParagraphStyle("text", fontName=font, fontSize=11, leading=18, wordWrap="CJK", spaceAfter=6)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=25 * mm,
                            bottomMargin=25 * mm, title=title, author=author)
    story = [Paragraph(escape(title), title_style), Spacer(1, 4 * mm)]
    for paragraph in (body or "").split("\n\n"):
        lines = "<br/>".join(escape(line) for line in paragraph.split("\n"))
        story.append(Paragraph(lines or "&nbsp;", text_style))
    doc.build(story)
    return buffer.getvalue()
