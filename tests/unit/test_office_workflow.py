"""The outgoing and incoming state machines: every (state, action) pair, legal or not."""

from __future__ import annotations

import itertools

import pytest

from lienthong.errors import PermissionDenied, WorkflowError
from lienthong.office.model import Actor, Role
from lienthong.office.workflow import (
    INCOMING,
    INCOMING_STATUS,
    OUTGOING,
    IncomingAction,
    IncomingState,
    OutgoingAction,
    OutgoingState,
    incoming_actions,
    incoming_step,
    outgoing_actions,
    outgoing_step,
)

OS, OA = OutgoingState, OutgoingAction
IS, IA = IncomingState, IncomingAction

#: The whole outgoing machine, written out independently of the table under test.
EXPECTED_OUTGOING = {
    (OS.DRAFT, OA.EDIT): OS.DRAFT,
    (OS.DRAFT, OA.COMMENT): OS.DRAFT,
    (OS.DRAFT, OA.SUBMIT): OS.IN_REVIEW,
    (OS.DRAFT, OA.CANCEL): OS.CANCELLED,
    (OS.IN_REVIEW, OA.COMMENT): OS.IN_REVIEW,
    (OS.IN_REVIEW, OA.RETURN): OS.DRAFT,
    (OS.IN_REVIEW, OA.SIGN): OS.SIGNED,
    (OS.IN_REVIEW, OA.CANCEL): OS.CANCELLED,
    (OS.SIGNED, OA.ISSUE): OS.REGISTERED,
    (OS.REGISTERED, OA.AGENCY_SIGN): OS.READY_TO_DISPATCH,
    (OS.REGISTERED, OA.HAND_OVER): OS.HANDED_OVER,
    (OS.READY_TO_DISPATCH, OA.DISPATCH): OS.DISPATCHED,
    (OS.DISPATCHED, OA.REQUEST_RECALL): OS.RECALL_REQUESTED,
    (OS.RECALL_REQUESTED, OA.RECALL_AGREED): OS.RECALLED,
    (OS.RECALL_REQUESTED, OA.RECALL_REFUSED): OS.DISPATCHED,
    (OS.DISPATCHED, OA.REQUEST_UPDATE): OS.UPDATE_REQUESTED,
    (OS.UPDATE_REQUESTED, OA.UPDATE_SENT): OS.DISPATCHED,
    (OS.DISPATCHED, OA.REQUEST_REPLACE): OS.REPLACE_REQUESTED,
    (OS.REPLACE_REQUESTED, OA.REPLACEMENT_SENT): OS.REPLACED,
}

RECALLABLE = (IS.RECEIVED, IS.REGISTERED, IS.ASSIGNED, IS.IN_PROGRESS, IS.FINISHED)
EXPECTED_INCOMING = {
    (IS.RECEIVED, IA.ACCEPT): IS.REGISTERED,
    (IS.RECEIVED, IA.REJECT): IS.REJECTED,
    (IS.REGISTERED, IA.ASSIGN): IS.ASSIGNED,
    (IS.ASSIGNED, IA.ASSIGN): IS.ASSIGNED,
    (IS.IN_PROGRESS, IA.ASSIGN): IS.IN_PROGRESS,
    (IS.ASSIGNED, IA.PROGRESS): IS.IN_PROGRESS,
    (IS.IN_PROGRESS, IA.PROGRESS): IS.IN_PROGRESS,
    (IS.ASSIGNED, IA.FINISH): IS.FINISHED,
    (IS.IN_PROGRESS, IA.FINISH): IS.FINISHED,
    **{(s, IA.RECALL_RECEIVED): IS.RECALL_REQUESTED for s in RECALLABLE},
    (IS.RECALL_REQUESTED, IA.AGREE_RECALL): IS.CANCELLED,
}

EVERYONE = Actor(1, 1, frozenset(Role))


def test_the_tables_are_exactly_the_expected_machines() -> None:
    assert {k: t.to for k, t in OUTGOING.items()} == EXPECTED_OUTGOING
    incoming = {k: t.to for k, t in INCOMING.items()}
    assert incoming.pop((IS.RECALL_REQUESTED, IA.REFUSE_RECALL)) is None
    assert incoming == EXPECTED_INCOMING


@pytest.mark.parametrize(("state", "action"), list(itertools.product(OS, OA)))
def test_every_outgoing_pair(state: OutgoingState, action: OutgoingAction) -> None:
    expected = EXPECTED_OUTGOING.get((state, action))
    if expected is not None:
        assert outgoing_step(state, action, EVERYONE) is expected
        return
    with pytest.raises(WorkflowError) as exc:
        outgoing_step(state, action, EVERYONE)
    assert exc.value.code == "workflow.illegal_transition"
    assert exc.value.http_status == 409
    assert f"cannot {action.value}" in exc.value.message
    assert repr(state.value) in exc.value.message
    assert exc.value.details == {"state": state.value, "action": action.value}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(IS, IA)))
def test_every_incoming_pair(state: IncomingState, action: IncomingAction) -> None:
    if (state, action) == (IS.RECALL_REQUESTED, IA.REFUSE_RECALL):
        assert incoming_step(state, action, EVERYONE, IS.ASSIGNED) is IS.ASSIGNED
        return
    expected = EXPECTED_INCOMING.get((state, action))
    if expected is not None:
        assert incoming_step(state, action, EVERYONE) is expected
        return
    with pytest.raises(WorkflowError) as exc:
        incoming_step(state, action, EVERYONE)
    assert exc.value.code == "workflow.illegal_transition"
    assert exc.value.details == {"state": state.value, "action": action.value}


def test_a_refused_recall_needs_the_earlier_state() -> None:
    with pytest.raises(WorkflowError) as exc:
        incoming_step(IS.RECALL_REQUESTED, IA.REFUSE_RECALL, EVERYONE, None)
    assert exc.value.code == "workflow.no_previous_state"


def test_the_message_lists_what_is_possible() -> None:
    with pytest.raises(WorkflowError) as exc:
        outgoing_step(OS.SIGNED, OA.DISPATCH, EVERYONE)
    assert "possible: issue" in exc.value.message
    with pytest.raises(WorkflowError) as exc:
        outgoing_step(OS.RECALLED, OA.DISPATCH, EVERYONE)
    assert "no action is possible" in exc.value.message


def _actor(*roles: Role) -> Actor:
    return Actor(1, 1, frozenset(roles))


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        (OS.IN_REVIEW, OA.SIGN, {Role.LEADER}),
        (OS.SIGNED, OA.ISSUE, {Role.CLERK}),
        (OS.REGISTERED, OA.AGENCY_SIGN, {Role.CLERK}),
        (OS.READY_TO_DISPATCH, OA.DISPATCH, {Role.CLERK, Role.SYSTEM}),
        (OS.RECALL_REQUESTED, OA.RECALL_AGREED, {Role.SYSTEM}),
        (OS.DRAFT, OA.SUBMIT, {Role.SPECIALIST, Role.LEADER, Role.CLERK}),
    ],
)
def test_outgoing_roles(state: OutgoingState, action: OutgoingAction, allowed: set[Role]) -> None:
    for role in Role:
        if role in allowed:
            assert outgoing_step(state, action, _actor(role)) is EXPECTED_OUTGOING[(state, action)]
        else:
            with pytest.raises(PermissionDenied) as exc:
                outgoing_step(state, action, _actor(role))
            assert exc.value.code == "office.forbidden_role"


@pytest.mark.parametrize(
    ("state", "action", "allowed"),
    [
        (IS.RECEIVED, IA.ACCEPT, {Role.CLERK}),
        (IS.RECEIVED, IA.REJECT, {Role.CLERK}),
        (IS.REGISTERED, IA.ASSIGN, {Role.LEADER}),
        (IS.ASSIGNED, IA.PROGRESS, {Role.SPECIALIST, Role.LEADER, Role.CLERK}),
        (IS.FINISHED, IA.RECALL_RECEIVED, {Role.SYSTEM}),
        (IS.RECALL_REQUESTED, IA.AGREE_RECALL, {Role.CLERK}),
    ],
)
def test_incoming_roles(state: IncomingState, action: IncomingAction, allowed: set[Role]) -> None:
    for role in Role:
        if role in allowed:
            incoming_step(state, action, _actor(role))
        else:
            with pytest.raises(PermissionDenied):
                incoming_step(state, action, _actor(role))


def test_a_specialist_cannot_accept() -> None:
    with pytest.raises(PermissionDenied) as exc:
        incoming_step(IS.RECEIVED, IA.ACCEPT, _actor(Role.SPECIALIST))
    assert exc.value.code == "office.forbidden_role"
    assert "clerk" in exc.value.message


def test_available_actions_follow_roles() -> None:
    assert outgoing_actions(OS.IN_REVIEW, _actor(Role.SPECIALIST)) == [OA.COMMENT, OA.CANCEL]
    assert outgoing_actions(OS.IN_REVIEW, _actor(Role.LEADER)) == [
        OA.COMMENT,
        OA.RETURN,
        OA.SIGN,
        OA.CANCEL,
    ]
    assert incoming_actions(IS.RECEIVED, _actor(Role.CLERK)) == [IA.ACCEPT, IA.REJECT]
    assert incoming_actions(IS.RECEIVED, _actor(Role.LEADER)) == []


def test_each_incoming_action_reports_its_status_code() -> None:
    assert {a: s.value for a, s in INCOMING_STATUS.items()} == {
        IA.REJECT: "02",
        IA.ACCEPT: "03",
        IA.ASSIGN: "04",
        IA.PROGRESS: "05",
        IA.FINISH: "06",
        IA.AGREE_RECALL: "15",
        IA.REFUSE_RECALL: "16",
    }
