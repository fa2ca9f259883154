"""Model → wire: the hub's records as the API's JSON bodies (:mod:`lienthong.hub.schemas`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from lienthong.directory.model import Agency
from lienthong.hub import model as hm
from lienthong.hub import records as hr
from lienthong.hub import schemas as s
from lienthong.hub.audit_chain import AuditVerification


def kind(value: hm.PackageKind) -> s.PackageKind:
    return "document" if value is hm.PackageKind.DOCUMENT else "status"


def state(value: hm.DeliveryState) -> s.TransportState:
    return value.value


def send_result(result: hr.IntakeResult) -> s.SendResult:
    return s.SendResult(
        package_id=result.package_id,
        kind=kind(result.kind),
        document_id=result.document_id,
        sha256=result.sha256,
        duplicate=result.duplicate,
        deliveries=[
            s.DeliveryRef(delivery_id=d.delivery_id, recipient=d.recipient)
            for d in result.deliveries
        ],
    )


def delivery(item: hr.Delivery) -> s.DeliveryItem:
    return s.DeliveryItem(
        delivery_id=item.delivery_id,
        package_id=item.package_id,
        kind=kind(item.kind),
        sender=item.sender,
        recipient=item.recipient,
        document_id=item.document_id,
        sha256=item.sha256,
        size=item.size,
        status_code=item.status_code,
        state=state(item.state),
        received_at=item.received_at,
        lease_until=item.lease_until,
        attempts=item.attempts,
    )


def ack(result: hr.AckResult) -> s.AckResult:
    return s.AckResult(
        delivery_id=result.delivery_id, state=state(result.state), lease_until=result.lease_until
    )


def trace(entries: Sequence[hr.TraceEntry]) -> list[dict[str, str]]:
    return [{"organ_id": e.organ_id, "timestamp": e.timestamp.isoformat()} for e in entries]


def _status(entry: hr.StatusEntry) -> s.StatusEntry:
    return s.StatusEntry(
        code=entry.code,
        timestamp=entry.timestamp,
        description=entry.description,
        reporter=entry.reporter,
        package_id=entry.package_id,
    )


def tracking(report: hr.PackageTracking) -> s.TrackingReport:
    return s.TrackingReport(
        package_id=report.package_id,
        document_id=report.document_id,
        kind=kind(report.kind),
        sender=report.sender,
        received_at=report.received_at,
        recipients=[
            s.RecipientTracking(
                recipient=r.recipient,
                delivery_id=r.delivery_id,
                state=state(r.state),
                claimed_at=r.claimed_at,
                acknowledged_at=r.acknowledged_at,
                latest_status=_status(r.latest_status) if r.latest_status else None,
                history=[_status(h) for h in r.history],
            )
            for r in report.recipients
        ],
    )


def links(document_id: str, found: Sequence[hr.DocumentLink]) -> s.DocumentLinks:
    return s.DocumentLinks(
        document_id=document_id,
        links=[
            s.DocumentLink(
                relation=link.relation,  # type: ignore[arg-type]  # one of RELATIONS
                document_id=link.document_id,
                package_id=link.package_id,
                linked_at=link.linked_at,
            )
            for link in found
        ],
    )


def agency(item: Agency, parents: Mapping[int, str]) -> s.DirectoryAgency:
    agency_state: Literal["active", "locked"] = "active" if item.is_active else "locked"
    return s.DirectoryAgency(
        qcvn_id=item.qcvn_id,
        qd20_id=item.qd20_id,
        aliases=list(item.aliases),
        name=item.name,
        short_name=item.short_name,
        parent=parents.get(item.parent_id) if item.parent_id is not None else None,
        contact=s.ContactInfo(
            address=item.contact.address,
            email=item.contact.email,
            telephone=item.contact.telephone,
            fax=item.contact.fax,
            website=item.contact.website,
        ),
        state=agency_state,
        version=item.version,
    )


def system(item: hr.System) -> s.SystemInfo:
    return s.SystemInfo(
        system_id=item.system_id,
        name=item.name,
        agencies=list(item.agencies),
        state="active" if item.is_active else "locked",
        webhook_url=item.webhook_url,
    )


def certificate(item: hr.AgencyCertificate) -> s.AgencyCertificate:
    return s.AgencyCertificate(
        agency=item.agency,
        fingerprint_sha256=item.fingerprint,
        subject=item.subject,
        not_before=item.not_before,
        not_after=item.not_after,
    )


def audit_report(report: AuditVerification) -> s.AuditReport:
    return s.AuditReport(
        ok=report.ok,
        entries=report.entries,
        checkpoints=report.checkpoints,
        problems=[
            s.AuditProblem(seq=p.seq, kind=p.kind, message=p.message)  # type: ignore[arg-type]
            for p in sorted(report.problems, key=lambda p: p.seq)
        ],
    )


def queues(stats: Sequence[hr.QueueStats]) -> s.QueuesReport:
    return s.QueuesReport(
        queues=[
            s.QueueStats(
                agency=q.agency,
                pending=q.pending,
                leased=q.leased,
                failed=q.failed,
                oldest_pending_at=q.oldest_pending_at,
            )
            for q in stats
        ]
    )
