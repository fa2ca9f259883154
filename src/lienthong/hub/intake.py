"""Intake: ``POST /packages``, the eight steps of docs/hub-api.md ("Sending").

1. the caller is authenticated at the edge; the size limit is enforced here too;
2. the package is read once and validated (``validation.package`` with the problems);
3. its XML signature is verified (chain results cached per certificate, see
   :mod:`.signatures`): intact, trusted, not revoked, and the certificate belongs to the
   ``From`` agency or is registered for it;
4. the calling system must host the ``From`` agency;
5. a repeated send answers the first send's result (``duplicate``);
6. the exact bytes are stored once (content-addressed), fsynced before the commit;
7. one delivery per recipient (documents: each ``To``; statuses: back to the document's
   sender, or to every recipient for a take-back request 13), links for business types
   1–3, one audit entry, a NOTIFY for long-polls on other nodes;
8. one commit, then the answer.

Every check runs before anything is written, so a rejected package leaves no row and no
blob. Planning reads run in a first, read-only unit of work; the blob is written between
the two (never while holding SQLite's write lock); the writes run in a second one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Collection
from datetime import datetime

from cryptography import x509
from sqlalchemy.exc import IntegrityError

from lienthong.clock import VN_TZ, Clock
from lienthong.db.uow import UnitOfWork
from lienthong.directory.model import identifier_key
from lienthong.edxml.model import StatusCode
from lienthong.edxml.reader import read_package
from lienthong.edxml.validate import validate_package
from lienthong.errors import (
    Conflict,
    LimitExceeded,
    PermissionDenied,
    RoutingError,
    ValidationError,
)
from lienthong.hub.audit import AuditLog
from lienthong.hub.audit_chain import fingerprint
from lienthong.hub.intake_facts import (
    MAX_ID,
    MAX_TRACE,
    MAX_TRACE_ORGAN,
    IntakePlan,
    PackageFacts,
    delivery_row,
    package_facts,
    sha256_hex,
    signature_error,
)
from lienthong.hub.model import (
    DedupKey,
    IdGenerator,
    LinkKind,
    PackageKind,
    Recipient,
    dedup_key_parts,
    unique_recipients,
)
from lienthong.hub.nonce_claims import NonceClaim
from lienthong.hub.notify import Notifier
from lienthong.hub.records import DeliveryRef, IntakeResult, TraceEntry, trace_to_json
from lienthong.hub.repository import ResolvedAgency
from lienthong.hub.signatures import SignatureChecker
from lienthong.settings import EdxmlLimits
from lienthong.storage import BlobStore


class IntakeService:
    """Takes packages in: checks, deduplicates, stores, routes, audits."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        blobs: BlobStore,
        clock: Clock,
        ids: IdGenerator,
        checker: Callable[[], SignatureChecker],
        audit: AuditLog,
        notifier: Notifier,
        organ_id: str,
        limits: EdxmlLimits,
    ) -> None:
        self._uow = uow_factory
        self._blobs = blobs
        self._clock = clock
        self._ids = ids
        self._checker = checker
        self._audit = audit
        self._notifier = notifier
        self._organ_id = organ_id
        self.limits = limits

    def _allowed(self, cert: x509.Certificate) -> Collection[str]:
        with self._uow() as uow:
            return uow.hub_systems.agencies_for_certificate(fingerprint(cert))

    def send(
        self,
        system_id: str,
        data: bytes,
        *,
        sha256: str | None = None,
        claim: NonceClaim | None = None,
    ) -> IntakeResult:
        """Take a package in for ``system_id`` (already authenticated).

        ``sha256``: the SHA-256 (hex) of ``data`` when the caller already computed it over
        these very bytes (the HTTP edge does, to check the request's signature), so the
        body is not hashed again. ``claim``: the request's nonce, recorded first in the
        transaction that stores the package (:mod:`.nonce_claims`; PostgreSQL)."""
        now = self._clock.now()
        if len(data) > self.limits.max_package_bytes:
            raise LimitExceeded(
                f"package of {len(data)} bytes exceeds the limit of "
                f"{self.limits.max_package_bytes} bytes",
                code="package.limit.size",
                limit=self.limits.max_package_bytes,
            )
        if claim is None:
            return self._take(system_id, data, sha256, now, None)
        # The nonce first, in the transaction that will store the package: a replay is
        # refused before the package is even read.
        with self._uow() as uow:
            uow.claim_nonce(claim)
            return self._take(system_id, data, sha256, now, uow)

    def _take(
        self,
        system_id: str,
        data: bytes,
        sha256: str | None,
        now: datetime,
        claimed: UnitOfWork | None,
    ) -> IntakeResult:
        """Steps 2–8 (``claimed``: the open unit of work holding the request's nonce)."""
        facts = self._checked(data, now)
        sha256 = sha256 or sha256_hex(data)
        try:
            result, woken, pushed = self._write(
                system_id, data, facts, sha256, now, claimed=claimed
            )
        except IntegrityError:
            # A concurrent send of the same package committed first: answer its result.
            with self._uow() as uow:
                first = self._first_send(uow, system_id, facts, sha256)
            if first is None:
                raise Conflict(
                    "the package could not be stored (concurrent change)", code="conflict.intake"
                ) from None
            return first
        self._notifier.notify(woken, push=pushed)
        return result

    def _checked(self, data: bytes, now: datetime) -> PackageFacts:
        """Steps 2–3: the package read, validated and its signature verified; its facts."""
        # Lazy: attachments are located, never decoded (the hub stores the exact bytes and
        # never needs their content); the signature check digests them as text.
        package = read_package(data, limits=self.limits, attachments="lazy")
        report = validate_package(package, today=now.astimezone(VN_TZ).date())
        if not report.ok:
            problem = report.errors[0]
            raise ValidationError(
                f"the package is not compliant: {problem.path}: {problem.message}"
                + (f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""),
                code="validation.package",
                problems=[p.to_dict() for p in report.errors],
            )
        facts = package_facts(package)
        _check_trace(facts)
        too_long = [
            i
            for i in (facts.document_id, facts.business_document_id or "", *facts.link_targets)
            if len(i) > MAX_ID
        ]
        if too_long:
            raise ValidationError(
                f"a DocumentId is longer than {MAX_ID} characters", code="validation.document_id"
            )
        signature = self._checker().check(data, self._allowed)
        if not signature.valid:
            raise signature_error(signature)
        return facts

    def _write(
        self,
        system_id: str,
        data: bytes,
        facts: PackageFacts,
        sha256: str,
        now: datetime,
        *,
        claimed: UnitOfWork | None,
    ) -> tuple[IntakeResult, list[int], bool]:
        """Steps 4–8; the result, the recipients to wake, whether any delivery is pushed. On PostgreSQL one transaction: the planning reads, the blob (written
        before the commit), the writes. On SQLite the reads run unlocked, then the blob is
        written, then the writes run under the write lock (never a blob write while it is
        held: the database blob store would wait on it)."""
        with contextlib.nullcontext(claimed) if claimed is not None else self._uow() as uow:
            plan = self._plan(uow, system_id, facts, sha256)
            if isinstance(plan, IntakeResult):
                if claimed is not None:
                    uow.commit()  # the request's nonce, with nothing else
                return plan, [], False
            woken = [r.agency_id for r in plan.recipients]
            if uow.hub.dialect == "postgresql":
                size = self._put(data, sha256)
                # One statement, unless there are links: then the writes go out together.
                with uow.hub.batched() if plan.links else contextlib.nullcontext():
                    result = self._store(uow, plan, sha256, size, now)
                uow.commit()
                return result, woken, bool(plan.pushed)
        size = self._put(data, sha256)
        with self._uow() as uow:
            uow.hub.take_write_lock()
            with uow.hub.batched():
                result = self._store(uow, plan, sha256, size, now)
            uow.commit()
        return result, woken, bool(plan.pushed)

    def _put(self, data: bytes, sha256: str) -> int:
        """Store the exact bytes (durably) under ``sha256``, computed over them at the edge
        (or here): the store does not hash them again. Their size."""
        return self._blobs.put(data, sha256=sha256).size

    def _plan(
        self, uow: UnitOfWork, system_id: str, facts: PackageFacts, sha256: str
    ) -> IntakePlan | IntakeResult:
        """Who sends to whom under which dedup key; or the first send's result. A
        document's reads are one statement on PostgreSQL (``HubRepository.intake_reads``);
        a status is routed by what the hub carried, which takes a few more."""
        key = self._dedup_key(facts, sha256)
        document = facts.kind is PackageKind.DOCUMENT
        reads = uow.hub.intake_reads(
            system_id, facts.sender_code, key, facts.to if document else []
        )
        sender = self._sender(reads.sender, system_id, facts)
        if reads.duplicate is not None:
            return reads.duplicate
        if document:
            recipients = self._usable(_listed(reads.agencies, facts.to))
            webhooks = reads.webhooks
        else:
            recipients = self._usable(self._status_recipients(uow, facts, sender))
            webhooks = uow.hub_systems.webhook_targets([r.agency_id for r in recipients])
        links = self._links(uow, facts, sender)
        ids = {r.agency_id for r in recipients}
        return IntakePlan(
            system_id,
            facts,
            sender,
            recipients,
            {a for a in webhooks if a in ids},
            key.for_sender(str(sender.agency_id)),
            links,
        )

    def _first_send(
        self, uow: UnitOfWork, system_id: str, facts: PackageFacts, sha256: str
    ) -> IntakeResult | None:
        reads = uow.hub.intake_reads(
            system_id, facts.sender_code, self._dedup_key(facts, sha256), []
        )
        self._sender(reads.sender, system_id, facts)
        return reads.duplicate

    @staticmethod
    def _dedup_key(facts: PackageFacts, sha256: str) -> DedupKey:
        return dedup_key_parts(
            facts.kind,
            document_id=facts.document_id,
            business_type=facts.business_type,
            status_code=facts.status_code,
            status_timestamp=facts.status_at.isoformat() if facts.status_at else None,
            content_sha256=sha256,
        )

    # -- steps 3–4, 7 ---------------------------------------------------------------------

    @staticmethod
    def _sender(
        found: tuple[ResolvedAgency, bool] | None, system_id: str, facts: PackageFacts
    ) -> ResolvedAgency:
        if found is None:
            raise RoutingError(
                f"sender {facts.sender_code} is not in the directory",
                code="sender.unknown",
                sender=facts.sender_code,
            )
        sender, hosted = found
        if not hosted:
            raise PermissionDenied(
                f"system {system_id} does not host the sender {facts.sender_code}",
                code="forbidden.sender_not_hosted",
                sender=facts.sender_code,
            )
        if sender.locked:
            raise PermissionDenied(
                f"sender {facts.sender_code} is locked", code="forbidden.sender_locked"
            )
        return sender

    def _status_recipients(
        self, uow: UnitOfWork, facts: PackageFacts, sender: ResolvedAgency
    ) -> list[Recipient]:
        if facts.status_code == StatusCode.TAKE_BACK_REQUEST.value:
            return self._take_back(uow, facts, sender)
        return [self._status_target(uow, facts, sender)]

    @staticmethod
    def _usable(recipients: list[Recipient]) -> list[Recipient]:
        """Each recipient once; a locked one refuses the whole package."""
        recipients = unique_recipients(recipients)
        for recipient in recipients:
            if recipient.locked:
                raise RoutingError(
                    f"recipient {recipient.code} is locked",
                    code="recipient.locked",
                    recipient=recipient.code,
                )
        return recipients

    @staticmethod
    def _resolve_all(uow: UnitOfWork, codes: list[str]) -> list[Recipient]:
        return _listed(uow.hub.resolve_agencies(codes), codes)

    def _status_target(
        self, uow: UnitOfWork, facts: PackageFacts, reporter: ResolvedAgency
    ) -> Recipient:
        """Where a status goes: back to the agency whose document the reporter received
        here. A DocumentId is not proof of who sent it (two agencies may use one id), so
        the reporter's own deliveries decide, then the ``ResponseFor`` organ it names. A
        document the hub never carried goes to that organ; one the hub carried, but not to
        the reporter, takes no status from it."""
        senders = uow.hub.senders_to(facts.document_id, reporter.agency_id)
        if len(senders) > 1 and facts.response_organ:
            # ResponseFor may name the agency by any of its ids (QCVN 102, QĐ 20, alias).
            named = uow.hub.resolve_agencies([facts.response_organ])
            ids = {agency.agency_id for agency in named.values()}
            return next((s for s in senders if s.agency_id in ids), senders[0])
        if senders:
            return senders[0]
        if uow.hub.document_known(facts.document_id):
            raise PermissionDenied(
                f"{facts.sender_code} did not receive document {facts.document_id} through "
                "the hub: it cannot report a status on it",
                code="forbidden.not_document_recipient",
                document_id=facts.document_id,
            )
        return self._resolve_all(uow, [facts.response_organ])[0]

    @staticmethod
    def _take_back(uow: UnitOfWork, facts: PackageFacts, sender: ResolvedAgency) -> list[Recipient]:
        recipients = uow.hub.document_recipients(facts.document_id, sender.agency_id)
        if recipients:
            return recipients
        if uow.hub.document_known(facts.document_id):
            raise PermissionDenied(
                f"only the sender of {facts.document_id} may ask to take it back",
                code="forbidden.not_document_sender",
            )
        raise RoutingError(
            f"the hub has no record of document {facts.document_id}: "
            "a take-back request cannot be routed",
            code="recipient.unknown",
            document_id=facts.document_id,
        )

    def _links(self, uow: UnitOfWork, facts: PackageFacts, sender: ResolvedAgency) -> list[str]:
        """The documents a revocation, update or replacement (business types 1–3) is
        linked to: those of its targets this sender sent here. A target another agency
        sent (and this one did not) is refused; one the hub never carried gets no link."""
        if LinkKind.of_business_type(facts.business_type or 0) is None or not facts.link_targets:
            return []
        own = uow.hub.sent_by(facts.link_targets, sender.agency_id)
        for target in facts.link_targets:
            if target not in own and uow.hub.document_known(target):
                raise PermissionDenied(
                    f"document {target} was sent by another agency: only its sender may "
                    "revoke, update or replace it",
                    code="forbidden.not_document_sender",
                    document_id=target,
                )
        return [t for t in facts.link_targets if t in own]

    # -- steps 7–8 ------------------------------------------------------------------------

    def _store(
        self, uow: UnitOfWork, plan: IntakePlan, sha256: str, size: int, now: datetime
    ) -> IntakeResult:
        """Insert the package, its deliveries and links, append the audit entry and
        NOTIFY, in ``uow`` (the caller commits)."""
        system_id, facts, recipients = plan.system_id, plan.facts, plan.recipients
        package_id = self._ids(now)
        hub_entry = TraceEntry(self._organ_id, now.astimezone(VN_TZ).replace(microsecond=0))
        refs = [DeliveryRef(self._ids(now), r.code) for r in recipients]
        package = {
            "id": package_id,
            "kind": facts.kind.value,
            "sha256": sha256,
            "size": size,
            "system_id": system_id,
            "sender_id": plan.sender.agency_id,
            "sender_code": facts.sender_code,
            "document_id": facts.document_id,
            "code": facts.code,
            "subject": facts.subject,
            "business_type": facts.business_type,
            "business_document_id": facts.business_document_id,
            "status_code": facts.status_code,
            "status_description": facts.status_description,
            "status_at": facts.status_at,
            "dedup_key": plan.key,
            "trace": trace_to_json([*facts.trace, hub_entry]),
            "received_at": now,
        }
        deliveries = [
            delivery_row(
                ref=ref,
                recipient=r,
                kind=facts.kind,
                push=r.agency_id in plan.pushed,
                package_id=package_id,
                now=now,
            )
            for ref, r in zip(refs, recipients, strict=True)
        ]
        woken = [r.agency_id for r in recipients]
        kind = LinkKind.of_business_type(facts.business_type or 0)
        links: list[dict[str, object]] = []
        if kind is not None:
            links = [
                {
                    "document_id": target[:MAX_ID],
                    "kind": kind.value,
                    "package_id": package_id,
                    "linked_document_id": facts.document_id,
                    "reason": facts.business_reason,
                    "created_at": now,
                }
                for target in plan.links
            ]
        # On PostgreSQL the package, its deliveries and the NOTIFY go out in the audit
        # entry's statement (links, rare, refer to the package row: not then). The head
        # row is then locked while that one statement runs, and until the commit that
        # follows it at once.
        prelude = (
            None
            if links
            else uow.hub.intake_writes(package, deliveries, woken, push=bool(plan.pushed))
        )
        if prelude is None:
            uow.hub.add_package(package)
            uow.hub.add_deliveries(deliveries)
            uow.hub.add_links(links)
        data: dict[str, object] = {
            "kind": facts.kind.value,
            "sha256": sha256,
            "size": size,
            "sender": facts.sender_code,
            "document_id": facts.document_id,
            "deliveries": [[ref.delivery_id, ref.recipient] for ref in refs],
        }
        if facts.status_code:
            data["status_code"] = facts.status_code
        if kind is not None and links:
            data["links"] = {kind.value: plan.links}
        if prelude is None:
            # NOTIFY is delivered at commit; sent before the audit entry, which comes last
            # so that the audit head row stays locked as briefly as possible.
            uow.hub.notify(woken, push=bool(plan.pushed))
        self._audit.append(uow, [("intake", system_id, package_id, data)], now, prelude=prelude)
        return IntakeResult(
            package_id=package_id,
            kind=facts.kind,
            document_id=facts.document_id,
            sha256=sha256,
            duplicate=False,
            deliveries=tuple(refs),
        )


def _listed(found: dict[str, ResolvedAgency], codes: list[str]) -> list[Recipient]:
    """The recipients ``codes`` name, in order, from the agencies they resolved to
    (identifier key → agency); an unknown one refuses the whole package."""
    out: list[Recipient] = []
    for code in codes:
        agency = found.get(identifier_key(code))
        if agency is None:
            raise RoutingError(
                f"recipient {code} is not in the directory",
                code="recipient.unknown",
                recipient=code,
            )
        out.append(Recipient(agency.agency_id, code, agency.locked))
    return out


def _check_trace(facts: PackageFacts) -> None:
    """A trace the hub can hand on: every receiver gets it in one response header."""
    if len(facts.trace) > MAX_TRACE:
        raise LimitExceeded(
            f"the package carries {len(facts.trace)} TraceHeaders; at most {MAX_TRACE}",
            code="package.limit.trace",
            limit=MAX_TRACE,
        )
    if any(len(entry.organ_id) > MAX_TRACE_ORGAN for entry in facts.trace):
        raise LimitExceeded(
            f"a TraceHeader's OrganId is longer than {MAX_TRACE_ORGAN} characters",
            code="package.limit.trace",
            limit=MAX_TRACE_ORGAN,
        )
