"""``{% dial_href case_id point_id number %}``: the href of a phone number (docs/disputes.md,
"Click-to-call"). Those who see full numbers get a ``tel:`` link with their extension; those who
see them masked get the dial page, which records the viewing and hands the number to the phone."""
from django import template
from django.urls import reverse

from accounts.roles import can_see_full_pii

register = template.Library()


@register.simple_tag(takes_context=True)
def dial_href(context, case_id, point_id, number) -> str:
    from collections_app.views.disputes import tel_href

    request = context.get("request")
    user = getattr(request, "user", None)
    if not point_id or not number or user is None:
        return ""
    if can_see_full_pii(user):
        return tel_href(number, getattr(user, "phone_extension", ""))
    return reverse("case_dial", args=[case_id, point_id])
