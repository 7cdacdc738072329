"""The URL and address policy of fetching: what may be fetched, and what may be recorded. Pure.

Why apart from the client: these rules are the security boundary (SSRF, credential leaks to
other hosts, secrets in the history DB), so they are small functions of their inputs that
unit tests can check exhaustively, with no network and no event loop. The client
(:mod:`monitor.fetch.client`) and the connection layer (:mod:`monitor.fetch.net`) apply them.
"""

from __future__ import annotations

import email.utils
import ipaddress
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone

import httpx

MAX_RETRY_AFTER = 60.0
REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
RESERVED_HEADERS = frozenset({"host", "accept-encoding", "content-length", "transfer-encoding",
                              "connection"})
EXEMPTABLE = frozenset({"loopback", "private"})  # what allow_private may permit, for one host
# Request headers never written to the history (evidence exports it): credentials by name,
# and any header whose name suggests it carries a token or key (X-Api-Key, X-Auth-Token…).
_SECRET_HEADER = re.compile(r"auth|token|secret|key|session|passw|signature|cookie|credential",
                            re.IGNORECASE)


def display_url(url: httpx.URL | str) -> str:
    """The URL for messages: credentials in the userinfo part are dropped."""
    url = httpx.URL(url) if isinstance(url, str) else url
    return str(url.copy_with(username=None, password=None)) if url.userinfo else str(url)


def host_port(url: httpx.URL) -> tuple[str, int]:
    """(host as httpcore dials it: ASCII/punycode, lower case; port with the scheme's default)."""
    default = 443 if url.scheme == "https" else 80
    return url.raw_host.decode("ascii").lower(), url.port or default


def address_problem(address: str) -> str | None:
    """Why ``address`` must not be fetched (``"loopback"``, ``"link-local"``...), or None."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address)
    except ValueError:
        return "unparsable"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None:
            ip = inner
    # loopback before reserved: Python counts ::1 as reserved (it lies in ::/8), which made an
    # IPv6 loopback source unfetchable even with allow_private
    for label, flagged in (("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                           ("unspecified", ip.is_unspecified), ("loopback", ip.is_loopback),
                           ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if flagged:
            return label
    return None if ip.is_global else "private"


def scheme_refusal(url: httpx.URL) -> str | None:
    """Why a URL's scheme or host rules it out before anything is sent, or None."""
    if url.scheme not in ("http", "https"):
        return f"refused scheme {url.scheme or '(none)'!r}: only http and https are fetched"
    return None if url.host else "URL has no host"


def address_refusal(host: str, addresses: Sequence[str], *, allow_private: bool,
                    is_origin: bool) -> str | None:
    """One-line reason to refuse ``host`` given all its resolved addresses, or None.

    ``allow_private`` permits loopback/private addresses only when ``is_origin`` (the
    source's configured host:port); link-local, multicast, unspecified and reserved
    addresses are always refused.
    """
    if not addresses:
        return f"{host} resolved to no address"
    for address in addresses:
        problem = address_problem(address)
        if problem is None or (allow_private and is_origin and problem in EXEMPTABLE):
            continue
        hint = ""
        if problem in EXEMPTABLE:
            hint = (" (allow_private covers only the configured host:port)" if allow_private
                    else " (allow_private is not set)")
        return f"{host} resolves to {problem} address {address}{hint}"
    return None


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Parse ``Retry-After`` (delta seconds or HTTP date), capped at MAX_RETRY_AFTER."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return min(max(delta, 0.0), MAX_RETRY_AFTER)


def is_secret_header(name: str) -> bool:
    """Would recording this request header's value put a secret in the history DB?"""
    return name.lower() in CREDENTIAL_HEADERS or bool(_SECRET_HEADER.search(name))


def request_headers(configured: Mapping[str, str], conditional: Mapping[str, str] | None,
                    same_origin: bool) -> dict[str, str]:
    """The source's headers to send on one hop: reserved ones never, credentials only to the
    configured origin (a redirect to another host must not carry the source's cookie or token),
    plus the conditional-GET headers."""
    headers = {k: v for k, v in configured.items()
               if k.lower() not in RESERVED_HEADERS and (same_origin or k.lower() not in CREDENTIAL_HEADERS)}
    headers.update({k: v for k, v in (conditional or {}).items() if v})
    return headers
