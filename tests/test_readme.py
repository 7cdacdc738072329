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
