"""An extractor that raises is contained by the registry runner, logged with the unit, counted.

The guard lives in one place (``monitor.claims.run_extractors``): the category modules do not
catch exceptions, so a bug is reported (WARNING with the unit's position and text, and a count
in the pass summary) instead of silently dropping claims, and it costs only the failing unit's
claims, never the page's others.
"""

from __future__ import annotations

import logging

import pytest

from monitor import claims as claims_pkg
from monitor.claims import evidence, run_extractors

PAGE = """Semax is approved in Russia.

A randomized controlled trial in 120 patients found benefit.

BOOM this sentence mentions a clinical trial in humans.

Take 300 mcg intranasally twice daily.

Side effects include headache."""


def _break_evidence_on_boom(monkeypatch) -> None:
    """The evidence extractor raises on the unit saying BOOM (a bug on odd text), only there."""
    real = evidence._unit_claims

    def unit_claims(unit, *args, **kwargs):
        if "BOOM" in unit.text:
            raise ValueError("extractor bug")
        return real(unit, *args, **kwargs)

    monkeypatch.setattr(evidence, "_unit_claims", unit_claims)


@pytest.fixture
def evidence_breaks_on_boom(monkeypatch):
    _break_evidence_on_boom(monkeypatch)


def _keys(found):
    return sorted((c.category, c.key) for c in found.claims)


def test_a_clean_page_has_no_failures():
    found = run_extractors(PAGE)
    assert found.failures == 0
    assert ("evidence", "evidence:human") in _keys(found)


def test_one_failing_unit_costs_only_its_own_claims_and_is_counted_and_logged(monkeypatch, caplog):
    clean = run_extractors(PAGE)
    _break_evidence_on_boom(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="claimwatch.claims"):
        found = run_extractors(PAGE)
    assert found.failures == 1
    boom = PAGE.index("BOOM")
    # every other unit's claims, of every category, are still there; only the failing unit's are missing
    assert [c for c in found.claims if c.start != boom] == [c for c in clean.claims if c.start != boom]
    assert not [c for c in found.claims if c.start == boom]
    assert ("evidence", "evidence:rct") in _keys(found) and ("dosage", "dosage:intranasal:dose") in _keys(found)
    [record] = [r for r in caplog.records if r.name == "claimwatch.claims"]
    assert record.levelno == logging.WARNING and "evidence" in record.getMessage()
    assert f"{boom}–" in record.getMessage() and "BOOM this sentence" in record.getMessage()
    assert record.exc_info is not None and isinstance(record.exc_info[1], ValueError)


def test_extract_claims_returns_the_claims_of_the_same_run(evidence_breaks_on_boom):
    assert claims_pkg.extract_claims(PAGE) == run_extractors(PAGE).claims


def test_a_raising_extractor_is_counted_in_the_pass_summary(evidence_breaks_on_boom, tmp_path):
    from monitor.config import parse_config
    from monitor.models import FetchResult
    from monitor.pipeline import PassReport, record
    from monitor.snapshots import SnapshotStore
    from monitor.store import open_db, sync_sources

    config = parse_config("sources:\n  - id: s0\n    url: https://example.org/semax\n    min_words: 1\n")
    html = "<html><head><title>Semax</title></head><body>" + "".join(
        f"<p>{p}</p>" for p in PAGE.split("\n\n")) + "</body></html>"
    fetched = FetchResult(url="https://example.org/semax", final_url="https://example.org/semax", status_code=200,
                          body=html.encode(), text=html, content_type="text/html", charset="utf-8", headers={})
    db = open_db(tmp_path / "history.db")
    sync_sources(db, config.sources)
    result = record(db, SnapshotStore(tmp_path), config, config.sources[0], fetched, None,
                    "2026-01-01T00:00:00+00:00", 5.0)
    assert result.outcome == "new_version" and result.extract_failures == 1
    assert result.to_json()["extract_failures"] == 1
    assert PassReport([result]).extract_failures == 1
