"""Content-addressed store of raw page bodies under ``snapshots/``.

Each distinct body is stored once as ``snapshots/ab/abcdef….zst`` (zstd, keyed by the sha256
of the *uncompressed* body). Writes are atomic (temp file in the same directory, fsync,
``os.replace``) so a crash never leaves a truncated snapshot under its final name. Reads verify
the hash: a corrupt or tampered file raises ``SnapshotError``, it is never served silently.

Keeping raw bodies (not just extracted text) is what lets ``monitor reextract`` rebuild claims
when the extractors improve.

**Delta snapshots.** Successive versions of a page share almost all their bytes, so ``put`` can
compress a body against a *base* body of the same source (zstd with the base as a raw-content
dictionary): a 10 KB page that differs by a date stamp stores ~200 bytes instead of ~4 KB.
Such a file starts with ``CWD1`` + the base's sha256; the base itself is always stored plainly
(a delta is never the base of another), so reading needs at most one extra file, and both are
verified by hash.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Iterator

import zstandard

from monitor.errors import SnapshotError

_LEVEL = 10  # good ratio for HTML at well under a millisecond per page
_DELTA_MAGIC = b"CWD1"
_HEADER_LEN = len(_DELTA_MAGIC) + 64


def _dict(base_body: bytes) -> zstandard.ZstdCompressionDict:
    return zstandard.ZstdCompressionDict(base_body, dict_type=zstandard.DICT_TYPE_RAWCONTENT)


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


@contextmanager
def atomic_file(path: Path, prefix: str = ".tmp-") -> Iterator[BinaryIO]:
    """Write ``path`` through a temp file beside it, fsynced and renamed only when the block
    succeeds: a crash or an error never leaves a half-written file under the real name.

    Creating the temp file raises ``OSError`` before the block runs (an unwritable directory).
    """
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


class SnapshotStore:
    """Raw bodies by sha256. ``root`` is usually the directory holding the history DB."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path_for(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise SnapshotError(f"not a sha256 hex digest: {digest!r}")
        return self.root / digest[:2] / f"{digest}.zst"

    def put(self, body: bytes, base: str | None = None) -> str:
        """Store ``body`` (no-op when already present); returns its sha256.

        ``base``: sha256 of a stored body of the same page to compress against (a delta base is
        resolved to its own plain base). Falls back to plain compression when the base is absent.
        """
        digest = body_hash(body)
        path = self.path_for(digest)
        if path.exists():
            return digest
        data = self._compress(body, digest, base)
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_file(path) as fh:
            fh.write(data)
        return digest

    def _compress(self, body: bytes, digest: str, base: str | None) -> bytes:
        plain = zstandard.ZstdCompressor(level=_LEVEL).compress(body)
        if not base or base == digest:
            return plain
        try:
            base = self.base_of(base)
            base_body = self.get(base)
        except SnapshotError:
            return plain
        delta = zstandard.ZstdCompressor(level=_LEVEL, dict_data=_dict(base_body)).compress(body)
        if len(delta) + _HEADER_LEN >= len(plain):
            return plain
        return _DELTA_MAGIC + base.encode() + delta

    def base_of(self, digest: str) -> str:
        """The plain body a stored body is compressed against (itself when stored plainly)."""
        with open(self.path_for(digest), "rb") as fh:
            head = fh.read(_HEADER_LEN)
        if head.startswith(_DELTA_MAGIC):
            return head[len(_DELTA_MAGIC):].decode("ascii", errors="replace")
        return digest

    def get(self, digest: str) -> bytes:
        """The body with this sha256, verified; SnapshotError when missing or corrupt."""
        path = self.path_for(digest)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise SnapshotError(f"snapshot {digest[:12]}… is missing from {self.root}") from None
        try:
            if data.startswith(_DELTA_MAGIC):
                base = data[len(_DELTA_MAGIC):_HEADER_LEN].decode("ascii", errors="replace")
                if base == digest or self.base_of(base) != base:
                    raise SnapshotError(f"snapshot {path} has an invalid delta base")
                body = zstandard.ZstdDecompressor(dict_data=_dict(self.get(base))).decompress(data[_HEADER_LEN:])
            else:
                body = zstandard.ZstdDecompressor().decompress(data)
        except (zstandard.ZstdError, FileNotFoundError) as exc:
            raise SnapshotError(f"snapshot {path} is corrupt or its base is missing ({exc})") from None
        if body_hash(body) != digest:
            raise SnapshotError(f"snapshot {path} fails its hash check (corrupt or tampered)")
        return body

    def digests(self) -> list[str]:
        """sha256 of every stored body, from the file names (temp files of a crashed write are not)."""
        return sorted(p.stem for p in self.root.glob("??/*.zst") if len(p.stem) == 64)

    def problem(self, digest: str) -> str | None:
        """Why the stored body ``digest`` cannot be served (missing, corrupt, bad base), or None."""
        try:
            self.get(digest)
        except SnapshotError as exc:
            return str(exc)
        except OSError as exc:
            return f"snapshot {digest[:12]}… cannot be read ({exc})"
        return None

    def __contains__(self, digest: str) -> bool:
        return self.path_for(digest).exists()

    def disk_usage(self) -> int:
        """Bytes on disk used by stored snapshots (for benchmarks and `monitor status`)."""
        return sum(p.stat().st_size for p in self.root.glob("??/*.zst"))
