"""Content-addressed store of raw page bodies under ``snapshots/``.

Each distinct body is stored once as ``snapshots/ab/abcdef….zst`` (zstd, keyed by the sha256
of the *uncompressed* body). Writes are atomic (temp file in the same directory, fsync,
``os.replace``) so a crash never leaves a truncated snapshot under its final name. Reads verify
the hash: a corrupt or tampered file raises ``SnapshotError``, it is never served silently.

Keeping raw bodies (not just extracted text) is what lets ``monitor reextract`` rebuild claims
when the extractors improve.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import zstandard

from monitor.errors import SnapshotError

_LEVEL = 10  # good ratio for HTML at a few ms per page


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class SnapshotStore:
    """Raw bodies by sha256. ``root`` is usually the directory holding the history DB."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise SnapshotError(f"not a sha256 hex digest: {digest!r}")
        return self.root / digest[:2] / f"{digest}.zst"

    def put(self, body: bytes) -> str:
        """Store ``body`` (no-op when already present); returns its sha256."""
        digest = body_hash(body)
        path = self.path_for(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        data = zstandard.ZstdCompressor(level=_LEVEL).compress(body)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        return digest

    def get(self, digest: str) -> bytes:
        """The body with this sha256, verified; SnapshotError when missing or corrupt."""
        path = self.path_for(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SnapshotError(f"snapshot {digest[:12]}… is missing from {self.root}") from None
        try:
            body = zstandard.ZstdDecompressor().decompress(data)
        except zstandard.ZstdError as exc:
            raise SnapshotError(f"snapshot {path} is corrupt ({exc})") from None
        if body_hash(body) != digest:
            raise SnapshotError(f"snapshot {path} fails its hash check (corrupt or tampered)")
        return body

    def __contains__(self, digest: str) -> bool:
        return self.path_for(digest).exists()

    def disk_usage(self) -> int:
        """Bytes on disk used by stored snapshots (for benchmarks and `monitor status`)."""
        return sum(p.stat().st_size for p in self.root.glob("??/*.zst"))
