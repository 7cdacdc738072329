"""The ``monitor`` command: one click group; each command lives in ``monitor/commands/``.

Errors raised as ``ClaimwatchError`` are printed as one line on stderr and mapped to their
exit code here, at the edge, never deeper.
"""

from __future__ import annotations

import sys

import click

from monitor import __version__
from monitor.errors import ClaimwatchError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except ClaimwatchError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="monitor")
def cli() -> None:
    """claimwatch: watch health-claim pages; alert when dosage, legality, evidence or safety claims change."""


def _register() -> None:
    from monitor.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_register()


def main() -> None:
    cli(prog_name="monitor")
