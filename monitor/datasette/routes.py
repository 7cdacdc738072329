"""Request handlers for the plugin's routes (registered by ``plugin.register_routes``)."""

from __future__ import annotations

from typing import Any, Callable

from datasette import NotFound, Response
from datasette.utils.asgi import BadRequest

from monitor import links, store
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


async def _read(db: Any, fn: Callable[..., Any], *args: Any) -> Any:
    """Run a store read on Datasette's connection to ``db`` (in its thread, read-only)."""
    return await db.execute_fn(lambda conn: fn(store.on_connection(conn), *args))


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
        changes = await _read(db, store.recent_material_changes, RECENT_ON_HOME)
        failing = await _read(db, store.failing_sources)
        counts = await _read(db, store.source_counts)
        url = datasette.urls.database(name)
        found.append({
            "name": name, "url": url, "failing": failing,
            "sources": counts["sources"], "versions": counts["versions"],
            "changes": [{**dict(r), "href": links.in_database(links.change_path(r["id"]), name)} for r in changes],
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
    source = await _read(db, store.source_row, source_id)
    if source is None:
        raise NotFound(f"Unknown source {source_id}")
    if a >= b:
        raise BadRequest("The first version must be older than the second (a..b with a < b)")
    old_v = await _read(db, store.find_version, source_id, a) if a > 0 else None
    new_v = await _read(db, store.find_version, source_id, b)
    if new_v is None or (a > 0 and old_v is None):
        raise NotFound(f"Source {source_id} has no version {b if new_v is None else a}")
    old_claims = pages.claim_rows(await _read(db, store.version_claim_rows, old_v["id"])) if old_v else []
    new_claims = pages.claim_rows(await _read(db, store.version_claim_rows, new_v["id"]))
    old_marks, new_marks = pages.classify(old_claims, new_claims)
    changes = await _read(db, store.changes_between, source_id, a, b)
    older, newer = await _read(db, store.neighbour_versions, source_id, a, b)
    return await _render(datasette, request, "cw_diff.html", {
        "database": name, "database_url": datasette.urls.database(name),
        "source": source, "source_link": render.safe_link(source["url"]), "a": a, "b": b,
        "old": old_v, "new": new_v,
        "old_html": pages.highlighted(old_v["text"] or "", old_claims, old_marks) if old_v else None,
        "new_html": pages.highlighted(new_v["text"] or "", new_claims, new_marks),
        "differences": pages.key_differences(old_claims, new_claims),
        "changes": [pages.change_view(r) for r in changes],
        "prev_href": links.diff_path(source_id, older if older is not None else 0, a) if a > 0 else None,
        "next_href": links.diff_path(source_id, b, newer) if newer else None,
    })


async def change_page(datasette: Any, request: Any) -> Response:
    name, db = _database(datasette, request)
    row = await _read(db, store.change_row, _number(request.url_vars["id"], "the change id"))
    if row is None:
        raise NotFound("No such change")
    source = await _read(db, store.source_row, row["source_id"])
    old_v = await _read(db, store.find_version, row["source_id"], row["from_version"]) \
        if row["from_version"] is not None else None
    new_v = await _read(db, store.find_version, row["source_id"], row["to_version"])
    alerts = await _read(db, store.change_alerts, row["id"])
    return await _render(datasette, request, "cw_change.html", {
        "database": name, "database_url": datasette.urls.database(name),
        "change": pages.change_view(row), "source": source,
        "source_link": render.safe_link(source["url"]) if source else None,
        "old_context": pages.in_context(old_v["text"] if old_v else None, row["old_text"], "cw-removed"),
        "new_context": pages.in_context(new_v["text"] if new_v else None, row["new_text"], "cw-added"),
        "alerts": alerts,
    })
