"""Canned queries over the history DB (served by the plugin's ``canned_queries`` hook).

They are built per request so ``claims_across_sources`` always has one column per source
currently in the ``sources`` table. A ``:source`` parameter left empty means "every source".
Column names follow conventions the plugin's ``render_cell`` recognises: ``source_id``,
``from_version``/``to_version``/``version`` (links to version rows), ``diff`` (``a..b``, link
to the side-by-side page), ``change``/``change_id`` (link to the change page) and
``value``/``old_value``/``new_value`` (claim value JSON shown as chips).
"""

from __future__ import annotations

from typing import Any, Iterable

RECENT_CHANGES = """
select c.id as change, c.detected_at, c.severity, c.category, c.kind, c.source_id,
       s.name as source_name, c.summary, c.old_text, c.new_text, c.old_value, c.new_value,
       c.from_version, c.to_version,
       coalesce(c.from_version, 0) || '..' || c.to_version as diff, c.status
from changes c left join sources s on s.id = c.source_id
order by c.detected_at desc, c.id desc
"""

DOSAGE_HISTORY = """
select v.source_id, v.number as version, v.first_seen, v.last_seen, cl.category, cl.key,
       cl.text, cl.value,
       json_extract(cl.value, '$.min_mg') as min_mg, json_extract(cl.value, '$.max_mg') as max_mg,
       json_extract(cl.value, '$.route') as route
from versions v
left join claims cl on cl.version_id = v.id and cl.category = 'dosage'
where :source = '' or v.source_id = :source
order by v.source_id, v.number, cl.start, cl.id
"""

VERSION_TIMELINE = """
select v.source_id, v.number as version, v.first_seen, v.last_seen, v.title, v.claim_count, v.held,
       (select count(*) from fetches f where f.version_id = v.id) as fetches,
       (select count(*) from changes ch where ch.source_id = v.source_id
          and ch.to_version = v.number and ch.status != 'discarded') as changes,
       (select group_concat(ch.summary, ' | ') from changes ch where ch.source_id = v.source_id
          and ch.to_version = v.number and ch.status != 'discarded') as summaries,
       (v.number - 1) || '..' || v.number as diff
from versions v
where :source = '' or v.source_id = :source
order by v.source_id, v.number desc
"""

FAILING_SOURCES = """
select st.source_id, s.name, s.url, st.consecutive_failures, st.last_outcome, st.last_error,
       st.last_checked_at, st.broken_alerted
from source_state st left join sources s on s.id = st.source_id
where st.consecutive_failures > 0
order by st.consecutive_failures desc, st.source_id
"""

ALERTS_QUEUE = """
select a.id, a.status, a.event, a.channel, a.source_id, a.change_id, ch.summary, a.attempts,
       a.next_attempt_at, a.last_error, a.created_at
from alerts a left join changes ch on ch.id = a.change_id
where a.status in ('pending', 'sending', 'failed', 'dead')
order by case a.status when 'dead' then 0 when 'failed' then 1 when 'sending' then 2 else 3 end,
         a.next_attempt_at, a.id
"""


def sql_string(value: str) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def sql_ident(value: str) -> str:
    """A SQL identifier (double quotes doubled)."""
    return '"' + value.replace('"', '""') + '"'


def claims_across_sources_sql(source_ids: Iterable[str]) -> str:
    """One row per (category, key) claimed by any source's latest version; one column per source.

    Each source cell is a JSON list of ``{"text", "value"}`` for that key in the source's
    latest version (NULL when the page says nothing about it now).
    """
    columns = [
        f"nullif((select json_group_array(json_object('text', c.text, 'value', "
        f"case when json_valid(c.value) then json(c.value) else c.value end)) "
        f"from cur c where c.category = k.category and c.key = k.key "
        f"and c.source_id = {sql_string(sid)}), '[]') as {sql_ident(sid)}"
        for sid in source_ids
    ]
    select = ",\n       ".join(["k.category", "k.key", *columns])
    return f"""
with latest as (
  select v.id, v.source_id from versions v
  where v.number = (select max(v2.number) from versions v2 where v2.source_id = v.source_id)
),
cur as (
  select cl.category, cl.key, cl.source_id, cl.text, cl.value, cl.start, cl.id
  from claims cl join latest l on l.id = cl.version_id
)
select {select}
from (select distinct category, key from cur) k
order by k.category, k.key
"""


def canned_queries(source_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The canned queries for one history DB whose sources table lists ``source_ids``."""
    return {
        "recent_changes": {
            "title": "Recent changes",
            "description": "Claim-level changes, newest first, with both versions and the side-by-side diff.",
            "sql": RECENT_CHANGES.strip(),
        },
        "claims_across_sources": {
            "title": "Claims across sources",
            "description": "What each page says now (its latest version), one row per claim key, "
                           "one column per source.",
            "sql": claims_across_sources_sql(source_ids).strip(),
        },
        "dosage_history": {
            "title": "Dosage history",
            "description": "Each version's dosage claims over time (amounts in mg). "
                           "Leave source empty for every source.",
            "sql": DOSAGE_HISTORY.strip(),
            "params": ["source"],
        },
        "version_timeline": {
            "title": "Version timeline",
            "description": "Versions of a source, newest first, with fetch and change counts. "
                           "Leave source empty for every source.",
            "sql": VERSION_TIMELINE.strip(),
            "params": ["source"],
        },
        "failing_sources": {
            "title": "Failing sources",
            "description": "Sources whose latest fetches failed, with the last error.",
            "sql": FAILING_SOURCES.strip(),
        },
        "alerts_queue": {
            "title": "Alerts queue",
            "description": "Alerts not delivered yet: dead and failed first, then in flight and pending.",
            "sql": ALERTS_QUEUE.strip(),
        },
    }
