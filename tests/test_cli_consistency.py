"""One CLI: the same output flags everywhere, exit codes in every --help, keys never cut when piped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from monitor.claims import extract_claims
from monitor.cli import cli
from monitor.config import load_config
from monitor.corpus import load_source
from monitor.diff import describe_value
from monitor.extract import extract_main_text
from monitor.store import insert_claims
from test_alerts_support import make_db

DATA_COMMANDS = ["check", "history", "alerts", "status", "diff", "claims", "demo", ("alerts", "deliver")]


def _all_commands() -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in sorted(cli.commands.items()):
        out.append((name, cmd))
        for sub, scmd in sorted(getattr(cmd, "commands", {}).items()):
            out.append((f"{name} {sub}", scmd))
    return out


def _command(path: str | tuple[str, ...]) -> click.Command:
    parts = [path] if isinstance(path, str) else list(path)
    cmd: click.Command = cli
    for part in parts:
        cmd = cmd.commands[part]  # type: ignore[attr-defined]
    return cmd


@pytest.mark.parametrize("name, cmd", _all_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_help_states_the_exit_codes(name, cmd):
    out = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert out.exit_code == 0
    assert re.search(r"Exit codes[^:]*:\n(\s+\d+\s+\S.*\n)+", out.output), out.output
    assert "  0  " in out.output


@pytest.mark.parametrize("path", DATA_COMMANDS, ids=str)
def test_every_data_command_takes_both_format_and_json(path):
    opts = {o for p in _command(path).params for o in getattr(p, "opts", [])}
    assert {"--format", "--json"} <= opts


def _page(tmp_path: Path, version: int = 0) -> Path:
    path = tmp_path / f"page{version}.html"
    path.write_text(load_source("properties").versions[version].html, encoding="utf-8")
    return path


def test_json_flag_and_format_json_print_the_same(tmp_path):
    page = _page(tmp_path)
    runner = CliRunner()
    for args in (["claims", str(page)], ["diff", str(page), str(_page(tmp_path, 5))]):
        a = runner.invoke(cli, [*args, "--json"])
        b = runner.invoke(cli, [*args, "--format", "json"])
        assert a.exit_code == b.exit_code and a.exit_code in (0, 1)
        assert a.output == b.output and json.loads(a.output)
    clash = runner.invoke(cli, ["claims", str(page), "--json", "--format", "text"])
    assert clash.exit_code == 2 and "--json and --format text disagree" in clash.output
    # the old spelling keeps working
    assert runner.invoke(cli, ["claims", str(page), "--format", "table"]).exit_code == 0


def _key_cells(table: str) -> list[str]:
    """The non-empty cells of the key column (the second) of a rich box table."""
    rows = [line.split("│") for line in table.splitlines() if line.startswith("│")]
    return [r[2].strip() for r in rows if len(r) > 3 and r[2].strip()]


def test_piped_tables_keep_every_claim_key_whole(tmp_path):
    """CliRunner output is not a terminal: rich lays tables out for 80 columns, as in a pipe."""
    page = _page(tmp_path)
    # A contraindication key is long (safety:contraindication:severe_hepatic_impairment).
    page.write_text(page.read_text(encoding="utf-8").replace(
        "</article>", "<p>Do not use Semax if you have severe hepatic impairment.</p></article>", 1), encoding="utf-8")
    runner = CliRunner()
    claims = json.loads(runner.invoke(cli, ["claims", str(page), "--json"]).output)["claims"]
    keys = [c["key"] for c in claims]
    assert max(len(k) for k in keys) > 40  # long enough that 80 columns cannot hold it beside the text
    table = runner.invoke(cli, ["claims", str(page)], terminal_width=80).output
    body = [line for line in table.splitlines() if line.startswith("│")]
    assert body and all(line.endswith("│") for line in body)  # nothing cropped at the right edge
    assert max(len(line) for line in table.splitlines()) <= 100  # widened a little at most, not unbounded
    cells = _key_cells(table)
    rebuilt, part = [], ""
    for cell in cells:  # a key broken over lines breaks after a ':', so only its last line lacks one
        part += cell
        if not cell.endswith(":"):
            rebuilt.append(part)
            part = ""
    assert sorted(rebuilt) == sorted(keys)
    segments = {seg for k in keys for seg in k.split(":")}
    for cell in cells:  # and each line of it breaks only after a ':'
        assert all(part in segments for part in cell.rstrip(":").split(":")), cell
    short = [k for k in keys if len(k) <= 32]
    assert set(short) <= set(cells)  # keys that fit are on one line


def test_alerts_says_when_no_channel_is_configured(tmp_path):
    runner = CliRunner()
    db = tmp_path / "history.db"
    from monitor.store import open_db

    open_db(db).close()
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources:\n  - id: a\n    url: https://example.org/a\n", encoding="utf-8")
    out = runner.invoke(cli, ["alerts", "--db", str(db), "--config", str(cfg)])
    assert out.exit_code == 0
    assert "no alerts" in out.output and "no alert channel is configured" in out.output
    cfg.write_text(cfg.read_text() + "alerts:\n  - name: hook\n    webhook: https://h.example.org/x\n")
    out = runner.invoke(cli, ["alerts", "--db", str(db), "--config", str(cfg)])
    assert "no alert channel" not in out.output
    missing = runner.invoke(cli, ["alerts", "--db", str(db), "--config", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 0 and "cannot read the alert channels" in missing.output


def test_piped_compare_table_widens_instead_of_folding_words(tmp_path):
    """Five sources do not fit 80 columns: a pipe gets the table's own minimum width, words whole."""
    text = extract_main_text(_page(tmp_path).read_text(encoding="utf-8"), None).text
    claims = extract_claims(text)
    ids = [f"source-number-{i}" for i in range(5)]
    cfg = tmp_path / "sources.yaml"
    cfg.write_text("sources:\n" + "".join(f"  - id: {sid}\n    url: https://example.org/{sid}\n" for sid in ids),
                   encoding="utf-8")
    db = make_db(tmp_path, load_config(cfg))
    for sid in ids:
        vid = db["versions"].insert({"source_id": sid, "number": 1, "text": text, "text_hash": "x",
                                     "claim_count": len(claims)}).last_pk
        insert_claims(db, sid, vid, claims, "test")
    db.conn.commit()
    db.close()
    lines = CliRunner().invoke(cli, ["claims", "--compare", "--db", str(tmp_path / "history.db")]).output.splitlines()
    assert all(sid in lines[2] for sid in ids)  # every header whole, on one line
    assert max(len(line) for line in lines) > 80
    words = {w for c in claims for w in describe_value(c.category, c.value).split()} | {"·"}
    for line in (ln for ln in lines if ln.startswith("│")):
        for cell in line.strip("│").split("│")[1:]:
            assert set(cell.split()) <= words, cell
