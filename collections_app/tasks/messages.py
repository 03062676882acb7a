"""Tasks of outbound messages: thin wrappers over services.messages. One task per provider kind so
each has its own rate (SMS_RATE_LIMIT, EMAIL_RATE_LIMIT), shared by every worker
(services.rate_limits): over it, the task comes back when the next window opens. Safe to deliver
twice: a message is claimed by a conditional UPDATE before it is sent, so a second delivery finds it
taken."""
from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings

__all__ = ["execute_sms_actions", "run_campaign", "send_due_messages", "send_email_message", "send_sms_message"]


def _deliver(task, message_id: int, *, key: str, rate: str) -> str:
    from collections_app.services.messages import deliver_message
    from collections_app.services.rate_limits import take_slot

    wait = take_slot(key=key, rate=rate, now=time.time())
    while wait and task.request.is_eager:  # in-process (the embedded default): wait for the window
        time.sleep(wait)
        wait = take_slot(key=key, rate=rate, now=time.time())
    if wait:
        raise task.retry(countdown=wait, max_retries=None)
    message = deliver_message(message_id=message_id)
    return "not due or already taken" if message is None else message.status


@shared_task(bind=True, name="collections_app.tasks.send_sms_message")
def send_sms_message(self, message_id: int) -> str:
    return _deliver(self, message_id, key="sms", rate=settings.SMS_RATE_LIMIT)


@shared_task(bind=True, name="collections_app.tasks.send_email_message")
def send_email_message(self, message_id: int) -> str:
    return _deliver(self, message_id, key="email", rate=settings.EMAIL_RATE_LIMIT)


@shared_task(name="collections_app.tasks.send_due_messages")
def send_due_messages() -> str:
    """Beat, every minute: queue the messages whose time has come (those planned for the next
    contact window), and fail those whose sender died mid-send."""
    from django.utils import timezone

    from collections_app.services.messages import due_message_ids, fail_stale_claims

    now = timezone.now()
    stale = fail_stale_claims(now=now)
    due = due_message_ids(now=now)
    for message_id, channel in due:
        (send_email_message if channel == "email" else send_sms_message).delay(message_id)
    return f"{len(due)} queued, {stale} stale"


@shared_task(name="collections_app.tasks.execute_sms_actions")
def execute_sms_actions() -> str:
    """Beat: send the strategy's due SMS reminders (services.actions.execute_sms_actions)."""
    from django.utils import timezone

    from collections_app.selectors.loan_figures import business_date
    from collections_app.services.actions import execute_sms_actions as run

    counts = run(today=business_date(), now=timezone.now())
    return ", ".join(f"{k} {v}" for k, v in counts.items())


@shared_task(name="collections_app.tasks.run_campaign")
def run_campaign(campaign_id: int) -> str:
    """A bulk send (services.campaigns.run_campaign); safe to deliver twice."""
    from collections_app.services.campaigns import run_campaign as run

    campaign = run(campaign_id=campaign_id)
    return f"{campaign.processed}/{campaign.total}"
