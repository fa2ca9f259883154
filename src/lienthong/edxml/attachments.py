"""Making :class:`~lienthong.edxml.model.Attachment`\\ s to send.

``attachment_from_bytes`` and ``attachment_from_path`` fill in size and SHA-256 (a path is
read in chunks, never whole, and reopened when the package is written). Content ids are
``cid:N``: pass one made by a :class:`ContentIdSequence`, or leave it out and number the
finished list with :func:`with_content_ids`.

A ``zipped`` attachment is wrapped by the writer in a one-member zip, as the government
SDK does; its wire content type is then ``application/zip`` (the model keeps the wire type,
so ``content_type`` is set to it).
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from lienthong.edxml.model import Attachment
from lienthong.edxml.payload import CHUNK
from lienthong.errors import PackageError

__all__ = [
    "ContentIdSequence",
    "attachment_from_bytes",
    "attachment_from_path",
    "guess_content_type",
    "with_content_ids",
]

ZIP_CONTENT_TYPE = "application/zip"

#: The types seen in real traffic, fixed here so the guess does not depend on the host.
_KNOWN_TYPES = {
    ".pdf": "application/pdf",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".rtf": "application/rtf",
    ".txt": "text/plain",
    ".xml": "application/xml",
    ".edxml": "application/xml",
    ".zip": "application/zip",
    ".rar": "application/vnd.rar",
    ".7z": "application/x-7z-compressed",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


def guess_content_type(name: str) -> str:
    """The content type for a file name (``application/octet-stream`` when unknown)."""
    suffix = Path(name).suffix.lower()
    if suffix in _KNOWN_TYPES:
        return _KNOWN_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name, strict=True)
    return guessed or "application/octet-stream"


class ContentIdSequence:
    """Hands out ``cid:1``, ``cid:2``, …, skipping ids already taken."""

    def __init__(self, start: int = 1, taken: Sequence[str] = ()) -> None:
        self._next = start
        self._taken = set(taken)

    def __call__(self) -> str:
        while (candidate := f"cid:{self._next}") in self._taken:
            self._next += 1
        self._taken.add(candidate)
        self._next += 1
        return candidate


def with_content_ids(attachments: Sequence[Attachment]) -> list[Attachment]:
    """Copies of ``attachments`` where each empty content id is given the next free ``cid:N``."""
    ids = ContentIdSequence(taken=[a.content_id for a in attachments if a.content_id])
    return [a if a.content_id else replace(a, content_id=ids()) for a in attachments]


def _wire_type(name: str, content_type: str | None, zipped: bool) -> str:
    if zipped:
        return ZIP_CONTENT_TYPE
    return content_type or guess_content_type(name)


def attachment_from_bytes(
    name: str,
    data: bytes,
    *,
    content_type: str | None = None,
    zipped: bool = False,
    content_id: str | None = None,
    description: str = "",
) -> Attachment:
    """An attachment holding ``data`` in memory."""
    payload = bytes(data)
    return Attachment(
        content_id=content_id or "",
        attachment_name=name,
        content_type=_wire_type(name, content_type, zipped),
        description=description,
        size=len(payload),
        sha256=hashlib.sha256(payload).hexdigest(),
        zipped=zipped,
        opener=lambda: io.BytesIO(payload),
    )


def attachment_from_path(
    path: Path,
    *,
    name: str | None = None,
    content_type: str | None = None,
    zipped: bool = False,
    content_id: str | None = None,
    description: str = "",
) -> Attachment:
    """An attachment streamed from a file (hashed now in chunks, reopened when written).

    The file must not change before the package is written.
    """
    path = Path(path)
    hasher = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise PackageError(f"cannot read attachment {path}: {exc}", code="package.io") from None
    shown = name or path.name

    def opener() -> BinaryIO:
        return path.open("rb")

    return Attachment(
        content_id=content_id or "",
        attachment_name=shown,
        content_type=_wire_type(shown, content_type, zipped),
        description=description,
        size=size,
        sha256=hasher.hexdigest(),
        zipped=zipped,
        opener=opener,
    )
