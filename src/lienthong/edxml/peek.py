"""What a lazy read can tell of a payload from its base64 text, without decoding it.

:func:`classify` takes the decision :func:`~lienthong.edxml.payload.finish_payload` would
take after decoding, from the text's length (the padding repair), its first bytes (a zip
signature) and, for a declared zip, the zip's central directory at the end of the text,
read through :class:`DecodedView` (random access into what the text decodes to). Cases
where only the whole payload can tell (an untyped payload that starts like a zip, a zip
holding one empty file) and empty payloads are to be decoded at once (``Decision.now``).
"""

from __future__ import annotations

import binascii
import io
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lienthong.edxml.payload import (
    ZIP_MAGIC,
    is_zip_type,
    not_zip_warning,
    unwraps_untyped,
    zip_members_warning,
)

__all__ = ["Decision", "DecodedView", "TextInfo", "classify"]

Chars = Callable[[int, int], bytes]

#: zipfile's end of central directory record and central directory entry.
_END = struct.Struct("<4s4H2LH")
_ENTRY = struct.Struct("<4s4B4HL2L5H2L")
_ZIP64_LOCATOR = b"PK\x06\x07"
_MAX_EXTRACT_VERSION = 63  # zipfile.MAX_EXTRACT_VERSION


@dataclass(slots=True)
class TextInfo:
    """A payload's base64 text without whitespace, for :func:`classify`."""

    length: int
    ascii: bool
    #: ``chars(start, end)``: that slice of the text (only when ``ascii``).
    chars: Chars


class DecodedView(io.RawIOBase):
    """Random access to the bytes a whitespace-free base64 text decodes to.

    Decodes only the quanta a read touches; a malformed slice raises ``binascii.Error``.
    """

    def __init__(self, chars: Chars, length: int) -> None:
        super().__init__()
        self._chars = chars
        self._length = length
        rest = length % 4
        if rest:
            self.size = 3 * (length // 4) + rest - 1
        else:
            self.size = 3 * (length // 4) - chars(max(0, length - 2), length).count(b"=")
        self._pos = 0

    def read_at(self, pos: int, count: int) -> bytes:
        count = min(count, self.size - pos)
        if count <= 0 or pos < 0:
            return b""
        first, last = pos // 3, -(-(pos + count) // 3)
        text = self._chars(4 * first, min(4 * last, self._length))
        if len(text) % 4:
            text += b"=" * (4 - len(text) % 4)
        data = binascii.a2b_base64(text, strict_mode=True)
        skip = pos - 3 * first
        return data[skip : skip + count]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.read_at(self._pos, len(buffer))
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


@dataclass(slots=True)
class Decision:
    """What a lazy read can say of a payload without decoding it."""

    zipped: bool = False
    #: ``(code, message)`` of the warning an eager read gives (not a zip, several files).
    warning: tuple[str, str] | None = None
    #: Decode it now: empty, or only the whole payload can tell what it is.
    now: bool = False
    #: The base64 lacks its final padding (``repair.base64_padding``).
    padded: bool = False


def classify(info: TextInfo, *, content_type: str, name: str, label: str) -> Decision:
    """The decision :func:`~lienthong.edxml.payload.finish_payload` would take, from the ends.

    A text that is not base64 gets ``Decision()``: loading it raises what an eager read
    raises, so what it would have been does not matter.
    """
    if info.length == 0:
        return Decision(now=True)
    if not info.ascii or info.length % 4 == 1:
        return Decision()
    padded = info.length % 4 != 0
    declared = is_zip_type(content_type)
    if not declared and not unwraps_untyped(content_type, name):
        return Decision(padded=padded)
    try:
        view = DecodedView(info.chars, info.length)
        head = view.read_at(0, 4)
    except binascii.Error:
        return Decision()
    if head not in ZIP_MAGIC:
        warning = not_zip_warning(label, content_type) if declared else None
        return Decision(warning=warning, padded=padded)
    # An untyped zip is unwrapped only if the whole of it is sound: decode it now.
    return _classify_zip(view, label=label, padded=padded) if declared else Decision(now=True)


def _classify_zip(view: DecodedView, *, label: str, padded: bool) -> Decision:
    """A declared zip that starts like one: what its central directory says."""
    size = _plain_single_member(view)
    if size is None:
        try:
            with zipfile.ZipFile(view) as archive:
                members = [m for m in archive.infolist() if not m.is_dir()]
        except Exception:  # any damage: loading raises what an eager read raises
            return Decision(zipped=True, padded=padded)
        if len(members) != 1:
            return Decision(warning=zip_members_warning(label), padded=padded)
        size = members[0].file_size
    if size == 0:
        return Decision(now=True)  # an empty file: let the validator see size 0
    return Decision(zipped=True, padded=padded)


def _central_directory(view: DecodedView) -> bytes | None:
    """The central directory of a zip whose end record announces exactly one entry, no
    comment and no zip64 locator (as zipfile finds it: right before the end record)."""
    total = view.size
    if total < _END.size + _ENTRY.size:
        return None
    end = _END.unpack(view.read_at(total - _END.size, _END.size))
    signature, disk, cd_disk, entries_here, entries, cd_size, _, comment = end
    if (signature, disk, cd_disk, entries_here, entries, comment) != (b"PK\x05\x06", 0, 0, 1, 1, 0):
        return None
    if view.read_at(total - _END.size - 20, 4) == _ZIP64_LOCATOR:
        return None
    if not _ENTRY.size <= cd_size <= min(total - _END.size, 1 << 16):
        return None
    return view.read_at(total - _END.size - cd_size, cd_size)


def _plain_single_member(view: DecodedView) -> int | None:
    """The unzipped size of the one file of a plain zip (as the SDK writes them), read
    from its last bytes as zipfile reads them; None for anything else (a comment, zip64,
    extra fields, several entries, a directory...), which zipfile then reads itself."""
    cd = _central_directory(view)
    if cd is None:
        return None
    fields = _ENTRY.unpack_from(cd)
    signature, version, flags = fields[0], fields[3], fields[5]
    compressed, file_size, name_len, extra_len, comment_len = fields[10:15]
    plain = (
        signature == b"PK\x01\x02"
        and version <= _MAX_EXTRACT_VERSION
        and extra_len == comment_len == 0
        and _ENTRY.size + name_len == len(cd)
        and 0xFFFFFFFF not in (compressed, file_size, fields[18])
    )
    if not plain:
        return None
    try:
        name = cd[_ENTRY.size :].decode("utf-8" if flags & 0x800 else "cp437")
    except UnicodeDecodeError:
        return None
    name = name.split("\0", 1)[0]
    return file_size if name and not name.endswith("/") else None
