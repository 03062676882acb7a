"""Reads for the message pages: a case's messages, the templates a case may use."""
from __future__ import annotations

from collections_app.models import CollectionCase, Message, MessageTemplate, TemplateChannel

SENDABLE = (TemplateChannel.SMS, TemplateChannel.EMAIL)


def case_messages(case: CollectionCase, limit: int = 20) -> list[Message]:
    return list(Message.objects.filter(case=case).select_related("template").order_by("-send_at", "-id")[:limit])


def sendable_templates() -> list[dict]:
    """One row per (channel, code) of the active SMS and e-mail templates, for the send form."""
    rows = (MessageTemplate.objects.filter(is_active=True, channel__in=SENDABLE)
            .order_by("-channel", "code", "language").values("channel", "code", "name", "language"))  # SMS first
    out: dict[tuple, dict] = {}
    for row in rows:
        out.setdefault((row["channel"], row["code"]), row)
    return list(out.values())


def templates_for_preview() -> list[MessageTemplate]:
    return list(MessageTemplate.objects.select_related("lender", "updated_by").order_by("channel", "code", "language"))
