"""The office's side of the exchange: outgoing documents and requests go to the hub.

The office reaches a hub only through :class:`~lienthong.hub.client.HubClient` (never the
hub's tables), so it can join a hub run anywhere. This module sends; the other half is
:mod:`.hubsync_worker` (receiving) and :mod:`.hubsync_statuses` (the status outbox);
:mod:`.hubsync_run` wires them and runs them as loops.

:class:`HubDispatcher` is the :class:`~lienthong.office.dispatch.Dispatcher` the office's
seam asks for:

- :meth:`HubDispatcher.dispatch` builds one edXML package of a ready document for its hub
  recipients (:func:`.hubsync_packages.document_package`), signs it with the agency's
  organisation key (the hub accepts only a certificate of the ``From`` agency) and sends
  it; each recipient's outcome is the hub's package id, or the reason it was refused. A
  recipient the hub does not know or has locked is dropped and the package sent to the
  others. The hub keys documents by (DocumentId, sender, business type), so a document
  is sent once: a recipient refused then cannot be added later under the same DocumentId.
- :meth:`HubDispatcher.send_request` sends a recall request (status 13, dated when the
  clerk asked, so a repeat is a duplicate at the hub), or an update (business type 2) or
  replacement (type 3) of the document as it stands, to the recipients it went to.
- :meth:`HubDispatcher.run_once` does both for every agency the office hosts;
  :meth:`HubDispatcher.dispatch_now` sends one ready document at once (the web UI).

When the hub cannot be reached (or refuses the credentials) a :class:`HubError` is raised
(see :func:`transient`) and nothing is recorded: the document stays ready for the next
round, whose caller backs off.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lienthong.clock import Clock, SystemClock
from lienthong.edxml.doctypes import EdxmlTypeTable
from lienthong.errors import HubError, LienthongError, StorageError
from lienthong.hub.client import HubClient
from lienthong.office.dispatch import DispatchItem, RecipientOutcome, RequestItem
from lienthong.office.documents import DispatchState, FileInput, OutgoingDocument, Recipient
from lienthong.office.hubsync_packages import (
    document_package,
    file_name,
    request_business,
    sign_and_write,
    take_back_status,
)
from lienthong.office.model import Actor
from lienthong.office.services import OfficeServices
from lienthong.office.signing import SigningKeys
from lienthong.office.workflow import OutgoingAction
from lienthong.pki.model import SigningIdentity

log = logging.getLogger(__name__)

#: Hub codes that name one recipient the whole package was refused for.
_RECIPIENT_REFUSED = frozenset({"recipient.unknown", "recipient.locked"})


def transient(exc: LienthongError) -> bool:
    """Whether an error means "try again later" rather than "this will never go":
    the hub unreachable or failing (5xx), refusing our credentials (401: a clock or a
    secret to fix), or our own database unavailable."""
    if isinstance(exc, StorageError):
        return True
    if not isinstance(exc, HubError):
        return False
    return (
        exc.code == "hub.unavailable"
        or exc.http_status >= 500
        or exc.http_status in (401, 429)
        or exc.code.startswith("auth.")
    )


@dataclass
class DispatchReport:
    """What a dispatch round did."""

    #: (document id, its state afterwards) per document handed to the hub.
    documents: list[tuple[int, str]] = field(default_factory=list)
    #: (document id, request action, hub package id) per request sent.
    requests: list[tuple[int, str, str]] = field(default_factory=list)
    #: (document id, reason) per send the hub refused for good.
    refused: list[tuple[int, str]] = field(default_factory=list)


class HubDispatcher:
    """Sends outgoing documents, recall requests, updates and replacements to the hub.

    ``keys`` gives each agency's organisation identity (``keys.agency(code).identity``);
    ``clock`` dates the trace header.
    """

    def __init__(
        self,
        office: OfficeServices,
        hub: HubClient,
        keys: SigningKeys,
        *,
        clock: Clock | None = None,
        type_table: EdxmlTypeTable | None = None,
    ) -> None:
        self._office = office
        self._hub = hub
        self._keys = keys
        self._clock = clock or SystemClock()
        self._types = type_table
        #: Sends refused for good in this process: (document, recipients) and requests
        #: (document, asked at). Not retried until the process restarts.
        self._refused_sends: set[tuple[int, frozenset[int]]] = set()
        self._refused: dict[tuple[int, datetime], str] = {}

    # -- the Dispatcher protocol -----------------------------------------------------------

    def dispatch(self, item: DispatchItem) -> list[RecipientOutcome]:
        """Send a ready document to ``item.recipients``; one outcome per recipient."""
        actor = Actor.system(item.agency.agency_id)
        identity = self._identity(item.agency.code)
        files = self._files(actor, item.document)
        pending = list(item.recipients)
        outcomes: list[RecipientOutcome] = []
        while pending:
            pkg = document_package(
                item.document,
                item.agency,
                to=pending,
                files=files,
                now=self._clock.now(),
                signer_name=item.signer_name,
                signer_title=item.signer_title,
                type_table=self._types,
            )
            data = sign_and_write(pkg, identity, now=self._clock.now())
            try:
                sent = self._hub.send(data)
            except HubError as exc:
                if transient(exc):
                    raise
                refused = _named_recipient(exc, pending)
                if refused is not None and len(pending) > 1:
                    outcomes.append(RecipientOutcome(refused.id, error=exc.message))
                    pending.remove(refused)
                    continue
                outcomes += [RecipientOutcome(r.id, error=exc.message) for r in pending]
                break
            delivered = {d.recipient.strip().upper() for d in sent.deliveries}
            for r in pending:
                if (r.agency_code or "").upper() in delivered:
                    outcomes.append(RecipientOutcome(r.id, sent.package_id))
                else:
                    outcomes.append(
                        RecipientOutcome(
                            r.id,
                            error="the hub already carries this document to other recipients "
                            f"(package {sent.package_id}); it cannot be sent again to "
                            f"{r.agency_code}",
                        )
                    )
            break
        return outcomes

    # -- requests after dispatch -----------------------------------------------------------

    def send_request(self, item: RequestItem) -> str:
        """Send a recall request (13), an update (type 2) or a replacement (type 3);
        record it with ``DispatchService.request_sent``; the hub's package id."""
        doc, agency = item.document, item.agency
        actor = Actor.system(agency.agency_id)
        identity = self._identity(agency.code)
        now = self._clock.now()
        if item.action is OutgoingAction.REQUEST_RECALL:
            status = take_back_status(
                doc, agency, reason=item.reason, requested_at=item.requested_at
            )
            data = sign_and_write(status, identity, now=now)
        else:
            to = [r for r in doc.hub_recipients if r.dispatch_state is DispatchState.SENT]
            pkg = document_package(
                doc,
                agency,
                to=to,
                files=self._files(actor, doc),
                now=now,
                signer_name=item.signer_name,
                signer_title=item.signer_title,
                business=request_business(doc, item.action, item.reason, to),
                type_table=self._types,
            )
            data = sign_and_write(pkg, identity, now=now)
        sent = self._hub.send(data)
        self._office.dispatch.request_sent(actor, doc.id, sent.package_id)
        return sent.package_id

    # -- rounds ------------------------------------------------------------------------------

    def run_once(self, agency_ids: Sequence[int] | None = None) -> DispatchReport:
        """Send every ready document and pending request of the hosted agencies (or of
        ``agency_ids``). Raises a transient :class:`HubError` when the hub is down."""
        report = DispatchReport()
        ids = agency_ids or [a.agency_id for a in self._office.users.agencies()]
        for agency_id in ids:
            self._round(Actor.system(agency_id), report)
        return report

    def _round(self, actor: Actor, report: DispatchReport) -> None:
        dispatch = self._office.dispatch
        for item in dispatch.ready(actor):
            key = (item.document.id, frozenset(r.id for r in item.recipients))
            if key in self._refused_sends:
                continue  # refused for good with these recipients: not again in this process
            try:
                outcomes = self.dispatch(item)
            except LienthongError as exc:
                if transient(exc):
                    raise
                log.warning("document %s not dispatched: %s", item.document.id, exc)
                outcomes = [RecipientOutcome(r.id, error=exc.message) for r in item.recipients]
            done = dispatch.record(actor, item.document.id, outcomes)
            report.documents.append((done.id, done.state.value))
            errors = [o.error for o in outcomes if o.error]
            if errors:
                self._refused_sends.add(key)
                report.refused += [(done.id, e) for e in errors]
        for request in dispatch.requests(actor):
            asked = (request.document.id, request.requested_at)
            if asked in self._refused:
                continue
            try:
                package_id = self.send_request(request)
            except LienthongError as exc:
                if transient(exc):
                    raise
                log.warning("request on document %s refused: %s", request.document.id, exc)
                self._refused[asked] = exc.message
                report.refused.append((request.document.id, exc.message))
                continue
            report.requests.append((request.document.id, request.action.value, package_id))

    def dispatch_now(self, actor: Actor, doc_id: int) -> OutgoingDocument:
        """Send one ready document at once, as ``actor`` (a clerk): what the web UI's
        "Gửi" button does (``web.context.DispatchNow``)."""
        for item in self._office.dispatch.ready(actor, limit=10_000):
            if item.document.id == doc_id:
                return self._office.dispatch.record(actor, doc_id, self.dispatch(item))
        # Not listed as ready: recording nothing lets the service say why (another state,
        # a confidential document, a document of another agency…).
        return self._office.dispatch.record(actor, doc_id, [])

    # -- helpers -------------------------------------------------------------------------------

    def _identity(self, agency_code: str) -> SigningIdentity:
        return self._keys.agency(agency_code).identity

    def _files(self, actor: Actor, doc: OutgoingDocument) -> list[FileInput]:
        main = FileInput(
            file_name(doc.code or f"van-ban-{doc.id}"), self._office.outgoing.pdf(actor, doc.id)
        )
        files = [main]
        for stored in doc.attachments:
            name, content_type, content = self._office.outgoing.attachment(actor, doc.id, stored.id)
            files.append(FileInput(name, content, content_type))
        return files


def _named_recipient(exc: HubError, pending: Sequence[Recipient]) -> Recipient | None:
    """The recipient a ``recipient.*`` refusal names, if it is one of ``pending``."""
    if exc.code not in _RECIPIENT_REFUSED:
        return None
    named = str(exc.details.get("recipient") or "").strip().upper()
    return next((r for r in pending if (r.agency_code or "").upper() == named), None)
