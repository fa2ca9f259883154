"""Incoming documents: the list, a document's page with the actions of the reader's role,
and the registration of paper arrivals. Every rule is the office's
(:class:`~lienthong.office.incoming.IncomingService`); this module turns forms into calls
and errors into words next to the field they concern."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from lienthong.db.retry import retrying
from lienthong.errors import LienthongError
from lienthong.office.common import MAX_FILE_BYTES
from lienthong.office.documents import IncomingDocument
from lienthong.office.incoming import Assignment
from lienthong.office.intake import PaperArrival
from lienthong.office.model import Actor, Confidentiality, Role, Urgency
from lienthong.office.repository_incoming import IncomingFilter
from lienthong.office.workflow import IncomingAction, IncomingState, incoming_actions
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
    texts,
    translator,
    upload,
)
from lienthong.web.signatures import describe_package

router = APIRouter(prefix="/incoming")
PAGE_SIZE = 50

#: Service field names and error codes → the form field they are shown next to.
_FIELDS = {
    "reason": "reason",
    "note": "note",
    "direction": "direction",
    "office.deadline_past": "deadline",
    "office.handler_unknown": "lead",
    "subject": "subject",
    "sender": "sender_name",
    "office.not_pdf": "scan",
    "office.file_too_large": "scan",
    "directory.unknown": "sender_agency",
}


def parse_day(value: str) -> date | None:
    """A date typed as ``yyyy-mm-dd`` (what date inputs send) or ``dd/mm/yyyy``."""
    value = value.strip()
    if not value:
        return None
    try:
        if "/" in value:
            day, month, year = (int(p) for p in value.split("/"))
            return date(year, month, day)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(value) from None


def search_incoming(
    ctx: WebContext,
    actor: Actor,
    *,
    states: tuple[IncomingState, ...],
    q: str,
    overdue: bool,
    mine: bool,
    limit: int,
    offset: int,
) -> list[IncomingDocument]:
    """The listing; a query with digits is matched against numbers and notations too."""
    numeric = any(c.isdigit() for c in q)
    filters = IncomingFilter(
        states=states,
        text=q or None if not numeric else None,
        overdue_only=overdue,
        handler_id=actor.user_id if mine else None,
        limit=None if numeric else limit + 1,
        offset=0 if numeric else offset,
    )
    docs = list(ctx.office.incoming.search(actor, filters))
    if numeric:
        key = fold(q)
        docs = [
            d
            for d in docs
            if key in fold(d.code or "") or key in fold(d.subject) or key == str(d.number)
        ][offset : offset + limit + 1]
    return docs


@router.get("")
def listing(request: Request, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """Incoming documents with filters and search."""
    params = request.query_params
    state = params.get("state", "")
    states = (IncomingState(state),) if state in {s.value for s in IncomingState} else ()
    q = params.get("q", "").strip()[:200]
    overdue, mine = params.get("overdue") == "1", params.get("mine") == "1"
    offset = int(params["offset"]) if params.get("offset", "").isdigit() else 0
    docs = search_incoming(
        ctx, me, states=states, q=q, overdue=overdue, mine=mine, limit=PAGE_SIZE, offset=offset
    )
    t = translator(request)
    return render(
        request,
        "incoming_list.html",
        title=t("incoming.title"),
        docs=docs[:PAGE_SIZE],
        states=[(s.value, t(f"incoming.state.{s.value}")) for s in IncomingState],
        filters={"state": state, "q": q, "overdue": overdue, "mine": mine},
        pages=page_numbers(len(docs), PAGE_SIZE, offset),
        can_register=me.has(Role.CLERK),
    )


def _paper_form(request: Request, state: FormState, status: int = 200) -> Response:
    t = translator(request)
    return render(
        request,
        "incoming_paper.html",
        status=status,
        title=t("paper.title"),
        form=state,
        urgencies=[(u.value, t(f"urgency.{u.value}")) for u in Urgency],
        secrets=[(c.value, t(f"confidentiality.{c.value}")) for c in Confidentiality],
    )


@router.get("/paper")
def paper_form(request: Request, me: Actor = Me) -> Response:
    """The form a clerk fills in for a paper arrival."""
    return _paper_form(request, FormState(values={"urgency": "normal", "confidentiality": "none"}))


@router.post("/paper")
async def paper_register(
    request: Request, *, ctx: WebContext = Ctx, me: Actor = Me, form: FormData = Form
) -> Response:
    """Register a paper arrival with its scan."""
    t = translator(request)
    names = (
        "sender_name",
        "sender_agency",
        "subject",
        "code",
        "document_date",
        "doctype",
        "signer_name",
        "urgency",
        "confidentiality",
        "notes",
    )
    state = FormState(values={n: text(form, n) for n in names})
    v = state.values
    for name in ("sender_name", "subject"):
        if not v[name]:
            state.add(name, t(f"error.required.{name}"))
    try:
        document_date = parse_day(v["document_date"])
    except ValueError:
        document_date = None
        state.add("document_date", t("error.bad_date"))
    scan = await upload(form, "scan", max_bytes=MAX_FILE_BYTES)
    if scan is None:
        state.add("scan", t("error.required.scan"))
    if not state.ok:
        return _paper_form(request, state, 422)
    assert scan is not None  # noqa: S101 - checked above
    arrival = PaperArrival(
        sender_name=v["sender_name"],
        subject=v["subject"],
        code=v["code"] or None,
        document_date=document_date,
        doctype=v["doctype"] or None,
        urgency=Urgency(v["urgency"]) if v["urgency"] in set(Urgency) else Urgency.NORMAL,
        confidentiality=Confidentiality(v["confidentiality"])
        if v["confidentiality"] in set(Confidentiality)
        else Confidentiality.NONE,
        signer_name=v["signer_name"] or None,
        sender_agency=v["sender_agency"] or None,
        notes=v["notes"] or None,
    )
    try:
        doc = await run_in_threadpool(
            retrying, lambda: ctx.office.intake.register_paper(me, arrival, scan[1])
        )
    except LienthongError as exc:
        field, message = explain(exc, t, _FIELDS)
        state.add(field, message)
        return _paper_form(request, state, exc.http_status if exc.http_status < 500 else 422)
    return RedirectResponse(f"/incoming/{doc.id}?done=paper_registered", status_code=303)


def allowed_actions(doc: IncomingDocument, actor: Actor) -> list[str]:
    """The actions to offer: the workflow's for the role, narrowed to the document's
    handlers (progress) and its lead handler or assigner (finish)."""
    handler_ids = {h.user_id for h in doc.handlers}
    lead = doc.lead_handler
    offered = []
    for action in incoming_actions(doc.state, actor):
        if action is IncomingAction.PROGRESS and actor.user_id not in handler_ids:
            continue
        if action is IncomingAction.FINISH and actor.user_id not in {
            lead.user_id if lead else None,
            doc.assigned_by,
        }:
            continue
        offered.append(action.value)
    return offered


def _detail(
    request: Request,
    ctx: WebContext,
    me: Actor,
    doc_id: int,
    *,
    forms: dict[str, FormState] | None = None,
    status: int = 200,
) -> Response:
    t = translator(request)
    office = ctx.office
    doc = office.incoming.get(me, doc_id)
    actions = allowed_actions(doc, me)
    staff: list[tuple[str, str]] = []
    if "assign" in actions:
        staff = [
            (
                m.user.username,
                f"{m.user.full_name} — {', '.join(t('role.' + r.value) for r in sorted(m.membership.roles))}",
            )
            for m in office.users.members(me, doc.agency_id)
            if m.membership.roles & {Role.SPECIALIST, Role.LEADER, Role.CLERK}
            and m.user.state.value == "active"
        ]
    context: dict[str, Any] = {
        "title": doc.subject,
        "doc": doc,
        "actions": actions,
        "forms": forms or {},
        "staff": staff,
        "trail": trail(office.incoming.events(me, doc.id), "incoming", t),
        "statuses": office.intake.outbox(me, doc.id),
        "preview": preview_of(request, doc.pdf_sha256, lambda: office.incoming.pdf(me, doc.id), t),
        "package": describe_package(doc.signature_summary, doc.signatures_valid, t)
        if doc.channel.value == "hub"
        else None,
        "today": ctx.clock.now().date().isoformat(),
    }
    return render(request, "incoming_detail.html", status=status, **context)


@router.get("/{doc_id}")
def detail(request: Request, doc_id: int, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """A document's page: metadata, preview, signatures, history, actions."""
    return _detail(request, ctx, me, doc_id)


@router.get("/{doc_id}/pdf")
def pdf(doc_id: int, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """The main PDF (or the scan), as a download."""
    return download(
        ctx.office.incoming.pdf(me, doc_id), "application/pdf", f"van-ban-den-{doc_id}.pdf"
    )


@router.get("/{doc_id}/attachments/{file_id}")
def attachment(doc_id: int, file_id: int, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """An attachment that came with the document, as a download."""
    name, content_type, data = ctx.office.incoming.attachment(me, doc_id, file_id)
    return download(data, content_type, name)


@router.get("/{doc_id}/pages/{number}")
def page(
    request: Request, doc_id: int, number: int, *, ctx: WebContext = Ctx, me: Actor = Me
) -> Response:
    """One page of the document as an image."""
    doc = ctx.office.incoming.get(me, doc_id)
    return page_image(request, doc.pdf_sha256, number, lambda: ctx.office.incoming.pdf(me, doc_id))


def _act(ctx: WebContext, me: Actor, doc_id: int, action: str, form: FormData) -> str:
    """Run one action; returns the flash id. Raises ValueError(field, message id) for a
    mistake found here, LienthongError for the service's."""
    svc = ctx.office.incoming
    actions: dict[str, tuple[Callable[[], object], str]] = {
        "accept": (lambda: svc.accept(me, doc_id, text(form, "note") or None), "accepted"),
        "reject": (lambda: svc.reject(me, doc_id, text(form, "reason")), "rejected"),
        "assign": (lambda: svc.assign(me, doc_id, _assignment(form)), "assigned"),
        "progress": (lambda: svc.progress(me, doc_id, text(form, "note")), "progress"),
        "finish": (lambda: svc.finish(me, doc_id, text(form, "note") or None), "finished"),
        "agree_recall": (lambda: svc.agree_recall(me, doc_id), "recall_agreed"),
        "refuse_recall": (
            lambda: svc.refuse_recall(me, doc_id, text(form, "reason")),
            "recall_refused",
        ),
    }
    if action not in actions:
        raise ValueError(None, "error.unknown_action")
    call, done = actions[action]
    call()
    return done


def _assignment(form: FormData) -> Assignment:
    lead = text(form, "lead")
    if not lead:
        raise ValueError("lead", "error.required.lead")
    try:
        deadline = parse_day(text(form, "deadline"))
    except ValueError:
        raise ValueError("deadline", "error.bad_date") from None
    co = tuple(u for u in texts(form, "co_handlers") if u != lead)
    return Assignment(lead, co, deadline, text(form, "direction") or None)


@router.post("/{doc_id}/{action}")
def act(
    request: Request,
    doc_id: int,
    action: str,
    *,
    ctx: WebContext = Ctx,
    me: Actor = Me,
    form: FormData = Form,
) -> Response:
    """Accept, reject, assign, record progress, finish, answer a recall."""
    t = translator(request)
    state = FormState(values={k: text(form, k) for k in form if k != "csrf_token"})
    state.values["co_handlers"] = texts(form, "co_handlers")
    try:
        done = retrying(lambda: _act(ctx, me, doc_id, action, form))
    except ValueError as exc:
        field, message = exc.args
        state.add(field, t(message))
        return _detail(request, ctx, me, doc_id, forms={action: state}, status=422)
    except LienthongError as exc:
        if exc.http_status == 404:
            raise
        field, message = explain(exc, t, _FIELDS)
        state.add(field, message)
        return _detail(
            request, ctx, me, doc_id, forms={action: state}, status=min(exc.http_status, 499)
        )
    return RedirectResponse(f"/incoming/{doc_id}?done={done}", status_code=303)
