"""Plain data of the agency office: tenants, units, people, roles, the acting person.

No framework imports. One install hosts several agencies (tenants): an office agency is a
directory agency (:class:`lienthong.directory.model.Agency`) that keeps its registers here,
named by the directory's internal id. Inside it are units (phòng ban) and users, who hold
roles per agency. Every use case takes an :class:`Actor`: who acts, for which agency,
with which roles.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from lienthong.errors import ValidationError


class Role(enum.StrEnum):
    """What a person may do in an agency. ``system`` and ``operator`` are never given to
    users: the hub's workers act as ``system``, the local command line as ``operator``."""

    CLERK = "clerk"  # văn thư
    LEADER = "leader"  # lãnh đạo
    SPECIALIST = "specialist"  # chuyên viên
    ADMIN = "admin"  # quản trị
    SYSTEM = "system"
    OPERATOR = "operator"

    @property
    def label_vi(self) -> str:
        return _ROLE_LABELS[self]

    @property
    def assignable(self) -> bool:
        """Whether a user may hold this role."""
        return self not in (Role.SYSTEM, Role.OPERATOR)


_ROLE_LABELS = {
    Role.CLERK: "Văn thư",
    Role.LEADER: "Lãnh đạo",
    Role.SPECIALIST: "Chuyên viên",
    Role.ADMIN: "Quản trị",
    Role.SYSTEM: "Hệ thống",
    Role.OPERATOR: "Vận hành",
}

#: Roles of people who work on documents (everyone but the administrator).
STAFF_ROLES = frozenset({Role.CLERK, Role.LEADER, Role.SPECIALIST})


def parse_roles(values: Iterable[str | Role]) -> frozenset[Role]:
    """Roles a user may hold, from their names; refuses unknown or reserved ones."""
    roles: set[Role] = set()
    for value in values:
        try:
            role = Role(str(value).strip().lower())
        except ValueError:
            known = ", ".join(r.value for r in Role if r.assignable)
            raise ValidationError(
                f"unknown role {value!r} (one of {known})", code="office.role_unknown"
            ) from None
        if not role.assignable:
            raise ValidationError(
                f"the role {role.value!r} cannot be given to a user", code="office.role_reserved"
            )
        roles.add(role)
    if not roles:
        raise ValidationError("a member needs at least one role", code="office.role_missing")
    return frozenset(roles)


def roles_text(roles: Iterable[Role]) -> str:
    """How roles are stored: sorted names joined by commas."""
    return ",".join(sorted(r.value for r in roles))


def roles_from_text(text: str) -> frozenset[Role]:
    """The inverse of :func:`roles_text`."""
    return frozenset(Role(v) for v in text.split(",") if v)


class Urgency(enum.StrEnum):
    """Độ khẩn. ``priority`` is the edXML ``OtherInfo/Priority`` number."""

    NORMAL = "normal"
    KHAN = "khan"  # Khẩn
    THUONG_KHAN = "thuong_khan"  # Thượng khẩn
    HOA_TOC = "hoa_toc"  # Hỏa tốc

    @property
    def label_vi(self) -> str:
        return {"normal": "", "khan": "Khẩn", "thuong_khan": "Thượng khẩn", "hoa_toc": "Hỏa tốc"}[
            self.value
        ]

    @property
    def priority(self) -> int:
        return list(Urgency).index(self)

    @classmethod
    def of_priority(cls, priority: int) -> Urgency:
        """Urgency of an edXML priority (4, the legacy "Hỏa tốc hẹn giờ", is Hỏa tốc)."""
        members = list(cls)
        return members[min(max(priority, 0), len(members) - 1)]


class Confidentiality(enum.StrEnum):
    """Độ mật. Documents with state secrets never travel over the exchange network."""

    NONE = "none"
    MAT = "mat"  # Mật
    TOI_MAT = "toi_mat"  # Tối mật
    TUYET_MAT = "tuyet_mat"  # Tuyệt mật

    @property
    def label_vi(self) -> str:
        return {"none": "", "mat": "Mật", "toi_mat": "Tối mật", "tuyet_mat": "Tuyệt mật"}[
            self.value
        ]

    @property
    def secret(self) -> bool:
        return self is not Confidentiality.NONE


class DocumentForm(enum.StrEnum):
    """How a document exists: fully electronic, electronic and paper, or paper only."""

    ELECTRONIC = "electronic"
    MIXED = "mixed"
    PAPER = "paper"

    @property
    def label_vi(self) -> str:
        return {"electronic": "Điện tử", "mixed": "Điện tử và giấy", "paper": "Giấy"}[self.value]


class RequiredForm(enum.StrEnum):
    """What the catalogue requires of a kind of document."""

    ELECTRONIC = "electronic"  # electronic only
    ELECTRONIC_AND_PAPER = "electronic_and_paper"  # electronic and paper in parallel

    @property
    def default_form(self) -> DocumentForm:
        if self is RequiredForm.ELECTRONIC:
            return DocumentForm.ELECTRONIC
        return DocumentForm.MIXED

    @property
    def label_vi(self) -> str:
        if self is RequiredForm.ELECTRONIC:
            return "Chỉ gửi điện tử"
        return "Gửi điện tử và giấy song song"


class UserState(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class TokenKind(enum.StrEnum):
    """A browser session (short) or an API token (longer); both are opaque and hashed."""

    SESSION = "session"
    API = "api"


@dataclass(frozen=True, slots=True)
class OfficeAgency:
    """An agency hosted by this office: the directory agency and its notation abbreviation."""

    agency_id: int
    code: str
    name: str
    #: Used in notations: ``12/QĐ-UBND``.
    abbreviation: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit (phòng ban) inside an agency; its abbreviation names it in notations."""

    id: int
    agency_id: int
    name: str
    abbreviation: str


@dataclass(frozen=True, slots=True)
class User:
    """A person who can log in. ``signing_key`` names their key in the key source."""

    id: int
    username: str
    full_name: str
    title: str | None
    email: str | None
    state: UserState
    signing_key: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    """A user's place in one agency: roles and unit."""

    user_id: int
    agency_id: int
    roles: frozenset[Role]
    unit_id: int | None


@dataclass(frozen=True, slots=True)
class Member:
    """A user with their membership in one agency (what listings show)."""

    user: User
    membership: Membership
    unit: Unit | None = None


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts in a use case.

    ``agency_id`` is the tenant the actor works in (``None`` only for the operator, who
    administers every agency but reads no confidential document).
    """

    user_id: int | None
    agency_id: int | None
    roles: frozenset[Role]
    username: str = ""
    full_name: str = ""
    unit_id: int | None = None
    title: str | None = None

    @classmethod
    def system(cls, agency_id: int, name: str = "Hệ thống") -> Actor:
        """The hub's dispatcher or sync worker acting for ``agency_id``."""
        return cls(None, agency_id, frozenset({Role.SYSTEM}), "system", name)

    @classmethod
    def operator(cls, agency_id: int | None = None) -> Actor:
        """The person at the server's command line (creates tenants and users; with an
        agency, reads its non-confidential documents and registers)."""
        return cls(None, agency_id, frozenset({Role.OPERATOR}), "operator", "Vận hành hệ thống")

    def has(self, *roles: Role) -> bool:
        """Whether the actor holds any of ``roles``."""
        return bool(self.roles & set(roles))

    @property
    def is_person(self) -> bool:
        return self.user_id is not None

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


@dataclass(frozen=True, slots=True)
class LoginResult:
    """A new session or API token: the token is shown once and never stored."""

    token: str
    kind: TokenKind
    expires_at: datetime
    actor: Actor
