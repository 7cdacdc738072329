"""Datasette plugin for claimwatch history databases (entry point ``claimwatch``).

Active in plain ``datasette snapshots/history.db`` too, but it only touches databases that
look like a claimwatch history (all history tables present). For those it:

- adds metadata (title, descriptions of every table and column from ``store.SCHEMA_DOC``),
- serves the canned queries of ``queries.py``,
- renders cells: claim values as chips, old → new sentences as word diffs, versions' text
  with links to the side-by-side page, change ids with links to the change page,
- registers ``/-/claimwatch/diff/{source}/{a}..{b}`` and ``/-/claimwatch/change/{id}``,
- keeps the web side read-only: every connection gets ``PRAGMA query_only``, write
  permissions (row writes, table DDL, write canned queries) are denied and any request
  other than GET/HEAD to a history DB's pages or ours is answered 405,
- sends a Content-Security-Policy with every response of a claimwatch instance.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError
from markupsafe import Markup

from monitor import links
from monitor.datasette import queries, render, routes
from monitor.datasette.instance import histories, is_history
from monitor.datasette.metadata import instance_metadata, looks_like_history
from monitor.store import refuse_writes

WRITE_ACTIONS = frozenset({
    "insert-row", "delete-row", "update-row", "upsert-row", "create-table", "drop-table",
    "alter-table",
})
INSTANCE_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
                "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
                "frame-ancestors 'none'")
_JSON_COLUMNS = ("value", "old_value", "new_value")
log = logging.getLogger("claimwatch.datasette")


# ---------------------------------------------------------------- metadata and queries


@hookimpl
def get_metadata(datasette: Any, key: Any, database: Any, table: Any) -> dict[str, Any]:
    found = histories(datasette)
    return instance_metadata({name: (datasette.urls.database(name), schema)
                              for name, schema in found.items()})


@hookimpl
def canned_queries(datasette: Any, database: str, actor: Any) -> Any:
    if not is_history(datasette, database):
        return None

    # Fixed SQL: nothing to read from the DB, so a request pays microseconds here.
    return queries.canned_queries()


# ---------------------------------------------------------------- read-only


@hookimpl
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    """Every connection Datasette opens to a history DB refuses writes at the SQLite level."""
    if database != "_memory" and looks_like_history(conn):
        refuse_writes(conn)


@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str, resource: Any) -> Any:
    database = resource[0] if isinstance(resource, (tuple, list)) else resource
    if not isinstance(database, str) or not is_history(datasette, database):
        return None
    if action in WRITE_ACTIONS:
        return False
    if action == "view-query":

        async def inner() -> bool | None:
            query = await datasette.get_canned_query(database, resource[1], actor)
            return False if query and query.get("write") else None

        return inner
    return None


# ---------------------------------------------------------------- routes, CSS and CSP


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    from monitor.archive import web as archive_web  # evidence bundles (issue 18)

    return [(routes.HOME_ROUTE, routes.home_page),
            (routes.DIFF_ROUTE, routes.diff_page), (routes.CHANGE_ROUTE, routes.change_page),
            (routes.CSS_ROUTE, routes.css), (archive_web.EVIDENCE_ROUTE, archive_web.evidence_zip)]


@hookimpl
def extra_css_urls(template: str, database: str | None, table: str | None, columns: Any,
                   view_name: str, request: Any, datasette: Any) -> list[str]:
    if view_name == "claimwatch" or is_history(datasette, database) or (
            view_name == "index" and histories(datasette)):
        return [datasette.urls.path(routes.CSS_PATH)]
    return []


def _history_path(datasette: Any, path: str) -> bool:
    """Is ``path`` a page of a history DB (``/history``, ``/history.json``, ``/history/…``) or ours?"""
    if path.startswith("/-/claimwatch/"):
        return True
    for name in histories(datasette):
        route = datasette.urls.database(name)
        if path == route or path.startswith((route + "/", route + ".")):
            return True
    return False


async def _refuse_write(send: Any) -> None:
    body = b"claimwatch history is read-only: only GET and HEAD requests are served\n"
    await send({"type": "http.response.start", "status": 405, "headers": [
        (b"content-type", b"text/plain; charset=utf-8"), (b"allow", b"GET, HEAD"),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """CSP on every response of a claimwatch instance; 405 for any write method to history pages."""

    def wrap(app: Any) -> Any:
        async def with_csp(scope: dict, receive: Any, send: Any) -> None:
            if scope.get("type") != "http" or not histories(datasette):
                await app(scope, receive, send)
                return
            if scope.get("method", "GET") not in ("GET", "HEAD") and \
                    _history_path(datasette, scope.get("path", "")):
                await _refuse_write(send)
                return

            async def send_with_csp(message: dict) -> None:
                if message.get("type") == "http.response.start":
                    headers = list(message.get("headers") or [])
                    names = {k.lower() for k, _ in headers}
                    if b"content-security-policy" not in names:
                        headers.append((b"content-security-policy", INSTANCE_CSP.encode()))
                    if b"x-content-type-options" not in names:
                        headers.append((b"x-content-type-options", b"nosniff"))
                    message = {**message, "headers": headers}
                await send(message)

            await app(scope, receive, send_with_csp)

        return with_csp

    return wrap


# ---------------------------------------------------------------- errors


def replace_default_exception_handler() -> None:
    """Block Datasette's own ``handle_exception`` plugin in favour of ours (below).

    Datasette's prints a Rich traceback *with locals* for every error, each 404 included, and
    with current Rich that call fails outside an ``except`` block, which turned a plain 404
    into a 500. Ours logs one line and renders the same error page, for every database of the
    instance. ``set_blocked`` also works before Datasette registers its defaults (entry-point
    plugins such as this one are loaded first).
    """
    from datasette.plugins import pm

    pm.set_blocked("datasette.handle_exception")


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Any:
    async def inner() -> Any:
        from datasette import Response

        title = None
        if isinstance(exception, Base400):
            status, message = exception.status, str(exception.args[0]) if exception.args else "error"
        elif isinstance(exception, DatasetteError):
            status, message, title = exception.status, exception.message, exception.title
            if exception.message_is_html:
                message = Markup(message)
        else:
            status, message = 500, str(exception)
        log.warning("%s %s: %s %s: %s", request.method, request.path, status,
                    type(exception).__name__, " ".join(str(message).split())[:300])
        info = {"ok": False, "error": message, "status": status, "title": title}
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        return Response.html(await template.render_async(dict(
            info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(), menu_links=lambda: [])),
            status=status)

    return inner


replace_default_exception_handler()


# ---------------------------------------------------------------- cells


def _get(row: Any, name: str) -> Any:
    try:
        value = row[name]
    except (IndexError, KeyError, TypeError):
        return None
    return value["value"] if isinstance(value, dict) and "value" in value else value


def _has(row: Any, name: str) -> bool:
    try:
        keys = row.keys()
    except AttributeError:
        return False
    return name in keys


def _version_link(datasette: Any, database: str, source_id: Any, number: Any) -> Markup:
    query = urlencode({"source_id": source_id, "number": number})
    href = f"{datasette.urls.table(database, 'versions')}?{query}"
    return Markup('<a href="{}">v{}</a>').format(href, number)


def _json_cell(value: Any) -> Markup | None:
    parsed = render.parse_json(value)
    if isinstance(parsed, dict):
        return render.chips(parsed)
    if isinstance(parsed, list) and parsed and all(isinstance(x, dict) for x in parsed):
        return render.claim_list(parsed)
    return None


def render_history_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                        datasette: Any) -> Markup | None:
    """The cell's HTML for a history DB, or None to let Datasette render it."""
    source_id = _get(row, "source_id")
    if column == "says" and table is None:
        base = f"{datasette.urls.database(database)}/version_timeline"
        return render.says_table(render.says_entries(value),
                                 lambda sid: f"{base}?{urlencode({'source': sid})}")
    if column in _JSON_COLUMNS or (table is None and isinstance(value, str) and value.startswith("[{")):
        return _json_cell(value)
    if column in ("old_text", "new_text") and _has(row, "old_text") and _has(row, "new_text"):
        old, new = render.word_diff_html(_get(row, "old_text"), _get(row, "new_text"))
        return (old if column == "old_text" else new) if value is not None else None
    if column == "text" and table == "versions" and source_id is not None:
        number = _get(row, "number")
        anchors = [Markup('<a href="{}">diff with previous</a>').format(
            datasette.urls.path(links.diff_path(source_id, max(int(number) - 1, 0), number)))] \
            if number else []
        return Markup('<div class="cw-links">{}</div><div class="cw-text">{}</div>').format(
            Markup(" · ").join(anchors), value or "")
    if column in ("from_version", "to_version", "version") and source_id is not None \
            and isinstance(value, int) and table in (None, "changes"):
        return _version_link(datasette, database, source_id, value)
    if column == "diff" and table is None and source_id is not None and isinstance(value, str):
        a, sep, b = value.partition("..")
        if sep and a.isdigit() and b.isdigit():
            return Markup('<a href="{}">v{} → v{}</a>').format(
                datasette.urls.path(links.diff_path(source_id, int(a), int(b))), a, b)
    if column in ("change", "change_id") and isinstance(_get(row, column), int):
        change_id = _get(row, column)
        return Markup('<a href="{}">change #{}</a>').format(
            datasette.urls.path(links.change_path(change_id)), change_id)
    if column in ("url", "final_url") and isinstance(value, str):
        return render.safe_link(value)
    if column == "redirects" and isinstance(value, str):
        hops = render.parse_json(value)
        if isinstance(hops, list):
            return Markup("<br>").join(render.safe_link(h) for h in hops) if hops else Markup("—")
    if column.endswith("_mg") and isinstance(value, (int, float)):
        return Markup("{} mg").format(json.dumps(value))
    return None


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str,
                datasette: Any) -> Markup | None:
    if not is_history(datasette, database):
        return None
    return render_history_cell(row, value, column, table, database, datasette)

