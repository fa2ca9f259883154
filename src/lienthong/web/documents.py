"""What the incoming and outgoing document pages share: previews, signature reports,
downloads, and the trail of events in words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from fastapi.responses import FileResponse, Response

from lienthong.downloads import content_disposition
from lienthong.errors import NotFound
from lienthong.office.documents import Event
from lienthong.web.i18n import Translator
from lienthong.web.preview import Previewer
from lienthong.web.signatures import PlainReport, SignatureReports


@dataclass(frozen=True, slots=True)
class Preview:
    """The page images of a document and its PDF signature report."""

    pages: int
    report: PlainReport


def preview_of(
    request: Request, sha256: str | None, load: Callable[[], bytes], t: Translator
) -> Preview | None:
    """Make (or find) the page images and the signature report of a PDF."""
    if sha256 is None:
        return None
    previewer: Previewer = request.app.state.previewer
    reports: SignatureReports = request.app.state.signatures
    return Preview(pages=previewer.pages(sha256, load), report=reports.pdf(sha256, load, t))


def page_image(
    request: Request, sha256: str | None, number: int, load: Callable[[], bytes]
) -> Response:
    """The PNG of one page (made if needed)."""
    if sha256 is None:
        raise NotFound("the document has no PDF", code="office.no_pdf")
    previewer: Previewer = request.app.state.previewer
    previewer.pages(sha256, load)
    path = previewer.page(sha256, number)
    if path is None:
        raise NotFound(f"no page {number}", code="web.no_page")
    return FileResponse(
        path, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"}
    )


def download(data: bytes, media_type: str, name: str, *, inline: bool = False) -> Response:
    """A file answer with an RFC 6266 name (UTF-8 names included)."""
    return Response(
        data,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(name, inline=inline),
            "Cache-Control": "private, no-store",
        },
    )


@dataclass(frozen=True, slots=True)
class TrailEntry:
    """One line of a document's history, in words."""

    at: datetime
    who: str
    what: str
    note: str | None


def trail(events: Sequence[Event], kind: str, t: Translator) -> list[TrailEntry]:
    """The events of a document, newest last, each action named in the UI's language."""
    entries = []
    for e in events:
        key = f"{kind}.event.{e.action}"
        if e.action.startswith("status_"):
            what = t("event.status", code=e.action.removeprefix("status_"))
            status_key = f"status.{e.action.removeprefix('status_')}"
            if t.has(status_key):
                what = f"{what} — {t(status_key)}"
        elif t.has(key):
            what = t(key)
        else:
            what = e.action
        entries.append(TrailEntry(e.at, e.actor_name, what, e.note))
    return entries


def page_numbers(total_shown: int, limit: int, offset: int) -> dict[str, Any]:
    """Previous/next offsets for a listing (``None`` when there is no such page)."""
    return {
        "prev": max(0, offset - limit) if offset > 0 else None,
        "next": offset + limit if total_shown > limit else None,
    }
