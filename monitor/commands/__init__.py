"""CLI commands, one module per area; ``COMMANDS`` is what ``monitor.cli`` registers.

To add a command: write it in its own module here and append it below.
"""

from __future__ import annotations

import click

from monitor.commands.check import check, history
from monitor.commands.claims import claims, diff, reextract, verify
from monitor.commands.alerts import alerts, feed_cmd
from monitor.commands.daemon import reload, run, status
from monitor.commands.serve import serve
from monitor.commands.demo import demo
from monitor.commands.archive import evidence, export

COMMANDS: list[click.Command] = [check, history, diff, claims, reextract, verify, alerts, feed_cmd, serve, run, status, reload, demo,
                              export, evidence]
