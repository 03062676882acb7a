"""Pure value parsers for lenders' files (docs/imports.md). Each raises ``ValueError`` with a
translatable message; callers turn it into a row error."""
from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

_DATE_SEP = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[ T]00:00(?::00)?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_AMOUNT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$|^\.\d+$")
MAX_AMOUNT = Decimal("99999999999999.99")
CENT = Decimal("0.01")


def parse_date(value) -> dt.date:
    """``YYYY-MM-DD``, ``YYYY/MM/DD`` or ``YYYYMMDD`` (also a date cell of a spreadsheet)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        parts = (text[:4], text[5:7], text[8:10])
    else:
        m = _DATE_SEP.match(text) or _DATE_COMPACT.match(text)
        if not m:
            raise ValueError(_("not a date (use YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)"))
        parts = m.groups()
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ValueError(_("not a valid calendar date"))


def parse_amount(value) -> Decimal:
    """A non-negative amount with at most 2 decimals; thousands separators allowed."""
    if isinstance(value, bool):
        raise ValueError(_("not a number"))
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
        rounded = amount.quantize(CENT)
        if abs(amount - rounded) < Decimal("0.000001"):  # binary float noise from a spreadsheet cell
            amount = rounded
    elif isinstance(value, Decimal):
        amount = value
    else:
        text = str(value).strip().replace(" ", "").replace("，", ",")
        if text[:1] in ("¥", "￥"):
            text = text[1:]
        if text.startswith("-") or (text.startswith("(") and text.endswith(")")):
            raise ValueError(_("must not be negative"))
        if text.startswith("+"):
            text = text[1:]
        if not _AMOUNT.match(text):
            raise ValueError(_("not a number"))
        amount = Decimal(text.replace(",", ""))
    if amount < 0:
        raise ValueError(_("must not be negative"))
    if amount.as_tuple().exponent < -2 and amount != amount.quantize(CENT):
        raise ValueError(_("more than 2 decimal places"))
    if amount > MAX_AMOUNT:
        raise ValueError(_("too large"))
    return amount.quantize(CENT)


def parse_positive_int(value, *, maximum: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.endswith(".0"):
        text = text[:-2]
    if not text.isdigit():
        raise ValueError(_("not a whole number"))
    number = int(text)
    if number < 1 or number > maximum:
        raise ValueError(_("must be between 1 and %(max)d") % {"max": maximum})
    return number


def parse_rate(value) -> Decimal:
    """An annual rate as a fraction (0.18) or a percentage ("18%")."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        rate = Decimal(repr(value))
    else:
        text = str(value).strip()
        percent = text.endswith("%")
        if percent:
            text = text[:-1].strip()
        try:
            rate = Decimal(text)
        except InvalidOperation:
            raise ValueError(_("not a number"))
        if not rate.is_finite():
            raise ValueError(_("not a number"))
        if percent:
            rate = rate / 100
    if rate < 0:
        raise ValueError(_("must not be negative"))
    if rate > 1:
        raise ValueError(_("must be a fraction, e.g. 0.18 for 18%"))
    rate = rate.normalize()
    if rate.as_tuple().exponent < -6:
        raise ValueError(_("more than 6 decimal places"))
    return rate


def add_months(start: dt.date, months: int) -> dt.date:
    """Same day of the month ``months`` later, clamped to the month's last day."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
