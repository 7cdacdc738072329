"""Fault and hostile-input tests for the CLI and the pipeline (issue 16, "hardening").

Every test here failed before its fix. Pages are served by a real server on 127.0.0.1, every
DB lives in a temp dir.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from fixture_site import FixtureSite, write_config
from monitor.cli import cli
from monitor.config import load_config
from monitor.pipeline import run_pass

HOSTILE_TITLE = "Semax [/b] :pill: [bold red]alarm[/] [link=http://evil.test]x[/link]"
HOSTILE_ARTICLE = """<!doctype html><html><head><title>{title}</title></head><body><main><article>
<h1>{title}</h1>
<p>In Australia, Semax is a Schedule 4 prescription-only medicine. [/b] It is sold widely.</p>
<p>The usual dose [/b] is 300 mcg :pill: twice a day, taken for two weeks, according to the seller.</p>
<p>Side effects [red]are rare[/red] and mild; headache :skull: was reported in a few users.</p>
</article></main></body></html>"""


@pytest.fixture()
def site():
    with FixtureSite() as s:
        yield s


def _hostile_db(tmp_path: Path, site: FixtureSite) -> Path:
    site.set("/hostile", HOSTILE_ARTICLE.format(title=HOSTILE_TITLE))
    cfg = load_config(write_config(tmp_path / "sources.yaml", [
        {"id": "hostile", "url": site.url("/hostile"), "allow_private": True, "respect_robots": False}]))
    db_path = tmp_path / "snap" / "history.db"
    assert run_pass(db_path, cfg, ["hostile"]).results[0].outcome == "new_version"
    return db_path


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=True,
                                env={"COLUMNS": "300"})  # wide: no cell folds mid-word
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


# ---------------------------------------------------------------- Rich markup injection

def test_history_shows_hostile_title_verbatim(tmp_path, site) -> None:
    db_path = _hostile_db(tmp_path, site)
    code, out = _run("history", "hostile", "--db", str(db_path))
    assert code == 0
    flat = " ".join(out.split())
    assert "[/b]" in flat and ":pill:" in flat and "[bold red]alarm[/]" in flat
    assert "\N{PILL}" not in out


def test_claims_show_keys_and_text_verbatim(tmp_path, site) -> None:
    db_path = _hostile_db(tmp_path, site)
    code, out = _run("claims", "hostile", "--db", str(db_path))
    assert code == 0
    flat = " ".join(out.split())
    # Not rendered as a flag emoji (a long key may break after a ':', never inside a segment).
    assert all(part in flat for part in ("legality:", "australia:", "schedule")) and "\U0001f1e6\U0001f1fa" not in out
    assert ":pill:" in flat and "[/b]" in flat
    assert "\N{PILL}" not in out and "\N{SKULL}" not in out
    assert "\U0001F1E6\U0001F1FA" not in out  # the Australian flag


def test_claims_of_a_hostile_file_and_compare(tmp_path, site) -> None:
    page = tmp_path / "page.html"
    page.write_text(HOSTILE_ARTICLE.format(title=HOSTILE_TITLE), encoding="utf-8")
    code, out = _run("claims", str(page))
    assert code == 0 and "[/b]" in out
    db_path = _hostile_db(tmp_path, site)
    code, out = _run("claims", "--compare", "--db", str(db_path))
    assert code == 0 and all(part in out for part in ("legality:", "australia:", "schedule"))
    assert "\U0001f1e6\U0001f1fa" not in out
    assert "\U0001F1E6\U0001F1FA" not in out


# ---------------------------------------------------------------- deep nesting and short pages

DOSE_TEXT = " ".join(["Semax: the recommended dose is 300 mcg twice a day for ten days."] * 3)


def _nested(depth: int) -> str:
    return ("<!doctype html><html><head><title>deep</title></head><body><main>" + "<div>" * depth
            + f"<p>{DOSE_TEXT}</p>" + "</div>" * depth + "</main></body></html>")


def _check_one(tmp_path: Path, site: FixtureSite, body: str, **extra: object):
    site.set("/p", body)
    tmp_path.mkdir(parents=True, exist_ok=True)
    cfg = load_config(write_config(tmp_path / "sources.yaml", [
        {"id": "p", "url": site.url("/p"), "allow_private": True, "respect_robots": False, **extra}]))
    return run_pass(tmp_path / "snap" / "history.db", cfg, ["p"]).results[0]


@pytest.mark.parametrize("depth", [300, 2000])
def test_deeply_nested_page_keeps_its_content(tmp_path, site, depth: int) -> None:
    result = _check_one(tmp_path, site, _nested(depth))
    assert result.outcome == "new_version", result.error


def test_page_nested_past_the_parser_limit_gives_the_true_reason(tmp_path, site) -> None:
    result = _check_one(tmp_path, site, _nested(3000))
    assert result.outcome == "blocked" and "2048 levels" in (result.error or "")


DOSING_BOX = """<!doctype html><html><head><title>Semax nasal spray</title></head><body>
<nav>Home Shop Blog Contact About Shipping Returns Login Cart Wishlist Support Careers Press</nav>
<div class="dosing">Dose: 300 mcg twice a day.</div>
<footer>Lots of footer words here that the selector leaves out entirely, as it should do.</footer>
</body></html>"""


def test_short_dosing_box_with_claims_is_a_version(tmp_path, site) -> None:
    result = _check_one(tmp_path, site, DOSING_BOX, selector=".dosing")
    assert result.outcome == "new_version", result.error


def test_min_words_is_a_per_source_setting(tmp_path, site) -> None:
    box = DOSING_BOX.replace("Dose: 300 mcg twice a day.", "Out of stock, back soon.")
    refused = _check_one(tmp_path / "a", site, box, selector=".dosing")
    assert refused.outcome == "blocked" and "min_words is 15" in (refused.error or "")
    allowed = _check_one(tmp_path / "b", site, box, selector=".dosing", min_words=3)
    assert allowed.outcome == "new_version", allowed.error


# ---------------------------------------------------------------- disk full

LIMIT = 40 * 1024  # room to open the DB (its 32 KB -shm) and start, not to commit a new version


def _check_with_file_size_limit(tmp_path: Path, config: Path, db: Path, limit: int | None):
    """``monitor check`` in a process that cannot grow any file past ``limit`` bytes.

    RLIMIT_FSIZE is a real write failure from the kernel (the write stops short, then EFBIG),
    which SQLite reports as "database or disk is full": what a full disk does to a COMMIT.
    """
    import subprocess
    import sys

    prelude = ("import resource, signal, sys\n"
               "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
               f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n" if limit else "import sys\n")
    code = prelude + "from monitor.cli import main\nsys.argv[0] = 'monitor'\nmain()\n"
    return subprocess.run([sys.executable, "-c", code, "check", "--source", "s0", "--config", str(config),
                           "--db", str(db)], capture_output=True, text=True, cwd=tmp_path, timeout=120)


def test_disk_full_at_commit_is_one_line_exit_4_and_the_next_run_recovers(tmp_path, site) -> None:
    import sqlite3

    from fixture_site import BASE_ARTICLE, page

    site.set("/s0", page(BASE_ARTICLE))
    config = write_config(tmp_path / "sources.yaml", [
        {"id": "s0", "url": site.url("/s0"), "allow_private": True, "respect_robots": False}])
    db = tmp_path / "snap" / "history.db"
    assert _check_with_file_size_limit(tmp_path, config, db, None).returncode == 0
    site.set("/s0", page(BASE_ARTICLE.replace("300mcg to 600mcg", "3mg to 6mg")))

    full = _check_with_file_size_limit(tmp_path, config, db, LIMIT)
    assert full.returncode == 4, full.stderr
    assert "Traceback" not in full.stderr
    lines = [line for line in full.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "disk is full" in lines[0] and "free some space" in lines[0], full.stderr

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT number FROM versions").fetchall() == [(1,)]
        assert conn.execute("SELECT COUNT(*) FROM fetches WHERE outcome = 'error'").fetchone()[0] == 0
    finally:
        conn.close()

    again = _check_with_file_size_limit(tmp_path, config, db, None)
    assert again.returncode == 0, again.stderr + again.stdout
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("SELECT number FROM versions ORDER BY number").fetchall() == [(1,), (2,)]
    finally:
        conn.close()



# ---------------------------------------------------------------- reextract and verify

CYRILLIC_PAGE = ("<!doctype html><html><head><title>Семакс</title></head><body><main><article>"
                 "<p>Семакс — пептидный препарат, разработанный в России для лечения инсульта.</p>"
                 "<p>The recommended dose of Semax is 300 mcg twice a day, given as nasal drops.</p>"
                 "<p>Semax is not approved by the FDA for any medical use in the United States.</p>"
                 "</article></main></body></html>")


def _serve_cp1251():
    from fetch_server import Reply, TestServer

    return TestServer({"/ru": Reply(200, CYRILLIC_PAGE.encode("windows-1251"),
                                    (("Content-Type", "text/html; charset=windows-1251"),))})


def _db_rows(db: Path, sql: str) -> list[tuple]:
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_reextract_decodes_a_windows_1251_page_as_the_fetch_did(tmp_path) -> None:
    from monitor.extract import MainText

    with _serve_cp1251() as srv:
        cfg = load_config(write_config(tmp_path / "sources.yaml", [
            {"id": "ru", "url": srv.url("/ru"), "allow_private": True, "respect_robots": False}]))
        db = tmp_path / "snap" / "history.db"
        assert run_pass(db, cfg, ["ru"]).results[0].outcome == "new_version"
    [(before, hash_before)] = _db_rows(db, "SELECT text, text_hash FROM versions")
    assert "Семакс" in before
    code, out = _run("reextract", "--all-versions", "--db", str(db))
    assert code == 0, out
    [(after, hash_after, charset)] = _db_rows(db, "SELECT text, text_hash, charset FROM versions")
    assert after == before and "\ufffd" not in after and charset == "cp1251"
    assert hash_after == hash_before == MainText("", after).text_hash


def test_reextract_of_a_version_stored_without_charset_detects_it(tmp_path) -> None:
    with _serve_cp1251() as srv:
        cfg = load_config(write_config(tmp_path / "sources.yaml", [
            {"id": "ru", "url": srv.url("/ru"), "allow_private": True, "respect_robots": False}]))
        db = tmp_path / "snap" / "history.db"
        run_pass(db, cfg, ["ru"])
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("UPDATE versions SET charset = NULL")  # as stored before charsets were recorded
    conn.commit()
    conn.close()
    assert _run("reextract", "--all-versions", "--db", str(db))[0] == 0
    [(text,)] = _db_rows(db, "SELECT text FROM versions")
    assert "Семакс" in text and "\ufffd" not in text


def test_reextract_reports_a_corrupt_snapshot_and_goes_on_and_verify_finds_it(tmp_path, site) -> None:
    from fixture_site import BASE_ARTICLE, page

    site.set("/s0", page(BASE_ARTICLE))
    cfg = load_config(write_config(tmp_path / "sources.yaml", [
        {"id": "s0", "url": site.url("/s0"), "allow_private": True, "respect_robots": False}]))
    db = tmp_path / "snap" / "history.db"
    run_pass(db, cfg, ["s0"])
    site.set("/s0", page(BASE_ARTICLE.replace("300mcg to 600mcg", "3mg to 6mg")))
    run_pass(db, cfg, ["s0"])
    assert _run("verify", "--db", str(db)) == (0, "2 snapshots checked, 0 bad\n")

    [(digest,)] = _db_rows(db, "SELECT body_hash FROM versions WHERE number = 2")
    snapshot = db.parent / digest[:2] / f"{digest}.zst"
    snapshot.write_bytes(snapshot.read_bytes()[:-8] + b"garbage!")

    code, out = _run("reextract", "--all-versions", "--db", str(db))
    assert code == 1
    assert "s0@2: not rebuilt" in out and "re-extracted 1 versions" in out
    code, out = _run("verify", "--db", str(db))
    assert code == 1 and f"bad: snapshot {snapshot}" in out and "(body of s0@2)" in out
    assert out.strip().endswith("2 snapshots checked, 1 bad")


# ---------------------------------------------------------------- read-only directories, busy port, binary files

@contextmanager
def read_only(directory: Path):
    """Make ``directory`` and its files unwritable, even for root (chattr +i), or skip."""
    import os
    import shutil
    import subprocess

    paths = [directory, *sorted(p for p in directory.iterdir() if p.is_file())]
    immutable = os.geteuid() == 0 and shutil.which("chattr") is not None
    for p in paths:
        p.chmod(0o555 if p.is_dir() else 0o444)
    if immutable and subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True).returncode:
        immutable = False
    try:
        try:
            (directory / ".probe").touch()
        except OSError:
            pass
        else:
            (directory / ".probe").unlink()
            pytest.skip("cannot make a read-only directory here")
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", *map(str, paths)], capture_output=True)
        for p in paths:
            p.chmod(0o755 if p.is_dir() else 0o644)


def _two_versions(tmp_path: Path, site: FixtureSite) -> tuple[Path, Path]:
    from fixture_site import BASE_ARTICLE, page

    site.set("/s0", page(BASE_ARTICLE))
    config = write_config(tmp_path / "sources.yaml", [
        {"id": "s0", "url": site.url("/s0"), "allow_private": True, "respect_robots": False}])
    db = tmp_path / "snap" / "history.db"
    run_pass(db, load_config(config), ["s0"])
    site.set("/s0", page(BASE_ARTICLE.replace("300mcg to 600mcg", "3mg to 6mg")))
    run_pass(db, load_config(config), ["s0"])
    return config, db


def _one_line_exit_2(code: int, out: str, *needles: str) -> None:
    lines = [line for line in out.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("error: "), out
    assert "Traceback" not in out and all(n in lines[0] for n in needles), out


def test_read_only_directory(tmp_path, site) -> None:
    config, db = _two_versions(tmp_path, site)
    with read_only(db.parent):
        _one_line_exit_2(*_run("check", "--source", "s0", "--config", str(config), "--db", str(db)),
                         str(db), "writable")
        _one_line_exit_2(*_run("run", "--config", str(config), "--db", str(db)),
                         "history.db.lock", "writable")
        code, out = _run("history", "s0", "--db", str(db))
        assert code == 0 and "s0: versions" in out
        code, out = _run("diff", "s0", "--db", str(db))
        assert code == 1 and "3–6 mg" in out
        code, out = _run("claims", "s0@1", "--db", str(db))
        assert code == 0 and "dosage" in out

        from monitor.datasette.server import build_datasette, check_history
        import asyncio

        immutable = check_history(db)
        ds = build_datasette(db, immutable=immutable)
        assert asyncio.run(ds.client.get("/-/claimwatch/diff/s0/1..2")).status_code == 200
    assert sorted(p.name for p in db.parent.iterdir() if not p.is_dir()) == ["history.db"]


def test_serve_on_a_busy_port_says_so_before_announcing(tmp_path, site) -> None:
    import socket

    _, db = _two_versions(tmp_path, site)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, out = _run("serve", "--db", str(db), "--port", str(port))
    _one_line_exit_2(code, out, f"--port {port}", "free --port")


@pytest.mark.parametrize("name, data", [
    ("leaflet.pdf", b"%PDF-1.4\n1 0 obj << /Length 44 >> stream\nThe dose of Semax is 300 mcg twice a day."
                    b"\nendstream\n%%\xe2\xe3\xcf\xd3\n"),
    ("image.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
    ("random.bin", bytes((i * 73 + 41) % 256 for i in range(4000))),
])
def test_claims_refuses_binary_files(tmp_path, name: str, data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    _one_line_exit_2(*_run("claims", str(path)), "not an HTML or text file")
    _one_line_exit_2(*_run("diff", str(path), str(path)), "not an HTML or text file")


def test_claims_still_reads_text_files_in_legacy_encodings(tmp_path) -> None:
    path = tmp_path / "ru.html"
    path.write_bytes(CYRILLIC_PAGE.encode("windows-1251"))
    code, out = _run("claims", str(path))
    assert code == 0 and "0.3 mg" in out
