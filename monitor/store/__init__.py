"""The history database: the only package that speaks SQL (``tests/test_layers.py`` checks it).

- :mod:`monitor.store.schema`     tables, column docs (``SCHEMA_DOC``) and the named migrations
- :mod:`monitor.store.connection` opening the DB (WAL, busy timeout), transactions, storage errors
- :mod:`monitor.store.reads`      every read, named for what it reads
- :mod:`monitor.store.writes`     every write, named for what it records

Callers use ``from monitor import store`` and the names below; the store imports no pipeline
and no CLI (import-linter contract), so it can be used by every layer above it.
"""

from monitor.store.connection import (
    BUSY_TIMEOUT_MS, DEFAULT_DB, atomic, db_file, job_savepoint, open_db, readonly_mode, refuse_writes,
    storage_failure, transaction, utcnow,
)
from monitor.store.reads import (
    MATERIAL_KINDS, alert_ids_with_status, alert_list, alert_row, alert_statuses, body_confirms, body_fetches,
    body_references, change_alerts, change_from_row, change_group, change_row, changes_between, check_states,
    count_alerts, daemon_row, due_alerts, failing_sources, feed_changes, find_version,
    first_version_claim_counts, get_version, iter_changes, last_change_id, last_fetch_times,
    latest_claims_everywhere, latest_fetches, latest_version, material_changes_to, neighbour_versions,
    on_connection, recent_fetches, recent_material_changes, recent_versions, source_counts, source_ids,
    source_row, source_rows, source_state, source_states, version_summary, version_claim_rows, version_claims,
    version_count, version_fetches, version_history, version_list, versions_to_reextract,
)
from monitor.store.schema import SCHEMA_DOC, migrations, table_columns, table_names
from monitor.store.writes import (
    StoredChange, change_fingerprint, claim_alert, discard_held, finish_alert, insert_alert, insert_changes,
    insert_claims, insert_fetch, insert_test_alert, insert_version, mark_seen, release_held, replace_extraction,
    save_source_state, set_held, sync_sources, upsert_source, write_heartbeat,
)

__all__ = [name for name in dir() if not name.startswith("_") and name not in {
    "connection", "reads", "schema", "writes"}]
