"""Generated parts of the README, so they cannot drift from the code.

``python -m monitor.docs`` rewrites the blocks between ``<!-- schema:start -->`` and
``<!-- schema:end -->`` (history schema, from the migrated DB and ``store.SCHEMA_DOC``) and
between ``<!-- commands:start -->`` / ``<!-- commands:end -->`` (every command's options, from
click). ``tests/test_readme.py`` fails when the README is out of date.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import click

from monitor import store


def schema_markdown() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_db(Path(tmp) / "h.db")
        lines = []
        for table, (desc, columns) in store.SCHEMA_DOC.items():
            lines.append(f"**`{table}`** — {desc}\n")
            lines.append("| column | type | meaning |")
            lines.append("|---|---|---|")
            for col in db[table].columns:
                lines.append(f"| `{col.name}` | {col.type or ''} | {columns.get(col.name, _default_doc(col.name))} |")
            lines.append("")
        db.close()
    return "\n".join(lines).rstrip() + "\n"


def _default_doc(name: str) -> str:
    return {"id": "Primary key", "source_id": "Source id (sources.id)", "version_id": "Version (versions.id)",
            "change_id": "Change (changes.id)", "url": "URL", "created_at": "Created (UTC)",
            "detail": "Reason shown in a broken/recovered/test alert (masked)"}.get(name, "")


def commands_markdown() -> str:
    from monitor.cli import cli

    lines = []
    for name in sorted(cli.commands):
        cmd = cli.commands[name]
        ctx = click.Context(cmd, info_name=name)
        usage = " ".join(cmd.collect_usage_pieces(ctx))
        lines.append(f"- `monitor {name} {usage}` — {cmd.get_short_help_str(limit=120)}")
        sub = getattr(cmd, "commands", None) or {}
        for sname in sorted(sub):
            lines.append(f"  - `monitor {name} {sname}` — {sub[sname].get_short_help_str(limit=100)}")
        opts = [o for p in cmd.params if isinstance(p, click.Option) for o in p.opts if o.startswith("--")]
        if opts:
            lines.append("  options: " + ", ".join(f"`{o}`" for o in opts))
    return "\n".join(lines) + "\n"


def rewrite(text: str) -> str:
    for name, body in (("schema", schema_markdown()), ("commands", commands_markdown())):
        text = re.sub(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)",
                      lambda m: m.group(1) + body + m.group(2), text, flags=re.S)
    return text


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
