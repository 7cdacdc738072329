"""Which databases of a running Datasette are claimwatch histories.

The answer is cached on the Datasette object itself (one entry per database name and file),
so plain ``datasette other.db history.db`` works and other databases are never touched.
"""

from __future__ import annotations

from typing import Any

from monitor.datasette.metadata import Schema, history_schema

_CACHE_ATTR = "_claimwatch_histories"


def histories(datasette: Any) -> dict[str, Schema]:
    """``{database name: schema}`` for every attached DB that looks like a claimwatch history."""
    cache: dict[tuple[str, str], Schema | None] = datasette.__dict__.setdefault(_CACHE_ATTR, {})
    found: dict[str, Schema] = {}
    for name, db in list(datasette.databases.items()):
        if name == "_internal" or getattr(db, "is_memory", False) or not getattr(db, "path", None):
            continue
        key = (name, str(db.path))
        if key not in cache:
            cache[key] = history_schema(str(db.path), immutable=not db.is_mutable)
        if cache[key] is not None:
            found[name] = cache[key]  # type: ignore[assignment]
    return found


def is_history(datasette: Any, database: str | None) -> bool:
    return database is not None and database in histories(datasette)


def pick_database(datasette: Any, requested: str | None) -> str | None:
    """The history DB a plugin page should read: ``?db=`` when given and valid, else the first."""
    names = list(histories(datasette))
    if requested:
        return requested if requested in names else None
    return names[0] if names else None
