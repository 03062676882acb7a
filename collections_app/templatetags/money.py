"""``{{ value|money }}``: every amount a page shows, with 2 decimals (collections_app.formats)."""
from django import template

from collections_app.formats import format_money

register = template.Library()


@register.filter
def money(value):
    return format_money(value)
