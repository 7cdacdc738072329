"""Per-source fetch settings: the one place their defaults live.

``monitor.config.Source`` takes its defaults from :data:`DEFAULTS` and builds these with
``Source.fetch_options()``, so a default changed here is the default everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FetchOptions:
    """How one source is fetched (built from sources.yaml by ``Source.fetch_options()``)."""

    allow_private: bool = False
    respect_robots: bool = True
    headers: Mapping[str, str] = field(default_factory=dict)
    max_bytes: int = 10 * 1024 * 1024  # cap on the DECODED body
    timeout: float = 30.0  # total seconds per attempt
    connect_timeout: float = 10.0
    retries: int = 3  # extra attempts after the first
    # total seconds for the whole fetch: robots.txt, redirects, every attempt and backoff; without
    # it 4 attempts x 30 s let one slow source hold a pass (and a daemon's grace) for minutes
    deadline: float = 60.0

    def __post_init__(self) -> None:
        pairs = self.headers.items() if isinstance(self.headers, Mapping) else self.headers
        object.__setattr__(self, "headers", {str(k): str(v) for k, v in pairs})
        if min(self.max_bytes, self.timeout, self.connect_timeout, self.deadline) <= 0:
            raise ValueError("max_bytes, timeout, connect_timeout and deadline must be positive")
        if self.retries < 0:
            raise ValueError("retries must be >= 0")


DEFAULTS = FetchOptions()
