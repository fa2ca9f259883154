"""Composing an outgoing draft: type, subject, urgency, signer, recipients, files."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from lienthong.db.retry import retrying
from lienthong.edxml.doctypes import ADMINISTRATIVE_TYPES
from lienthong.errors import LienthongError
from lienthong.office.common import MAX_FILE_BYTES
from lienthong.office.documents import FileInput, OutgoingDraft, RecipientInput
from lienthong.office.model import Actor, Confidentiality, DocumentForm, Role, Urgency
from lienthong.web.context import WebContext
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
)

router = APIRouter(prefix="/outgoing")

_FIELDS = {
    "subject": "subject",
    "office.doctype_unknown": "doctype",
    "office.doctype_normative": "doctype",
    "office.signer_not_leader": "signer",
    "office.not_pdf": "main_pdf",
    "office.file_too_large": "main_pdf",
    "recipient name": "external_name",
    "recipient e-mail": "external_email",
    "office.recipient_email": "external_email",
    "workflow.confidential_not_dispatchable": "recipients",
    "office.invalid_copies": "copies",
    "office.unit_unknown": "unit",
}


def _choices(ctx: WebContext, me: Actor, t: Any) -> dict[str, Any]:
    assert me.agency_id is not None  # noqa: S101 - staff work in an agency
    members = ctx.office.users.members(me, me.agency_id)
    own = ctx.office.users.agency(me.agency_id)
    agencies = [a for a in ctx.directory.list(limit=1000) if a.is_active and a.code != own.code]
    return {
        "doctypes": [(d.key, d.name) for d in ADMINISTRATIVE_TYPES],
        "urgencies": [(u.value, t(f"urgency.{u.value}")) for u in Urgency],
        "secrets": [(c.value, t(f"confidentiality.{c.value}")) for c in Confidentiality],
        "forms": [(f.value, t(f"form.{f.value}")) for f in DocumentForm],
        "signers": [
            (m.user.username, f"{m.user.full_name}{' — ' + m.user.title if m.user.title else ''}")
            for m in members
            if Role.LEADER in m.membership.roles and m.user.state.value == "active"
        ],
        "agencies": [(a.code, f"{a.name} ({a.code})") for a in agencies],
        "units": [(u.abbreviation, u.name) for u in ctx.office.users.units(me, me.agency_id)],
    }


def _page(
    request: Request, ctx: WebContext, me: Actor, state: FormState, status: int = 200
) -> Response:
    t = translator(request)
    return render(
        request,
        "outgoing_compose.html",
        status=status,
        title=t("compose.title"),
        form=state,
        **_choices(ctx, me, t),
    )


@router.get("/new")
def compose(request: Request, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """The form of a new draft."""
    values = {"doctype": "cong_van", "urgency": "normal", "confidentiality": "none", "copies": "1"}
    return _page(request, ctx, me, FormState(values=values))


async def _files(form: FormData, name: str) -> list[tuple[str, bytes, str]]:
    files = []
    for value in form.getlist(name):
        if isinstance(value, UploadFile) and value.filename:
            data = await value.read(MAX_FILE_BYTES + 1)
            files.append((value.filename, data, value.content_type or "application/octet-stream"))
    return files


@router.post("/new")
async def create(
    request: Request, *, ctx: WebContext = Ctx, me: Actor = Me, form: FormData = Form
) -> Response:
    """Save the draft (the main PDF and attachments with it)."""
    t = translator(request)
    names = (
        "doctype",
        "subject",
        "urgency",
        "confidentiality",
        "signer",
        "form",
        "unit",
        "external_name",
        "external_email",
        "notes",
        "copies",
        "file_keeper",
    )
    state = FormState(values={n: text(form, n) for n in names})
    v = state.values
    v["recipients"] = texts(form, "recipients")
    if not v["subject"]:
        state.add("subject", t("error.required.subject"))
    if not v["recipients"] and not v["external_name"]:
        state.add("recipients", t("error.required.recipients"))
    if v["external_email"] and not v["external_name"]:
        state.add("external_name", t("error.required.external_name"))
    if v["copies"] and not v["copies"].isdigit():
        state.add("copies", t("error.bad_number"))
    main = await _files(form, "main_pdf")
    attachments = await _files(form, "attachments")
    if not state.ok:
        return _page(request, ctx, me, state, 422)
    recipients = [RecipientInput(agency=code) for code in v["recipients"]]
    if v["external_name"]:
        recipients.append(
            RecipientInput(name=v["external_name"], email=v["external_email"] or None)
        )
    draft = OutgoingDraft(
        doctype=v["doctype"] or "cong_van",
        subject=v["subject"],
        urgency=Urgency(v["urgency"]) if v["urgency"] in set(Urgency) else Urgency.NORMAL,
        confidentiality=Confidentiality(v["confidentiality"])
        if v["confidentiality"] in set(Confidentiality)
        else Confidentiality.NONE,
        signer=v["signer"] or None,
        recipients=tuple(recipients),
        form=DocumentForm(v["form"]) if v["form"] in set(DocumentForm) else None,
        unit=v["unit"] or None,
        file_keeper=v["file_keeper"] or None,
        copies=int(v["copies"] or 1),
        notes=v["notes"] or None,
    )
    try:
        result = await run_in_threadpool(
            retrying,
            lambda: ctx.office.outgoing.create(
                me,
                draft,
                main_pdf=main[0][1] if main else None,
                attachments=[FileInput(n, d, c) for n, d, c in attachments],
            ),
        )
    except LienthongError as exc:
        field, message = explain(exc, t, _FIELDS)
        state.add(field, message)
        status = exc.http_status if 400 <= exc.http_status < 500 else 422
        return _page(request, ctx, me, state, status)
    notes = ",".join(w.code for w in result.warnings)
    suffix = f"&warn={notes}" if notes else ""
    return RedirectResponse(f"/outgoing/{result.value.id}?done=created{suffix}", status_code=303)
