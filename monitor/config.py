"""``sources.yaml`` → validated, typed configuration.

Errors name the file, the line and the key path, and say what was expected, e.g.::

    sources.yaml:14: sources[2].interval: expected a duration like '6h', got 'sometimes'

YAML is composed to nodes (not plain dicts) so every value keeps its line number; the
validation below walks those nodes. Unknown keys are errors (a typo such as ``selecter`` must
not silently disable a setting).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import yaml

from monitor.errors import ConfigError
from monitor.extract import MIN_WORDS
from monitor.fetch.options import DEFAULTS as FETCH_DEFAULTS, FetchOptions
from monitor.models import CATEGORIES, SEVERITIES

DEFAULT_CONFIG = Path("sources.yaml")
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|day|days|w)\s*$", re.I)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400,
                 "day": 86400, "days": 86400, "w": 604800}
_QUIET_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def parse_duration(text: str) -> float:
    """'6h' → 21600.0; '90s', '15m', '1d', '2w'. Raises ValueError on anything else."""
    m = _DURATION_RE.match(str(text))
    if not m:
        raise ValueError(text)
    seconds = float(m.group(1)) * _UNIT_SECONDS[m.group(2).lower()]
    if seconds <= 0:
        raise ValueError(text)
    return seconds


@dataclass(frozen=True)
class SourceAlerts:
    """Per-source override of which alerts go out: channel names and/or filters."""

    channels: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    min_severity: str | None = None


@dataclass(frozen=True)
class Source:
    id: str
    url: str | None  # None: placeholder, reported as "not configured"
    name: str
    interval: float | None = 6 * 3600.0  # seconds; None when cron is used
    cron: str | None = None
    selector: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    allow_private: bool = FETCH_DEFAULTS.allow_private
    respect_robots: bool = FETCH_DEFAULTS.respect_robots
    enabled: bool = True
    max_bytes: int = FETCH_DEFAULTS.max_bytes
    timeout: float = FETCH_DEFAULTS.timeout
    deadline: float = FETCH_DEFAULTS.deadline  # seconds for the whole fetch, every attempt and redirect
    min_words: int = MIN_WORDS  # shorter main text without any claim is a failed fetch ("empty page")
    alerts: SourceAlerts = field(default_factory=SourceAlerts)
    line: int = 0

    @property
    def configured(self) -> bool:
        return bool(self.url)

    def fetch_options(self) -> FetchOptions:
        """How the fetcher treats this source (defaults: ``monitor.fetch.options.DEFAULTS``)."""
        return FetchOptions(allow_private=self.allow_private, respect_robots=self.respect_robots,
                            headers=dict(self.headers), max_bytes=self.max_bytes, timeout=self.timeout,
                            deadline=self.deadline)

    def settings_json(self) -> dict[str, Any]:
        """Settings worth recording in the DB (no secrets: header values are not stored)."""
        return {"interval": self.interval, "cron": self.cron, "selector": self.selector,
                "allow_private": self.allow_private, "respect_robots": self.respect_robots,
                "header_names": sorted(k for k, _ in self.headers)}


@dataclass(frozen=True)
class Channel:
    """An alert channel: an Apprise URL, or a native JSON webhook (``kind == "webhook"``).

    ``url`` holds the Apprise URL or the webhook's http(s) URL; either may hold ``${ENV}``
    secrets, expanded only at send time. ``secret`` (webhook only) is a ``${ENV}`` reference to
    the HMAC key that signs the body; the YAML never holds the key itself.
    """

    name: str
    url: str
    kind: str = "apprise"  # apprise | webhook
    secret: str | None = None  # "${ENV}" reference, webhook only
    categories: tuple[str, ...] = CATEGORIES
    min_severity: str = "low"
    digest: str = "off"  # off | pass | hourly
    quiet_hours: str | None = None  # "22:00-07:00" (local time of the machine)
    max_attempts: int = 8
    line: int = 0


@dataclass(frozen=True)
class Settings:
    concurrency: int = 16
    per_host: int = 2
    jitter: float = 0.05  # fraction of the interval
    base_url: str | None = None  # Datasette base URL for links in alerts and diffs
    broken_after: int = 3  # consecutive failures before a "fetch broken" alert
    repeat_window: int = 5  # versions looked back for A/B flip-backs
    hold_removals: float = 0.5  # fraction of claims removed at once that is held for confirmation
    user_agent: str | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    sources: tuple[Source, ...]
    channels: tuple[Channel, ...] = ()
    settings: Settings = field(default_factory=Settings)

    def source(self, source_id: str) -> Source:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise ConfigError(f"{self.path}: no source with id {source_id!r} "
                          f"(known: {', '.join(s.id for s in self.sources)})")


# ------------------------------------------------------------------ node walking


class _Walker:
    """Validates YAML nodes and raises ConfigError with ``file:line: key.path: message``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: yaml.Node | None, where: str, message: str) -> ConfigError:
        line = node.start_mark.line + 1 if node is not None else 1
        return ConfigError(f"{self.path}:{line}: {where}: {message}")

    def mapping(self, node: yaml.Node, where: str, allowed: set[str],
                required: set[str] = frozenset()) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, where, f"expected a mapping of keys, got {_kind(node)}")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = f"{where}.{key}" if where else key
            if key not in allowed:
                raise self.fail(key_node, sub, f"unknown key (allowed: {', '.join(sorted(allowed))})")
            if key in out:
                raise self.fail(key_node, sub, "duplicate key")
            out[key] = (key_node, value_node)
        for key in sorted(required - out.keys()):
            raise self.fail(node, f"{where}.{key}" if where else key, "required key is missing")
        return out

    def scalar(self, node: yaml.Node, where: str, convert: Callable[[Any], Any], expected: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, where, f"expected {expected}, got {_kind(node)}")
        value = _construct(node)
        try:
            return convert(value)
        except (ValueError, TypeError):
            raise self.fail(node, where, f"expected {expected}, got {value!r}") from None

    def string_list(self, node: yaml.Node, where: str, choices: tuple[str, ...] | None = None) -> tuple[str, ...]:
        if isinstance(node, yaml.ScalarNode):
            items = [node]
        elif isinstance(node, yaml.SequenceNode):
            items = node.value
        else:
            raise self.fail(node, where, f"expected a list, got {_kind(node)}")
        out = []
        for i, item in enumerate(items):
            value = self.scalar(item, f"{where}[{i}]", str, "a string")
            if choices and value not in choices:
                raise self.fail(item, f"{where}[{i}]", f"expected one of {', '.join(choices)}, got {value!r}")
            out.append(value)
        return tuple(out)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return repr(node.value)


def _bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    raise ValueError(v)


def _pos_int(v: Any) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise ValueError(v)
    return v


def _pos_float(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
        raise ValueError(v)
    return float(v)


def _fraction(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
        raise ValueError(v)
    return float(v)


def _nonempty(v: Any) -> str:
    if v is None or not str(v).strip():
        raise ValueError(v)
    return str(v).strip()


def _http_url(v: Any) -> str | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    parts = urlsplit(str(v).strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(v)
    return str(v).strip()


def _cron(v: Any) -> str:
    from apscheduler.triggers.cron import CronTrigger

    CronTrigger.from_crontab(str(v))
    return str(v)


def _quiet(v: Any) -> str:
    if not _QUIET_RE.match(str(v)):
        raise ValueError(v)
    return str(v)


_SOURCE_KEYS = {"id", "url", "name", "interval", "cron", "selector", "headers", "allow_private",
                "respect_robots", "enabled", "max_bytes", "timeout", "deadline", "min_words", "alerts",
                "note"}
_CHANNEL_KEYS = {"name", "url", "webhook", "secret", "categories", "min_severity", "digest", "quiet_hours",
                 "max_attempts"}
_SETTINGS_KEYS = {"concurrency", "per_host", "jitter", "base_url", "broken_after", "repeat_window",
                  "hold_removals", "user_agent"}


def _parse_source(w: _Walker, node: yaml.Node, where: str) -> Source:
    m = w.mapping(node, where, _SOURCE_KEYS, required={"id", "url"})
    get = lambda key: m[key][1]  # noqa: E731
    sid = w.scalar(get("id"), f"{where}.id", lambda v: v if _ID_RE.match(str(v)) else int("x"),
                   "an id of lowercase letters, digits, '-' or '_' (e.g. 'ionblue')")
    url = w.scalar(get("url"), f"{where}.url", _http_url, "an http(s) URL or null for 'not configured'")
    kwargs: dict[str, Any] = {"id": sid, "url": url, "line": node.start_mark.line + 1}
    kwargs["name"] = w.scalar(get("name"), f"{where}.name", _nonempty, "a non-empty name") if "name" in m else sid
    if "interval" in m and "cron" in m:
        raise w.fail(m["cron"][0], f"{where}.cron", "give either interval or cron, not both")
    if "interval" in m:
        kwargs["interval"] = w.scalar(get("interval"), f"{where}.interval", parse_duration,
                                      "a duration like '6h'")
    if "cron" in m:
        kwargs["cron"] = w.scalar(get("cron"), f"{where}.cron", _cron,
                                  "a 5-field crontab expression like '0 */6 * * *'")
        kwargs["interval"] = None
    if "selector" in m:
        kwargs["selector"] = w.scalar(get("selector"), f"{where}.selector", _selector, "a CSS selector")
    for key, conv, what in (("allow_private", _bool, "true or false"), ("respect_robots", _bool, "true or false"),
                            ("enabled", _bool, "true or false"), ("max_bytes", _pos_int, "a positive integer"),
                            ("timeout", _pos_float, "a positive number of seconds"),
                            ("deadline", _pos_float, "a positive number of seconds"),
                            ("min_words", _pos_int, "a positive integer")):
        if key in m:
            kwargs[key] = w.scalar(get(key), f"{where}.{key}", conv, what)
    if "note" in m:
        w.scalar(get("note"), f"{where}.note", str, "a string")
    if "headers" in m:
        hm = w.mapping(get("headers"), f"{where}.headers", allowed=_AnyKey())
        kwargs["headers"] = tuple(
            (k, w.scalar(v, f"{where}.headers.{k}", _nonempty, "a header value")) for k, (_, v) in hm.items())
    if "alerts" in m:
        am = w.mapping(get("alerts"), f"{where}.alerts", {"channels", "categories", "min_severity"})
        kwargs["alerts"] = SourceAlerts(
            channels=w.string_list(am["channels"][1], f"{where}.alerts.channels") if "channels" in am else None,
            categories=w.string_list(am["categories"][1], f"{where}.alerts.categories", CATEGORIES)
            if "categories" in am else None,
            min_severity=w.scalar(am["min_severity"][1], f"{where}.alerts.min_severity", _choice(SEVERITIES),
                                  f"one of {', '.join(SEVERITIES)}") if "min_severity" in am else None,
        )
    return Source(**kwargs)


class _AnyKey(set):
    """``allowed`` for free-form mappings such as headers."""

    def __contains__(self, item: object) -> bool:
        return True


def _selector(v: Any) -> str:
    """A CSS selector lxml can run (the same engine ``monitor.extract`` uses)."""
    from lxml.cssselect import CSSSelector

    try:
        CSSSelector(_nonempty(v), translator="html")
    except Exception as exc:  # cssselect raises SelectorSyntaxError / ExpressionError
        raise ValueError(v) from exc
    return str(v)


def _choice(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def conv(v: Any) -> str:
        if v not in choices:
            raise ValueError(v)
        return str(v)

    return conv


def _parse_channel(w: _Walker, node: yaml.Node, where: str) -> Channel:
    m = w.mapping(node, where, _CHANNEL_KEYS, required={"name"})
    get = lambda key: m[key][1]  # noqa: E731
    kwargs: dict[str, Any] = {
        "name": w.scalar(get("name"), f"{where}.name", lambda v: v if _ID_RE.match(str(v)) else int("x"),
                         "a channel name of lowercase letters, digits, '-' or '_'"),
        "line": node.start_mark.line + 1,
    }
    if "url" not in m and "webhook" not in m:
        raise w.fail(node, f"{where}.url", "required key is missing (url: an Apprise URL, or webhook: an "
                                            "http(s) URL that receives claimwatch's JSON payload)")
    if "url" in m and "webhook" in m:
        raise w.fail(m["webhook"][0], f"{where}.webhook", "give either url (Apprise) or webhook, not both")
    if "url" in m:
        kwargs["url"] = w.scalar(get("url"), f"{where}.url", _apprise_url, "an Apprise URL like 'json://host/path'")
    else:
        kwargs["url"] = w.scalar(get("webhook"), f"{where}.webhook", _webhook_url,
                                 "an http(s) URL like 'https://hooks.example.org/claimwatch'")
        kwargs["kind"] = "webhook"
    if "secret" in m:
        if "webhook" not in m:
            raise w.fail(m["secret"][0], f"{where}.secret",
                         "only a webhook channel is signed with a secret (Apprise URLs carry their own credentials)")
        snode = get("secret")
        value = snode.value if isinstance(snode, yaml.ScalarNode) else None
        if not isinstance(value, str) or not _ENV_REF_RE.fullmatch(value.strip()):
            # The value is not echoed: it may be the secret itself, pasted by mistake.
            raise w.fail(snode, f"{where}.secret",
                         "expected an environment variable reference like '${CLAIMWATCH_HOOK_SECRET}' "
                         "(the secret itself never goes in sources.yaml)")
        kwargs["secret"] = value.strip()
    if "categories" in m:
        kwargs["categories"] = w.string_list(get("categories"), f"{where}.categories", CATEGORIES)
    if "min_severity" in m:
        kwargs["min_severity"] = w.scalar(get("min_severity"), f"{where}.min_severity", _choice(SEVERITIES),
                                          f"one of {', '.join(SEVERITIES)}")
    if "digest" in m:
        kwargs["digest"] = w.scalar(get("digest"), f"{where}.digest",
                                    lambda v: _choice(("off", "pass", "hourly"))("off" if v is False else v),
                                    "one of off, pass, hourly")
    if "quiet_hours" in m:
        kwargs["quiet_hours"] = w.scalar(get("quiet_hours"), f"{where}.quiet_hours", _quiet,
                                         "a range like '22:00-07:00'")
    if "max_attempts" in m:
        kwargs["max_attempts"] = w.scalar(get("max_attempts"), f"{where}.max_attempts", _pos_int,
                                          "a positive integer")
    return Channel(**kwargs)


def _apprise_url(v: Any) -> str:
    text = _nonempty(v)
    if "://" not in text:
        raise ValueError(v)
    return text


def _webhook_url(v: Any) -> str:
    """http(s) URL; ``${ENV}`` references (a token in the path) are allowed and expanded at send time."""
    text = _nonempty(v)
    probe = _ENV_REF_RE.sub("x", text)
    parts = urlsplit(probe)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(v)
    return text


_ENV_REF_RE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


def _parse_settings(w: _Walker, node: yaml.Node) -> Settings:
    m = w.mapping(node, "settings", _SETTINGS_KEYS)
    convs: dict[str, tuple[Callable[[Any], Any], str]] = {
        "concurrency": (_pos_int, "a positive integer"), "per_host": (_pos_int, "a positive integer"),
        "jitter": (_fraction, "a fraction between 0 and 1"), "base_url": (_http_url, "an http(s) URL"),
        "broken_after": (_pos_int, "a positive integer"), "repeat_window": (_pos_int, "a positive integer"),
        "hold_removals": (_fraction, "a fraction between 0 and 1"), "user_agent": (_nonempty, "a string"),
    }
    return Settings(**{k: w.scalar(v, f"settings.{k}", *convs[k]) for k, (_, v) in m.items()})


def parse_config(text: str, path: Path | str = DEFAULT_CONFIG) -> Config:
    """Validate configuration text; ``path`` is used in error messages only."""
    path = Path(path)
    w = _Walker(path)
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ConfigError(f"{path}:{line}: invalid YAML: {exc.problem or exc}") from None
    if root is None:
        raise ConfigError(f"{path}:1: sources: the file is empty; add a 'sources:' list")
    top = w.mapping(root, "", {"sources", "alerts", "settings"}, required={"sources"})
    sources_node = top["sources"][1]
    if not isinstance(sources_node, yaml.SequenceNode):
        raise w.fail(sources_node, "sources", f"expected a list of sources, got {_kind(sources_node)}")
    sources: list[Source] = []
    seen: dict[str, int] = {}
    for i, node in enumerate(sources_node.value):
        src = _parse_source(w, node, f"sources[{i}]")
        if src.id in seen:
            raise w.fail(node, f"sources[{i}].id", f"duplicate id {src.id!r} (first used on line {seen[src.id]})")
        seen[src.id] = src.line
        sources.append(src)
    channels: list[Channel] = []
    if "alerts" in top:
        node = top["alerts"][1]
        if not isinstance(node, yaml.SequenceNode):
            raise w.fail(node, "alerts", f"expected a list of channels, got {_kind(node)}")
        names: set[str] = set()
        for i, cnode in enumerate(node.value):
            ch = _parse_channel(w, cnode, f"alerts[{i}]")
            if ch.name in names:
                raise w.fail(cnode, f"alerts[{i}].name", f"duplicate channel name {ch.name!r}")
            names.add(ch.name)
            channels.append(ch)
        for i, src in enumerate(sources):
            for name in src.alerts.channels or ():
                if name not in names:
                    raise w.fail(sources_node.value[i], f"sources[{i}].alerts.channels",
                                 f"unknown channel {name!r} (defined: {', '.join(sorted(names)) or 'none'})")
    settings = _parse_settings(w, top["settings"][1]) if "settings" in top else Settings()
    return Config(path=path, sources=tuple(sources), channels=tuple(channels), settings=settings)


# libyaml's loader when PyYAML was built with it (same nodes and marks, several times faster).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _construct(node: yaml.Node) -> Any:
    """The Python value of a composed scalar node (its tag is already resolved by ``compose``).

    Why not ``safe_load(serialize(node))``: that re-emits and re-parses every scalar, which was
    most of the time of loading a config of a thousand sources.
    """
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def load_config(path: Path | str = DEFAULT_CONFIG) -> Config:
    """Read and validate a config file; a missing file is a ConfigError that says how to fix it."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (create it, or pass --config PATH)") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}:1: not UTF-8 text ({exc.reason})") from None
    return parse_config(text, path)
