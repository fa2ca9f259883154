"""A file download over HTTP, shared by the office's and the hub's APIs."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response


def file_response(data: bytes, media_type: str, name: str) -> Response:
    """A download with an RFC 6266 file name (UTF-8 names included)."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media_type, headers={"Content-Disposition": disposition})
