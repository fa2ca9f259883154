"""Attachment payloads on the wire: incremental base64 and the SDK's one-file zips.

Reading: :class:`Base64Decoder` takes the text of ``ContentTransferEncoded`` piece by
piece (whitespace ignored, leftovers carried to the next piece) and writes the decoded
bytes to a :class:`~lienthong.edxml.spool.Spool`; :func:`finish_payload` then unwraps a
one-member zip into a second spool, counting (and limiting) the *unzipped* size.

Writing: :class:`Base64Sink` is a write-only byte stream that base64-encodes what it is
given and hands the text on; :func:`encode_payload` copies an attachment into it, through
a zip first when the attachment is ``zipped``.
"""

from __future__ import annotations

import binascii
import hashlib
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from lienthong.edxml.model import Attachment
from lienthong.edxml.spool import Spool, SpoolFactory
from lienthong.errors import LimitExceeded, PackageError

CHUNK = 1 << 16
ZIP_TYPES = frozenset({"application/zip", "application/x-zip-compressed", "application/x-zip"})
#: Formats that are zip files themselves: never unwrapped unless the wire type says zip.
ZIP_BASED_SUFFIXES = (
    ".zip",
    ".docx",
    ".docm",
    ".xlsx",
    ".xlsm",
    ".pptx",
    ".odt",
    ".ods",
    ".odp",
    ".odg",
    ".epub",
    ".jar",
    ".apk",
    ".kmz",
)
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
WHITESPACE = b" \t\r\n\x0b\x0c"
WHITESPACE_BYTES = tuple(bytes([c]) for c in WHITESPACE)
#: Fixed member timestamp, so that writing the same package twice gives the same bytes.
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)


def is_zip_type(content_type: str) -> bool:
    return content_type.strip().lower() in ZIP_TYPES


def _too_big(label: str, limit: int, line: int | None, what: str) -> LimitExceeded:
    return LimitExceeded(
        f"attachment {label}: {what} exceeds the limit of {limit} bytes",
        code="package.limit.attachment_size",
        line=line,
        limit=limit,
    )


class Base64Decoder:
    """Decodes base64 text given in pieces into a spool, hashing on the way if asked."""

    def __init__(
        self, spool: Spool, *, limit: int, label: str, line: int | None, hash_now: bool
    ) -> None:
        self.spool = spool
        self.limit = limit
        self.label = label
        self.line = line
        self._pending: list[str] = []
        self._pending_len = 0
        self._carry = b""
        self._padded = False
        self._hasher = hashlib.sha256() if hash_now else None
        self.size = 0
        self.repaired_padding = False

    def feed(self, text: str) -> None:
        self._pending.append(text)
        self._pending_len += len(text)
        if self._pending_len >= 4 * CHUNK:
            self._flush(final=False)

    def _bad(self, why: str) -> PackageError:
        return PackageError(
            f"attachment {self.label}: ContentTransferEncoded is not valid base64 ({why}), "
            f"line {self.line}",
            code="package.base64",
            line=self.line,
        )

    def _flush(self, *, final: bool) -> None:
        text = "".join(self._pending)
        self._pending.clear()
        self._pending_len = 0
        try:
            raw = text.encode("ascii")
            if any(ws in raw for ws in WHITESPACE_BYTES):  # scanning is cheaper than copying
                raw = raw.translate(None, WHITESPACE)
            if self._carry:
                raw = self._carry + raw
        except UnicodeEncodeError:
            raise self._bad("non-ASCII character") from None
        if final:
            usable, self._carry = raw, b""
            rest = len(usable) % 4
            if rest == 1:
                raise self._bad("length is not a multiple of 4")
            if rest:
                usable += b"=" * (4 - rest)
                self.repaired_padding = True
        else:
            cut = len(raw) - len(raw) % 4
            usable, self._carry = raw[:cut], raw[cut:]
        if not usable:
            return
        if self._padded:
            raise self._bad("data after the padding")
        try:
            decoded = binascii.a2b_base64(usable, strict_mode=True)
        except binascii.Error as exc:
            raise self._bad(str(exc)) from None
        self._padded = usable.endswith(b"=")
        self.size += len(decoded)
        if self.size > self.limit:
            raise _too_big(self.label, self.limit, self.line, "decoded size")
        if self._hasher is not None:
            self._hasher.update(decoded)
        self.spool.write(decoded)

    def finish(self) -> str | None:
        """Decode what is left; return the SHA-256 if it was computed on the way."""
        self._flush(final=True)
        return self._hasher.hexdigest() if self._hasher is not None else None


@dataclass(slots=True)
class Decoded:
    """One decoded ``ContentTransferEncoded``: the wire bytes and what is known of them."""

    decoder: Base64Decoder
    sha256: str | None = None


@dataclass(slots=True)
class FinalPayload:
    """The payload of one attachment after unzipping."""

    spool: Spool
    size: int
    sha256: str
    zipped: bool
    #: ``(code, message)`` of a warning to record, if any.
    warning: tuple[str, str] | None = None


def _hash_spool(spool: Spool) -> str:
    hasher = hashlib.sha256()
    with spool.open() as fh:
        while chunk := fh.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def _head(spool: Spool) -> bytes:
    with spool.open() as fh:
        return fh.read(4)


def not_zip_warning(label: str, content_type: str) -> tuple[str, str]:
    return (
        "attachment.not_zip",
        f"attachment {label} is declared {content_type} but is not a zip; kept as it is",
    )


def zip_members_warning(label: str) -> tuple[str, str]:
    return (
        "attachment.zip_members",
        f"attachment {label} is a zip of several files (or none); kept as a zip",
    )


def unwraps_untyped(content_type: str, name: str) -> bool:
    """Whether an untyped payload that starts like a zip is tried as the SDK's zip."""
    generic = content_type.strip().lower() in {"", "application/octet-stream"}
    return generic and not name.lower().endswith(ZIP_BASED_SUFFIXES)


def _raw(
    wire: Spool, wire_sha256: str | None, warning: tuple[str, str] | None = None
) -> FinalPayload:
    return FinalPayload(
        wire, wire.size, wire_sha256 or _hash_spool(wire), zipped=False, warning=warning
    )


def finish_payload(
    wire: Spool,
    wire_sha256: str | None,
    *,
    content_type: str,
    name: str,
    limit: int,
    factory: SpoolFactory,
    label: str,
    line: int | None,
) -> FinalPayload:
    """Unwrap a one-member zip (the SDK's way) or take the decoded bytes as they are.

    A payload *declared* as a zip must be a sound zip (else ``package.zip``); with one
    member it is unwrapped, with several it is kept with a warning. An untyped payload
    (no type or ``application/octet-stream``) whose bytes are a one-member zip is unwrapped
    too, unless its name says it is a zip-based format (.docx, .xlsx, ...); if that fails
    for any reason it is simply kept as it is.
    """
    head = _head(wire)
    if is_zip_type(content_type):
        if head not in ZIP_MAGIC:
            return _raw(wire, wire_sha256, not_zip_warning(label, content_type))
        final = _unzip(wire, limit=limit, factory=factory, label=label, line=line)
        if final is None:
            return _raw(wire, wire_sha256, zip_members_warning(label))
        return final
    if head in ZIP_MAGIC and unwraps_untyped(content_type, name):
        try:
            final = _unzip(wire, limit=limit, factory=factory, label=label, line=line)
        except PackageError:
            final = None
        if final is not None:
            return final
    return _raw(wire, wire_sha256)


def _unzip(
    wire: Spool, *, limit: int, factory: SpoolFactory, label: str, line: int | None
) -> FinalPayload | None:
    """The single member of the zip in ``wire``; ``None`` if it has several (or none)."""
    out: Spool | None = None
    try:
        with wire.open() as fh, zipfile.ZipFile(fh) as archive:
            members = [info for info in archive.infolist() if not info.is_dir()]
            if len(members) != 1:
                return None
            if members[0].file_size > limit:
                raise _too_big(label, limit, line, "declared unzipped size")
            out = factory.new()
            hasher = hashlib.sha256()
            size = 0
            with archive.open(members[0]) as src:
                while chunk := src.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise _too_big(label, limit, line, "unzipped size")
                    hasher.update(chunk)
                    out.write(chunk)
    except LimitExceeded:
        _drop(out)
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
        _drop(out)
        raise PackageError(
            f"attachment {label} is a damaged zip: {exc}", code="package.zip", line=line
        ) from None
    except (NotImplementedError, RuntimeError) as exc:  # unknown method, encrypted member
        _drop(out)
        raise PackageError(
            f"attachment {label} is a zip that cannot be opened: {exc}",
            code="package.zip",
            line=line,
        ) from None
    wire.discard()
    return FinalPayload(out, size, hasher.hexdigest(), zipped=True)


def _drop(spool: Spool | None) -> None:
    if spool is not None:
        spool.discard()


class Base64Sink:
    """A write-only byte stream that base64-encodes into ``emit`` (no line breaks)."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._buffer = bytearray()

    def write(self, data: bytes) -> int:
        self._buffer += data
        if len(self._buffer) >= 3 * CHUNK:
            cut = len(self._buffer) - len(self._buffer) % 3
            self._emit(binascii.b2a_base64(self._buffer[:cut], newline=False).decode("ascii"))
            del self._buffer[:cut]
        return len(data)

    def flush(self) -> None:
        """Nothing to do: text is handed on in whole base64 groups."""

    def close(self) -> None:
        if self._buffer:
            self._emit(binascii.b2a_base64(self._buffer, newline=False).decode("ascii"))
            self._buffer.clear()


def zip_member_name(name: str) -> str:
    """The member name the writer uses: the attachment name without path separators."""
    cleaned = name.replace("/", "_").replace("\\", "_").strip()
    return cleaned or "attachment"


def encode_payload(attachment: Attachment, emit: Callable[[str], None]) -> None:
    """Stream the attachment's payload as base64 text into ``emit``, zipping it if asked."""
    sink = Base64Sink(emit)
    with attachment.open() as src:
        if attachment.zipped:
            _zip_into(sink, src, attachment)
        else:
            while chunk := src.read(CHUNK):
                sink.write(chunk)
    sink.close()


def _zip_into(sink: Base64Sink, src: BinaryIO, attachment: Attachment) -> None:
    info = zipfile.ZipInfo(zip_member_name(attachment.attachment_name), ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    big = (attachment.size or 0) >= zipfile.ZIP64_LIMIT - CHUNK
    with (
        zipfile.ZipFile(sink, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(info, "w", force_zip64=big) as dst,
    ):
        while chunk := src.read(CHUNK):
            dst.write(chunk)
