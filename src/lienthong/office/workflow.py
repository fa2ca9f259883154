"""The outgoing and incoming workflows as plain state machines.

Each machine is a table: ``(state, action) → Transition(to, roles)``. A pair that is not in
the table is illegal and :func:`outgoing_step` / :func:`incoming_step` refuse it with a
:class:`~lienthong.errors.WorkflowError` (``workflow.illegal_transition``); an actor
without one of the transition's roles gets :class:`~lienthong.errors.PermissionDenied`
(``office.forbidden_role``). Rules about the document itself (a confidential document is
never dispatched, a reason is required…) are checked by the services, with their own
``workflow.*`` codes. ``docs/office.md`` draws both machines.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lienthong.edxml.model import StatusCode
from lienthong.errors import PermissionDenied, WorkflowError
from lienthong.office.model import Actor, Role


class OutgoingState(enum.StrEnum):
    """States of an outgoing document (văn bản đi)."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    SIGNED = "signed"
    #: Numbered, given its issue time and entered in the outgoing register (one step).
    REGISTERED = "registered"
    READY_TO_DISPATCH = "ready_to_dispatch"
    DISPATCHED = "dispatched"
    #: Sent outside the exchange network (paper, confidential, external recipients only).
    HANDED_OVER = "handed_over"
    RECALL_REQUESTED = "recall_requested"
    RECALLED = "recalled"
    UPDATE_REQUESTED = "update_requested"
    REPLACE_REQUESTED = "replace_requested"
    REPLACED = "replaced"
    CANCELLED = "cancelled"


class OutgoingAction(enum.StrEnum):
    EDIT = "edit"
    COMMENT = "comment"
    SUBMIT = "submit"
    RETURN = "return"
    SIGN = "sign"
    ISSUE = "issue"
    AGENCY_SIGN = "agency_sign"
    HAND_OVER = "hand_over"
    DISPATCH = "dispatch"
    REQUEST_RECALL = "request_recall"
    RECALL_AGREED = "recall_agreed"
    RECALL_REFUSED = "recall_refused"
    REQUEST_UPDATE = "request_update"
    UPDATE_SENT = "update_sent"
    REQUEST_REPLACE = "request_replace"
    REPLACEMENT_SENT = "replacement_sent"
    CANCEL = "cancel"


class IncomingState(enum.StrEnum):
    """States of an incoming document (văn bản đến); the status code each one reports."""

    RECEIVED = "received"  # 01
    REJECTED = "rejected"  # 02
    REGISTERED = "registered"  # 03
    ASSIGNED = "assigned"  # 04
    IN_PROGRESS = "in_progress"  # 05
    FINISHED = "finished"  # 06
    RECALL_REQUESTED = "recall_requested"  # 13 received
    CANCELLED = "cancelled"  # 15 sent


class IncomingAction(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    ASSIGN = "assign"
    PROGRESS = "progress"
    FINISH = "finish"
    RECALL_RECEIVED = "recall_received"
    AGREE_RECALL = "agree_recall"
    REFUSE_RECALL = "refuse_recall"


@dataclass(frozen=True, slots=True)
class Transition:
    """Where an action leads and who may take it. ``to=None``: back to the state the
    document was in before the pending request (a refused recall)."""

    to: str | None
    roles: frozenset[Role]


_S, _OA = OutgoingState, OutgoingAction
_DRAFTERS = frozenset({Role.SPECIALIST, Role.LEADER, Role.CLERK})
_LEADER = frozenset({Role.LEADER})
_CLERK = frozenset({Role.CLERK})
_SYSTEM = frozenset({Role.SYSTEM})
_SENDERS = frozenset({Role.LEADER, Role.CLERK})


def _t(to: str | None, roles: frozenset[Role]) -> Transition:
    return Transition(to, roles)


OUTGOING: Mapping[tuple[OutgoingState, OutgoingAction], Transition] = MappingProxyType(
    {
        (_S.DRAFT, _OA.EDIT): _t(_S.DRAFT, _DRAFTERS),
        (_S.DRAFT, _OA.COMMENT): _t(_S.DRAFT, _DRAFTERS),
        (_S.DRAFT, _OA.SUBMIT): _t(_S.IN_REVIEW, _DRAFTERS),
        (_S.DRAFT, _OA.CANCEL): _t(_S.CANCELLED, _DRAFTERS),
        (_S.IN_REVIEW, _OA.COMMENT): _t(_S.IN_REVIEW, _DRAFTERS),
        (_S.IN_REVIEW, _OA.RETURN): _t(_S.DRAFT, _LEADER),
        (_S.IN_REVIEW, _OA.SIGN): _t(_S.SIGNED, _LEADER),
        (_S.IN_REVIEW, _OA.CANCEL): _t(_S.CANCELLED, _DRAFTERS),
        (_S.SIGNED, _OA.ISSUE): _t(_S.REGISTERED, _CLERK),
        (_S.REGISTERED, _OA.AGENCY_SIGN): _t(_S.READY_TO_DISPATCH, _CLERK),
        (_S.REGISTERED, _OA.HAND_OVER): _t(_S.HANDED_OVER, _CLERK),
        (_S.READY_TO_DISPATCH, _OA.DISPATCH): _t(_S.DISPATCHED, _CLERK | _SYSTEM),
        (_S.DISPATCHED, _OA.REQUEST_RECALL): _t(_S.RECALL_REQUESTED, _SENDERS),
        (_S.RECALL_REQUESTED, _OA.RECALL_AGREED): _t(_S.RECALLED, _SYSTEM),
        (_S.RECALL_REQUESTED, _OA.RECALL_REFUSED): _t(_S.DISPATCHED, _SYSTEM),
        (_S.DISPATCHED, _OA.REQUEST_UPDATE): _t(_S.UPDATE_REQUESTED, _SENDERS),
        (_S.UPDATE_REQUESTED, _OA.UPDATE_SENT): _t(_S.DISPATCHED, _CLERK | _SYSTEM),
        (_S.DISPATCHED, _OA.REQUEST_REPLACE): _t(_S.REPLACE_REQUESTED, _SENDERS),
        (_S.REPLACE_REQUESTED, _OA.REPLACEMENT_SENT): _t(_S.REPLACED, _CLERK | _SYSTEM),
    }
)

_I, _IA = IncomingState, IncomingAction
_HANDLERS = frozenset({Role.SPECIALIST, Role.LEADER, Role.CLERK})
_RECALLABLE = (_I.RECEIVED, _I.REGISTERED, _I.ASSIGNED, _I.IN_PROGRESS, _I.FINISHED)

INCOMING: Mapping[tuple[IncomingState, IncomingAction], Transition] = MappingProxyType(
    {
        (_I.RECEIVED, _IA.ACCEPT): _t(_I.REGISTERED, _CLERK),
        (_I.RECEIVED, _IA.REJECT): _t(_I.REJECTED, _CLERK),
        (_I.REGISTERED, _IA.ASSIGN): _t(_I.ASSIGNED, _LEADER),
        (_I.ASSIGNED, _IA.ASSIGN): _t(_I.ASSIGNED, _LEADER),
        (_I.IN_PROGRESS, _IA.ASSIGN): _t(_I.IN_PROGRESS, _LEADER),
        (_I.ASSIGNED, _IA.PROGRESS): _t(_I.IN_PROGRESS, _HANDLERS),
        (_I.IN_PROGRESS, _IA.PROGRESS): _t(_I.IN_PROGRESS, _HANDLERS),
        (_I.ASSIGNED, _IA.FINISH): _t(_I.FINISHED, _HANDLERS),
        (_I.IN_PROGRESS, _IA.FINISH): _t(_I.FINISHED, _HANDLERS),
        **{(s, _IA.RECALL_RECEIVED): _t(_I.RECALL_REQUESTED, _SYSTEM) for s in _RECALLABLE},
        (_I.RECALL_REQUESTED, _IA.AGREE_RECALL): _t(_I.CANCELLED, _CLERK),
        (_I.RECALL_REQUESTED, _IA.REFUSE_RECALL): _t(None, _CLERK),
    }
)

#: The status an incoming action reports to the sender (01 is sent on arrival).
INCOMING_STATUS: Mapping[IncomingAction, StatusCode] = MappingProxyType(
    {
        _IA.REJECT: StatusCode.REJECTED,
        _IA.ACCEPT: StatusCode.ACCEPTED,
        _IA.ASSIGN: StatusCode.ASSIGNED,
        _IA.PROGRESS: StatusCode.IN_PROGRESS,
        _IA.FINISH: StatusCode.FINISHED,
        _IA.AGREE_RECALL: StatusCode.REQUEST_AGREED,
        _IA.REFUSE_RECALL: StatusCode.REQUEST_REFUSED,
    }
)

#: The incoming state each status code stands for (what a sender sees in tracking).
STATUS_OF_STATE: Mapping[IncomingState, StatusCode] = MappingProxyType(
    {
        _I.RECEIVED: StatusCode.ARRIVED,
        _I.REJECTED: StatusCode.REJECTED,
        _I.REGISTERED: StatusCode.ACCEPTED,
        _I.ASSIGNED: StatusCode.ASSIGNED,
        _I.IN_PROGRESS: StatusCode.IN_PROGRESS,
        _I.FINISHED: StatusCode.FINISHED,
        _I.RECALL_REQUESTED: StatusCode.TAKE_BACK_REQUEST,
        _I.CANCELLED: StatusCode.REQUEST_AGREED,
    }
)

#: Incoming states where nothing more happens (for overdue checks).
INCOMING_CLOSED = frozenset({_I.REJECTED, _I.FINISHED, _I.CANCELLED})
#: Outgoing states after which the document is in the outgoing register.
OUTGOING_REGISTERED = frozenset(s for s in OutgoingState) - {
    _S.DRAFT,
    _S.IN_REVIEW,
    _S.SIGNED,
    _S.CANCELLED,
}


def _step(
    table: Mapping[tuple[str, str], Transition],
    kind: str,
    state: str,
    action: str,
    *,
    actor: Actor,
    previous: str | None,
) -> str:
    transition = table.get((state, action))
    if transition is None:
        legal = sorted(a for (s, a) in table if s == state)
        raise WorkflowError(
            f"cannot {action} an {kind} document in state {state!r}"
            + (f" (possible: {', '.join(legal)})" if legal else " (no action is possible)"),
            code="workflow.illegal_transition",
            state=state,
            action=action,
        )
    if not actor.roles & transition.roles:
        wanted = ", ".join(sorted(r.value for r in transition.roles))
        raise PermissionDenied(
            f"{action} needs the role {wanted}", code="office.forbidden_role", action=action
        )
    if transition.to is not None:
        return transition.to
    if previous is None:
        raise WorkflowError(
            f"the {kind} document has no earlier state to return to",
            code="workflow.no_previous_state",
        )
    return previous


def outgoing_step(state: OutgoingState, action: OutgoingAction, actor: Actor) -> OutgoingState:
    """The state ``action`` leads to, or an error (see the module docstring)."""
    table: Mapping[tuple[str, str], Transition] = OUTGOING  # type: ignore[assignment]
    return OutgoingState(_step(table, "outgoing", state, action, actor=actor, previous=None))


def incoming_step(
    state: IncomingState,
    action: IncomingAction,
    actor: Actor,
    previous: IncomingState | None = None,
) -> IncomingState:
    """The state ``action`` leads to; ``previous`` is the state before a pending recall."""
    table: Mapping[tuple[str, str], Transition] = INCOMING  # type: ignore[assignment]
    return IncomingState(_step(table, "incoming", state, action, actor=actor, previous=previous))


def outgoing_actions(state: OutgoingState, actor: Actor) -> list[OutgoingAction]:
    """The actions ``actor`` may take now (for UIs: which buttons to show)."""
    return [a for (s, a), t in OUTGOING.items() if s == state and actor.roles & t.roles]


def incoming_actions(state: IncomingState, actor: Actor) -> list[IncomingAction]:
    """The actions ``actor`` may take now."""
    return [a for (s, a), t in INCOMING.items() if s == state and actor.roles & t.roles]
