"""Office API routes of outgoing documents (mounted at ``/outgoing``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from lienthong.downloads import file_response
from lienthong.office.api import Me, Services, in_thread, read_body
from lienthong.office.api_schemas import DraftIn, DraftResult, Grant, Note, Reason, Text
from lienthong.office.documents import Event, FileInput, OutgoingDocument
from lienthong.office.repository_outgoing import OutgoingFilter
from lienthong.office.workflow import OutgoingState


def _raw_body(media_type: str) -> dict[str, Any]:
    """OpenAPI description of a raw binary request body."""
    return {
        "requestBody": {
            "required": True,
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


router = APIRouter(tags=["outgoing"])


@router.get("")
def search(
    me: Me,
    office: Services,
    *,
    state: Annotated[list[OutgoingState] | None, Query()] = None,
    year: int | None = None,
    text: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[OutgoingDocument]:
    filters = OutgoingFilter(
        states=tuple(state or ()), year=year, text=text, limit=limit, offset=offset
    )
    return list(office.outgoing.search(me, filters))


@router.post("", status_code=201)
def create(me: Me, office: Services, body: DraftIn) -> DraftResult:
    """Start a draft (upload its PDF with ``PUT /outgoing/{id}/pdf``)."""
    result = office.outgoing.create(me, body.to_draft())
    return DraftResult(document=result.value, warnings=list(result.warnings))


@router.get("/{doc_id}")
def get(me: Me, office: Services, doc_id: int) -> OutgoingDocument:
    return office.outgoing.get(me, doc_id)


@router.put("/{doc_id}")
def edit(me: Me, office: Services, doc_id: int, body: DraftIn) -> DraftResult:
    result = office.outgoing.edit(me, doc_id, body.to_draft())
    return DraftResult(document=result.value, warnings=list(result.warnings))


@router.put("/{doc_id}/pdf", openapi_extra=_raw_body("application/pdf"))
async def put_pdf(me: Me, office: Services, doc_id: int, request: Request) -> OutgoingDocument:
    """The draft's main PDF, as the raw request body."""
    data = await read_body(request)
    result: OutgoingDocument = await in_thread(office.outgoing.set_main_pdf, me, doc_id, data)
    return result


@router.get("/{doc_id}/pdf", response_class=Response)
def get_pdf(me: Me, office: Services, doc_id: int) -> Response:
    """The main PDF as signed so far."""
    return file_response(
        office.outgoing.pdf(me, doc_id), "application/pdf", f"van-ban-di-{doc_id}.pdf"
    )


@router.post("/{doc_id}/attachments", openapi_extra=_raw_body("application/octet-stream"))
async def add_attachment(
    me: Me, office: Services, doc_id: int, name: str, request: Request
) -> OutgoingDocument:
    """An attachment, as the raw request body; its type from ``Content-Type``."""
    data = await read_body(request)
    media = request.headers.get("content-type", "application/octet-stream").split(";")[0]
    file = FileInput(name, data, media.strip() or "application/octet-stream")
    result: OutgoingDocument = await in_thread(office.outgoing.add_attachment, me, doc_id, file)
    return result


@router.get("/{doc_id}/attachments/{file_id}", response_class=Response)
def get_attachment(me: Me, office: Services, doc_id: int, file_id: int) -> Response:
    name, media, data = office.outgoing.attachment(me, doc_id, file_id)
    return file_response(data, media, name)


@router.get("/{doc_id}/events")
def events(me: Me, office: Services, doc_id: int) -> list[Event]:
    return list(office.outgoing.events(me, doc_id))


@router.post("/{doc_id}/grant", status_code=204)
def grant(me: Me, office: Services, doc_id: int, body: Grant) -> Response:
    office.outgoing.grant(me, doc_id, body.username)
    return Response(status_code=204)


@router.post("/{doc_id}/submit")
def submit(me: Me, office: Services, doc_id: int) -> OutgoingDocument:
    return office.outgoing.submit(me, doc_id)


@router.post("/{doc_id}/comments", status_code=201)
def comment(me: Me, office: Services, doc_id: int, body: Text) -> Event:
    return office.outgoing.comment(me, doc_id, body.text)


@router.post("/{doc_id}/return")
def return_for_revision(me: Me, office: Services, doc_id: int, body: Reason) -> OutgoingDocument:
    return office.outgoing.return_for_revision(me, doc_id, body.reason)


@router.post("/{doc_id}/cancel")
def cancel(me: Me, office: Services, doc_id: int, body: Reason) -> OutgoingDocument:
    return office.outgoing.cancel(me, doc_id, body.reason)


@router.post("/{doc_id}/sign")
def sign(me: Me, office: Services, doc_id: int) -> OutgoingDocument:
    """The competent person signs (PAdES, their personal certificate)."""
    return office.issuing.sign(me, doc_id)


@router.post("/{doc_id}/issue")
def issue(me: Me, office: Services, doc_id: int) -> OutgoingDocument:
    """The clerk numbers the document and enters it in the register."""
    return office.issuing.issue(me, doc_id)


@router.post("/{doc_id}/agency-sign")
def agency_sign(me: Me, office: Services, doc_id: int) -> OutgoingDocument:
    """The clerk applies the agency's signature: ready to office.dispatch."""
    return office.issuing.agency_sign(me, doc_id)


@router.post("/{doc_id}/hand-over")
def hand_over(me: Me, office: Services, doc_id: int, body: Note) -> OutgoingDocument:
    return office.issuing.hand_over(me, doc_id, body.note)


@router.post("/{doc_id}/recipients/{recipient_id}/sent")
def offline_sent(
    me: Me, office: Services, doc_id: int, recipient_id: int, body: Note
) -> OutgoingDocument:
    """The clerk records that a paper or e-mail recipient was sent the issued document."""
    return office.handover.record_sent(me, doc_id, recipient_id, note=body.note)


@router.post("/{doc_id}/recall")
def recall(me: Me, office: Services, doc_id: int, body: Reason) -> OutgoingDocument:
    return office.dispatch.request_recall(me, doc_id, body.reason)


@router.post("/{doc_id}/update-request")
def update_request(me: Me, office: Services, doc_id: int, body: Reason) -> OutgoingDocument:
    return office.dispatch.request_update(me, doc_id, body.reason)


@router.post("/{doc_id}/replace-request")
def replace_request(me: Me, office: Services, doc_id: int, body: Reason) -> OutgoingDocument:
    return office.dispatch.request_replace(me, doc_id, body.reason)
