"""Use cases of the agency directory: register, update, lock, aliases, and the reads.

Each call runs in its own unit of work and commits only when every rule passed. Agencies
are named by any of their identifiers (QCVN 102, QĐ 20 or alias); internal ids stay inside.

When a new agency is registered without a parent, its parent is inferred from the
structure of its official ids: the nearest ancestor id (``000.00.01.H08`` →
``000.00.00.H08``; ``H37.DN.001`` → ``H37.DN``) that the directory knows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from lienthong.db.uow import UnitOfWork
from lienthong.directory import rules
from lienthong.directory.model import (
    UNSET,
    Agency,
    AgencyDraft,
    AgencyPatch,
    AgencyState,
    Unset,
)
from lienthong.edxml.agency_id import AgencyId, AgencyIdForm
from lienthong.errors import ValidationError

_T = TypeVar("_T")

#: Told of every change inside its unit of work, before the commit: (uow, action, actor,
#: agency as changed, details). The hub appends it to its audit log (docs/hub.md).
ChangeRecorder = Callable[[UnitOfWork, str, str, Agency, dict[str, Any]], None]
#: Who changed the directory when the caller does not say (the operators' CLI).
DEFAULT_ACTOR = "cli"


class DirectoryService:
    """The agency directory's use cases over a unit-of-work factory."""

    def __init__(
        self, uow_factory: Callable[[], UnitOfWork], *, on_change: ChangeRecorder | None = None
    ) -> None:
        self._uow = uow_factory
        #: Set by the hub, which records every change in its audit log.
        self.on_change = on_change

    def _changed(
        self, uow: UnitOfWork, action: str, actor: str, agency: Agency, details: dict[str, Any]
    ) -> Agency:
        if self.on_change is not None:
            self.on_change(uow, action, actor, agency, details)
        return agency

    # -- changes ---------------------------------------------------------------------------

    def register(self, draft: AgencyDraft, *, actor: str = DEFAULT_ACTOR) -> Agency:
        """Add an agency; :class:`ValidationError` for bad input, ``Conflict`` for a taken id."""
        name = rules.clean_name(draft.name)
        qcvn = rules.clean_official_id(draft.qcvn_id, form=AgencyIdForm.QCVN102, field="qcvn_id")
        qd20 = rules.clean_official_id(draft.qd20_id, form=AgencyIdForm.QD20, field="qd20_id")
        if qcvn is None and qd20 is None:
            raise ValidationError(
                "an agency needs a QCVN 102 id or a Decision 20 id (or both)",
                code="directory.missing_id",
                field="qcvn_id",
            )
        aliases = tuple(rules.clean_alias(alias) for alias in draft.aliases)
        contact = rules.clean_contact(draft.contact)
        short_name = rules.clean_text(
            draft.short_name, field="short_name", max_length=rules.MAX_SHORT_NAME
        )
        with self._uow() as uow:
            if draft.parent is not None:
                parent_id: int | None = _resolve_parent(uow, draft.parent).id
            else:
                parent_id = _structural_parent(uow, qcvn, qd20)
            agency = uow.agencies.add(
                name=name,
                qcvn_id=qcvn.value if qcvn else None,
                qd20_id=qd20.value if qd20 else None,
                short_name=short_name,
                parent_id=parent_id,
                contact=contact,
                aliases=aliases,
            )
            self._changed(uow, "agency.add", actor, agency, _summary(agency))
            uow.commit()
            return agency

    def update(self, identifier: str, patch: AgencyPatch, *, actor: str = DEFAULT_ACTOR) -> Agency:
        """Change an agency's fields; unchanged fields keep their value (and its version)."""
        name = UNSET if patch.name is UNSET else rules.clean_name(patch.name)
        short_name = _optional(
            patch.short_name,
            lambda v: rules.clean_text(v, field="short_name", max_length=rules.MAX_SHORT_NAME),
        )
        qcvn = _optional(
            patch.qcvn_id,
            lambda v: _value(
                rules.clean_official_id(v, form=AgencyIdForm.QCVN102, field="qcvn_id")
            ),
        )
        qd20 = _optional(
            patch.qd20_id,
            lambda v: _value(rules.clean_official_id(v, form=AgencyIdForm.QD20, field="qd20_id")),
        )
        with self._uow() as uow:
            current = uow.agencies.resolve(identifier)
            final_qcvn = current.qcvn_id if qcvn is UNSET else qcvn
            final_qd20 = current.qd20_id if qd20 is UNSET else qd20
            if final_qcvn is None and final_qd20 is None:
                raise ValidationError(
                    "an agency cannot lose both its QCVN 102 and its Decision 20 id",
                    code="directory.missing_id",
                    field="qcvn_id",
                )
            parent_id: int | Unset | None = UNSET
            if patch.parent is None:
                parent_id = None
            elif patch.parent is not UNSET:
                parent = _resolve_parent(uow, patch.parent)
                _check_no_cycle(uow, current, parent)
                parent_id = parent.id
            agency = uow.agencies.update(
                current.id,
                name=name,
                short_name=short_name,
                qcvn_id=qcvn,
                qd20_id=qd20,
                parent_id=parent_id,
                contact=rules.clean_contact(patch.contact_applied_to(current.contact)),
            )
            self._changed(uow, "agency.update", actor, agency, _summary(agency))
            uow.commit()
            return agency

    def lock(self, identifier: str, *, actor: str = DEFAULT_ACTOR) -> Agency:
        """Lock an agency: it stays in the directory but may not exchange documents."""
        with self._uow() as uow:
            agency = uow.agencies.lock(uow.agencies.resolve(identifier).id)
            self._changed(uow, "agency.lock", actor, agency, {})
            uow.commit()
            return agency

    def unlock(self, identifier: str, *, actor: str = DEFAULT_ACTOR) -> Agency:
        """Make a locked agency active again."""
        with self._uow() as uow:
            agency = uow.agencies.unlock(uow.agencies.resolve(identifier).id)
            self._changed(uow, "agency.unlock", actor, agency, {})
            uow.commit()
            return agency

    def add_alias(self, identifier: str, alias: str, *, actor: str = DEFAULT_ACTOR) -> Agency:
        """Let a non-standard identifier (as seen in real traffic) resolve to an agency."""
        cleaned = rules.clean_alias(alias)
        with self._uow() as uow:
            agency = uow.agencies.add_alias(uow.agencies.resolve(identifier).id, cleaned)
            self._changed(uow, "agency.alias_add", actor, agency, {"alias": cleaned})
            uow.commit()
            return agency

    def remove_alias(self, alias: str, *, actor: str = DEFAULT_ACTOR) -> Agency:
        """Stop resolving an alias; returns the agency it belonged to."""
        with self._uow() as uow:
            agency = uow.agencies.remove_alias(alias)
            self._changed(uow, "agency.alias_remove", actor, agency, {"alias": alias})
            uow.commit()
            return agency

    # -- reads -----------------------------------------------------------------------------

    def resolve(self, identifier: str) -> Agency:
        """The agency any identifier names; ``NotFound`` if none."""
        with self._uow() as uow:
            return uow.agencies.resolve(identifier)

    def lookup(self, identifier: str) -> Agency | None:
        """The agency any identifier names, or ``None``."""
        with self._uow() as uow:
            return uow.agencies.lookup(identifier)

    def list(
        self,
        *,
        state: AgencyState | None = None,
        parent: str | None = None,
        roots_only: bool = False,
        name_contains: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Agency]:
        """Agencies filtered by state, parent (any identifier), or name fragment."""
        with self._uow() as uow:
            parent_id = uow.agencies.resolve(parent).id if parent is not None else None
            return uow.agencies.list(
                state=state,
                parent_id=parent_id,
                roots_only=roots_only,
                name_contains=name_contains,
                limit=limit,
                offset=offset,
            )

    def children(self, identifier: str) -> Sequence[Agency]:
        """The agencies directly under an agency."""
        with self._uow() as uow:
            return uow.agencies.children(uow.agencies.resolve(identifier).id)

    def changes_since(self, version: int, *, limit: int = 1000) -> Sequence[Agency]:
        """Agencies changed after ``version`` (see ``AgencyRepository.changes_since``)."""
        with self._uow() as uow:
            return uow.agencies.changes_since(version, limit=limit)

    def current_version(self) -> int:
        """The directory's latest change number."""
        with self._uow() as uow:
            return uow.agencies.current_version()


def _optional(value: str | Unset | None, clean: Callable[[str], _T | None]) -> _T | Unset | None:
    if value is UNSET or value is None:
        return value
    return clean(value)


def _value(parsed: AgencyId | None) -> str | None:
    return parsed.value if parsed is not None else None


def _resolve_parent(uow: UnitOfWork, identifier: str) -> Agency:
    parent = uow.agencies.lookup(identifier)
    if parent is None:
        raise ValidationError(
            f"parent: no agency known as {identifier!r}",
            code="directory.invalid_parent",
            field="parent",
        )
    return parent


def _check_no_cycle(uow: UnitOfWork, agency: Agency, parent: Agency) -> None:
    chain = [parent.id, *(a.id for a in uow.agencies.ancestors(parent.id))]
    if agency.id in chain:
        raise ValidationError(
            f"parent: {parent.code} is {agency.code} itself or one of its descendants",
            code="directory.invalid_parent",
            field="parent",
        )


def _structural_parent(uow: UnitOfWork, *ids: AgencyId | None) -> int | None:
    for parsed in ids:
        if parsed is None:
            continue
        for ancestor in parsed.ancestors():
            known = uow.agencies.lookup(ancestor.value)
            if known is not None:
                return known.id
    return None


def _summary(agency: Agency) -> dict[str, Any]:
    """What an audit entry keeps of an agency as added or changed."""
    return {
        "name": agency.name,
        "qcvn_id": agency.qcvn_id,
        "qd20_id": agency.qd20_id,
        "parent_id": agency.parent_id,
        "state": agency.state.value,
        "version": agency.version,
    }
