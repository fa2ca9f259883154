"""A file download over HTTP, shared by the office's and the hub's APIs and the web UI."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from starlette.responses import Response


def safe_file_name(name: str) -> str:
    """``name`` without control characters (CR, LF, NUL… have no place in a header, and
    names arrive from other systems' packages too); ``tep`` if nothing is left."""
    kept = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return kept or "tep"


def content_disposition(name: str, *, inline: bool = False) -> str:
    """An RFC 6266 ``Content-Disposition``: an ASCII fallback name and the UTF-8 name."""
    clean = safe_file_name(name)
    ascii_name = (
        clean.encode("ascii", "replace").decode().replace('"', "").replace("\\", "")
    ).replace("?", "_")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean)}"


def file_response(data: bytes, media_type: str, name: str) -> Response:
    """A download with an RFC 6266 file name (UTF-8 names included)."""
    return Response(
        data, media_type=media_type, headers={"Content-Disposition": content_disposition(name)}
    )
