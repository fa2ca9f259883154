"""Small helpers the office's use cases share: input cleaning, PDF intake, lost races."""

from __future__ import annotations

from collections.abc import Sequence

from lienthong.downloads import safe_file_name
from lienthong.errors import NotFound, ValidationError, WorkflowError
from lienthong.office.documents import FileInput, StoredFile
from lienthong.storage import BlobRef, BlobStore
from lienthong.text import nfc

#: Largest PDF or attachment the office accepts (bytes).
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_SUBJECT = 2000
MAX_NOTE = 4000


def clean_text(
    value: str | None, *, field: str, max_length: int, required: bool = False
) -> str | None:
    """NFC, whitespace collapsed; ``None`` when empty (an error when ``required``)."""
    text = " ".join(nfc(value or "").split())
    if not text:
        if required:
            raise ValidationError(f"{field} is required", code="office.missing_field", field=field)
        return None
    if len(text) > max_length:
        raise ValidationError(
            f"{field}: {len(text)} characters (at most {max_length})",
            code="office.too_long",
            field=field,
        )
    return text


def required_text(value: str | None, *, field: str, max_length: int = MAX_NOTE) -> str:
    """Like :func:`clean_text`, never ``None``."""
    text = clean_text(value, field=field, max_length=max_length, required=True)
    assert text is not None  # noqa: S101 - required=True never returns None
    return text


def check_pdf(data: bytes, *, what: str) -> None:
    """Refuse what is not a PDF (by its header) or is too large."""
    if len(data) > MAX_FILE_BYTES:
        raise ValidationError(
            f"{what} is larger than {MAX_FILE_BYTES} bytes", code="office.file_too_large"
        )
    if not data[:1024].lstrip().startswith(b"%PDF-"):
        raise ValidationError(f"{what} is not a PDF file", code="office.not_pdf")


def store_pdf(blobs: BlobStore, data: bytes, *, what: str) -> BlobRef:
    """Check and store a PDF; done before the use case's unit of work opens."""
    check_pdf(data, what=what)
    return blobs.put(data, max_bytes=MAX_FILE_BYTES)


#: The longest attachment name kept.
MAX_FILE_NAME = 255


def store_file(blobs: BlobStore, file: FileInput) -> BlobRef:
    """Store an attachment (PDF or any other type)."""
    if not file.name.strip():
        raise ValidationError("an attachment needs a file name", code="office.missing_field")
    if safe_file_name(file.name) != file.name.strip() or len(file.name) > MAX_FILE_NAME:
        raise ValidationError(
            f"an attachment's name must be at most {MAX_FILE_NAME} characters, without "
            "control characters (line breaks, tabs…)",
            code="office.invalid_name",
            field="name",
        )
    if file.content_type == "application/pdf":
        check_pdf(file.content, what=f"attachment {file.name!r}")
    return blobs.put(file.content, max_bytes=MAX_FILE_BYTES)


def attachment_of(
    blobs: BlobStore, attachments: Sequence[StoredFile], file_id: int
) -> tuple[str, str, bytes]:
    """``(name, content type, bytes)`` of one of a document's attachments (the stamped
    version once the agency signed it); ``office.file_unknown`` if it has none so numbered."""
    for f in attachments:
        if f.id == file_id:
            return f.name, f.content_type, read_blob(blobs, f.current_sha256)
    raise NotFound(f"no attachment {file_id}", code="office.file_unknown")


def read_blob(blobs: BlobStore, sha256: str) -> bytes:
    with blobs.open(sha256, verify=True) as stream:
        return stream.read()


def lost_race(kind: str, doc_id: int) -> WorkflowError:
    """The error when a document changed state between reading and writing it."""
    return WorkflowError(
        f"the {kind} document {doc_id} was changed by someone else meanwhile; reload it",
        code="workflow.concurrent_change",
    )
