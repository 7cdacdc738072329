"""WARC export and evidence bundles (issue 18) over a history built by the real pipeline.

The history: source ``s0`` (credentials in its headers) goes v1 → unchanged → v2 (a dose
change whose text carries a hostile ``<script>``) → unchanged; source ``s1`` serves an ETag,
so its second fetch is a 304. Fetch times are spread over days afterwards so ``--since`` and
WARC-Date can be checked.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from monitor import store
from monitor.archive.warc import export_warc, payload_digest, warc_date
from monitor.cli import cli
from monitor.config import load_config
from monitor.pipeline import run_pass
from monitor.snapshots import SnapshotStore
from fixture_site import BASE_ARTICLE, FixtureSite, page, write_config

HOSTILE = "&lt;script&gt;alert('pwned')&lt;/script&gt;"
CHANGED = BASE_ARTICLE.replace("300mcg to 600mcg per day.", f"3mg to 6mg per day. {HOSTILE}")
SECRET = "Bearer sekrit-token-123"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("archive")
    with FixtureSite() as site:
        site.set("/s0", page(BASE_ARTICLE))
        site.set("/s1", page(BASE_ARTICLE), etag='"v1"')
        cfg = load_config(write_config(tmp / "sources.yaml", [
            {"id": "s0", "url": site.url("/s0"), "allow_private": True, "respect_robots": False,
             "headers": f"{{Authorization: '{SECRET}', Accept-Language: en}}"},
            {"id": "s1", "url": site.url("/s1"), "allow_private": True, "respect_robots": False}]))
        db_path = tmp / "snap" / "history.db"
        run_pass(db_path, cfg, ["s0", "s1"])
        run_pass(db_path, cfg, ["s0", "s1"])
        site.set("/s0", page(CHANGED))
        run_pass(db_path, cfg, ["s0"])
        run_pass(db_path, cfg, ["s0"])
    db = store.open_db(db_path)
    with store.transaction(db):
        for i, row in enumerate(db.query("SELECT id FROM fetches ORDER BY id")):
            db.conn.execute("UPDATE fetches SET started_at = ? WHERE id = ?",
                            [f"2026-01-{i + 1:02d}T08:00:00+00:00", row["id"]])
    assert [r["outcome"] for r in db.query("SELECT outcome FROM fetches WHERE source_id = 's0' ORDER BY id")] \
        == ["new_version", "unchanged", "new_version", "unchanged"]
    assert [r["outcome"] for r in db.query("SELECT outcome FROM fetches WHERE source_id = 's1' ORDER BY id")] \
        == ["new_version", "not_modified"]
    db.close()
    return db_path


def _records(path: Path) -> list[dict[str, Any]]:
    out = []
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh):
            out.append({"type": rec.rec_type, "headers": dict(rec.rec_headers.headers),
                        "http": rec.http_headers, "payload": rec.content_stream().read()})
    return out


def _rows(db_path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    db = store.open_db(db_path)
    try:
        return list(db.query(sql, params or []))
    finally:
        db.close()


def test_export_has_one_response_per_version_hashing_to_the_stored_body(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.warc.gz"
    result = CliRunner().invoke(cli, ["export", "--warc", str(out), "--db", str(history)])
    assert result.exit_code == 0, result.output
    records = _records(out)
    assert records[0]["type"] == "warcinfo"
    responses = [r for r in records if r["type"] == "response"]
    versions = _rows(history, "SELECT v.*, f.started_at, f.url AS fetch_url FROM versions v "
                              "JOIN fetches f ON f.version_id = v.id AND f.outcome = 'new_version'")
    assert len(responses) == len(versions) == 3
    for v in versions:
        match = [r for r in responses if r["headers"]["Claimwatch-Source"] == v["source_id"]
                 and hashlib.sha256(r["payload"]).hexdigest() == v["body_hash"]]
        assert len(match) == 1, v["number"]
        rec = match[0]
        assert rec["headers"]["WARC-Payload-Digest"] == payload_digest(v["body_hash"])
        assert rec["headers"]["WARC-Date"] == warc_date(v["started_at"])
        assert rec["headers"]["WARC-Target-URI"] == v["fetch_url"]
        assert rec["headers"]["WARC-IP-Address"] == "127.0.0.1"
        assert rec["http"].get_statuscode() == "200"
        assert rec["http"].get_header("Content-Length") == str(len(rec["payload"]))
        assert rec["http"].get_header("Content-Type") == "text/html; charset=utf-8"
    # a metadata record per version, with its claims
    metadata = [json.loads(r["payload"]) for r in records if r["type"] == "metadata"]
    meta_uris = {r["headers"]["WARC-Target-URI"] for r in records if r["type"] == "metadata"}
    assert meta_uris == {"metadata://claimwatch/s0/v1", "metadata://claimwatch/s0/v2", "metadata://claimwatch/s1/v1"}
    assert sorted((m["source"], m["version"]) for m in metadata) == [("s0", 1), ("s0", 2), ("s1", 1)]
    counts = {(v["source_id"], v["number"]): v["claim_count"] for v in versions}
    assert all(len(m["claims"]) == counts[(m["source"], m["version"])] for m in metadata)
    # request records: our headers, never the credential
    requests = [r for r in records if r["type"] == "request"]
    assert len(requests) == 3
    s0_req = [r for r in requests if r["headers"]["Claimwatch-Source"] == "s0"][0]
    assert s0_req["http"].get_header("Accept-Language") == "en"
    assert s0_req["http"].get_header("User-Agent", "").startswith("claimwatch/")
    assert s0_req["headers"]["Claimwatch-Withheld-Request-Headers"] == "Authorization"
    assert b"sekrit" not in b"".join(_members(out))
    assert not any("sekrit" in json.dumps(r) for r in _rows(history, "SELECT * FROM fetch_exchanges"))


def test_a_revisit_per_unchanged_fetch_and_a_304(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.warc.gz"
    db = store.open_db(history)
    export_warc(db, SnapshotStore(history.parent), out)
    db.close()
    records = _records(out)
    revisits = [r for r in records if r["type"] == "revisit"]
    unchanged = _rows(history, "SELECT * FROM fetches WHERE outcome = 'unchanged'")
    assert len(unchanged) == 2
    same = [r for r in revisits if r["headers"]["WARC-Profile"].endswith("/identical-payload-digest")]
    assert sorted(int(r["headers"]["Claimwatch-Fetch-Id"]) for r in same) == sorted(f["id"] for f in unchanged)
    ids = {r["headers"]["WARC-Record-ID"]: r for r in records}
    for rec, fetch in zip(sorted(same, key=lambda r: int(r["headers"]["Claimwatch-Fetch-Id"])),
                          sorted(unchanged, key=lambda f: f["id"])):
        assert rec["headers"]["WARC-Payload-Digest"] == payload_digest(fetch["body_hash"])
        assert rec["headers"]["WARC-Date"] == warc_date(fetch["started_at"])
        original = ids[rec["headers"]["WARC-Refers-To"]]
        assert original["type"] == "response"
        assert hashlib.sha256(original["payload"]).hexdigest() == fetch["body_hash"]
        assert rec["headers"]["WARC-Refers-To-Date"] == original["headers"]["WARC-Date"]
    not_modified = [r for r in revisits if r["headers"]["WARC-Profile"].endswith("/server-not-modified")]
    assert len(not_modified) == 1 and not_modified[0]["http"].get_statuscode() == "304"
    assert len(revisits) == 3


def _members(path: Path) -> list[bytes]:
    """Each gzip member of the file, decompressed on its own."""
    data, members = path.read_bytes(), []
    while data:
        d = zlib.decompressobj(wbits=31)
        members.append(d.decompress(data) + d.flush())
        assert d.eof, "truncated gzip member"
        data = d.unused_data
    return members


def test_every_record_is_its_own_valid_gzip_member(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "h.warc.gz"
    db = store.open_db(history)
    report = export_warc(db, SnapshotStore(history.parent), out)
    db.close()
    members = _members(out)
    assert len(members) == sum(report.records.values()) == len(_records(out))
    assert all(m.startswith(b"WARC/1.1\r\n") and m.endswith(b"\r\n\r\n") for m in members)


def test_since_and_source_select_fetches(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "s0.warc.gz"
    db = store.open_db(history)
    s0 = [f["started_at"] for f in db.query("SELECT started_at FROM fetches WHERE source_id = 's0' ORDER BY id")]
    export_warc(db, SnapshotStore(history.parent), out, source_ids=["s0"], since=s0[2][:10])
    db.close()
    records = _records(out)
    assert {r["headers"].get("Claimwatch-Source") for r in records if r["type"] != "warcinfo"} == {"s0"}
    assert [r["type"] for r in records] == ["warcinfo", "response", "request", "metadata", "revisit"]
    assert records[1]["headers"]["Claimwatch-Version"] == "2"


def test_older_fetches_without_http_metadata_are_reported(history: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "old" / "history.db"
    shutil.copytree(history.parent, copy.parent)
    db = store.open_db(copy)
    first = list(db.query("SELECT id FROM fetches ORDER BY id LIMIT 1"))[0]["id"]
    with store.transaction(db):
        db.conn.execute("DELETE FROM fetch_exchanges WHERE fetch_id = ?", [first])
    db.close()
    out = tmp_path / "old.warc.gz"
    result = CliRunner().invoke(cli, ["export", "--warc", str(out), "--db", str(copy)])
    assert result.exit_code == 0, result.output
    assert f"ids {first}" in result.stderr and "peer IP" in result.stderr
    rec = [r for r in _records(out) if r["type"] == "response"
           and r["headers"]["Claimwatch-Fetch-Id"] == str(first)][0]
    assert "response headers" in rec["headers"]["Claimwatch-Missing"]
    assert "WARC-IP-Address" not in rec["headers"]
    assert rec["http"].get_statuscode() == "200"
    assert "predate" in _records(out)[0]["payload"].decode()


def test_corrupt_snapshot_fails_the_export_naming_the_version(history: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "bad" / "history.db"
    shutil.copytree(history.parent, copy.parent)
    v2 = _rows(copy, "SELECT body_hash FROM versions WHERE source_id = 's0' AND number = 2")[0]["body_hash"]
    SnapshotStore(copy.parent).path_for(v2).write_bytes(b"not zstd at all")
    out = tmp_path / "bad.warc.gz"
    result = CliRunner().invoke(cli, ["export", "--warc", str(out), "--db", str(copy)])
    assert result.exit_code == 2
    assert "'s0' version 2" in result.stderr and result.stderr.count("\n") == 1
    assert not out.exists() and not list(tmp_path.glob(".bad.warc.gz.*"))


@pytest.mark.parametrize("args, needle", [
    (["export", "--warc", "/nonexistent-dir/x.warc.gz"], "cannot write /nonexistent-dir/x.warc.gz"),
    (["export", "--warc", "{tmp}/x.warc.gz", "--source", "nope"], "unknown source 'nope'"),
    (["export", "--warc", "{tmp}/x.warc.gz", "--since", "last week"], "--since"),
    (["evidence", "9999", "-o", "{tmp}/x.zip"], "unknown change 9999"),
    (["evidence", "1", "-o", "/nonexistent-dir/x.zip"], "cannot write /nonexistent-dir/x.zip"),
])
def test_bad_input_is_one_clear_line_and_exit_2(history: Path, tmp_path: Path, args: list[str], needle: str) -> None:
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(cli, [*args, "--db", str(history)])
    assert result.exit_code == 2, result.output
    assert needle in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert "pass" in result.stderr or "see" in result.stderr or "--since" in result.stderr


def _dose_change(db_path: Path) -> dict[str, Any]:
    return _rows(db_path, "SELECT * FROM changes WHERE source_id = 's0' AND category = 'dosage' "
                          "AND kind = 'changed' ORDER BY id LIMIT 1")[0]


def _check_bundle(data: bytes, change: dict[str, Any], db_path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = f"claimwatch-change-{change['id']}/"
        files = {n[len(root):]: zf.read(n) for n in zf.namelist()}
    manifest = files.pop("MANIFEST.sha256").decode().splitlines()
    assert sorted(line.split("  ", 1)[1] for line in manifest) == sorted(files)
    for line in manifest:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    bodies = {v["number"]: v["body_hash"] for v in _rows(db_path, "SELECT * FROM versions WHERE source_id = 's0'")}
    assert hashlib.sha256(files["before/body.html.raw"]).hexdigest() == bodies[change["from_version"]]
    assert hashlib.sha256(files["after/body.html.raw"]).hexdigest() == bodies[change["to_version"]]
    return files


def test_evidence_bundle_verifies_and_escapes_a_hostile_page(history: Path, tmp_path: Path) -> None:
    change = _dose_change(history)
    out = tmp_path / "ev.zip"
    result = CliRunner().invoke(cli, ["evidence", str(change["id"]), "-o", str(out), "--db", str(history)])
    assert result.exit_code == 0, result.output
    files = _check_bundle(out.read_bytes(), change, history)
    html = files["change.html"].decode()
    assert "<script>alert" in files["after/text.txt"].decode()  # the page really says it
    assert "<script" not in html.lower() and "&lt;script&gt;alert(" in html
    assert "0.3–0.6 mg" in html and "3–6 mg" in html and "Content-Security-Policy" in html
    fetches = json.loads(files["fetches.json"])
    after = fetches["after"]["first_fetch"]
    assert after["http"]["status_line"] == "HTTP/1.1 200 OK" and after["http"]["peer_ip"] == "127.0.0.1"
    assert fetches["after"]["body_sha256"] == hashlib.sha256(files["after/body.html.raw"]).hexdigest()
    assert b"sekrit" not in files["fetches.json"]
    diff = json.loads(files["diff.json"])
    assert any(c["key"] == change["key"] and c["kind"] == "changed" for c in diff["changes"])
    assert json.loads(files["change.json"])["id"] == change["id"]


def test_datasette_change_page_links_the_bundle_it_serves(history: Path) -> None:
    from monitor.datasette.server import build_datasette

    change = _dose_change(history)
    ds = build_datasette(history)
    page_html = asyncio.run(ds.client.get(f"/-/claimwatch/change/{change['id']}")).text
    assert f"/-/claimwatch/evidence/{change['id']}.zip" in page_html
    response = asyncio.run(ds.client.get(f"/-/claimwatch/evidence/{change['id']}.zip"))
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    _check_bundle(response.content, change, history)
    assert asyncio.run(ds.client.get("/-/claimwatch/evidence/9999.zip")).status_code == 404


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_pywb_replays_a_response_and_a_revisit(history: Path, tmp_path: Path) -> None:
    """The export is not only well-formed: pywb (a real replay tool) serves the captured page."""
    import shutil
    import subprocess
    import sys
    import time
    import urllib.request

    out = tmp_path / "h.warc.gz"
    db = store.open_db(history)
    export_warc(db, SnapshotStore(history.parent), out, source_ids=["s0"])
    db.close()
    records = _records(out)
    bin_dir = Path(sys.executable).parent
    wb_manager, wayback = shutil.which("wb-manager", path=str(bin_dir)), shutil.which("wayback", path=str(bin_dir))
    assert wb_manager and wayback, "pywb is a test dependency (pyproject [test])"
    root = tmp_path / "pywb"
    root.mkdir()
    subprocess.run([wb_manager, "init", "ev"], cwd=root, check=True, capture_output=True, timeout=120)
    subprocess.run([wb_manager, "add", "ev", str(out)], cwd=root, check=True, capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([wayback, "-p", str(port), "-b", "127.0.0.1"], cwd=root,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def get(rec: dict[str, Any]) -> tuple[int, bytes]:
            stamp = rec["headers"]["WARC-Date"].replace("-", "").replace(":", "").replace("T", "")[:14]
            url = f"http://127.0.0.1:{port}/ev/{stamp}id_/{rec['headers']['WARC-Target-URI']}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(url, timeout=10) as resp:
                        return resp.status, resp.read()
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.3)

        v2 = [r for r in records if r["type"] == "response" and r["headers"].get("Claimwatch-Version") == "2"][0]
        status, body = get(v2)
        assert status == 200 and body == v2["payload"]  # id_ = the original bytes, unrewritten
        revisit = [r for r in records if r["type"] == "revisit"][-1]
        status, body = get(revisit)
        original = {r["headers"]["WARC-Record-ID"]: r for r in records}[revisit["headers"]["WARC-Refers-To"]]
        assert status == 200 and body == original["payload"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_exchange_records_the_pinned_peer_ip_and_withholds_secrets() -> None:
    """WARC-IP-Address is the vetted address the connection was pinned to, not a later lookup."""
    from fetch_server import Reply, RoutedNetwork, TestServer
    from monitor.fetch.client import Fetcher
    from monitor.fetch.options import FetchOptions

    public_ip = "93.184.216.34"  # a public address (as in test_fetch), routed to the local server
    with TestServer({"/p": Reply(200, b"<html><body><p>page</p></body></html>",
                                 (("Content-Type", "text/html"), ("X-Dup", "a"), ("x-dup", "b")))}) as srv:
        async def run():
            async with Fetcher(resolver=lambda host, port: [public_ip],
                               network=RoutedNetwork({public_ip: "127.0.0.1"})) as fetcher:
                return await fetcher.fetch(srv.url("/p", host="pages.example"), FetchOptions(
                    respect_robots=False, headers={"X-Api-Key": "k-123", "Cookie": "s=1", "Accept-Language": "en"}))

        result = asyncio.run(run())
    ex = result.exchange
    assert ex is not None and ex.peer_ip == public_ip
    assert ex.status_line == "HTTP/1.1 200 OK" and ex.method == "GET"
    assert ("Host", f"pages.example:{srv.port}") in ex.request_headers
    assert ("Accept-Language", "en") in ex.request_headers
    assert sorted(ex.withheld) == ["Cookie", "X-Api-Key"]
    assert not any("k-123" in v or "s=1" in v for _, v in ex.request_headers)
    assert [h for h in ex.response_headers if h[0].lower() == "x-dup"] == [("X-Dup", "a"), ("x-dup", "b")]
