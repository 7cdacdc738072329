"""Every error claimwatch raises on purpose, in one tree.

::

    ClaimwatchError                 exit code 2 unless stated
    ├── ConfigError                 sources.yaml is wrong: names file, line and key
    ├── FetchError                  a page could not be fetched (the pass goes on)
    │   ├── NetworkError            connection refused, DNS failure, TLS, reset
    │   ├── FetchTimeout            connect/read/total timeout
    │   ├── HTTPStatusError         4xx / 5xx after retries
    │   ├── BlockedURLError         redirect or URL to a forbidden address or scheme
    │   ├── RobotsDisallowed        robots.txt forbids the path
    │   ├── BodyTooLarge            body (decoded) larger than the limit
    │   └── UnsupportedContent      not HTML / text
    ├── SnapshotError               a stored body is missing or fails its hash check
    ├── StoreError                  the history DB is unusable (locked by a daemon, bad ref,
    │   │                           a directory that cannot be written)
    │   ├── LockHeld                another daemon holds this history DB's lock
    │   └── StorageFull             exit 4: the disk is full or failing; nothing was half-written
    ├── RefError                    a SOURCE@VERSION / file / URL reference cannot be resolved
    ├── AlertError                  an alert channel cannot be used as configured
    ├── ArchiveError                a WARC export or evidence bundle cannot be made as asked
    └── DemoError                   the demo could not run (work directory, servers)

Each carries a one-line ``reason`` meant for humans; the CLI prints it and maps the class
to an exit code. Nothing here ever contains a secret: callers pass masked URLs.
"""

from __future__ import annotations


class ClaimwatchError(Exception):
    """Base class: ``str(err)`` is a one-line, human-readable reason."""

    exit_code = 2


class ConfigError(ClaimwatchError):
    """Invalid configuration. The message starts with ``file:line: key:``."""


class FetchError(ClaimwatchError):
    """A fetch failed; ``kind`` is a short machine-readable label stored in the DB."""

    kind = "error"
    exit_code = 1


class NetworkError(FetchError):
    kind = "network"


class FetchTimeout(FetchError):
    kind = "timeout"


class HTTPStatusError(FetchError):
    kind = "http_status"

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class BlockedURLError(FetchError):
    kind = "blocked_url"


class RobotsDisallowed(FetchError):
    kind = "robots"


class BodyTooLarge(FetchError):
    kind = "too_large"


class UnsupportedContent(FetchError):
    kind = "content_type"


class SnapshotError(ClaimwatchError):
    """A snapshot is missing or corrupt (hash mismatch): never served silently."""


class StoreError(ClaimwatchError):
    """The history database cannot be used as asked."""


class StorageFull(StoreError):
    """Writing the history DB or a snapshot failed for lack of space (or an I/O error).

    Its own exit code (4), because "the machine ran out of disk" is not "a source failed" (1)
    and needs a different reaction (free space; nothing to fix in sources.yaml). The write
    that failed was rolled back, so the history stays as it was before the pass.
    """

    exit_code = 4


class RefError(ClaimwatchError):
    """A reference (SOURCE@VERSION, file, URL) could not be resolved."""


class LockHeld(StoreError):
    """Another daemon holds the lock of this history DB."""


class AlertError(ClaimwatchError):
    """An alert channel cannot be used as configured (unknown channel, missing env var, bad URL)."""


class DemoError(ClaimwatchError):
    """The demo could not run (work directory not fresh, servers failed)."""


class ArchiveError(ClaimwatchError):
    """An export or bundle cannot be made as asked; the message names the thing and the fix."""
