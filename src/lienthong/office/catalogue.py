"""Use cases of the catalogue of document kinds (rules in :mod:`.catalogue_rules`).

Every member of an agency reads its catalogue; administrators and clerks change it.
Entries are deactivated rather than deleted, so documents keep pointing at the entry that
applied when they were made.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from lienthong.db.uow import UnitOfWork
from lienthong.edxml.doctypes import ALL_TYPES
from lienthong.errors import ValidationError
from lienthong.office.access import agency_of, require_roles
from lienthong.office.catalogue_rules import CatalogueEntry, FormDecision, decide_form
from lienthong.office.model import Actor, Confidentiality, DocumentForm, RequiredForm, Role
from lienthong.office.users import clean_name

_TYPE_KEYS = frozenset(t.key for t in ALL_TYPES)


def _check(entry: CatalogueEntry) -> CatalogueEntry:
    name = clean_name(entry.name, what="catalogue entry", max_length=500)
    scope = clean_name(entry.scope, what="scope", max_length=32)
    if entry.doctype_key is not None and entry.doctype_key not in _TYPE_KEYS:
        raise ValidationError(
            f"unknown document type {entry.doctype_key!r}", code="office.doctype_unknown"
        )
    return replace(entry, name=name, scope=scope)


class CatalogueService:
    """Read and edit an agency's catalogue; apply it to a new document."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    def entries(self, actor: Actor, *, active_only: bool = False) -> Sequence[CatalogueEntry]:
        """The catalogue of the actor's agency, in its order."""
        with self._uow() as uow:
            return uow.office.catalogue.entries(agency_of(actor), active_only=active_only)

    def add(self, actor: Actor, entry: CatalogueEntry) -> CatalogueEntry:
        """Add a kind of document at the end of the catalogue."""
        require_roles(actor, Role.ADMIN, Role.CLERK, action="edit the catalogue")
        agency_id = agency_of(actor)
        clean = _check(entry)
        with self._uow() as uow:
            position = uow.office.catalogue.next_position(agency_id)
            added = uow.office.catalogue.add(agency_id, clean, position)
            uow.commit()
            return added

    def update(
        self,
        actor: Actor,
        entry_id: int,
        *,
        name: str | None = None,
        required_form: RequiredForm | None = None,
        doctype_key: str | None = None,
        scope: str | None = None,
        active: bool | None = None,
    ) -> CatalogueEntry:
        """Change an entry; fields left ``None`` keep their value."""
        require_roles(actor, Role.ADMIN, Role.CLERK, action="edit the catalogue")
        agency_id = agency_of(actor)
        with self._uow() as uow:
            current = uow.office.catalogue.get(agency_id, entry_id)
            changed = _check(
                replace(
                    current,
                    name=name if name is not None else current.name,
                    required_form=required_form or current.required_form,
                    doctype_key=doctype_key if doctype_key is not None else current.doctype_key,
                    scope=scope if scope is not None else current.scope,
                    active=active if active is not None else current.active,
                )
            )
            updated = uow.office.catalogue.update(
                agency_id,
                entry_id,
                name=changed.name,
                required_form=changed.required_form.value,
                doctype_key=changed.doctype_key,
                scope=changed.scope,
                active=changed.active,
            )
            uow.commit()
            return updated

    def decide(
        self,
        actor: Actor,
        *,
        doctype_key: str,
        requested: DocumentForm | None = None,
        entry_id: int | None = None,
        confidentiality: Confidentiality = Confidentiality.NONE,
    ) -> FormDecision:
        """What form a new document would take, and the warnings (for forms in a UI)."""
        with self._uow() as uow:
            entries = uow.office.catalogue.entries(agency_of(actor), active_only=True)
        return decide_form(
            entries,
            doctype_key=doctype_key,
            requested=requested,
            entry_id=entry_id,
            confidentiality=confidentiality,
        )
