"""Outgoing documents: the list, composing a draft, and a document's page with review,
signature, numbering, the agency's signature, dispatch, tracking and recall. The rules
are the office's (:class:`~lienthong.office.outgoing.OutgoingService`,
:class:`~lienthong.office.outgoing_issue.IssuingService`,
:class:`~lienthong.office.dispatch.DispatchService`); compose is in
:mod:`.routes_compose`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from lienthong.db.retry import retrying
from lienthong.errors import LienthongError
from lienthong.office.common import MAX_FILE_BYTES
from lienthong.office.documents import Channel, Event, OutgoingDocument, Recipient
from lienthong.office.model import Actor, Role
from lienthong.office.repository_outgoing import OutgoingFilter
from lienthong.office.workflow import OutgoingAction, OutgoingState, outgoing_actions
from lienthong.text import fold
from lienthong.web.context import WebContext
from lienthong.web.documents import download, page_image, page_numbers, preview_of, trail
from lienthong.web.pages import (
    Ctx,
    Form,
    FormState,
    Me,
    explain,
    render,
    text,
    translator,
    upload,
)

router = APIRouter(prefix="/outgoing")
PAGE_SIZE = 50
_A = OutgoingAction
#: Actions people take from the document's page (the rest are the system's).
_OFFERED = (
    _A.SUBMIT,
    _A.SIGN,
    _A.RETURN,
    _A.ISSUE,
    _A.AGENCY_SIGN,
    _A.HAND_OVER,
    _A.DISPATCH,
    _A.REQUEST_RECALL,
    _A.REQUEST_UPDATE,
    _A.REQUEST_REPLACE,
    _A.COMMENT,
    _A.CANCEL,
)
#: The statuses a recipient reports, in the order handling goes.
TIMELINE = ("01", "03", "04", "05", "06")
_FIELDS = {"reason": "reason", "comment": "text", "note": "note", "office.not_pdf": "main_pdf"}


@router.get("")
def listing(request: Request, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """Outgoing documents with filters and search."""
    params = request.query_params
    state = params.get("state", "")
    states = (OutgoingState(state),) if state in {s.value for s in OutgoingState} else ()
    q = params.get("q", "").strip()[:200]
    offset = int(params["offset"]) if params.get("offset", "").isdigit() else 0
    numeric = any(c.isdigit() for c in q)
    filters = OutgoingFilter(
        states=states,
        text=q or None if not numeric else None,
        limit=None if numeric else PAGE_SIZE + 1,
        offset=0 if numeric else offset,
    )
    docs = list(ctx.office.outgoing.search(me, filters))
    if numeric:
        key = fold(q)
        docs = [
            d
            for d in docs
            if key in fold(d.code or "") or key in fold(d.subject) or key == str(d.number)
        ][offset : offset + PAGE_SIZE + 1]
    t = translator(request)
    return render(
        request,
        "outgoing_list.html",
        title=t("outgoing.title"),
        docs=docs[:PAGE_SIZE],
        states=[(s.value, t(f"outgoing.state.{s.value}")) for s in OutgoingState],
        filters={"state": state, "q": q},
        pages=page_numbers(len(docs), PAGE_SIZE, offset),
        can_draft=me.has(Role.SPECIALIST, Role.LEADER, Role.CLERK),
    )


def allowed_actions(doc: OutgoingDocument, actor: Actor, *, can_dispatch: bool) -> list[str]:
    """The actions to offer the reader on ``doc``."""
    offered = []
    for action in outgoing_actions(doc.state, actor):
        if action not in _OFFERED:
            continue
        if action is _A.SIGN and actor.user_id != doc.signer_id:
            continue
        if action is _A.CANCEL and actor.user_id != doc.drafter_id and not actor.has(Role.LEADER):
            continue
        if action is _A.DISPATCH and not can_dispatch:
            continue
        if action is _A.AGENCY_SIGN and (doc.confidentiality.secret or not doc.hub_recipients):
            continue
        offered.append(action.value)
    if doc.state is OutgoingState.DRAFT and (
        actor.user_id == doc.drafter_id or actor.has(Role.LEADER)
    ):
        offered.append("main_pdf")
    return offered


def _already_sent(ctx: WebContext, me: Actor, doc_id: int) -> bool:
    state = ctx.office.outgoing.get(me, doc_id).state
    return state is OutgoingState.DISPATCHED


@dataclass(frozen=True, slots=True)
class Step:
    """One status on a recipient's timeline."""

    code: str
    at: datetime | None
    done: bool = False


@dataclass(frozen=True, slots=True)
class RecipientTrack:
    """A recipient with its delivery and the statuses it reported, in order."""

    recipient: Recipient
    reported: tuple[Step, ...]
    expected: tuple[Step, ...]


def tracking(doc: OutgoingDocument, events: Sequence[Event]) -> list[RecipientTrack]:
    """Per recipient: the statuses reported (from the document's trail) and the usual
    path 01→03→04→05→06 with the steps reached so far."""
    tracks = []
    for r in doc.recipients:
        seen: dict[str, datetime] = {}
        order: list[Step] = []
        for e in events:
            if e.action.startswith("status_") and e.note == r.name:
                code = e.action.removeprefix("status_")
                order.append(Step(code, e.at, done=True))
                seen.setdefault(code, e.at)
        expected = tuple(Step(c, seen.get(c), done=c in seen) for c in TIMELINE)
        tracks.append(RecipientTrack(r, tuple(order), expected))
    return tracks


def _detail(
    request: Request,
    ctx: WebContext,
    me: Actor,
    doc_id: int,
    *,
    forms: dict[str, FormState] | None = None,
    status: int = 200,
    template: str = "outgoing_detail.html",
) -> Response:
    t = translator(request)
    office = ctx.office
    doc = office.outgoing.get(me, doc_id)
    events = office.outgoing.events(me, doc.id)
    names = {m.user.id: m.user.full_name for m in office.users.members(me, doc.agency_id)}
    context: dict[str, Any] = {
        "title": doc.subject,
        "doc": doc,
        "actions": allowed_actions(doc, me, can_dispatch=ctx.dispatch_now is not None),
        "forms": forms or {},
        "names": names,
        "trail": trail(events, "outgoing", t),
        "tracks": tracking(doc, events),
        "comments": [e for e in events if e.action == "comment"],
        "preview": preview_of(request, doc.pdf_sha256, lambda: office.outgoing.pdf(me, doc.id), t),
        "hub_channel": Channel.HUB,
        "warnings": [
            t(f"warning.{code}")
            for code in request.query_params.get("warn", "").split(",")
            if t.has(f"warning.{code}")
        ],
    }
    return render(request, template, status=status, **context)


@router.get("/{doc_id}")
def detail(request: Request, doc_id: int, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """A document's page."""
    return _detail(request, ctx, me, doc_id)


@router.get("/{doc_id}/tracking")
def tracking_page(request: Request, doc_id: int, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """Tracking per recipient with each one's status timeline."""
    return _detail(request, ctx, me, doc_id, template="outgoing_tracking.html")


@router.get("/{doc_id}/pdf")
def pdf(doc_id: int, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """The main PDF as signed so far."""
    return download(
        ctx.office.outgoing.pdf(me, doc_id), "application/pdf", f"van-ban-di-{doc_id}.pdf"
    )


@router.get("/{doc_id}/pages/{number}")
def page(
    request: Request, doc_id: int, number: int, *, ctx: WebContext = Ctx, me: Actor = Me
) -> Response:
    """One page as an image."""
    doc = ctx.office.outgoing.get(me, doc_id)
    return page_image(request, doc.pdf_sha256, number, lambda: ctx.office.outgoing.pdf(me, doc_id))


@router.get("/{doc_id}/attachments/{file_id}")
def attachment(doc_id: int, file_id: int, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """An attachment (the stamped version once the agency signed)."""
    name, content_type, data = ctx.office.outgoing.attachment(me, doc_id, file_id)
    return download(data, content_type, name)


def _runner(
    ctx: WebContext, me: Actor, doc_id: int, form: FormData
) -> dict[str, Callable[[], Any]]:
    office = ctx.office
    reason = text(form, "reason")
    return {
        "submit": lambda: office.outgoing.submit(me, doc_id),
        "comment": lambda: office.outgoing.comment(me, doc_id, text(form, "text")),
        "return": lambda: office.outgoing.return_for_revision(me, doc_id, reason),
        "cancel": lambda: office.outgoing.cancel(me, doc_id, reason),
        "sign": lambda: office.issuing.sign(me, doc_id),
        "issue": lambda: office.issuing.issue(me, doc_id),
        "agency_sign": lambda: office.issuing.agency_sign(me, doc_id),
        "hand_over": lambda: office.issuing.hand_over(me, doc_id, text(form, "note") or None),
        "request_recall": lambda: office.dispatch.request_recall(me, doc_id, reason),
        "request_update": lambda: office.dispatch.request_update(me, doc_id, reason),
        "request_replace": lambda: office.dispatch.request_replace(me, doc_id, reason),
    }


_FLASH = {
    "submit": "submitted",
    "comment": "commented",
    "return": "returned",
    "cancel": "cancelled",
    "sign": "signed",
    "issue": "issued",
    "agency_sign": "agency_signed",
    "hand_over": "handed_over",
    "dispatch": "dispatched",
    "request_recall": "requested",
    "request_update": "requested",
    "request_replace": "requested",
    "main_pdf": "pdf_replaced",
}


@router.post("/{doc_id}/{action}")
async def act(
    request: Request,
    doc_id: int,
    action: str,
    *,
    ctx: WebContext = Ctx,
    me: Actor = Me,
    form: FormData = Form,
) -> Response:
    """One step of the document's workflow."""
    t = translator(request)
    state = FormState(values={k: text(form, k) for k in form if k != "csrf_token"})
    try:
        if action == "main_pdf":
            uploaded = await upload(form, "main_pdf", max_bytes=MAX_FILE_BYTES)
            if uploaded is None:
                state.add("main_pdf", t("error.required.main_pdf"))
                return await run_in_threadpool(
                    _detail, request, ctx, me, doc_id, forms={action: state}, status=422
                )
            await run_in_threadpool(
                retrying, lambda: ctx.office.outgoing.set_main_pdf(me, doc_id, uploaded[1])
            )
        elif action == "dispatch" and ctx.dispatch_now is not None:
            dispatch_now = ctx.dispatch_now
            await run_in_threadpool(retrying, lambda: dispatch_now(me, doc_id))
        else:
            run = _runner(ctx, me, doc_id, form).get(action)
            if run is None:
                state.add(None, t("error.unknown_action"))
                return await run_in_threadpool(
                    _detail, request, ctx, me, doc_id, forms={action: state}, status=400
                )
            await run_in_threadpool(retrying, run)
    except LienthongError as exc:
        if exc.http_status == 404:
            raise
        if action == "dispatch" and _already_sent(ctx, me, doc_id):
            # The exchange's own loop sent it a moment before the click: that is success.
            return RedirectResponse(f"/outgoing/{doc_id}?done=dispatched", status_code=303)
        field, message = explain(exc, t, _FIELDS)
        state.add(field, message)
        status = exc.http_status if 400 <= exc.http_status < 500 else 422
        return await run_in_threadpool(
            _detail, request, ctx, me, doc_id, forms={action: state}, status=status
        )
    return RedirectResponse(
        f"/outgoing/{doc_id}?done={_FLASH.get(action, 'requested')}", status_code=303
    )
