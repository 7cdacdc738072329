"""Fault and hostile-input tests for the CLI and the pipeline (issue 16, "hardening").

Every test here failed before its fix. Pages are served by a real server on 127.0.0.1, every
DB lives in a temp dir.
"""

from __future__ import annotations

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
    assert "legality:australia:schedule" in flat  # not rendered as a flag emoji
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
    assert code == 0 and "legality:australia:schedule" in out
    assert "\U0001F1E6\U0001F1FA" not in out
