"""Dispatch outside the exchange network: paper and e-mail recipients.

Recipients that the hub cannot reach (businesses, citizens, agencies outside the network)
get the issued document by post, by hand or by e-mail. The clerk records each such
dispatch here, so the register's "date handed over" column and the sender's tracking are
complete for every recipient, not only the hub's.
"""

from __future__ import annotations

from collections.abc import Callable

from lienthong.db.uow import UnitOfWork
from lienthong.errors import NotFound, ValidationError, WorkflowError
from lienthong.office.access import require_roles, visible_outgoing
from lienthong.office.documents import Channel, DispatchState, OutgoingDocument
from lienthong.office.model import Actor, Role
from lienthong.office.workflow import OutgoingState

#: States in which an issued document can be sent to its paper and e-mail recipients.
ISSUED_STATES = frozenset(
    {
        OutgoingState.REGISTERED,
        OutgoingState.READY_TO_DISPATCH,
        OutgoingState.DISPATCHED,
        OutgoingState.HANDED_OVER,
    }
)


class HandoverService:
    """Records that a paper or e-mail recipient was sent the issued document."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    def record_sent(
        self, actor: Actor, doc_id: int, recipient_id: int, *, note: str | None = None
    ) -> OutgoingDocument:
        """Mark ``recipient_id`` of ``doc_id`` as sent on paper or by e-mail (clerk only)."""
        require_roles(actor, Role.CLERK, action="record a paper or e-mail dispatch")
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            if doc.state not in ISSUED_STATES:
                raise WorkflowError(
                    f"document {doc.id} is {doc.state.value}: only an issued document is sent",
                    code="workflow.not_issued",
                )
            recipient = next((r for r in doc.recipients if r.id == recipient_id), None)
            if recipient is None:
                raise NotFound(
                    f"recipient {recipient_id} is not on document {doc.id}",
                    code="office.recipient_unknown",
                )
            if recipient.channel is Channel.HUB:
                raise ValidationError(
                    f"{recipient.name} is reached through the hub: the dispatcher sends it",
                    code="office.recipient_on_hub",
                )
            if recipient.dispatch_state is DispatchState.SENT:
                return doc  # recording the same dispatch twice changes nothing
            now = uow.clock.now()
            uow.office.outgoing.update_recipient(
                doc.id,
                recipient.id,
                dispatch_state=DispatchState.SENT.value,
                dispatched_at=now,
                dispatch_error=None,
            )
            how = "bưu chính/trao tay" if recipient.channel is Channel.PAPER else "thư điện tử"
            uow.office.trail.record(
                "out",
                doc.id,
                agency_id=doc.agency_id,
                actor=actor,
                action="offline_dispatch",
                from_state=None,
                to_state=None,
                note=f"{recipient.name} ({how})" + (f": {note.strip()}" if note else ""),
            )
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)
