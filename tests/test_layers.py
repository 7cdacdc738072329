"""The layering rules that import-linter cannot see: SQL lives in ``monitor/store/`` only.

Every string literal (f-string parts included) and every ``.execute(`` / ``.query(`` /
``.executescript(`` / ``.executemany(`` / ``.execute_write(`` call in ``monitor/**/*.py`` is checked, except in
``monitor/store/`` and in ``monitor/datasette/queries.py`` (the canned Datasette queries,
SQL by nature). Docstrings are prose, not statements, and are not checked. Nothing else is
exempt: a new SQL site fails here with its file and line.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

MONITOR = Path(__file__).resolve().parent.parent / "monitor"
ALLOWED = {MONITOR / "store", MONITOR / "datasette" / "queries.py"}
# statements over tables (any case: the Datasette routes wrote lowercase SQL) …
SQL_SHAPE = re.compile(r"\b(SELECT\b.+\bFROM\b|INSERT\s+(OR\s+\w+\s+)?INTO\b|UPDATE\s+\w+\s+SET\b|DELETE\s+FROM\b|"
                       r"CREATE\s+(UNIQUE\s+)?(TABLE|INDEX|VIEW|TRIGGER)\b|PRAGMA\s+\w+)", re.IGNORECASE | re.DOTALL)
# … and transaction control, written in capitals ("Release notes" is prose, "RELEASE cw_job" is not)
SQL_CONTROL = re.compile(r"^(SELECT|INSERT|UPDATE|DELETE|WITH)\s|^(BEGIN(\s+(IMMEDIATE|EXCLUSIVE|DEFERRED))?|COMMIT|ROLLBACK(\s+TO\s+\w+)?|"
                         r"SAVEPOINT\s+\w+|RELEASE\s+\w+)\b")
DB_CALLS = {"execute", "executescript", "executemany", "query", "execute_write"}


def _checked_files() -> list[Path]:
    return sorted(p for p in MONITOR.rglob("*.py")
                  if not any(p == a or a in p.parents for a in ALLOWED))


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (first statement of a module, class or def)."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                out.add(id(first.value))
    return out


def sql_sites(source: str) -> list[tuple[int, str]]:
    """(line, what) for every SQL-looking string and DB call in ``source``."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.JoinedStr):  # f-string: its literal parts with a stand-in for each field
            text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            text = node.value
        if text is not None and (SQL_SHAPE.search(text.strip()) or SQL_CONTROL.match(text.strip())):
            found.append((node.lineno, f"SQL in a string: {text.strip()[:60]!r}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in DB_CALLS:
            found.append((node.lineno, f".{node.func.attr}( call"))
    return found


def test_no_sql_outside_the_store():
    offences = [f"{path.relative_to(MONITOR.parent)}:{line}: {what}"
                for path in _checked_files() for line, what in sql_sites(path.read_text(encoding="utf-8"))]
    assert not offences, "SQL belongs in monitor/store/ (reads.py / writes.py):\n" + "\n".join(offences)


@pytest.mark.parametrize("snippet", [
    'rows = db.query("SELECT * FROM versions WHERE id = ?", [1])',
    'conn.execute("PRAGMA query_only = 1")',
    'sql = "select id from sources where url = ?"',
    'sql = f"UPDATE alerts SET status = {s!r} WHERE id = 1"',
    'x = "INSERT OR IGNORE INTO alerts (id) VALUES (?)"',
    'x = "DELETE FROM claims"',
    'conn.executescript(script)',
    'await db.execute_write(sql)',
    'x = "BEGIN IMMEDIATE"',
    'sql = f"select {cols} from claims"',
    'sql = "SELECT id, name " + rest',
    'x = "ROLLBACK TO cw_record"',
    'db.conn.execute(stmt)',
    'x = "SAVEPOINT cw_job"',
])
def test_the_check_catches_sql(snippet):
    assert sql_sites(snippet), snippet


@pytest.mark.parametrize("snippet", [
    '"""Reads SELECT-ed rows; UPDATE … WHERE in prose."""',
    'log.info("select a source to update")',
    'msg = "the update failed: delete the file and begin again"',
    'label = "Release notes"',
])
def test_the_check_leaves_prose_alone(snippet):
    assert not sql_sites(snippet), snippet


def test_the_store_and_canned_queries_are_the_only_exceptions():
    assert {p.relative_to(MONITOR).as_posix() for p in ALLOWED} == {"store", "datasette/queries.py"}
    assert all(p.exists() for p in ALLOWED)
    assert sql_sites((MONITOR / "datasette" / "queries.py").read_text(encoding="utf-8"))
