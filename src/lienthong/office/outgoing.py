"""Outgoing documents, part one: drafting, review, files, access, reading.

A draft names its type, subject, urgency, confidentiality, the competent person who will
sign it and its recipients (directory agencies, or external recipients by e-mail or on
paper); its main PDF and attachments go to the blob store. The catalogue supplies the
form and warns when the draft departs from it. Signing, numbering and the agency's
signature are in :mod:`.outgoing_issue`; dispatch seams in :mod:`.dispatch`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lienthong.db.uow import UnitOfWork
from lienthong.edxml.doctypes import DocType, lookup_doctype
from lienthong.errors import NotFound, PermissionDenied, ValidationError, WorkflowError
from lienthong.office.access import agency_of, visible_outgoing
from lienthong.office.catalogue_rules import decide_form
from lienthong.office.common import (
    MAX_NOTE,
    MAX_SUBJECT,
    attachment_of,
    clean_text,
    read_blob,
    required_text,
    store_file,
    store_pdf,
)
from lienthong.office.documents import (
    Channel,
    Event,
    FileInput,
    Notice,
    OutgoingDocument,
    OutgoingDraft,
    RecipientInput,
    RecipientKind,
    Result,
)
from lienthong.office.model import Actor, Role
from lienthong.office.repository_outgoing import NewRecipient, OutgoingFilter
from lienthong.office.workflow import OutgoingAction, OutgoingState, outgoing_step
from lienthong.storage import BlobRef, BlobStore

_A = OutgoingAction


@dataclass(frozen=True, slots=True)
class _Prepared:
    values: dict[str, Any]
    recipients: list[NewRecipient]
    warnings: tuple[Notice, ...]


def doctype_of(name: str) -> DocType:
    """An administrative document type by key or name (what an agency issues)."""
    doctype = lookup_doctype(name)
    if doctype is None:
        raise ValidationError(f"unknown document type {name!r}", code="office.doctype_unknown")
    if doctype.is_normative:
        raise ValidationError(
            f"{doctype.name} is a legal normative document, numbered under its own law",
            code="office.doctype_normative",
        )
    return doctype


class OutgoingService:
    """Drafting and review of outgoing documents, and reading them."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], blobs: BlobStore) -> None:
        self._uow = uow_factory
        self._blobs = blobs

    # -- drafting --------------------------------------------------------------------------

    def create(
        self,
        actor: Actor,
        draft: OutgoingDraft,
        *,
        main_pdf: bytes | None = None,
        attachments: Sequence[FileInput] = (),
    ) -> Result[OutgoingDocument]:
        """Start a draft; the result carries the catalogue's warnings."""
        agency_id = agency_of(actor)
        if not actor.has(Role.SPECIALIST, Role.LEADER, Role.CLERK):
            raise PermissionDenied("drafting needs a staff role", code="office.forbidden_role")
        main = store_pdf(self._blobs, main_pdf, what="the main PDF") if main_pdf else None
        stored = [(f, store_file(self._blobs, f)) for f in attachments]
        with self._uow() as uow:
            prepared = self._prepare(uow, actor, draft)
            values = {
                **prepared.values,
                "state": OutgoingState.DRAFT.value,
                "drafter_id": actor.user_id,
                "draft_sha256": main.sha256 if main else None,
                "pdf_sha256": main.sha256 if main else None,
            }
            doc_id = uow.office.outgoing.add(agency_id, values)
            uow.office.outgoing.set_recipients(doc_id, prepared.recipients)
            for file, ref in stored:
                uow.office.trail.add_file("out", doc_id, file, ref)
            if actor.user_id is not None:
                uow.office.trail.grant("out", doc_id, actor.user_id, "drafter")
            if values["signer_id"] is not None:
                uow.office.trail.grant("out", doc_id, values["signer_id"], "signer")
            uow.office.trail.record(
                "out", doc_id, agency_id=agency_id, actor=actor, action="create", to_state="draft"
            )
            uow.commit()
            return Result(uow.office.outgoing.get(agency_id, doc_id), prepared.warnings)

    def edit(self, actor: Actor, doc_id: int, draft: OutgoingDraft) -> Result[OutgoingDocument]:
        """Replace a draft's metadata and recipients (files stay)."""
        with self._uow() as uow:
            doc = self._editable(uow, actor, doc_id, _A.EDIT)
            prepared = self._prepare(uow, actor, draft)
            if not uow.office.outgoing.change(doc.id, OutgoingState.DRAFT, prepared.values):
                raise WorkflowError(
                    "the document is no longer a draft", code="workflow.concurrent_change"
                )
            uow.office.outgoing.set_recipients(doc.id, prepared.recipients)
            signer_id = prepared.values["signer_id"]
            if signer_id is not None:
                uow.office.trail.grant("out", doc.id, signer_id, "signer")
            self._event(uow, actor, doc, "edit")
            uow.commit()
            return Result(uow.office.outgoing.get(doc.agency_id, doc.id), prepared.warnings)

    def set_main_pdf(self, actor: Actor, doc_id: int, pdf: bytes) -> OutgoingDocument:
        """Put (or replace) the draft's main PDF."""
        ref = store_pdf(self._blobs, pdf, what="the main PDF")
        with self._uow() as uow:
            doc = self._editable(uow, actor, doc_id, _A.EDIT)
            values = {"draft_sha256": ref.sha256, "pdf_sha256": ref.sha256}
            if not uow.office.outgoing.change(doc.id, OutgoingState.DRAFT, values):
                raise WorkflowError(
                    "the document is no longer a draft", code="workflow.concurrent_change"
                )
            self._event(uow, actor, doc, "main_pdf", note=f"{ref.size} bytes")
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def add_attachment(self, actor: Actor, doc_id: int, file: FileInput) -> OutgoingDocument:
        """Add an attachment to a draft."""
        ref: BlobRef = store_file(self._blobs, file)
        with self._uow() as uow:
            doc = self._editable(uow, actor, doc_id, _A.EDIT)
            uow.office.trail.add_file("out", doc.id, file, ref)
            self._event(uow, actor, doc, "attachment", note=file.name)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def grant(self, actor: Actor, doc_id: int, username: str) -> None:
        """Let a colleague see a (confidential) document: by its drafter, signer or a leader
        already on its list — e.g. the clerk who will issue it."""
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            if actor.user_id not in (doc.drafter_id, doc.signer_id) and not actor.has(Role.LEADER):
                raise PermissionDenied(
                    "only the drafter, the signer or a leader shares a document",
                    code="office.forbidden_role",
                )
            user = uow.office.people.find_user(username.strip().lower())
            if user is None or uow.office.people.membership(user.id, doc.agency_id) is None:
                raise NotFound(f"no colleague {username!r}", code="office.user_unknown")
            uow.office.trail.grant("out", doc.id, user.id, "granted")
            self._event(uow, actor, doc, "grant", note=user.username)
            uow.commit()

    # -- review ----------------------------------------------------------------------------

    def submit(self, actor: Actor, doc_id: int) -> OutgoingDocument:
        """Send the draft for review and signature."""
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, _A.SUBMIT, actor)
            if doc.pdf_sha256 is None:
                raise WorkflowError("the draft has no main PDF", code="workflow.missing_pdf")
            if doc.signer_id is None:
                raise WorkflowError("the draft names no signer", code="workflow.missing_signer")
            if not doc.recipients:
                raise WorkflowError("the draft has no recipient", code="workflow.no_recipients")
            self._move(uow, actor, doc, to, _A.SUBMIT)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def comment(self, actor: Actor, doc_id: int, text: str) -> Event:
        """A review comment (drafts and documents in review)."""
        note = required_text(text, field="comment", max_length=MAX_NOTE)
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            outgoing_step(doc.state, _A.COMMENT, actor)
            self._event(uow, actor, doc, "comment", note=note)
            uow.commit()
            return uow.office.trail.events("out", doc.id)[-1]

    def return_for_revision(self, actor: Actor, doc_id: int, reason: str) -> OutgoingDocument:
        """A leader sends the document back to its drafter (a reason is required)."""
        note = required_text(reason, field="reason")
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, _A.RETURN, actor)
            self._move(uow, actor, doc, to, _A.RETURN, note=note)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def cancel(self, actor: Actor, doc_id: int, reason: str) -> OutgoingDocument:
        """Abandon a draft (its drafter or a leader)."""
        note = required_text(reason, field="reason")
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, _A.CANCEL, actor)
            if actor.user_id != doc.drafter_id and not actor.has(Role.LEADER):
                raise PermissionDenied(
                    "only the drafter or a leader cancels a draft", code="office.forbidden_role"
                )
            self._move(uow, actor, doc, to, _A.CANCEL, note=note)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    # -- reading ---------------------------------------------------------------------------

    def get(self, actor: Actor, doc_id: int) -> OutgoingDocument:
        with self._uow() as uow:
            return visible_outgoing(uow, actor, doc_id)

    def search(
        self, actor: Actor, filters: OutgoingFilter | None = None
    ) -> Sequence[OutgoingDocument]:
        """The agency's outgoing documents the actor may see, newest first."""
        with self._uow() as uow:
            return uow.office.outgoing.search(
                agency_of(actor), actor.user_id, filters or OutgoingFilter()
            )

    def events(self, actor: Actor, doc_id: int) -> Sequence[Event]:
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            return uow.office.trail.events("out", doc.id)

    def pdf(self, actor: Actor, doc_id: int) -> bytes:
        """The current main PDF (as signed so far)."""
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
        if doc.pdf_sha256 is None:
            raise NotFound("the document has no PDF yet", code="office.no_pdf")
        return read_blob(self._blobs, doc.pdf_sha256)

    def attachment(self, actor: Actor, doc_id: int, file_id: int) -> tuple[str, str, bytes]:
        """``(name, content type, bytes)`` of an attachment (the stamped version if any)."""
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
        return attachment_of(self._blobs, doc.attachments, file_id)

    # -- helpers ---------------------------------------------------------------------------

    def _editable(
        self, uow: UnitOfWork, actor: Actor, doc_id: int, action: OutgoingAction
    ) -> OutgoingDocument:
        doc = visible_outgoing(uow, actor, doc_id)
        outgoing_step(doc.state, action, actor)
        if actor.user_id != doc.drafter_id and not actor.has(Role.LEADER):
            raise PermissionDenied(
                "only the drafter or a leader edits a draft", code="office.forbidden_role"
            )
        return doc

    @staticmethod
    def _move(
        uow: UnitOfWork,
        actor: Actor,
        doc: OutgoingDocument,
        to: OutgoingState,
        action: OutgoingAction,
        *,
        note: str | None = None,
        values: dict[str, Any] | None = None,
    ) -> None:
        if not uow.office.outgoing.change(doc.id, doc.state, {**(values or {}), "state": to.value}):
            raise WorkflowError(
                f"the outgoing document {doc.id} changed meanwhile; reload it",
                code="workflow.concurrent_change",
            )
        uow.office.trail.record(
            "out",
            doc.id,
            agency_id=doc.agency_id,
            actor=actor,
            action=action.value,
            from_state=doc.state.value,
            to_state=to.value,
            note=note,
        )

    @staticmethod
    def _event(
        uow: UnitOfWork, actor: Actor, doc: OutgoingDocument, action: str, note: str | None = None
    ) -> None:
        uow.office.trail.record(
            "out", doc.id, agency_id=doc.agency_id, actor=actor, action=action, note=note
        )

    def _prepare(self, uow: UnitOfWork, actor: Actor, draft: OutgoingDraft) -> _Prepared:
        agency_id = agency_of(actor)
        doctype = doctype_of(draft.doctype)
        subject = required_text(draft.subject, field="subject", max_length=MAX_SUBJECT)
        signer_id = None
        if draft.signer:
            signer = uow.office.people.find_user(draft.signer.strip().lower())
            membership = (
                uow.office.people.membership(signer.id, agency_id) if signer is not None else None
            )
            if signer is None or membership is None or Role.LEADER not in membership.roles:
                raise ValidationError(
                    f"the signer {draft.signer!r} must be a leader of the agency",
                    code="office.signer_not_leader",
                )
            signer_id = signer.id
        unit_id = actor.unit_id
        if draft.unit:
            unit_id = uow.office.people.unit_by_abbreviation(agency_id, draft.unit.strip()).id
        if draft.copies < 0:
            raise ValidationError("copies cannot be negative", code="office.invalid_copies")
        recipients = [self._recipient(uow, r, draft) for r in draft.recipients]
        decision = decide_form(
            uow.office.catalogue.entries(agency_id, active_only=True),
            doctype_key=doctype.key,
            requested=draft.form,
            entry_id=draft.catalogue_id,
            confidentiality=draft.confidentiality,
        )
        values = {
            "doctype_key": doctype.key,
            "subject": subject,
            "urgency": draft.urgency.value,
            "confidentiality": draft.confidentiality.value,
            "form": decision.form.value,
            "scanned": draft.scanned,
            "signer_id": signer_id,
            "unit_id": unit_id,
            "catalogue_id": decision.entry.id if decision.entry else None,
            "file_keeper": clean_text(draft.file_keeper, field="file_keeper", max_length=200),
            "copies": draft.copies,
            "notes": clean_text(draft.notes, field="notes", max_length=MAX_NOTE),
        }
        return _Prepared(values, recipients, decision.warnings)

    @staticmethod
    def _recipient(uow: UnitOfWork, given: RecipientInput, draft: OutgoingDraft) -> NewRecipient:
        secret = draft.confidentiality.secret
        if given.agency:
            agency = uow.agencies.resolve(given.agency.strip())
            channel = given.channel or (Channel.PAPER if secret else Channel.HUB)
            if secret and channel is Channel.HUB:
                raise WorkflowError(
                    "a confidential document never travels through the exchange hub",
                    code="workflow.confidential_not_dispatchable",
                )
            return NewRecipient(RecipientKind.AGENCY, channel, agency.name, agency_id=agency.id)
        name = required_text(given.name, field="recipient name", max_length=500)
        email = clean_text(given.email, field="recipient e-mail", max_length=254)
        channel = given.channel or (Channel.EMAIL if email and not secret else Channel.PAPER)
        if channel is Channel.HUB:
            raise ValidationError(
                f"{name}: only directory agencies are reached through the hub",
                code="office.recipient_not_on_hub",
            )
        if channel is Channel.EMAIL and (email is None or secret):
            raise ValidationError(
                f"{name}: e-mail needs an address, and never carries confidential documents",
                code="office.recipient_email",
            )
        address = clean_text(given.address, field="recipient address", max_length=500)
        return NewRecipient(RecipientKind.EXTERNAL, channel, name, email=email, address=address)
