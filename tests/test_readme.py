"""The README cannot drift: generated blocks are current and every documented option exists."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.docs import rewrite

README = Path(__file__).parent.parent / "README.md"


def test_generated_blocks_are_current():
    text = README.read_text(encoding="utf-8")
    assert rewrite(text) == text, "run: python -m monitor.docs README.md"


def test_every_documented_command_and_option_exists_in_help():
    text = README.read_text(encoding="utf-8")
    runner = CliRunner()
    documented = re.findall(r"^monitor ([a-z]+)([^\n#]*)", text, flags=re.M)
    assert documented, "the README documents monitor commands"
    for command, rest in documented:
        result = runner.invoke(cli, [command, "--help"])
        assert result.exit_code == 0, f"monitor {command} --help failed: {result.output}"
        for option in re.findall(r"(--[a-z][a-z-]+)", rest):
            assert option in result.output, f"monitor {command} --help does not mention {option}"


def test_readme_gives_the_two_setup_commands_ci_uses():
    text = README.read_text(encoding="utf-8")
    assert "bash scripts/demo.sh" in text and "bash scripts/test.sh" in text
    ci = (README.parent / ".ci" / "run").read_text()
    assert "bash scripts/test.sh" in ci


def _block_after(text: str, marker: str, lang: str = "") -> str:
    start = text.index(marker)
    fence = text.index("```" + lang, start) + 3 + len(lang)
    return text[fence:text.index("```", fence)].strip("\n")


def test_tour_output_excerpts_are_real(tmp_path):
    """Run the demo, then the README's diff commands; their output must match the README."""
    import json
    import subprocess
    import sys

    work = tmp_path / "demo"
    subprocess.run([sys.executable, "-m", "monitor", "demo", "--dir", str(work), "--cycles", "2", "--no-color"],
                   check=True, capture_output=True, text=True, timeout=300)
    db = str(work / "snapshots" / "history.db")
    text = README.read_text(encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "monitor", "diff", "shield@1", "shield@2", "--db", db],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert out.stdout.strip("\n") == _block_after(text, "A claim diff reads like")
    out = subprocess.run([sys.executable, "-m", "monitor", "diff", "shield@1", "shield@2", "--db", db,
                          "--format", "json"], capture_output=True, text=True, timeout=120)
    documented = json.loads(_block_after(text, "## `monitor diff --format json`", "json"))
    assert json.loads(out.stdout) == documented
