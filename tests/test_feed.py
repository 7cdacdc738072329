"""The Atom feed: well-formed, structurally valid Atom 1.0, page text escaped, stable ids."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.cli import cli
from monitor.feed import ATOM_NS, build_feed, xml_text
from test_alerts_support import add_changes, dosage_change, legality_change, make_db, write_config

A = f"{{{ATOM_NS}}}"
SCRIPT = "Dose: <script>alert(1)</script> & {{ 7*7 }} 0.2 mg"


def _setup(tmp_path):
    config = write_config(tmp_path, [])
    db = make_db(tmp_path, config)
    add_changes(db, config, "semax-wiki", [dosage_change(new=SCRIPT)])
    add_changes(db, config, "shop", [legality_change()], version=3)
    add_changes(db, config, "shop", [dosage_change(key="dosage:oral:dose")], status="held", version=4)
    # make the order by detection time unambiguous
    db.execute("UPDATE changes SET detected_at = '2024-05-01T10:00:00+00:00' WHERE id = 1")
    db.execute("UPDATE changes SET detected_at = '2024-05-02T10:00:00+00:00' WHERE id = 2")
    return db


def _assert_atom_structure(root: ET.Element) -> list[ET.Element]:
    assert root.tag == A + "feed"
    for tag in ("id", "title", "updated"):
        assert root.find(A + tag) is not None and (root.find(A + tag).text or "").strip(), tag
    entries = root.findall(A + "entry")
    has_feed_author = root.find(A + "author/" + A + "name") is not None
    for entry in entries:
        for tag in ("id", "title", "updated"):
            assert (entry.find(A + tag).text or "").strip(), tag
        assert entry.find(A + "id").text.startswith("tag:")
        assert has_feed_author or entry.find(A + "author") is not None
        assert entry.find(A + "content") is not None or entry.find(A + "link[@rel='alternate']") is not None
    return entries


def test_feed_is_valid_atom_newest_first_active_only(tmp_path):
    db = _setup(tmp_path)
    data = build_feed(db, base_url="https://data.example.org")
    root = ET.fromstring(data)
    entries = _assert_atom_structure(root)
    assert [e.find(A + "title").text for e in entries] == [
        "legality (FDA): not approved → approved", "dosage (intranasal): 0.3–0.6 mg → 0.2–0.9 mg per dose"]
    assert root.find(A + "updated").text == "2024-05-02T10:00:00+00:00"
    content = entries[1].find(A + "content")
    assert content.get("type") == "text" and SCRIPT in content.text
    assert "The usual intranasal dose is 0.3–0.6 mg per dose." in content.text
    assert b"<script>" not in data and b"&lt;script&gt;alert(1)&lt;/script&gt;" in data
    links = {link.get("rel"): link.get("href") for link in entries[1].findall(A + "link")}
    assert links["alternate"] == "https://data.example.org/-/claimwatch/change/1"
    assert links["related"] == "https://data.example.org/history/versions?source_id=semax-wiki"
    # ids are stable across rebuilds and distinct per entry
    again = ET.fromstring(build_feed(db, base_url="https://data.example.org"))
    ids = [e.find(A + "id").text for e in entries]
    assert ids == [e.find(A + "id").text for e in again.findall(A + "entry")] and len(set(ids)) == 2
    assert len(ET.fromstring(build_feed(db, limit=1)).findall(A + "entry")) == 1


def test_empty_feed_is_still_valid(tmp_path):
    db = make_db(tmp_path, write_config(tmp_path, []))
    root = ET.fromstring(build_feed(db))
    assert _assert_atom_structure(root) == []


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=60))
def test_any_page_text_yields_a_parseable_feed(tmp_path_factory, sentence):
    tmp = tmp_path_factory.mktemp("feed")
    config = write_config(tmp, [])
    db = make_db(tmp, config)
    add_changes(db, config, "semax-wiki", [dosage_change(new=sentence or "x", summary=sentence or "s")])
    root = ET.fromstring(build_feed(db))
    (entry,) = _assert_atom_structure(root)
    # ElementTree normalises \r on parse; compare modulo line endings
    expected = xml_text(sentence or "x").replace("\r\n", "\n").replace("\r", "\n")
    assert expected in entry.find(A + "content").text.replace("\r\n", "\n")


def test_feed_command_writes_the_file(tmp_path):
    db = _setup(tmp_path)
    db.conn.close()
    out = tmp_path / "public" / "changes.xml"
    result = CliRunner().invoke(cli, ["feed", "--output", str(out), "--db", str(tmp_path / "history.db"),
                                      "--config", str(tmp_path / "sources.yaml"), "--limit", "5"])
    assert result.exit_code == 0, result.output
    root = ET.fromstring(out.read_bytes())
    entries = _assert_atom_structure(root)
    assert len(entries) == 2
    # base_url came from the config's settings
    assert entries[0].find(A + "link[@rel='alternate']").get("href").startswith("https://data.example.org/")
    missing = CliRunner().invoke(cli, ["feed", "--db", str(tmp_path / "nope.db"), "--output", "-"])
    assert missing.exit_code == 2 and "no history database" in missing.output
