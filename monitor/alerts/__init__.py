"""Alerts: a durable outbox in the history DB, delivered through Apprise (at-least-once).

- :mod:`.outbox`   queueing inside the pipeline's transaction, delivery with claim/send/mark,
                   backoff, dead letters, quiet hours and digests (design notes there)
- :mod:`.messages` the message text (plain, Markdown, HTML), page text escaped, never templated
- :mod:`.send`     the Apprise hand-off, idempotency key header/payload, scrubbed logs
- :mod:`.secrets`  ``${ENV}`` expansion at send time and masking of everything shown or stored
"""

from monitor.alerts.messages import AlertItem, Message, alert_key, render_message
from monitor.alerts.outbox import (
    Backoff,
    DeliveryReport,
    channels_for_source,
    deliver_pending,
    enqueue_changes,
    enqueue_source_event,
    enqueue_test,
    in_quiet_hours,
    routes,
)
from monitor.alerts.secrets import AlertError, Masker, expand_url, mask_url
from monitor.alerts.send import IDEMPOTENCY_HEADER, send_message

__all__ = [
    "AlertError", "AlertItem", "Backoff", "DeliveryReport", "IDEMPOTENCY_HEADER", "Masker", "Message",
    "alert_key", "channels_for_source", "deliver_pending", "enqueue_changes", "enqueue_source_event",
    "enqueue_test", "expand_url", "in_quiet_hours", "mask_url", "render_message", "routes", "send_message",
]
