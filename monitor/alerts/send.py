"""Hand one rendered message to Apprise for one channel, with secrets kept out of every log.

The channel URL is expanded (``${VAR}`` → environment value) here and only here, the Apprise
plugin is built from it, the message is sent in the format the plugin prefers (HTML for mail,
Markdown for chat services that take it, plain text otherwise) and the idempotency key is added
as an ``X-Claimwatch-Idempotency-Key`` header where the plugin sends headers (mail, json://,
xml://, form://) and as ``idempotency_key`` in json:// payloads.

While Apprise works, a logging filter on its loggers rewrites every record through the
:class:`~monitor.alerts.secrets.Masker`, so neither our logs nor the application's handlers see a
secret; warnings are also collected to explain a failure.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

from monitor.alerts.messages import HTML, MARKDOWN, TEXT, Message
from monitor.alerts.secrets import AlertError, Masker, expand_url, mask_url
from monitor.config import Channel

IDEMPOTENCY_HEADER = "X-Claimwatch-Idempotency-Key"
_SCRUBBED_LOGGERS = ("apprise", "urllib3.connectionpool", "requests")


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


def send_message(channel: Channel, message: Message) -> None:
    """Deliver ``message`` through ``channel``; raise AlertError (secrets masked) on any failure."""
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
            ok = plugin.notify(body=message.body(fmt), title=message.title, body_format=fmt)
        except AlertError:
            raise
        except Exception as exc:  # Apprise plugins raise all sorts; keep the reason, mask it
            raise AlertError(masker(f"channel {channel.name!r}: {type(exc).__name__}: {exc}")) from None
    if not ok:
        why = "; ".join(dict.fromkeys(warnings[-3:])) or "the service refused the message"
        raise AlertError(masker(f"channel {channel.name!r}: delivery to {shown} failed: {why}"))
