"""Alert messages: the words a person reads, rendered as plain text, Markdown or HTML.

Page text (sentences, summaries) is data, never a template: it is only ever escaped for the
target format (``html.escape`` for HTML, backslash-escaping of Markdown specials for Markdown)
and concatenated; no Jinja, no ``str.format`` with page content as the format string. A page
sentence containing ``<script>`` or ``{{ 7*7 }}`` therefore arrives literally.

Every message carries the stable idempotency key of each alert in it (``claimwatch-alert-<id>``)
so a receiver can drop the duplicate that at-least-once delivery may produce.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Callable

from monitor.links import absolute, change_url, evidence_path, history_url
from monitor.render import clean, md_escape

TEXT, MARKDOWN, HTML = "text", "markdown", "html"
TITLE_MAX = 200


def alert_key(alert_id: int) -> str:
    """Stable per-alert idempotency key shown to receivers."""
    return f"claimwatch-alert-{alert_id}"


@dataclass(frozen=True)
class AlertItem:
    """One outbox row joined with what the message needs (change row, source name and URL)."""

    alert_id: int
    event: str  # change | broken | recovered | test
    channel: str
    source_id: str | None
    source_name: str | None
    source_url: str | None
    change: dict | None  # the changes row, for event 'change'
    detail: str | None
    created_at: str
    fetched_at: str | None = None  # when the change's new version was first fetched
    group: tuple[dict, ...] = ()  # every change of the statement group (the same sentence), when more than one

    @property
    def changes(self) -> tuple[dict, ...]:
        """The changes this alert reports: its statement group, or its one change."""
        return self.group or ((self.change,) if self.change else ())

    @property
    def severity(self) -> str | None:
        from monitor.alerts.payload import max_severity

        return max_severity([c.get("severity") for c in self.changes])

    @property
    def key(self) -> str:
        return alert_key(self.alert_id)

    @property
    def notify(self) -> str:
        """Apprise notify type: a reader's client colours/sorts by it, so a dose change is not 'info'."""
        if self.event == "change":
            return NOTIFY_FOR_SEVERITY.get(str(self.severity), "info")
        return {"broken": "failure", "recovered": "success"}.get(self.event, "info")


# Apprise notify types by change severity (high → failure, medium → warning, low → info).
NOTIFY_FOR_SEVERITY = {"high": "failure", "medium": "warning", "low": "info"}
_NOTIFY_RANK = {"info": 0, "success": 1, "warning": 2, "failure": 3}


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    markdown: str
    html: str
    keys: tuple[str, ...]
    notify: str = "info"  # Apprise notify type: the most urgent of the alerts in the message
    payload: dict[str, Any] = field(default_factory=dict, compare=False)  # native webhook document

    @property
    def key(self) -> str:
        """Idempotency key of the whole message (the alert's own key when it holds one alert)."""
        return self.digest_key(self.keys)

    @staticmethod
    def digest_key(keys: tuple[str, ...]) -> str:
        if len(keys) == 1:
            return keys[0]
        return "claimwatch-digest-" + "-".join(k.rsplit("-", 1)[1] for k in keys)

    def body(self, fmt: str) -> str:
        return {TEXT: self.text, MARKDOWN: self.markdown, HTML: self.html}[fmt]


def html_escape(text: str) -> str:
    return html.escape(clean(text), quote=True).replace("\n", "<br>")


# A body is a list of lines; each line is a list of (kind, value) pieces where kind is
# "text" (escaped for the format), "strong" (escaped, emphasised), "code" (verbatim) or "link".
Piece = tuple[str, str]


def _item_lines(item: AlertItem, base_url: str | None) -> list[list[Piece]]:
    source = item.source_name or item.source_id or "(no source)"
    head: list[Piece] = [("strong", source)]
    if item.source_url:
        head += [("text", " "), ("link", item.source_url)]
    lines: list[list[Piece]] = [head]
    if item.event == "change" and item.change:
        ch = item.change
        if item.group:
            lines.append([("strong", f"{len(item.group)} facts of one statement · severity {item.severity}")])
            lines += [[("text", f"{c.get('kind', '?')} [{c.get('severity', '?')}] {c.get('summary') or ''}")]
                      for c in item.group]
        else:
            lines.append([("strong", f"{ch.get('category', '?')} · {ch.get('kind', '?')} · "
                                     f"severity {ch.get('severity', '?')}")])
            lines.append([("text", ch.get("summary") or "")])
        if ch.get("old_text"):
            lines.append([("strong", "Before:"), ("text", " " + ch["old_text"])])  # space outside: **x** stays bold
        if ch.get("new_text"):
            lines.append([("strong", "After:"), ("text", " " + ch["new_text"])])
        versions = f" (version {ch['from_version']} → {ch['to_version']})" if ch.get("from_version") else ""
        lines.append([("text", f"Detected: {ch.get('detected_at') or item.created_at}{versions}")])
        for label, url in (("Change: ", change_url(base_url, ch["id"])),
                           ("Evidence bundle: ", absolute(base_url, evidence_path(ch["id"]))),
                           ("History: ", history_url(base_url, item.source_id))):
            if url:
                lines.append([("text", label), ("link", url)])
    elif item.event == "broken":
        lines.append([("strong", "Fetching this source is broken")])
        lines.append([("text", item.detail or "repeated fetch failures")])
        lines.append([("text", f"Since: {item.created_at}")])
    elif item.event == "recovered":
        lines.append([("strong", "Fetching this source works again")])
        if item.detail:
            lines.append([("text", item.detail)])
    else:  # test
        lines.append([("text", item.detail or f"Test message for channel {item.channel}.")])
    lines.append([("text", "Alert key: "), ("code", item.key)])
    return lines


def _render(blocks: list[list[list[Piece]]], fmt: str) -> str:
    esc: Callable[[str], str] = {TEXT: clean, MARKDOWN: md_escape, HTML: html_escape}[fmt]

    def piece(kind: str, value: str) -> str:
        if kind == "link":
            if fmt == HTML:
                return f'<a href="{html.escape(value, quote=True)}">{html.escape(value)}</a>'
            if fmt == MARKDOWN:
                return "<" + value.replace(">", "%3E").replace(" ", "%20") + ">"
            return clean(value)
        if kind == "code":
            if fmt == HTML:
                return f"<code>{html.escape(value)}</code>"
            if fmt == MARKDOWN:
                return f"`{value.replace('`', '')}`"
            return clean(value)
        if kind == "strong":
            if fmt == HTML:
                return f"<b>{esc(value)}</b>"
            if fmt == MARKDOWN:
                return f"**{esc(value)}**"
        return esc(value)

    rendered = []
    for block in blocks:
        lines = ["".join(piece(k, v) for k, v in line) for line in block]
        if fmt == HTML:
            rendered.append("<p>" + "<br>".join(lines) + "</p>")
        elif fmt == MARKDOWN:
            rendered.append("  \n".join(lines))
        else:
            rendered.append("\n".join(lines))
    sep = "\n<hr>\n" if fmt == HTML else ("\n\n---\n\n" if fmt == MARKDOWN else "\n\n----\n\n")
    return sep.join(rendered)


def _title(items: list[AlertItem]) -> str:
    if len(items) == 1:
        item = items[0]
        source = item.source_name or item.source_id or ""
        if item.event == "change" and item.change:
            ch = item.change
            title = f"claimwatch: {ch.get('category')} {ch.get('kind')} on {source} ({item.severity})"
            if item.group:
                title += f", {len(item.group)} facts"
        elif item.event == "broken":
            title = f"claimwatch: fetching {source} is broken"
        elif item.event == "recovered":
            title = f"claimwatch: fetching {source} works again"
        else:
            title = f"claimwatch: test message for channel {item.channel}"
    else:
        changes = sum(1 for i in items if i.event == "change")
        sources = len({i.source_id for i in items if i.source_id})
        others = len(items) - changes
        title = f"claimwatch digest: {changes} change{'s' if changes != 1 else ''}"
        title += f" on {sources} source{'s' if sources != 1 else ''}"
        if others:
            title += f", {others} source event{'s' if others != 1 else ''}"
    title = " ".join(clean(title).split())
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def render_message(items: list[AlertItem], base_url: str | None = None) -> Message:
    """One message for one alert, or a digest of several (in the given order)."""
    if not items:
        raise ValueError("render_message needs at least one alert")
    from monitor.alerts.payload import build_payload

    blocks = [_item_lines(i, base_url) for i in items]
    if len(items) > 1:
        blocks.insert(0, [[("strong", f"{len(items)} alerts")]])
    title, text = _title(items), _render(blocks, TEXT)
    notify = max((i.notify for i in items), key=_NOTIFY_RANK.__getitem__)
    return Message(title=title, text=text, markdown=_render(blocks, MARKDOWN), html=_render(blocks, HTML),
                   keys=tuple(i.key for i in items), notify=notify,
                   payload=build_payload(items, base_url, title, text))
