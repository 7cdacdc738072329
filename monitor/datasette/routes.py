"""Request handlers for the plugin's routes (registered by ``plugin.register_routes``)."""

from __future__ import annotations

from typing import Any

from datasette import NotFound, Response
from datasette.utils.asgi import BadRequest

from monitor.datasette import pages, render
from monitor.datasette.instance import pick_database
from monitor.datasette.style import CSS

# ids are matched loosely and parsed here, so a malformed one gets a clear 400 and not a 404
# for a page that "does not exist", nor a 500 from SQLite (an id past 2**63 cannot be bound)
DIFF_ROUTE = r"/-/claimwatch/diff/(?P<source>[^/]+)/(?P<range>[^/]*)$"
CHANGE_ROUTE = r"/-/claimwatch/change/(?P<id>[^/]*)$"
MAX_ID = 2 ** 63 - 1
CSS_ROUTE = r"/-/claimwatch/claimwatch\.css$"
HOME_ROUTE = r"^/$"
RECENT_ON_HOME = 20
CSS_PATH = "/-/claimwatch/claimwatch.css"


def _html(body: str) -> Response:
    return Response.html(body, headers={"Content-Security-Policy": pages.PAGE_CSP,
                                        "X-Content-Type-Options": "nosniff",
                                        "Referrer-Policy": "no-referrer"})


async def _one(db: Any, sql: str, params: list[Any]) -> Any | None:
    rows = (await db.execute(sql, params)).rows
    return rows[0] if rows else None


def _database(datasette: Any, request: Any) -> tuple[str, Any]:
    name = pick_database(datasette, request.args.get("db"))
    if name is None:
        raise NotFound("No claimwatch history database here")
    return name, datasette.get_database(name)


async def _render(datasette: Any, request: Any, template: str, context: dict[str, Any]) -> Response:
    tmpl = datasette.jinja_env.from_string(pages.template_source(template))
    return _html(await datasette.render_template(tmpl, context, request=request, view_name="claimwatch"))


async def home_page(datasette: Any, request: Any) -> Response:
    """``/``: recent changes, failing sources and the canned queries of every attached history
    (Datasette's own table list stays one click away), instead of a bare list of tables."""
    from monitor.datasette.instance import histories
    from monitor.datasette.queries import canned_queries

    found = []
    for name in histories(datasette):
        db = datasette.get_database(name)
        changes = (await db.execute(
            "select id, source_id, severity, summary, status, detected_at from changes "
            "where kind in ('added', 'removed', 'changed') order by detected_at desc, id desc limit ?",
            [RECENT_ON_HOME])).rows
        failing = (await db.execute(
            "select source_id, consecutive_failures, last_error, last_checked_at from source_state "
            "where consecutive_failures > 0 order by consecutive_failures desc, source_id")).rows
        counts = await _one(db, "select (select count(*) from sources) as sources, "
                                "(select count(*) from versions) as versions", [])
        url = datasette.urls.database(name)
        found.append({
            "name": name, "url": url, "failing": failing,
            "sources": counts["sources"] if counts else 0, "versions": counts["versions"] if counts else 0,
            "changes": [{**dict(r), "href": render.change_path(r["id"]) + f"?db={name}"} for r in changes],
            "queries": [{"name": q, "title": spec["title"], "description": spec["description"]}
                        for q, spec in canned_queries().items()],
        })
    return await _render(datasette, request, "cw_home.html", {"histories": found})


async def css(request: Any) -> Response:
    return Response(CSS, content_type="text/css; charset=utf-8",
                    headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"})


def _number(text: str, what: str) -> int:
    """A version number or id from the URL: a non-negative integer SQLite can hold, else 400."""
    if not text.isascii() or not text.isdigit() or int(text) > MAX_ID:
        raise BadRequest(f"{what} must be a whole number up to {MAX_ID}, got {text[:40]!r}")
    return int(text)


async def diff_page(datasette: Any, request: Any) -> Response:
    name, db = _database(datasette, request)
    source_id = request.url_vars["source"]
    first, sep, second = request.url_vars["range"].partition("..")
    if not sep:
        raise BadRequest("expected two versions as A..B, e.g. /-/claimwatch/diff/SOURCE/1..2")
    a, b = _number(first, "the first version"), _number(second, "the second version")
    source = await _one(db, "select id, name, url from sources where id = ?", [source_id])
    if source is None:
        raise NotFound(f"Unknown source {source_id}")
    if a >= b:
        raise BadRequest("The first version must be older than the second (a..b with a < b)")
    version_sql = "select id, number, title, text, first_seen, last_seen from versions " \
                  "where source_id = ? and number = ?"
    old_v = await _one(db, version_sql, [source_id, a]) if a > 0 else None
    new_v = await _one(db, version_sql, [source_id, b])
    if new_v is None or (a > 0 and old_v is None):
        raise NotFound(f"Source {source_id} has no version {b if new_v is None else a}")
    claim_sql = 'select category, key, text, value, start, "end" from claims ' \
                'where version_id = ? order by start, id'
    old_claims = pages.claim_rows((await db.execute(claim_sql, [old_v["id"]])).rows) if old_v else []
    new_claims = pages.claim_rows((await db.execute(claim_sql, [new_v["id"]])).rows)
    old_marks, new_marks = pages.classify(old_claims, new_claims)
    changes = (await db.execute(
        "select * from changes where source_id = ? and to_version > ? and to_version <= ? "
        "order by to_version, id", [source_id, a, b])).rows
    older = await _one(db, "select max(number) as n from versions where source_id = ? and number < ?",
                       [source_id, a])
    newer = await _one(db, "select min(number) as n from versions where source_id = ? and number > ?",
                       [source_id, b])
    return await _render(datasette, request, "cw_diff.html", {
        "database": name, "database_url": datasette.urls.database(name),
        "source": source, "source_link": render.safe_link(source["url"]), "a": a, "b": b,
        "old": old_v, "new": new_v,
        "old_html": pages.highlighted(old_v["text"] or "", old_claims, old_marks) if old_v else None,
        "new_html": pages.highlighted(new_v["text"] or "", new_claims, new_marks),
        "differences": pages.key_differences(old_claims, new_claims),
        "changes": [pages.change_view(r) for r in changes],
        "prev_href": render.diff_path(source_id, older["n"] if older and older["n"] is not None else 0, a)
        if a > 0 else None,
        "next_href": render.diff_path(source_id, b, newer["n"]) if newer and newer["n"] else None,
    })


async def change_page(datasette: Any, request: Any) -> Response:
    name, db = _database(datasette, request)
    row = await _one(db, "select * from changes where id = ?", [_number(request.url_vars["id"], "the change id")])
    if row is None:
        raise NotFound("No such change")
    source = await _one(db, "select id, name, url from sources where id = ?", [row["source_id"]])
    version_sql = "select id, number, title, text from versions where source_id = ? and number = ?"
    old_v = await _one(db, version_sql, [row["source_id"], row["from_version"]]) \
        if row["from_version"] is not None else None
    new_v = await _one(db, version_sql, [row["source_id"], row["to_version"]])
    alerts = (await db.execute(
        "select id, channel, event, status, attempts, last_error, sent_at from alerts "
        "where change_id = ? order by id", [row["id"]])).rows
    return await _render(datasette, request, "cw_change.html", {
        "database": name, "database_url": datasette.urls.database(name),
        "change": pages.change_view(row), "source": source,
        "source_link": render.safe_link(source["url"]) if source else None,
        "old_context": pages.in_context(old_v["text"] if old_v else None, row["old_text"], "cw-removed"),
        "new_context": pages.in_context(new_v["text"] if new_v else None, row["new_text"], "cw-added"),
        "alerts": alerts,
    })
