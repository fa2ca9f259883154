"""Lazy attachments: the base64 text is kept as it came and decoded on first use.

A lazy read keeps each ``ContentTransferEncoded`` text where the parse left it: as a slice
of the package's bytes (:class:`SourceText`, the fast path's usual case), in the lxml tree
(:class:`ElementText`), or, for packages too large for the fast path, copied without its
whitespace into a spool while streaming (:class:`SpooledText`). The attachment gets a
:class:`LazyContent` that decodes, unzips and hashes it the first time it is loaded or
opened, with the checks and error codes of an eager read. What the model must know at
once is found by :func:`lienthong.edxml.peek.classify`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from lienthong.edxml.hardening import hardened_parser, parser_message
from lienthong.edxml.model import LoadedContent
from lienthong.edxml.payload import (
    WHITESPACE,
    WHITESPACE_BYTES,
    Base64Decoder,
    Decoded,
    finish_payload,
)
from lienthong.edxml.peek import TextInfo
from lienthong.edxml.prelude import xml_error
from lienthong.edxml.spool import Spool, SpoolFactory
from lienthong.errors import LienthongError, PackageError

__all__ = [
    "ElementText",
    "LazyContent",
    "PayloadText",
    "SourceText",
    "SpooledText",
    "decode_text",
]

#: Text is handed to the decoder (and spooled) in pieces of this many characters.
STEP = 1 << 20
#: The whitespace XML text can carry (the decoder also drops \x0b and \x0c).
_XML_WHITESPACE = (" ", "\n", "\t", "\r")


class SpooledText:
    """The text of one ``ContentTransferEncoded`` spooled as it streams by, undecoded."""

    def __init__(self, spool: Spool) -> None:
        self.spool = spool
        self.ascii = True
        self._pending: list[str] = []
        self._pending_len = 0

    def feed(self, text: str) -> None:
        self._pending.append(text)
        self._pending_len += len(text)
        if self._pending_len >= STEP:
            self._flush()

    def _flush(self) -> None:
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_len = 0
        if self.ascii and not text.isascii():
            self.ascii = False  # the decoder will refuse it when loaded
        raw = text.encode("utf-8")
        if any(ws in raw for ws in WHITESPACE_BYTES):
            raw = raw.translate(None, WHITESPACE)
        self.spool.write(raw)

    def finish(self) -> None:
        self._flush()

    def inspect(self) -> TextInfo:
        reader = self.spool.open()

        def chars(start: int, end: int) -> bytes:
            reader.seek(start)
            return reader.read(end - start)

        return TextInfo(self.spool.size, ascii=self.ascii, chars=chars)

    def feed_to(self, decoder: Base64Decoder) -> None:
        with self.spool.open() as fh:
            while chunk := fh.read(STEP):
                decoder.feed(chunk.decode("utf-8", errors="replace"))

    def release(self) -> None:
        self.spool.discard()


class ElementText:
    """The text of one ``ContentTransferEncoded`` left in the parsed lxml tree."""

    def __init__(self, el: Any) -> None:
        self.el = el

    def inspect(self) -> TextInfo:
        text: str = self.el.text or ""
        if not text.isascii():
            return TextInfo(len(text), ascii=False, chars=lambda start, end: b"")
        if any(ws in text for ws in _XML_WHITESPACE):
            stripped = text.encode("ascii").translate(None, WHITESPACE)
            return TextInfo(len(stripped), ascii=True, chars=lambda a, b: stripped[a:b])
        return TextInfo(len(text), ascii=True, chars=lambda a, b: text[a:b].encode("ascii"))

    def feed_to(self, decoder: Base64Decoder) -> None:
        text: str = self.el.text or ""
        for at in range(0, len(text), STEP):
            decoder.feed(text[at : at + STEP])

    def release(self) -> None:
        self.el = None


class SourceText:
    """The text of one ``ContentTransferEncoded`` as it stands in the package's bytes.

    Only for texts the fast path found to be plain character data (no markup, no
    references, no carriage return) in a UTF-8 package: the bytes are then the text.
    libxml2 never parsed them: when they do not decode, :meth:`xml_error` says whether
    they were even well-formed XML text (an eager read reports that first).
    """

    def __init__(self, data: bytes, start: int, end: int, *, newlines: int) -> None:
        self.data: bytes | None = data
        self.start = start
        self.end = end
        self.newlines = newlines

    def _data(self) -> bytes:
        if self.data is None:
            raise PackageError("attachment text already released", code="package.internal")
        return self.data

    def inspect(self) -> TextInfo:
        data, start, end = self._data(), self.start, self.end
        if self.newlines or data.find(b" ", start, end) >= 0 or data.find(b"\t", start, end) >= 0:
            stripped = data[start:end].translate(None, WHITESPACE)
            return TextInfo(len(stripped), ascii=True, chars=lambda a, b: stripped[a:b])
        return TextInfo(end - start, ascii=True, chars=lambda a, b: data[start + a : start + b])

    def feed_to(self, decoder: Base64Decoder) -> None:
        data = self._data()
        for at in range(self.start, self.end, STEP):
            # latin-1 maps each byte to one character: non-ASCII bytes stay non-ASCII.
            decoder.feed(data[at : min(at + STEP, self.end)].decode("latin-1"))

    def xml_error(self, line: int | None) -> PackageError | None:
        """The error the XML parser raises on this text (``package.xml_syntax``, at the
        line of the package it is on), or None if it is well-formed character data."""
        data = self._data()
        try:
            etree.fromstring(b"<t>" + data[self.start : self.end] + b"</t>", hardened_parser())
        except etree.XMLSyntaxError as exc:
            where = line + exc.lineno - 1 if line is not None and exc.lineno else line
            return xml_error(
                f"not well-formed XML: {parser_message(exc)}", code="package.xml_syntax", line=where
            )
        return None

    def release(self) -> None:
        self.data = None


PayloadText = SpooledText | ElementText | SourceText


def decode_text(
    text: PayloadText,
    spools: SpoolFactory,
    *,
    limit: int,
    label: str,
    line: int | None,
    hash_now: bool,
) -> Decoded:
    """Decode a kept text into a new spool (raises the eager read's errors)."""
    decoder = Base64Decoder(spools.new(), limit=limit, label=label, line=line, hash_now=hash_now)
    text.feed_to(decoder)
    return Decoded(decoder, decoder.finish())


class LazyContent:
    """Decodes, unzips and hashes one payload on first use; later uses share the result.

    A failure is kept and raised again by later uses. The kept text is released after the
    first use, whatever its outcome.
    """

    def __init__(
        self,
        text: PayloadText,
        *,
        spool_dir: Path | None,
        zipped: bool,
        content_type: str,
        name: str,
        limit: int,
        label: str,
        line: int | None,
    ) -> None:
        self._text: PayloadText | None = text
        self._spool_dir = spool_dir
        self._zipped = zipped
        self._content_type = content_type
        self._name = name
        self._limit = limit
        self._label = label
        self._line = line
        self._lock = threading.Lock()
        self._result: LoadedContent | None = None
        self._error: LienthongError | None = None

    def load(self) -> LoadedContent:
        """``(size, sha256, opener)`` of the payload; raises PackageError / LimitExceeded."""
        with self._lock:
            if self._result is not None:
                return self._result
            if self._error is not None:  # the first failure, again (not its old traceback)
                raise self._error.with_traceback(None)
            if self._text is None:  # pragma: no cover - set together with the result
                raise PackageError("no content", code="package.internal")
            text, self._text = self._text, None
            spools = SpoolFactory(self._spool_dir)
            try:
                self._result = self._decode(text, spools)
            except LienthongError as exc:
                self._error = exc
            except Exception as exc:
                self._error = PackageError(
                    f"attachment {self._label} could not be decoded: {type(exc).__name__}: {exc}",
                    code="package.internal",
                )
                self._error.__cause__ = exc
            finally:
                text.release()
            if self._result is None:
                spools.discard_all()
                raise self._error or PackageError("no content", code="package.internal")
            return self._result

    def open(self) -> BinaryIO:
        """A new reader on the decoded payload (decoding it first if needed)."""
        return self.load()[2]()

    def __copy__(self) -> LazyContent:
        return self  # one payload, shared by copies of its attachment

    def __deepcopy__(self, memo: dict[int, Any]) -> LazyContent:
        return self

    def _decode(self, text: PayloadText, spools: SpoolFactory) -> LoadedContent:
        try:
            decoded = decode_text(
                text,
                spools,
                limit=self._limit,
                label=self._label,
                line=self._line,
                hash_now=not self._zipped,
            )
        except PackageError as exc:
            if exc.code == "package.base64" and isinstance(text, SourceText):
                raise text.xml_error(self._line) or exc from None
            raise
        final = finish_payload(
            decoded.decoder.spool,
            decoded.sha256,
            content_type=self._content_type,
            name=self._name,
            limit=self._limit,
            factory=spools,
            label=self._label,
            line=self._line,
        )
        if final.zipped != self._zipped:  # pragma: no cover - classify() decides the same
            raise PackageError(
                f"attachment {self._label}: the payload is not what its first bytes said",
                code="package.internal",
            )
        return final.size, final.sha256, final.spool.opener()
