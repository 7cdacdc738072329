"""Turn a raw HTTP response body into bounded bytes and correctly decoded text.

Apart from :mod:`monitor.fetch.client` because it is pure byte handling, testable without a network:

* ``Content-Encoding`` is undone here, layer by layer (``gzip, gzip`` included), with
  incremental zlib decompressors that never emit more than ``CHUNK`` bytes per step, so a
  tiny compressed "bomb" is refused as soon as its decoded size passes the cap; httpx's own
  decoding would inflate a whole layer first.
* Charsets are chosen from the bytes, because declarations lie: BOM, valid UTF-8, the
  header, ``<meta>``, then charset-normalizer when the declared codec fails.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
from charset_normalizer import from_bytes

from monitor.errors import BodyTooLarge, UnsupportedContent

CHUNK = 64 * 1024
# Only encodings decoded below with a bounded decompressor are advertised (no br, no zstd).
ACCEPT_ENCODING = "gzip, deflate"
ACCEPTED_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain"})


def parse_encodings(header: str | None) -> list[str]:
    """Content-Encoding layers in the order they were applied; refuses unknown ones."""
    layers = [p.strip().lower() for p in (header or "").split(",")]
    layers = [p for p in layers if p and p != "identity"]
    unknown = [p for p in layers if p not in ("gzip", "x-gzip", "deflate")]
    if unknown:
        raise ValueError(f"unsupported Content-Encoding {', '.join(unknown)}")
    if len(layers) > 4:
        raise ValueError(f"{len(layers)} stacked Content-Encodings")
    return ["gzip" if p == "x-gzip" else p for p in layers]


class _ZlibLayer:
    """One gzip/deflate layer; never produces more than CHUNK bytes per step."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding == "gzip"
        self._first = True
        self._obj = self._new()

    def _new(self, raw: bool = False) -> Any:
        return zlib.decompressobj(-zlib.MAX_WBITS if raw else
                                  zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            if self._obj.eof:  # gzip may hold several members; deflate trailing bytes are junk
                if not self._gzip:
                    return
                self._obj = self._new()
            try:
                out = self._obj.decompress(data, CHUNK)
            except zlib.error:
                if self._first and not self._gzip:  # "deflate" sent without zlib header
                    self._first, self._obj = False, self._new(raw=True)
                    continue
                raise
            self._first = False
            data = self._obj.unused_data if self._obj.eof else self._obj.unconsumed_tail
            if out:
                yield out

    def flush(self) -> bytes:
        return b"" if self._obj.eof else self._obj.flush()


class ContentDecoder:
    """Undo stacked Content-Encodings incrementally; memory stays O(CHUNK) per layer."""

    def __init__(self, encodings: Sequence[str]) -> None:
        self._layers = [_ZlibLayer(e) for e in reversed(encodings)]

    def _run(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._layers):
            if data:
                yield data
            return
        for out in self._layers[index].feed(data):
            yield from self._run(index + 1, out)

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._run(0, data)

    def finish(self) -> Iterator[bytes]:
        for index, layer in enumerate(self._layers):
            yield from self._run(index + 1, layer.flush())


_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|title)\b",
                         re.I | re.S)
# WHATWG: these labels mean windows-1252; UTF-16 in a <meta> of an ASCII-readable page means UTF-8.
_LABEL_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
                  "us-ascii": "cp1252", "ascii": "cp1252", "iso8859-1": "cp1252"}


def codec_name(label: str | None, *, from_meta: bool = False) -> str | None:
    if not label:
        return None
    label = _LABEL_ALIASES.get(label.strip().lower(), label.strip())
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "utf-8" if from_meta and name.startswith("utf-16") else name


def _strict(body: bytes, codec: str) -> str | None:
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None
    return None if "\ufffd" in text else text


def decode_text(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode ``body`` to text; return ``(text, codec used)``.

    Order: BOM; valid non-ASCII UTF-8 (accidental validity in a legacy encoding is
    vanishingly rare, while "declared Latin-1, sent UTF-8" is common); header charset;
    ``<meta>`` charset in the first 4 KB; charset-normalizer detection; lossy fallback.
    """
    if not body:
        return "", "utf-8"
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom) and (text := _strict(body, codec)) is not None:
            return text, codec
    if not body.isascii() and (text := _strict(body, "utf-8")) is not None:
        return text, "utf-8"
    meta = _META_CHARSET.search(body[:4096])
    declared = [c for c in (codec_name(header_charset),
                            codec_name(meta.group(1).decode("ascii") if meta else None,
                                       from_meta=True)) if c]
    for codec in dict.fromkeys(declared):
        if (text := _strict(body, codec)) is not None:
            return text, codec
    if body.isascii():
        return body.decode("ascii"), "utf-8"
    best = from_bytes(body).best()
    if best is not None:
        return str(best), codec_name(best.encoding) or best.encoding
    codec = declared[0] if declared else "utf-8"
    return body.decode(codec, errors="replace"), codec


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    mime, _, params = (value or "").partition(";")
    found = re.search(r"""charset\s*=\s*["']?([^"';\s]+)""", params, re.I)
    return mime.strip().lower(), found.group(1) if found else None


_BINARY_MAGIC = ((b"%PDF-", "PDF"), (b"PK\x03\x04", "ZIP/Office"), (b"\x89PNG", "PNG image"),
                 (b"\xff\xd8\xff", "JPEG image"), (b"GIF8", "GIF image"), (b"\x1f\x8b", "gzip"),
                 (b"\x7fELF", "executable"))


def binary_kind(body: bytes) -> str | None:
    """What a non-text body is ("PDF", "binary data"…), or None when it reads as text.

    For local files, which have no Content-Type: a known signature, a NUL byte in the first
    8 KB (what git and grep go by), or bytes no text encoding explains.
    """
    head = body[:8192]
    for magic, kind in _BINARY_MAGIC:
        if head.startswith(magic):
            return kind
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "binary data"
    if _strict(body, "utf-8") is None and not body.isascii() and from_bytes(body).best() is None:
        return "binary data"
    return None


def looks_like_html(body: bytes) -> bool:
    return bool(_HTML_START.match(body[:2048].removeprefix(codecs.BOM_UTF8)))


async def read_capped(response: httpx.Response, max_bytes: int, shown: str) -> bytes:
    """Read and decode the raw body, raising BodyTooLarge as soon as it passes ``max_bytes``."""
    try:
        decoder = ContentDecoder(parse_encodings(response.headers.get("content-encoding")))
    except ValueError as exc:
        raise UnsupportedContent(f"{shown}: {exc}") from None
    too_large = BodyTooLarge(f"{shown}: body larger than {max_bytes} bytes (decoded); gave up")
    raw_cap = max_bytes + max_bytes // 8 + CHUNK  # even incompressible data fits in this
    body, raw_total = bytearray(), 0
    try:
        async for chunk in response.aiter_raw(CHUNK):
            raw_total += len(chunk)
            if raw_total > raw_cap:
                raise too_large
            for out in decoder.feed(chunk):
                body += out
                if len(body) > max_bytes:
                    raise too_large
        for out in decoder.finish():
            body += out
            if len(body) > max_bytes:
                raise too_large
    except zlib.error as exc:
        raise UnsupportedContent(f"{shown}: corrupt compressed body ({exc})") from None
    return bytes(body)
