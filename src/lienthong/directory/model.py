"""Plain data of the agency directory (no framework imports).

An agency has up to two official identifiers: the QCVN 102 form (``000.00.00.G22``) and
the newer Decision 20/2020/QĐ-TTg form (``H37.DN.001``); at least one is present. Real
traffic also carries non-standard identifiers (``vxp.saas.03``): the directory keeps them
as *aliases* that resolve to the agency but are never generated.

Every change to an agency takes the next number of the directory's change counter and
stores it as the agency's ``version``, so a feed can ask for every agency changed after a
version it has seen.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class AgencyState(enum.StrEnum):
    """Whether an agency may exchange documents."""

    ACTIVE = "active"
    LOCKED = "locked"


class IdentifierKind(enum.StrEnum):
    """How an identifier resolves to its agency."""

    QCVN = "qcvn"
    QD20 = "qd20"
    ALIAS = "alias"


class Unset(enum.Enum):
    """Marks a patch field that is left as it is (``None`` means "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET


def identifier_key(value: str) -> str:
    """The lookup key of an identifier: trimmed and upper-cased (ids are ASCII)."""
    return value.strip().upper()


@dataclass(frozen=True, slots=True)
class Contact:
    """How to reach an agency. Every field is optional."""

    address: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True, slots=True)
class Agency:
    """One agency of the directory, as stored."""

    id: int
    name: str
    qcvn_id: str | None
    qd20_id: str | None
    short_name: str | None
    parent_id: int | None
    contact: Contact
    state: AgencyState
    created_at: datetime
    updated_at: datetime
    version: int
    aliases: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        """The identifier to show: the QCVN 102 id if any, else the QĐ 20 id."""
        code = self.qcvn_id or self.qd20_id
        if code is None:  # pragma: no cover - the schema forbids it
            raise ValueError(f"agency {self.id} has no official identifier")
        return code

    @property
    def is_active(self) -> bool:
        return self.state is AgencyState.ACTIVE

    @property
    def identifiers(self) -> tuple[str, ...]:
        """Every identifier that resolves to this agency: official ids first, then aliases."""
        official = tuple(v for v in (self.qcvn_id, self.qd20_id) if v is not None)
        return official + self.aliases


@dataclass(frozen=True, slots=True)
class AgencyDraft:
    """What registering an agency takes; ``parent`` is any identifier of the parent."""

    name: str
    qcvn_id: str | None = None
    qd20_id: str | None = None
    short_name: str | None = None
    parent: str | None = None
    contact: Contact = field(default_factory=Contact)
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AgencyPatch:
    """A change to an agency: fields left :data:`UNSET` keep their value.

    ``parent`` is any identifier of the new parent, or ``None`` to make the agency a root.
    """

    name: str | Unset = UNSET
    short_name: str | Unset | None = UNSET
    qcvn_id: str | Unset | None = UNSET
    qd20_id: str | Unset | None = UNSET
    parent: str | Unset | None = UNSET
    address: str | Unset | None = UNSET
    email: str | Unset | None = UNSET
    telephone: str | Unset | None = UNSET
    fax: str | Unset | None = UNSET
    website: str | Unset | None = UNSET

    def contact_applied_to(self, contact: Contact) -> Contact:
        """``contact`` with this patch's contact fields applied."""
        values = {
            name: getattr(self, name)
            for name in ("address", "email", "telephone", "fax", "website")
            if getattr(self, name) is not UNSET
        }
        if not values:
            return contact
        current = {
            "address": contact.address,
            "email": contact.email,
            "telephone": contact.telephone,
            "fax": contact.fax,
            "website": contact.website,
        }
        current.update(values)
        return Contact(**current)
