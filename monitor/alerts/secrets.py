"""Secrets in channel URLs: expanded only at send time, masked everywhere else.

A channel URL in ``sources.yaml`` may hold ``${ENV_VAR}`` references (``mailtos://me:${SMTP_PASS}@…``).
They are expanded from ``os.environ`` just before a message is handed to Apprise and the result
is never stored. Anything that may be shown or stored — log lines, ``alerts.last_error``, CLI
output — goes through a :class:`Masker`, which replaces every expanded secret value (and its
URL-encoded forms) and then masks credentials in any URL left in the text (:func:`mask_url`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Mapping
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

from monitor.errors import AlertError  # noqa: F401 (re-exported)

MASK = "****"
_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_URL_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s'\"<>]+")
# Query parameters whose values are credentials in Apprise URLs and webhooks.
_SECRET_PARAMS = re.compile(
    r"(?i)(pass|pwd|token|secret|key|auth|sig|webhook|bearer|session|cred|priv)")
# A path segment or user name that looks like a generated token (long, letters and digits mixed).
_TOKENISH = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[A-Za-z0-9_\-.:=+]{16,}$")


@dataclass(frozen=True)
class ExpandedURL:
    url: str
    secrets: tuple[str, ...]


def env_names(url: str) -> list[str]:
    """Names of the ``${VAR}`` references in a URL, in order."""
    return _ENV_RE.findall(url)


def expand_url(url: str, channel: str, environ: Mapping[str, str] | None = None) -> ExpandedURL:
    """Replace ``${VAR}`` with the environment value; a missing variable names itself and the channel."""
    env = os.environ if environ is None else environ
    secrets: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        value = env.get(name)
        if value is None or value == "":
            raise AlertError(
                f"channel {channel!r}: environment variable {name} is not set "
                f"(export {name}=… before running monitor, or edit the channel URL in sources.yaml)")
        secrets.append(value)
        return value

    return ExpandedURL(_ENV_RE.sub(sub, url), tuple(secrets))


def _mask_value(value: str) -> str:
    return value if _ENV_RE.fullmatch(value) else MASK


def mask_url(url: str) -> str:
    """Show a URL without its credentials.

    Masks the password, a token-like user name, token-like path segments and the values of
    credential query parameters (token, key, password, apikey, secret…). ``${VAR}`` references are
    kept as written: the variable's name is not a secret, its value never reaches this function
    unmasked because callers mask expanded values first (see :class:`Masker`).
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    if not parts.scheme or "://" not in url:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, password = userinfo.partition(":")
        if _TOKENISH.match(user):
            user = _mask_value(user)
        netloc = user + (":" + _mask_value(password) if sep else "") + "@" + hostport
    segments = [_mask_value(s) if _TOKENISH.match(s) else s for s in parts.path.split("/")]
    path = "/".join(segments)
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = "&".join(
            f"{k}={_mask_value(v) if _SECRET_PARAMS.search(k.lstrip('+:-')) else v}" for k, v in pairs)
    out = f"{parts.scheme}://{netloc}{path}"
    if query:
        out += "?" + query
    if parts.fragment:
        out += "#" + MASK
    return out


class Masker:
    """Callable that scrubs text before it is logged, stored or printed."""

    def __init__(self, secrets: tuple[str, ...] | list[str] = ()) -> None:
        forms: set[str] = set()
        for value in secrets:
            if value:
                forms.update({value, quote(value, safe=""), quote_plus(value), quote(value)})
        # Longest first, so a secret containing another is replaced whole.
        self._forms = sorted(forms, key=len, reverse=True)

    def __call__(self, text: object) -> str:
        out = str(text)
        for form in self._forms:
            out = out.replace(form, MASK)
        return _URL_RE.sub(lambda m: mask_url(m.group(0)), out)
