"""Office API routes of incoming documents (mounted at ``/incoming``)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import ValidationError as PydanticValidationError

from lienthong.downloads import file_response
from lienthong.errors import ValidationError
from lienthong.office.api import Me, Services
from lienthong.office.api_schemas import AssignIn, Grant, Note, PaperIn, Reason, Text
from lienthong.office.common import MAX_FILE_BYTES
from lienthong.office.documents import Event, IncomingDocument, OutboxRecord
from lienthong.office.intake import PaperArrival
from lienthong.office.repository_incoming import IncomingFilter
from lienthong.office.workflow import IncomingState

router = APIRouter(tags=["incoming"])


@router.get("")
def search(
    me: Me,
    office: Services,
    *,
    state: Annotated[list[IncomingState] | None, Query()] = None,
    year: int | None = None,
    text: str | None = None,
    overdue: bool = False,
    mine: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[IncomingDocument]:
    """Incoming documents (``overdue``: past deadline and not finished; ``mine``: the
    ones the caller handles)."""
    filters = IncomingFilter(
        states=tuple(state or ()),
        year=year,
        text=text,
        overdue_only=overdue,
        handler_id=me.user_id if mine else None,
        limit=limit,
        offset=offset,
    )
    return list(office.incoming.search(me, filters))


@router.post("/paper", status_code=201)
def register_paper(
    me: Me,
    office: Services,
    metadata: Annotated[str, Form(description="JSON of PaperIn")],
    scan: Annotated[UploadFile, File(description="The scan, a PDF")],
) -> IncomingDocument:
    """Register a paper arrival with its scan (multipart: ``metadata`` + ``scan``)."""
    try:
        paper = PaperIn.model_validate(json.loads(metadata))
    except (ValueError, PydanticValidationError) as exc:
        raise ValidationError(f"metadata: {exc}", code="request.invalid") from None
    data = scan.file.read(MAX_FILE_BYTES + 1)
    arrival = PaperArrival(**paper.model_dump())
    return office.intake.register_paper(me, arrival, data)


@router.get("/{doc_id}")
def get(me: Me, office: Services, doc_id: int) -> IncomingDocument:
    return office.incoming.get(me, doc_id)


@router.get("/{doc_id}/pdf", response_class=Response)
def get_pdf(me: Me, office: Services, doc_id: int) -> Response:
    return file_response(
        office.incoming.pdf(me, doc_id), "application/pdf", f"van-ban-den-{doc_id}.pdf"
    )


@router.get("/{doc_id}/attachments/{file_id}", response_class=Response)
def get_attachment(me: Me, office: Services, doc_id: int, file_id: int) -> Response:
    """An attachment that came with the document."""
    name, media, data = office.incoming.attachment(me, doc_id, file_id)
    return file_response(data, media, name)


@router.get("/{doc_id}/events")
def events(me: Me, office: Services, doc_id: int) -> list[Event]:
    return list(office.incoming.events(me, doc_id))


@router.get("/{doc_id}/statuses")
def statuses(me: Me, office: Services, doc_id: int) -> list[OutboxRecord]:
    """The business statuses queued for the sender, and whether they went."""
    return list(office.intake.outbox(me, doc_id))


@router.post("/{doc_id}/accept")
def accept(me: Me, office: Services, doc_id: int, body: Note | None = None) -> IncomingDocument:
    """Register it with the next incoming number (status 03)."""
    return office.incoming.accept(me, doc_id, body.note if body else None)


@router.post("/{doc_id}/reject")
def reject(me: Me, office: Services, doc_id: int, body: Reason) -> IncomingDocument:
    """Return it to the sender with a reason (status 02)."""
    return office.incoming.reject(me, doc_id, body.reason)


@router.post("/{doc_id}/assign")
def assign(me: Me, office: Services, doc_id: int, body: AssignIn) -> IncomingDocument:
    """A leader names the handlers and the deadline (status 04)."""
    return office.incoming.assign(me, doc_id, body.to_assignment())


@router.post("/{doc_id}/progress")
def progress(me: Me, office: Services, doc_id: int, body: Text) -> IncomingDocument:
    """A handler records progress (status 05 the first time)."""
    return office.incoming.progress(me, doc_id, body.text)


@router.post("/{doc_id}/finish")
def finish(me: Me, office: Services, doc_id: int, body: Note | None = None) -> IncomingDocument:
    return office.incoming.finish(me, doc_id, body.note if body else None)


@router.post("/{doc_id}/recall/agree")
def agree_recall(me: Me, office: Services, doc_id: int) -> IncomingDocument:
    """Agree to the sender's take-back request: the document is cancelled (15)."""
    return office.incoming.agree_recall(me, doc_id)


@router.post("/{doc_id}/recall/refuse")
def refuse_recall(me: Me, office: Services, doc_id: int, body: Reason) -> IncomingDocument:
    """Refuse the take-back request (16)."""
    return office.incoming.refuse_recall(me, doc_id, body.reason)


@router.post("/{doc_id}/grant", status_code=204)
def grant(me: Me, office: Services, doc_id: int, body: Grant) -> Response:
    office.incoming.grant(me, doc_id, body.username)
    return Response(status_code=204)
