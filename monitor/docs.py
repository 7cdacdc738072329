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
                lines.append(f"| `{col.name}` | {col.type or ''} | {columns[col.name]} |")
            lines.append("")
        db.close()
    return "\n".join(lines).rstrip() + "\n"


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


def facts_markdown() -> str:
    """The category schemas: every fact a claim can state, its fields, unit and severity."""
    from monitor.claims import schema

    rows = ["| category | fact | fields (identity fields first) | unit | severity of a change | alerted |",
            "|---|---|---|---|---|---|"]
    groups = (("dosage", (*schema.DOSAGE_INTAKE, schema.DOSAGE_ROUTE, schema.DOSAGE_LIMIT, schema.DOSAGE_PACKAGE,
                          schema.DOSAGE_STRENGTH)),
              ("legality", schema.LEGALITY),
              ("evidence", (schema.EVIDENCE_LEVEL, schema.EVIDENCE_KIND, schema.EVIDENCE_QUALIFIERS)))
    for category, aspects in groups:
        for a in aspects:
            fields = ", ".join(f"`{f}`" for f in (*a.key_fields, *a.fields))
            rows.append(f"| {category} | {a.name} | {fields} | {a.units or '—'} | {a.severity} | "
                        f"{'yes' if a.alerted else 'no (shown with --all)'} |")
    rows.append("| safety | effect | `effect`, `stated` | — | medium when it appears, disappears or turns absent; "
                "low between rare and common; a frequency merely stated or dropped (present ↔ rare / common) is minor | yes |")
    rows.append("| safety | profile field | one fact per field (`serious`, `tolerability`, `toxicity`, …) | — | "
                "medium; a value that stays in its class (mild → minimal) is minor | class changes only |")
    rows.append("| safety | data, contraindication, interaction, monitor | `data`[, `term`] / the named item | — | "
                "medium | yes |")
    return "\n".join(rows) + "\n"


def rewrite(text: str) -> str:
    for name, body in (("schema", schema_markdown()), ("commands", commands_markdown()), ("facts", facts_markdown())):
        text = re.sub(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)",
                      lambda m: m.group(1) + body + m.group(2), text, flags=re.S)
    return text


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(rewrite(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
