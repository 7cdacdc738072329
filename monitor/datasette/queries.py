"""Canned queries over the history DB (served by the plugin's ``canned_queries`` hook).

The SQL is fixed text that does not depend on which sources exist, so the plugin can serve
the same queries on every request without reading the DB. A ``:source`` parameter left empty
means "every source"; ``claims_across_sources`` also takes several ids separated by commas.

``claims_across_sources`` keeps one row per claim key whatever the number of sources (an
earlier one-column-per-source design hit SQLite's 2,000-column limit and grew with sources ×
claims): its ``says`` column is a JSON list of ``{"value", "sources", "text"}``, one entry per
distinct value, most-stated first, with the ids of the sources whose latest version states it
and one of the sentences stating it. Latest versions come from ``versions(source_id, number)``
(MAX per source) and their claims from ``claims(version_id)``; both indexes exist in the store.
Column names follow conventions the plugin's ``render_cell`` recognises: ``source_id``,
``from_version``/``to_version``/``version`` (links to version rows), ``diff`` (``a..b``, link
to the side-by-side page), ``change``/``change_id`` (link to the change page) and
``value``/``old_value``/``new_value`` (claim value JSON shown as chips), ``says`` (value →
sources table).
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


CLAIMS_ACROSS_SOURCES = """
with latest as (
  select v.id
  from (select source_id, max(number) as number from versions
        where :source = '' or instr(',' || replace(:source, ' ', '') || ',', ',' || source_id || ',') > 0
        group by source_id) m
  join versions v on v.source_id = m.source_id and v.number = m.number
),
per_value as (
  select cl.category, cl.key, cl.value, count(distinct cl.source_id) as n,
         json_group_array(distinct cl.source_id) as sources, min(cl.text) as text
  from latest l join claims cl on cl.version_id = l.id
  group by cl.category, cl.key, cl.value
  order by cl.category, cl.key, n desc, cl.value
)
select category, key, count(*) as distinct_values,
       json_group_array(json_object(
         'value', case when json_valid(value) then json(value) else value end,
         'sources', json(sources), 'text', text)) as says
from per_value
group by category, key
order by category, key
"""


def canned_queries(source_ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The canned queries of a history DB, as fresh dicts (Datasette adds keys to them).

    ``source_ids`` is accepted for older callers and ignored: no SQL depends on the sources.
    """
    return {
        "recent_changes": {
            "title": "Recent changes",
            "description": "Claim-level changes, newest first, with both versions and the side-by-side diff.",
            "sql": RECENT_CHANGES.strip(),
        },
        "claims_across_sources": {
            "title": "Claims across sources",
            "description": "What each page says now (its latest version): one row per claim key, "
                           "each value stated with the sources stating it. Leave source empty for "
                           "every source, or list ids separated by commas.",
            "sql": CLAIMS_ACROSS_SOURCES.strip(),
            "params": ["source"],
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
