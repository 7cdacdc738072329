"""A small, known history DB for the Datasette tests (and the browser test).

``build_history(path)`` is the one place that makes it, with the store helpers; it can later
be swapped for running the real pipeline over local pages without touching the tests, which
only rely on the facts listed in ``FACTS``. One source ("hostile") carries script, image and
``javascript:`` payloads in every text field a page can reach.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from monitor import store
from monitor.models import Change, Claim

XSS_SCRIPT = "<script>document.title='PWNED'</script>"
XSS_IMG = "<img src=x onerror=\"var d=document.createElement('div');d.id='pwned-marker';document.body.appendChild(d)\">"
XSS_LINK = "<a href=\"javascript:alert(1)\">click me</a>"
XSS = f"{XSS_SCRIPT} {XSS_IMG} {XSS_LINK}"

OLD_DOSE = "The usual intranasal dose is 2–3 drops (0.3–0.6 mg) two to three times a day."
NEW_DOSE = "The usual intranasal dose is 4–6 drops (0.6–0.9 mg) two to three times a day."
LEGAL = "Semax is not approved by the FDA for any medical use."
EVIDENCE_OLD = "Evidence in humans is limited to small trials."
EVIDENCE_NEW = "Evidence in humans remains low quality."
SAFETY = "Some users report hair loss with long-term use."

OLD_VALUE = {"min_mg": 0.3, "max_mg": 0.6, "per": "dose", "route": "intranasal", "drops_min": 2,
             "drops_max": 3, "times_per_day_min": 2, "times_per_day_max": 3}
NEW_VALUE = {**OLD_VALUE, "min_mg": 0.6, "max_mg": 0.9, "drops_min": 4, "drops_max": 6}
LEGAL_VALUE = {"authority": "FDA", "status": "not_approved"}
HOSTILE_SENTENCE = f"Take 1 mg daily {XSS} as directed."

FACTS = {
    "sources": ["alpha", "beta", "hostile"],
    "alpha_versions": 2, "beta_versions": 1, "hostile_versions": 2,
    "failing": ["beta"],
    "alerts_queue_statuses": {"pending", "failed", "dead"},
}


def _text(*sentences: str) -> str:
    return "Semax guide\n\n" + "\n\n".join(sentences) + "\n\nLast updated yesterday."


def _claim(category: str, key: str, text: str, value: dict, body: str) -> Claim:
    start = body.index(text)
    return Claim(category=category, key=key, text=text, value=value, start=start, end=start + len(text))


def _version(db, source_id: str, number: int, title: str, text: str, claims: list[Claim]) -> int:
    digest = hashlib.sha256(text.encode()).hexdigest()
    vid = db["versions"].insert({
        "source_id": source_id, "number": number, "body_hash": digest, "text_hash": digest,
        "title": title, "text": text, "url": db["sources"].get(source_id)["url"],
        "first_seen": f"2025-01-0{number}T00:00:00+00:00", "last_seen": f"2025-01-0{number}T06:00:00+00:00",
        "claim_count": len(claims), "extractor_version": "1", "held": 0}).last_pk
    store.insert_claims(db, source_id, vid, claims, "1")
    db["fetches"].insert({"source_id": source_id, "started_at": f"2025-01-0{number}T00:00:00+00:00",
                          "duration_ms": 120.0, "status_code": 200, "outcome": "new_version",
                          "url": db["sources"].get(source_id)["url"], "body_hash": digest,
                          "bytes": len(text), "version_id": vid})
    return vid


def build_history(path: Path) -> Path:
    """Write the fixture history DB at ``path`` and return it (checkpointed, WAL emptied)."""
    db = store.open_db(path)
    with db.conn:
        store.upsert_source(db, "alpha", "https://alpha.example/semax", "Alpha guide", {})
        store.upsert_source(db, "beta", "https://beta.example/semax", "Beta shop", {})
        store.upsert_source(db, "hostile", "javascript:alert(1)", f"Hostile {XSS_SCRIPT}", {})

        a1 = _text(OLD_DOSE, LEGAL, EVIDENCE_OLD)
        a2 = _text(NEW_DOSE, LEGAL, EVIDENCE_NEW, SAFETY)
        old_dose = _claim("dosage", "dosage:intranasal:dose", OLD_DOSE, OLD_VALUE, a1)
        new_dose = _claim("dosage", "dosage:intranasal:dose", NEW_DOSE, NEW_VALUE, a2)
        ev_old = _claim("evidence", "evidence:level", EVIDENCE_OLD, {"kind": "human", "qualifiers": ["limited"]}, a1)
        ev_new = _claim("evidence", "evidence:level", EVIDENCE_NEW, {"level": "low"}, a2)
        safety = _claim("safety", "safety:hair_loss", SAFETY, {"effect": "hair_loss", "stated": "present"}, a2)
        _version(db, "alpha", 1, "Semax guide", a1, [old_dose, _claim("legality", "legality:fda", LEGAL, LEGAL_VALUE, a1), ev_old])
        _version(db, "alpha", 2, "Semax guide", a2, [new_dose, _claim("legality", "legality:fda", LEGAL, LEGAL_VALUE, a2),
                                                  ev_new, safety])
        changes = [
            Change("dosage", "changed", "dosage:intranasal:dose", "high",
                   "dosage changed: 0.3–0.6 mg → 0.6–0.9 mg per dose", old=old_dose, new=new_dose),
            Change("evidence", "changed", "evidence:level", "medium", "evidence now stated as low",
                   old=ev_old, new=ev_new),
            Change("safety", "added", "safety:hair_loss", "medium", "safety: hair loss now mentioned", new=safety),
        ]
        alpha_ids = store.insert_changes(db, "alpha", 1, 2, changes)

        b1 = _text(LEGAL)
        _version(db, "beta", 1, "Beta shop", b1, [_claim("legality", "legality:fda", LEGAL, LEGAL_VALUE, b1)])

        h1 = _text("Take 1 mg daily as directed.")
        h2 = _text(HOSTILE_SENTENCE)
        h_old = _claim("dosage", "dosage:unspecified:day", "Take 1 mg daily as directed.", {"min_mg": 1, "max_mg": 1, "per": "day"}, h1)
        h_new = _claim("dosage", "dosage:unspecified:day", HOSTILE_SENTENCE, {"min_mg": 1, "max_mg": 1, "per": "day", "note": XSS}, h2)
        _version(db, "hostile", 1, f"Hostile {XSS_SCRIPT}", h1, [h_old])
        _version(db, "hostile", 2, f"Hostile {XSS_IMG}", h2, [h_new])
        hostile_ids = store.insert_changes(db, "hostile", 1, 2, [
            Change("dosage", "changed", "dosage:unspecified:day", "high", f"dosage reworded {XSS}", old=h_old, new=h_new)])

        for status, change_id, channel in (("pending", alpha_ids[0], "email"), ("failed", alpha_ids[1], "email"),
                                           ("dead", hostile_ids[0], "slack"), ("sent", alpha_ids[2], "email")):
            db["alerts"].insert({"change_id": change_id, "source_id": "alpha" if change_id in alpha_ids else "hostile",
                                 "channel": channel, "event": "change", "status": status,
                                 "attempts": 0 if status == "pending" else 3, "next_attempt_at": "2025-01-03T00:00:00+00:00",
                                 "last_error": None if status in ("pending", "sent") else f"smtp refused {XSS_SCRIPT}",
                                 "created_at": "2025-01-02T06:00:00+00:00"})
        db["source_state"].insert_all([
            {"source_id": "alpha", "consecutive_failures": 0, "last_outcome": "new_version",
             "last_checked_at": "2025-01-02T06:00:00+00:00", "broken_alerted": 0},
            {"source_id": "beta", "consecutive_failures": 3, "last_outcome": "error",
             "last_error": "timeout after 30 s", "last_checked_at": "2025-01-02T06:00:00+00:00", "broken_alerted": 1},
        ])
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return path


def test_fixture_history_has_the_documented_facts(tmp_path: Path) -> None:
    db = store.open_db(build_history(tmp_path / "history.db"))
    assert [r["id"] for r in db.query("select id from sources order by id")] == FACTS["sources"]
    counts = {r["source_id"]: r["n"] for r in db.query("select source_id, count(*) n from versions group by 1")}
    assert counts == {"alpha": 2, "beta": 1, "hostile": 2}
    assert db["changes"].count == 4
    # FTS triggers kept the search tables in sync with the inserted rows.
    assert list(db.query("select rowid from claims_fts where claims_fts match 'hair'"))
