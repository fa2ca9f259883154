"""Outgoing documents, part two: the competent person signs, the clerk issues, the agency
signs, and what goes on paper is handed over.

Signing is slow (a PAdES signature is a few tens of milliseconds), so each step reads the
document in one unit of work, signs outside any transaction, and writes in a second unit
of work that changes the document only if it is still in the state it was read in
(``workflow.concurrent_change`` otherwise). Issuing takes its number first thing in its
writing transaction (see :mod:`.repository_records`): a failed issue rolls the number
back, so numbers never skip.
"""

from __future__ import annotations

from collections.abc import Callable

from lienthong.db.uow import UnitOfWork
from lienthong.edxml.document_id import DocumentIdError, build_document_id
from lienthong.errors import NotFound, PermissionDenied, WorkflowError
from lienthong.office.access import visible_outgoing
from lienthong.office.common import clean_text, lost_race, read_blob
from lienthong.office.documents import OutgoingDocument
from lienthong.office.model import Actor, DocumentForm
from lienthong.office.numbering import (
    code_of,
    numbering_year,
    outgoing_notation,
    outgoing_series,
    vn_date,
    written_number,
)
from lienthong.office.outgoing import doctype_of
from lienthong.office.signing import SigningKeys
from lienthong.office.workflow import OutgoingAction, OutgoingState, outgoing_step
from lienthong.pki.model import CertificateKind, SigningIdentity
from lienthong.storage import BlobStore

_A = OutgoingAction


class IssuingService:
    """Signature by the competent person, numbering, the agency's signature, hand-over."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], blobs: BlobStore, keys: SigningKeys
    ) -> None:
        self._uow = uow_factory
        self._blobs = blobs
        self._keys = keys

    def sign(self, actor: Actor, doc_id: int) -> OutgoingDocument:
        """The designated signer signs the main PDF with their personal certificate."""
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, _A.SIGN, actor)
            if actor.user_id is None or actor.user_id != doc.signer_id:
                raise PermissionDenied(
                    "only the competent person named on the document signs it",
                    code="workflow.not_the_signer",
                )
            user = uow.office.people.user(actor.user_id)
            directory_entry = uow.agencies.get(doc.agency_id)
        if not user.signing_key:
            raise NotFound(f"{user.username} has no signing key", code="office.no_signing_key")
        if doc.pdf_sha256 is None:
            raise WorkflowError("the document has no main PDF", code="workflow.missing_pdf")
        signer = self._keys.person(user.signing_key)
        own_ids = {i.upper() for i in (directory_entry.qcvn_id, directory_entry.qd20_id) if i}
        _check_personal_key(signer.identity, own_ids, user.username)
        signed = signer.sign_as_signer(
            read_blob(self._blobs, doc.pdf_sha256),
            signer_display_name=user.full_name,
            title=user.title,
        )
        ref = self._blobs.put(signed)
        with self._uow() as uow:
            values = {"state": to.value, "pdf_sha256": ref.sha256, "signed_at": uow.clock.now()}
            if not uow.office.outgoing.change(doc.id, doc.state, values):
                raise lost_race("outgoing", doc.id)
            self._record(uow, actor, doc, _A.SIGN, to)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def issue(self, actor: Actor, doc_id: int) -> OutgoingDocument:
        """The clerk gives the document its number, notation and issue time and enters it
        in the outgoing register (of the secret series for confidential documents)."""
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, _A.ISSUE, actor)
            agency = uow.office.people.agency(doc.agency_id)
            unit = uow.office.people.unit(doc.unit_id).abbreviation if doc.unit_id else ""
        notation = outgoing_notation(doctype_of(doc.doctype_key), agency.abbreviation, unit)
        series = outgoing_series(doc.confidentiality)
        with self._uow() as uow:
            now = uow.clock.now()
            # The number first: the transaction starts by taking the counter row.
            number = uow.office.counters.next(doc.agency_id, series, numbering_year(now))
            try:
                document_id: str | None = build_document_id(
                    agency.code, vn_date(now), written_number(number), notation
                )
            except DocumentIdError:
                document_id = None
            values = {
                "state": to.value,
                "series": series.value,
                "year": numbering_year(now),
                "number": number,
                "notation": notation,
                "code": code_of(number, notation),
                "issued_at": now,
                "issued_by": actor.user_id,
                "document_id": document_id,
            }
            if not uow.office.outgoing.change(doc.id, doc.state, values):
                raise lost_race("outgoing", doc.id)
            if actor.user_id is not None:
                uow.office.trail.grant("out", doc.id, actor.user_id, "clerk")
            self._record(uow, actor, doc, _A.ISSUE, to, note=code_of(number, notation))
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def agency_sign(self, actor: Actor, doc_id: int) -> OutgoingDocument:
        """The clerk applies the agency's signature (and stamps the attachments); the
        document becomes ready to dispatch to its recipients on the hub."""
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, _A.AGENCY_SIGN, actor)
            agency = uow.office.people.agency(doc.agency_id)
        if doc.confidentiality.secret:
            raise WorkflowError(
                "a confidential document never travels through the exchange hub: "
                "hand it over on paper",
                code="workflow.confidential_not_dispatchable",
            )
        if doc.form is DocumentForm.PAPER:
            raise WorkflowError(
                "a paper-only document is handed over, not dispatched",
                code="workflow.paper_form",
            )
        if not doc.hub_recipients:
            raise WorkflowError(
                "no recipient is reached through the hub: hand the document over instead",
                code="workflow.no_hub_recipients",
            )
        if (
            doc.pdf_sha256 is None or doc.code is None
        ):  # pragma: no cover - issued documents have both
            raise WorkflowError("the document is not issued", code="workflow.not_issued")
        seal = self._keys.agency(agency.code)
        signed = seal.sign_as_agency(
            read_blob(self._blobs, doc.pdf_sha256),
            agency_name=agency.name,
            reason=f"Phát hành văn bản số {doc.code}",
        )
        ref = self._blobs.put(signed)
        stamped = []
        for f in doc.attachments:
            if f.content_type == "application/pdf":
                pdf = seal.stamp_attachment(
                    read_blob(self._blobs, f.sha256),
                    number_notation=doc.code,
                    agency_name=agency.name,
                )
                stamped.append((f.id, self._blobs.put(pdf).sha256))
        with self._uow() as uow:
            values = {
                "state": to.value,
                "pdf_sha256": ref.sha256,
                "agency_signed_at": uow.clock.now(),
            }
            if not uow.office.outgoing.change(doc.id, doc.state, values):
                raise lost_race("outgoing", doc.id)
            for file_id, sha256 in stamped:
                uow.office.trail.set_stamped(file_id, sha256)
            self._record(uow, actor, doc, _A.AGENCY_SIGN, to)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def hand_over(self, actor: Actor, doc_id: int, note: str | None = None) -> OutgoingDocument:
        """Record that the registered document left on paper (or by e-mail): the path of
        confidential documents and of those with no recipient on the hub."""
        text = clean_text(note, field="note", max_length=4000)
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, _A.HAND_OVER, actor)
            values = {"state": to.value, "handed_over_at": uow.clock.now()}
            if not uow.office.outgoing.change(doc.id, doc.state, values):
                raise lost_race("outgoing", doc.id)
            self._record(uow, actor, doc, _A.HAND_OVER, to, note=text)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    @staticmethod
    def _record(
        uow: UnitOfWork,
        actor: Actor,
        doc: OutgoingDocument,
        action: OutgoingAction,
        to: OutgoingState,
        *,
        note: str | None = None,
    ) -> None:
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


def _check_personal_key(identity: SigningIdentity, agency_ids: set[str], username: str) -> None:
    """The key bound to a user signs as that user only if it is a personal certificate
    (not a seal, not a system's) of the document's own agency: an administrator cannot
    bind another agency's key, nor a seal, and sign in its name."""
    if identity.kind is not CertificateKind.SIGNER:
        raise PermissionDenied(
            f"the key bound to {username} is not a personal certificate ({identity.kind.value})",
            code="office.key_mismatch",
        )
    if (identity.agency_id or "").upper() not in agency_ids:
        raise PermissionDenied(
            f"the key bound to {username} belongs to another agency "
            f"({identity.agency_id or 'none named'})",
            code="office.key_mismatch",
        )
