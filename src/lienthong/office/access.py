"""Who may see and do what: the access rules every office use case applies.

- **Agency isolation.** An actor works in one agency; documents of any other agency do not
  exist for them (:class:`~lienthong.errors.NotFound`, never "forbidden", so that ids leak
  nothing).
- **Roles.** A use case names the roles it needs; an actor without one gets
  :class:`~lienthong.errors.PermissionDenied` ``office.forbidden_role``.
- **Confidential documents** (Mật, Tối mật, Tuyệt mật) are visible only to the people on
  the document's access list: for an outgoing one the drafter, the designated signer,
  anyone they grant it to, and the clerk who issues it (a clerk can only issue it once
  granted); for an incoming one the clerk who registered it, the leader who assigned it
  and its handlers. The ``system`` and ``operator`` actors never see them.
"""

from __future__ import annotations

from lienthong.db.uow import UnitOfWork
from lienthong.errors import NotFound, PermissionDenied
from lienthong.office.documents import IncomingDocument, OutgoingDocument
from lienthong.office.model import Actor, Role


def require_roles(actor: Actor, *roles: Role, action: str) -> None:
    """Refuse an actor who holds none of ``roles``."""
    if not actor.has(*roles):
        wanted = ", ".join(sorted(r.value for r in roles))
        raise PermissionDenied(
            f"{action} needs the role {wanted}", code="office.forbidden_role", action=action
        )


def agency_of(actor: Actor) -> int:
    """The agency the actor works in (the operator has none and cannot act on documents)."""
    if actor.agency_id is None:
        raise PermissionDenied(
            "this action is done inside an agency", code="office.no_agency", action="documents"
        )
    return actor.agency_id


def require_admin_of(actor: Actor, agency_id: int, *, action: str) -> None:
    """The operator, or an administrator of ``agency_id``."""
    if actor.has(Role.OPERATOR):
        return
    if actor.agency_id != agency_id:
        raise NotFound(f"no agency {agency_id}", code="office.agency_unknown")
    require_roles(actor, Role.ADMIN, action=action)


def require_member_of(actor: Actor, agency_id: int) -> None:
    """The operator, or anyone working in ``agency_id``."""
    if actor.has(Role.OPERATOR):
        return
    if actor.agency_id != agency_id:
        raise NotFound(f"no agency {agency_id}", code="office.agency_unknown")


def can_see(uow: UnitOfWork, actor: Actor, kind: str, doc_id: int, secret: bool) -> bool:
    """Whether ``actor`` may see a document of their agency."""
    if not secret:
        return True
    if actor.user_id is None:
        return False
    return uow.office.trail.has_access("out" if kind == "out" else "in", doc_id, actor.user_id)


def visible_outgoing(uow: UnitOfWork, actor: Actor, doc_id: int) -> OutgoingDocument:
    """The outgoing document if the actor may see it, else :class:`NotFound`."""
    doc = uow.office.outgoing.find(agency_of(actor), doc_id)
    if doc is None or not can_see(uow, actor, "out", doc.id, doc.confidentiality.secret):
        raise NotFound(f"no outgoing document {doc_id}", code="office.document_unknown")
    return doc


def visible_incoming(uow: UnitOfWork, actor: Actor, doc_id: int) -> IncomingDocument:
    """The incoming document if the actor may see it, else :class:`NotFound`."""
    doc = uow.office.incoming.find(agency_of(actor), doc_id)
    if doc is None or not can_see(uow, actor, "in", doc.id, doc.confidentiality.secret):
        raise NotFound(f"no incoming document {doc_id}", code="office.document_unknown")
    return doc
