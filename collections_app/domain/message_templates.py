"""Message templates as text: their placeholders and how a text is filled in (docs/messages.md).

Pure: no database. A placeholder is written ``{{ name }}`` (spaces optional). The service gathers
the values (``services.message_templates.template_values``: the debt as of the sending day) and
calls :func:`render`.
"""
from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")

# name -> what it holds (shown on the template form and the preview page)
PLACEHOLDERS = {
    "borrower_name": _("the borrower's name"),
    "lender_name": _("the lender's name"),
    "loan_ref": _("the case's loan numbers"),
    "as_of": _("the sending day (the date the figures hold for)"),
    "dpd": _("days past due"),
    "overdue_amount": _("the overdue amount on the sending day"),
    "penalty": _("penalty interest and late fees on the sending day"),
    "payoff_amount": _("what pays off the case on the sending day"),
    "payment_account": _("the lender's account for repayments"),
    "collector_name": _("the collector's name"),
    "collector_phone": _("the collector's phone (the lender's collection line and extension)"),
}

# the placeholders that state the debt: never sent to a third party (docs/compliance.md)
DEBT_PLACEHOLDERS = frozenset({"loan_ref", "dpd", "overdue_amount", "penalty", "payoff_amount", "payment_account"})

LANGUAGES = ("zh-hans", "en")
ANY_STAGE = "any"


def placeholders_in(*texts: str) -> set[str]:
    return {name for text in texts if text for name in PLACEHOLDER.findall(text)}


def unknown_placeholders(*texts: str) -> list[str]:
    return sorted(placeholders_in(*texts) - set(PLACEHOLDERS))


def states_debt(*texts: str) -> bool:
    """Does a text with these placeholders tell its reader about the debt?"""
    return bool(placeholders_in(*texts) & DEBT_PLACEHOLDERS)


def render(text: str, values: dict[str, str]) -> str:
    """``text`` with every known placeholder replaced by its value (an unknown one is left as written;
    templates with unknown placeholders are refused when saved)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text or "")


def language_for(preferred: str | None) -> str:
    """The template language for a borrower's preferred language: English for any ``en*``, else
    Chinese (the product's default)."""
    return "en" if (preferred or "").lower().startswith("en") else "zh-hans"
