"""The Datasette browser over a known history: canned queries, pages, FTS, escaping, read-only.

Uses Datasette's own ASGI test client (``ds.client``) driven by ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from test_datasette_fixture import (FACTS, LEGAL, LEGAL_VALUE, NEW_DOSE, NEW_VALUE, OLD_DOSE, XSS_IMG,
                                    XSS_LINK, XSS_SCRIPT, build_history)

from monitor.cli import cli
from monitor import store
from monitor.datasette.server import build_datasette
from monitor.store import SCHEMA_DOC

RAW_PAYLOADS = ("<script>document.title", "<img src=x", 'href="javascript:', "<a href=\"javascript")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_history(tmp_path_factory.mktemp("ds") / "history.db")


@pytest.fixture(scope="module")
def ds(history: Path) -> Any:
    return build_datasette(history)


def get(ds: Any, path: str, **kwargs: Any) -> Any:
    return asyncio.run(ds.client.get(path, **kwargs))


def rows(ds: Any, path: str) -> list[dict[str, Any]]:
    base, _, query = path.partition("?")
    response = get(ds, f"{base}.json?_shape=objects" + (f"&{query}" if query else ""))
    assert response.status_code == 200, response.text[:500]
    return response.json()["rows"]


def db_bytes(path: Path) -> str:
    digest = hashlib.sha256()
    for p in (path, Path(f"{path}-wal")):
        if p.exists():
            digest.update(p.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------- metadata


def test_metadata_comes_from_schema_doc(ds: Any) -> None:
    meta = get(ds, "/-/metadata.json").json()
    assert meta["title"] == "claimwatch history"
    tables = meta["databases"]["history"]["tables"]
    for table, (description, columns) in SCHEMA_DOC.items():
        assert tables[table]["description"] == description
        for column, text in columns.items():
            assert tables[table]["columns"][column] == text
    page = get(ds, "/history/changes").text
    assert SCHEMA_DOC["changes"][0] in page
    assert SCHEMA_DOC["changes"][1]["severity"] in page  # column descriptions shown as tooltips


# ---------------------------------------------------------------- canned queries


def test_recent_changes_newest_first_with_links(ds: Any) -> None:
    got = rows(ds, "/history/recent_changes")
    assert [r["change"] for r in got] == [4, 3, 2, 1]
    dosage = got[-1]
    assert (dosage["source_id"], dosage["old_text"], dosage["new_text"]) == ("alpha", OLD_DOSE, NEW_DOSE)
    assert (dosage["from_version"], dosage["to_version"], dosage["diff"]) == (1, 2, "1..2")
    html = get(ds, "/history/recent_changes").text
    assert '<a href="/-/claimwatch/diff/alpha/1..2">v1 → v2</a>' in html
    assert '<a href="/history/versions?source_id=alpha&amp;number=1">v1</a>' in html
    assert '<a href="/-/claimwatch/change/1">change #1</a>' in html
    assert '<span class="cw-chip">0.3–0.6 mg</span>' in html and '<span class="cw-chip">0.6–0.9 mg</span>' in html
    assert "(0.<del>3</del>" in html and "(0.<ins>6</ins>" in html


def test_dosage_history_per_source(ds: Any) -> None:
    got = rows(ds, "/history/dosage_history?source=alpha")
    assert [(r["version"], r["min_mg"], r["max_mg"], r["route"]) for r in got] == [
        (1, 0.3, 0.6, "intranasal"), (2, 0.6, 0.9, "intranasal")]
    everyone = rows(ds, "/history/dosage_history")
    assert {r["source_id"] for r in everyone} == set(FACTS["sources"])
    beta = [r for r in everyone if r["source_id"] == "beta"]
    assert len(beta) == 1 and beta[0]["key"] is None  # a version without dosage claims still shows


def says(row: dict[str, Any]) -> dict[str, list[tuple[dict, str]]]:
    """The ``says`` column read back per source: {source: [(value, example sentence)]}."""
    out: dict[str, list[tuple[dict, str]]] = {}
    for entry in json.loads(row["says"]):
        for source in entry["sources"]:
            out.setdefault(source, []).append((entry["value"], entry["text"]))
    return out


def test_claims_across_sources_shows_latest_versions(ds: Any) -> None:
    got = {r["key"]: r for r in rows(ds, "/history/claims_across_sources")}
    assert says(got["dosage:intranasal:dose"]) == {"alpha": [(NEW_VALUE, NEW_DOSE)]}  # v2, not v1; no one else
    assert says(got["legality:fda"]) == {"alpha": [(LEGAL_VALUE, LEGAL)], "beta": [(LEGAL_VALUE, LEGAL)]}
    assert says(got["evidence:level"]) == {"alpha": [({"level": "low"}, "Evidence in humans remains low quality.")]}
    assert set(says(got["dosage:unspecified:day"])) == {"hostile"}
    assert [r["distinct_values"] for r in got.values()] == [1] * len(got)
    html = get(ds, "/history/claims_across_sources").text
    assert '<span class="cw-chip">FDA</span> <span class="cw-chip">not approved</span>' in html
    assert '<a href="/history/version_timeline?source=beta">beta</a>' in html
    assert '<span class="cw-chip">0.6–0.9 mg</span>' in html and "0.3–0.6 mg" not in html
    assert "2 sources, 1 value" in html


def test_claims_across_sources_filters_by_source_list(ds: Any) -> None:
    only_beta = rows(ds, "/history/claims_across_sources?source=beta")
    assert [(r["key"], says(r)) for r in only_beta] == [("legality:fda", {"beta": [(LEGAL_VALUE, LEGAL)]})]
    two = {r["key"]: says(r) for r in rows(ds, "/history/claims_across_sources?source=beta,+hostile")}
    assert set(two) == {"legality:fda", "dosage:unspecified:day"}
    assert set(two["legality:fda"]) == {"beta"} and set(two["dosage:unspecified:day"]) == {"hostile"}
    assert rows(ds, "/history/claims_across_sources?source=nobody") == []


def test_claims_across_sources_scales_past_sqlite_column_limit(tmp_path: Path) -> None:
    """2,100 sources (the old one-column-per-source SQL failed beyond 1,998): one row per key,
    sources grouped by the value their latest version states."""
    db = store.open_db(tmp_path / "history.db")
    n = 2100
    db.conn.executemany("insert into sources (id, url, name, settings, enabled, created_at, updated_at) "
                        "values (?, ?, ?, '{}', 1, 't', 't')",
                        [(f"s{i:04d}", f"https://s{i}.example/", f"S{i}") for i in range(n)])
    versions, claims = [], []
    for i in range(n):
        for number, mg in ((1, 9), (2, 1 if i % 3 else 2)):  # v1 says 9 mg everywhere; latest says 1 or 2 mg
            vid = len(versions) + 1
            versions.append((vid, f"s{i:04d}", number))
            claims.append((vid, f"s{i:04d}", json.dumps({"min_mg": mg, "max_mg": mg, "per": "day"}), f"take {mg} mg"))
    db.conn.executemany("insert into versions (id, source_id, number, claim_count, held) values (?, ?, ?, 1, 0)",
                        versions)
    db.conn.executemany("insert into claims (version_id, source_id, category, key, text, value) "
                        "values (?, ?, 'dosage', 'dosage:unspecified:day', ?, ?)",
                        [(vid, sid, text, value) for vid, sid, value, text in claims])
    db.conn.commit()
    db.close()
    ds = build_datasette(tmp_path / "history.db")
    [row] = rows(ds, "/history/claims_across_sources")
    per_source = says(row)
    assert len(per_source) == n and row["distinct_values"] == 2
    assert per_source["s0000"] == [({"min_mg": 2, "max_mg": 2, "per": "day"}, "take 2 mg")]
    assert per_source["s0001"] == [({"min_mg": 1, "max_mg": 1, "per": "day"}, "take 1 mg")]
    assert [len(e["sources"]) for e in json.loads(row["says"])] == [1400, 700]  # most-stated first
    html = get(ds, "/history/claims_across_sources").text
    assert "2100 sources, 2 values" in html and "+1388 more" in html and "+688 more" in html


def test_version_timeline(ds: Any) -> None:
    got = rows(ds, "/history/version_timeline?source=alpha")
    assert [(r["version"], r["changes"], r["fetches"], r["diff"]) for r in got] == [
        (2, 3, 1, "1..2"), (1, 0, 1, "0..1")]
    assert "dosage changed" in got[0]["summaries"]


def test_failing_sources_and_alerts_queue(ds: Any) -> None:
    failing = rows(ds, "/history/failing_sources")
    assert [(r["source_id"], r["consecutive_failures"], r["last_error"]) for r in failing] == [
        ("beta", 3, "timeout after 30 s")]
    queue = rows(ds, "/history/alerts_queue")
    assert [r["status"] for r in queue] == ["dead", "failed", "pending"]
    assert {r["status"] for r in queue} == FACTS["alerts_queue_statuses"]
    html = get(ds, "/history/alerts_queue").text
    assert '/-/claimwatch/change/' in html


# ---------------------------------------------------------------- pages


def test_front_page_shows_recent_changes_failing_sources_and_queries(ds: Any) -> None:
    response = get(ds, "/")
    assert response.status_code == 200
    html = response.text
    assert "Recent changes" in html and "/-/claimwatch/change/" in html
    assert "Sources failing" in html and "timeout after 30 s" in html  # beta's last error
    for title in ("Recent changes", "Claims across sources", "Dosage history", "Failing sources", "Alerts queue"):
        assert title in html
    assert 'href="/history"' in html  # Datasette's table list is one click away
    assert "_sqlite_migrations" not in html
    assert response.headers["content-security-policy"].startswith("default-src 'none'")


def test_diff_page_shows_old_and_new_dosage_side_by_side(ds: Any) -> None:
    response = get(ds, "/-/claimwatch/diff/alpha/1..2")
    assert response.status_code == 200
    html = response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert f'<mark class="cw-changed">{OLD_DOSE}</mark>' in html
    assert f'<mark class="cw-changed">{NEW_DOSE}</mark>' in html
    assert '<mark class="cw-added">Some users report hair loss with long-term use.</mark>' in html
    assert '<mark class="cw-same">Semax is not approved by the FDA for any medical use.</mark>' in html
    assert '<span class="cw-chip">0.3–0.6 mg</span>' in html and '<span class="cw-chip">0.6–0.9 mg</span>' in html
    assert get(ds, "/-/claimwatch/diff/alpha/0..1").status_code == 200
    assert get(ds, "/-/claimwatch/diff/alpha/1..9").status_code == 404
    assert get(ds, "/-/claimwatch/diff/nobody/1..2").status_code == 404


def test_change_page_and_version_text_links(ds: Any) -> None:
    html = get(ds, "/-/claimwatch/change/1").text
    assert "dosage changed: 0.3–0.6 mg → 0.6–0.9 mg per dose" in html
    assert f'<mark class="cw-removed">{OLD_DOSE}</mark>' in html
    assert f'<mark class="cw-added">{NEW_DOSE}</mark>' in html
    assert 'href="/-/claimwatch/diff/alpha/1..2"' in html
    assert ">email<" in html and ">pending<" in html  # its alert
    assert get(ds, "/-/claimwatch/change/999").status_code == 404
    versions = get(ds, "/history/versions").text
    assert 'href="/-/claimwatch/diff/alpha/1..2">diff with previous' in versions


def test_fts_finds_claims_and_version_text(ds: Any) -> None:
    found = rows(ds, "/history/claims?_search=hair")
    assert [r["key"] for r in found] == ["safety:hair_loss"]
    assert {r["source_id"] for r in rows(ds, "/history/versions?_search=intranasal")} == {"alpha"}


# ---------------------------------------------------------------- escaping


@pytest.mark.parametrize("path", [
    "/history/changes", "/history/changes/4", "/history/claims", "/history/versions", "/history/versions/5",
    "/history/sources", "/history/sources/hostile", "/history/alerts", "/history/recent_changes",
    "/history/claims_across_sources", "/history/dosage_history?source=hostile", "/history/alerts_queue",
    "/history/version_timeline?source=hostile", "/-/claimwatch/diff/hostile/1..2", "/-/claimwatch/change/4",
    "/",
])
def test_page_content_is_always_escaped(ds: Any, path: str) -> None:
    response = get(ds, path)
    assert response.status_code == 200
    for raw in RAW_PAYLOADS:
        assert raw not in response.text, f"{raw!r} rendered live on {path}"
    assert "&lt;script&gt;document.title=" in response.text or "&lt;img src=x" in response.text


def test_javascript_url_is_never_a_link(ds: Any) -> None:
    for path in ("/history/sources", "/-/claimwatch/diff/hostile/1..2", "/-/claimwatch/change/4"):
        assert "href=\"javascript:" not in get(ds, path).text
    assert XSS_IMG and XSS_LINK and XSS_SCRIPT  # the payloads the fixture planted


# ---------------------------------------------------------------- read-only


def test_sql_writes_are_refused(ds: Any, history: Path) -> None:
    before = db_bytes(history)
    for sql in ("insert into sources (id, url, name) values ('x', 'u', 'n')",
                "delete from changes", "update alerts set status = 'sent'", "drop table claims"):
        response = get(ds, "/history.json", params={"sql": sql})
        assert response.status_code >= 400 or response.json().get("ok") is False
    for path in ("/history/sources/-/insert", "/history/-/create", "/history/changes/1/-/delete",
                 "/history/sources", "/history", "/history.json?sql=delete+from+changes"):
        for method in ("post", "put", "patch", "delete"):
            response = asyncio.run(ds.client.request(method.upper(), path, json={"row": {"id": "x"}}))
            assert response.status_code == 405, (method, path)
            assert "read-only" in response.text
    assert db_bytes(history) == before
    assert len(rows(ds, "/history/sources")) == 3


def test_write_canned_query_and_write_connection_are_refused(history: Path) -> None:
    before = db_bytes(history)
    ds = build_datasette(history)
    ds._metadata_local = {"databases": {"history": {"queries": {"wipe": {
        "sql": "delete from changes", "write": True}}}}}
    assert asyncio.run(ds.client.post("/history/wipe", data={})).status_code == 405
    assert get(ds, "/history/wipe").status_code == 403  # the permission layer hides it as well
    # Below the permission layer, every connection to a history DB is query_only.
    with pytest.raises(sqlite3.OperationalError, match="readonly|read-only|query_only"):
        asyncio.run(ds.get_database("history").execute_write("delete from changes"))
    assert db_bytes(history) == before


def test_other_databases_are_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("create table items (id integer primary key, value text, url text)")
    conn.execute("""insert into items (value, url) values ('{"min_mg": 1}', 'javascript:alert(1)')""")
    conn.commit()
    conn.close()
    ds = build_datasette(other)
    meta = get(ds, "/-/metadata.json").json()
    assert meta.get("title") != "claimwatch history"
    page = get(ds, "/other/items")
    assert "cw-chip" not in page.text and "content-security-policy" not in page.headers
    assert get(ds, "/other/recent_changes").status_code == 404
    assert get(ds, "/-/claimwatch/change/1").status_code == 404
    asyncio.run(ds.get_database("other").execute_write("update items set url = 'x'"))  # untouched: writable


def test_serve_refuses_a_missing_or_foreign_db(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["serve", "--db", str(tmp_path / "nope.db"), "--no-open"])
    assert missing.exit_code == 2 and "no history database" in missing.output
    foreign = tmp_path / "foreign.db"
    sqlite3.connect(foreign).execute("create table t (x)").connection.commit()
    result = CliRunner().invoke(cli, ["serve", "--db", str(foreign)])
    assert result.exit_code == 2 and "not a claimwatch history" in result.output


@pytest.mark.parametrize("path, status", [
    ("/-/claimwatch/diff/alpha/abc", 400), ("/-/claimwatch/diff/alpha/1..abc", 400),
    ("/-/claimwatch/diff/alpha/2..1", 400), ("/-/claimwatch/change/abc", 400),
    ("/-/claimwatch/change/99999999999999999999999", 400),
    ("/-/claimwatch/diff/alpha/1..99999999999999999999999", 400),
    ("/-/claimwatch/change/999", 404), ("/-/claimwatch/nothing-here", 404), ("/no-such-db", 404)])
def test_malformed_ids_are_4xx_and_log_one_line(ds: Any, path: str, status: int, capfd: Any,
                                                 caplog: Any) -> None:
    import logging

    with caplog.at_level(logging.WARNING, logger="claimwatch.datasette"):
        response = get(ds, path)
    assert response.status_code == status
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err and "locals" not in out + err
    lines = [r.getMessage() for r in caplog.records if r.name == "claimwatch.datasette"]
    assert len(lines) == 1 and path in lines[0] and str(status) in lines[0] and "\n" not in lines[0]
