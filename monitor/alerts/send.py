"""Hand one rendered message to its channel — Apprise, or the native JSON webhook — with secrets
kept out of every log.

Apprise channels: the channel URL is expanded (``${VAR}`` → environment value) here and only
here, the Apprise plugin is built from it, the message is sent in the format the plugin prefers (HTML for mail,
Markdown for chat services that take it, plain text otherwise) and the idempotency key is added
as an ``X-Claimwatch-Idempotency-Key`` header where the plugin sends headers (mail, json://,
xml://, form://) and as ``idempotency_key`` in json:// payloads.

While Apprise works, a logging filter on its loggers rewrites every record through the
:class:`~monitor.alerts.secrets.Masker`, so neither our logs nor the application's handlers see a
secret; warnings are also collected to explain a failure. The Apprise notify type follows the
most urgent alert in the message (high → failure, medium → warning, low → info; a broken fetch
is a failure, a recovery a success), so chat clients colour a dose change red, not blue.

Webhook channels (``webhook:``) POST ``message.payload`` (see :mod:`.payload`) as JSON with
httpx. With ``secret: ${ENV}`` the exact body bytes are signed with HMAC-SHA256 and sent as
``X-Claimwatch-Signature: sha256=<hex>`` — the scheme GitHub uses (``X-Hub-Signature-256``), so
receivers can reuse their verification code. Redirects are not followed: a signed alert goes
only to the configured URL.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from typing import Iterator

from monitor.alerts.messages import HTML, MARKDOWN, TEXT, Message
from monitor.alerts.payload import encode
from monitor.alerts.secrets import AlertError, Masker, expand_url, mask_url
from monitor.config import Channel

IDEMPOTENCY_HEADER = "X-Claimwatch-Idempotency-Key"
SIGNATURE_HEADER = "X-Claimwatch-Signature"
EVENT_HEADER = "X-Claimwatch-Event"
WEBHOOK_TIMEOUT = 20.0  # seconds; a slow receiver is retried with backoff like any failure
# httpx logs every request URL at INFO, and a webhook URL may carry a token: scrub it too.
_SCRUBBED_LOGGERS = ("apprise", "urllib3.connectionpool", "requests", "httpx", "httpcore")


class _ScrubFilter(logging.Filter):
    """Masks secrets in log records as they are emitted; keeps warnings to explain a failure."""

    def __init__(self, masker: Masker, warnings: list[str]) -> None:
        super().__init__()
        self.masker = masker
        self.warnings = warnings

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string in a third-party log call
            message = str(record.msg)
        record.msg = self.masker(message)
        record.args = ()
        if record.exc_info:
            record.exc_text = self.masker(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.levelno >= logging.WARNING:
            self.warnings.append(record.msg)
        return True


@contextlib.contextmanager
def scrubbed_logs(masker: Masker) -> Iterator[list[str]]:
    warnings: list[str] = []
    flt = _ScrubFilter(masker, warnings)
    loggers = [logging.getLogger(name) for name in _SCRUBBED_LOGGERS]
    for lg in loggers:
        lg.addFilter(flt)
    try:
        yield warnings
    finally:
        for lg in loggers:
            lg.removeFilter(flt)


def _format_for(plugin: object) -> str:
    resolved = plugin.resolve_format(None)  # type: ignore[attr-defined]
    value = getattr(resolved, "value", str(resolved))
    return value if value in (TEXT, MARKDOWN, HTML) else TEXT


def _attach_key(plugin: object, message: Message) -> None:
    headers = getattr(plugin, "headers", None)
    if isinstance(headers, dict):
        headers[IDEMPOTENCY_HEADER] = message.key
    extras = getattr(plugin, "payload_extras", None)
    if isinstance(extras, dict) and getattr(plugin, "protocol", None) == "json":
        extras["idempotency_key"] = message.key
        extras["alert_keys"] = ",".join(message.keys)


def sign(secret: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, body): the value of the signature header."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(secret, body), str(header))


def send_webhook(channel: Channel, message: Message) -> None:
    """POST the message's JSON document to a ``webhook:`` channel; AlertError (masked) on failure."""
    import httpx

    from monitor import __version__

    expanded = expand_url(channel.url, channel.name)
    key = expand_url(channel.secret, channel.name) if channel.secret else None
    masker = Masker(expanded.secrets + (key.secrets if key else ()))
    shown = mask_url(channel.url)
    body = encode(message.payload)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": f"claimwatch/{__version__}",
               IDEMPOTENCY_HEADER: message.key, EVENT_HEADER: str(message.payload.get("event", ""))}
    if key is not None:
        headers[SIGNATURE_HEADER] = sign(key.url, body)
    with scrubbed_logs(masker):
        try:
            response = httpx.post(expanded.url, content=body, headers=headers, timeout=WEBHOOK_TIMEOUT,
                                  follow_redirects=False)
        except httpx.HTTPError as exc:
            raise AlertError(masker(f"channel {channel.name!r}: POST to {shown} failed: "
                                    f"{type(exc).__name__}: {exc}")) from None
    if not 200 <= response.status_code < 300:
        where = ""
        if response.is_redirect:
            where = f" to {response.headers.get('location', '?')} (not followed: the alert goes only to the configured URL)"
        reply = " ".join(response.text[:200].split())
        raise AlertError(masker(f"channel {channel.name!r}: {shown} answered HTTP {response.status_code}{where}"
                                + (f": {reply}" if reply and not where else "")))


def send_message(channel: Channel, message: Message) -> None:
    """Deliver ``message`` through ``channel``; raise AlertError (secrets masked) on any failure."""
    if channel.kind == "webhook":
        send_webhook(channel, message)
        return
    import apprise

    expanded = expand_url(channel.url, channel.name)
    masker = Masker(expanded.secrets)
    shown = mask_url(channel.url)
    with scrubbed_logs(masker) as warnings:
        try:
            plugin = apprise.Apprise.instantiate(expanded.url)
            if plugin is None:
                why = "; ".join(warnings[-2:]) or "unsupported or malformed URL"
                raise AlertError(masker(f"channel {channel.name!r}: Apprise cannot use {shown} ({why}); "
                                        "fix the url in sources.yaml"))
            _attach_key(plugin, message)
            fmt = _format_for(plugin)
            ok = plugin.notify(body=message.body(fmt), title=message.title, body_format=fmt,
                               notify_type=apprise.NotifyType(message.notify))
        except AlertError:
            raise
        except Exception as exc:  # Apprise plugins raise all sorts; keep the reason, mask it
            raise AlertError(masker(f"channel {channel.name!r}: {type(exc).__name__}: {exc}")) from None
    if not ok:
        why = "; ".join(dict.fromkeys(warnings[-3:])) or "the service refused the message"
        raise AlertError(masker(f"channel {channel.name!r}: delivery to {shown} failed: {why}"))
