"""sources.yaml validation: every malformed file gets file:line: key: message."""

from __future__ import annotations

import pytest

from monitor.config import load_config, parse_config, parse_duration
from monitor.errors import ConfigError

CASES = [
    ("sources:\n  - id: a\n    url: https://x.org/a\n    interval: sometimes\n",
     "sources.yaml:4: sources[0].interval: expected a duration like '6h', got 'sometimes'"),
    ("sources:\n  - id: a\n    url: https://x.org/a\n  - id: a\n    url: https://x.org/b\n",
     "sources.yaml:4: sources[1].id: duplicate id 'a' (first used on line 2)"),
    ("sources:\n  - id: a\n    url: ftp://x.org/a\n",
     "sources.yaml:3: sources[0].url: expected an http(s) URL or null for 'not configured', got 'ftp://x.org/a'"),
    ("sources:\n  - id: a\n    url: https://x.org\n    selecter: article\n",
     "sources.yaml:4: sources[0].selecter: unknown key (allowed: alerts, allow_private, cron, deadline, enabled, headers, "
     "id, interval, max_bytes, min_words, name, note, respect_robots, selector, timeout, url)"),
    ("sources:\n  - id: a\n", "sources.yaml:2: sources[0].url: required key is missing"),
    ("sources:\n  - id: Bad Id\n    url: https://x.org\n",
     "sources.yaml:2: sources[0].id: expected an id of lowercase letters, digits, '-' or '_' (e.g. 'ionblue'), "
     "got 'Bad Id'"),
    ("sources:\n  - id: a\n    url: https://x.org\n    allow_private: maybe\n",
     "sources.yaml:4: sources[0].allow_private: expected true or false, got 'maybe'"),
    ("sources:\n  - id: a\n    url: https://x.org\n    cron: every day\n",
     "sources.yaml:4: sources[0].cron: expected a 5-field crontab expression like '0 */6 * * *', got 'every day'"),
    ("sources:\n  - id: a\n    url: https://x.org\n    interval: 6h\n    cron: '0 * * * *'\n",
     "sources.yaml:5: sources[0].cron: give either interval or cron, not both"),
    ("sources: {id: a}\n", "sources.yaml:1: sources: expected a list of sources, got a mapping"),
    ("sourcez: []\n", "sources.yaml:1: sourcez: unknown key (allowed: alerts, settings, sources)"),
    ("", "sources.yaml:1: sources: the file is empty; add a 'sources:' list"),
    ("sources:\n  - id: a\n    url: [unclosed\n", "sources.yaml:4: invalid YAML"),
    ("sources: []\nalerts:\n  - name: hook\n    url: json://h/x\n    min_severity: urgent\n",
     "sources.yaml:5: alerts[0].min_severity: expected one of low, medium, high, got 'urgent'"),
    ("sources:\n  - id: a\n    url: https://x.org\n    alerts: {channels: [nope]}\nalerts:\n  - name: hook\n"
     "    url: json://h/x\n", "sources.yaml:2: sources[0].alerts.channels: unknown channel 'nope' (defined: hook)"),
    ("sources: []\nsettings:\n  jitter: 2\n", "sources.yaml:3: settings.jitter: expected a fraction between 0 and 1, got 2"),
]


@pytest.mark.parametrize("text,message", CASES, ids=[m.split(": ")[1] for _, m in CASES])
def test_malformed_config_names_file_line_and_key(text, message):
    with pytest.raises(ConfigError) as err:
        parse_config(text, "sources.yaml")
    assert str(err.value).startswith(message)


def test_missing_file_says_how_to_fix(tmp_path):
    with pytest.raises(ConfigError, match=r"file not found \(create it, or pass --config PATH\)"):
        load_config(tmp_path / "nope.yaml")


def test_valid_config_with_all_keys():
    cfg = parse_config(
        "settings: {concurrency: 4, base_url: 'http://127.0.0.1:8001'}\n"
        "sources:\n  - id: ionblue\n    url: https://example.org/semax\n    name: ION BLUE\n    cron: '0 */6 * * *'\n"
        "    selector: article\n    headers: {Accept-Language: en}\n    allow_private: false\n    enabled: true\n"
        "  - id: ph\n    url: null\n    note: placeholder\n"
        "alerts:\n  - name: team\n    url: 'mailtos://u:${SMTP_PASSWORD}@mail.example.org'\n"
        "    categories: [dosage, legality]\n    min_severity: medium\n    digest: pass\n    quiet_hours: '22:00-07:00'\n",
        "x.yaml")
    ion, ph = cfg.sources
    assert ion.cron == "0 */6 * * *" and ion.interval is None and ion.headers == (("Accept-Language", "en"),)
    assert not ph.configured
    assert cfg.channels[0].categories == ("dosage", "legality") and cfg.channels[0].digest == "pass"
    assert cfg.settings.concurrency == 4


def test_repo_sources_yaml_is_valid():
    from pathlib import Path

    cfg = load_config(Path(__file__).parent.parent / "sources.yaml")
    assert {s.id for s in cfg.sources} == {"ningbo", "guide2025", "shield", "properties", "ionblue"}


@pytest.mark.parametrize("text,seconds", [("6h", 21600), ("90s", 90), ("15m", 900), ("1d", 86400), ("2w", 1209600)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds
