"""Provider backends for outbound messages, in the manner of Django's e-mail backends
(docs/messages.md). One small interface::

    backend.send(message) -> str      # the provider's id for the message
                                      # raises ProviderError when the provider refused it

Backends are named by dotted path in the settings ``SMS_BACKEND`` and ``EMAIL_MESSAGE_BACKEND``:

* ``ConsoleBackend`` (the default for SMS): writes the message to the log, or as one file per
  message into ``MESSAGE_FILE_DIR`` when that is set — nothing leaves the machine;
* ``DjangoEmailBackend`` (the default for e-mail): Django's own e-mail machinery (``EMAIL_BACKEND``,
  the console by default, SMTP when configured);
* ``HttpSmsBackend``: an HTTP SMS gateway from the environment (``SMS_GATEWAY_URL``,
  ``SMS_GATEWAY_KEY``, ``SMS_SENDER_ID``), with retries on network errors and 5xx answers.

A backend never touches the database; services.messages records what it answered.
"""
from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ProviderError(Exception):
    """The provider did not accept the message (``detail`` says why)."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


class BaseBackend:
    name = "base"

    def send(self, message) -> str:  # pragma: no cover - the interface
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Writes the message to the log, or to ``MESSAGE_FILE_DIR/<key>.txt`` when set."""

    name = "console"

    def send(self, message) -> str:
        provider_id = f"console-{message.idempotency_key or uuid.uuid4().hex}"
        text = f"To: {message.to_address}\nSubject: {message.subject}\n\n{message.body}\n"
        directory = getattr(settings, "MESSAGE_FILE_DIR", "")
        if directory:
            path = Path(directory)
            path.mkdir(parents=True, exist_ok=True)
            (path / f"{provider_id}.txt").write_text(text, encoding="utf-8")
        else:
            logger.warning("message %s (%s)\n%s", provider_id, message.channel, text)
        return provider_id


class DjangoEmailBackend(BaseBackend):
    """Sends e-mail through Django (``EMAIL_BACKEND``, ``DEFAULT_FROM_EMAIL``)."""

    name = "django-email"

    def send(self, message) -> str:
        provider_id = f"<{message.idempotency_key or uuid.uuid4().hex}@collections>"
        email = EmailMessage(subject=message.subject, body=message.body, to=[message.to_address],
                             headers={"Message-ID": provider_id})
        try:
            sent = email.send(fail_silently=False)
        except Exception as exc:  # SMTP and socket errors differ by backend
            raise ProviderError(f"e-mail not sent: {exc}") from exc
        if not sent:
            raise ProviderError("e-mail not sent")
        return provider_id


class HttpSmsBackend(BaseBackend):
    """POSTs ``{"to", "from", "text", "reference"}`` as JSON to ``SMS_GATEWAY_URL`` with
    ``Authorization: Bearer SMS_GATEWAY_KEY``; expects ``{"id": ...}`` back. Network errors and 5xx
    answers are retried ``SMS_GATEWAY_RETRIES`` times with a growing pause; the message's
    idempotency key travels as ``reference`` so a gateway that keeps references can drop a repeat."""

    name = "http-sms"

    def __init__(self, *, url: str | None = None, key: str | None = None, sender: str | None = None,
                 retries: int | None = None, timeout: float | None = None, backoff: float | None = None):
        self.url = url or settings.SMS_GATEWAY_URL
        self.key = key if key is not None else settings.SMS_GATEWAY_KEY
        self.sender = sender if sender is not None else settings.SMS_SENDER_ID
        self.retries = settings.SMS_GATEWAY_RETRIES if retries is None else retries
        self.timeout = settings.SMS_GATEWAY_TIMEOUT if timeout is None else timeout
        self.backoff = settings.SMS_GATEWAY_BACKOFF if backoff is None else backoff
        if not self.url:
            raise ProviderError("SMS_GATEWAY_URL is not set")

    def _post(self, payload: dict) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self.url, data=json.dumps(payload).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def send(self, message) -> str:
        payload = {"to": message.to_address, "from": self.sender, "text": message.body,
                   "reference": message.idempotency_key or ""}
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * attempt)
            try:
                status, body = self._post(payload)
            except (urllib.error.URLError, TimeoutError, OSError) as exc:
                last = f"gateway unreachable: {exc}"
                continue
            if status >= 500:
                last = f"gateway answered {status}"
                continue
            if status >= 400:
                raise ProviderError(f"gateway refused the message ({status}): {body[:200].decode(errors='replace')}")
            try:
                provider_id = str(json.loads(body or b"{}")["id"])
            except (ValueError, KeyError, TypeError):
                raise ProviderError("gateway answered without a message id") from None
            return provider_id
        raise ProviderError(last)


def backend_for(channel: str) -> BaseBackend:
    path = settings.EMAIL_MESSAGE_BACKEND if channel == "email" else settings.SMS_BACKEND
    return import_string(path)()
