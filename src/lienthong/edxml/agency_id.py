"""Agency identifiers (mã định danh) in their two standard forms, and the others seen in traffic.

- QCVN 102 form, 13 characters ``DDD.CC.BB.Xnn``, read right to left: ``Xnn`` is the level-1
  body, ``BB`` level 2, ``CC`` level 3, ``DDD`` level 4; a group of zeros means "no unit at
  that level". The parent of ``000.01.01.H08`` is ``000.00.01.H08``, then ``000.00.00.H08``.
- Decision 20/2020/QĐ-TTg form: up to 35 characters of ``A-Z``, ``0-9`` and ``.``, groups read
  left to right from the level-1 body (``H37.DN.001``); the parent drops the last group.
- Non-standard ids (``vxp.saas.03``, ``01.02.G22``) are accepted on input when a directory
  knows them, kept exactly as sent, and never generated.

Parsing answers garbage with :class:`AgencyIdError`; :func:`validate_agency_id` returns the
problems as data instead.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from lienthong.edxml.issues import Issue
from lienthong.errors import ValidationError
from lienthong.text import nfc

__all__ = [
    "KNOWN_LEVEL1",
    "PREFIX_KINDS",
    "AgencyId",
    "AgencyIdError",
    "AgencyIdForm",
    "BodyKind",
    "Level1Info",
    "is_valid_agency_id",
    "level1_info",
    "make_child",
    "make_qcvn102",
    "normalize_agency_id",
    "parse_agency_id",
    "require_standard",
    "validate_agency_id",
]

#: Longest id of any form we accept (QĐ 20 allows 35; non-standard ids get some slack).
MAX_QD20_LENGTH = 35
MAX_ID_LENGTH = 64

_QCVN102 = re.compile(r"([0-9]{3})\.([0-9]{2})\.([0-9]{2})\.([A-Z][0-9]{2})")
_QD20 = re.compile(r"[A-Z][0-9]{2}(?:\.[A-Z0-9]+)*")
_BODY = re.compile(r"[A-Z][0-9]{2}")
_NONSTANDARD = re.compile(r"[A-Za-z0-9._-]+")
#: QCVN 102 group widths, right to left after the body: level 2, level 3, level 4.
_QCVN_WIDTHS = (2, 2, 3)


class AgencyIdError(ValidationError):
    """A string is not an agency identifier of any form (or is refused where it is used)."""

    code = "agency_id.invalid"


class AgencyIdForm(enum.Enum):
    """Which of the identifier forms a value takes."""

    QCVN102 = "qcvn102"
    QD20 = "qd20"
    NONSTANDARD = "nonstandard"


class BodyKind(enum.Enum):
    """What the level-1 body's prefix letter says about the agency."""

    GOVERNMENT = "G"
    PROVINCIAL_COMMITTEE = "H"
    PROVINCIAL_COUNCIL = "K"
    UNKNOWN = "?"

    @property
    def label_vi(self) -> str:
        """The kind in Vietnamese, for display."""
        return _KIND_LABELS_VI[self]


_KIND_LABELS_VI: dict[BodyKind, str] = {
    BodyKind.GOVERNMENT: "Bộ, cơ quan ngang bộ, cơ quan thuộc Chính phủ",
    BodyKind.PROVINCIAL_COMMITTEE: "Ủy ban nhân dân tỉnh, thành phố",
    BodyKind.PROVINCIAL_COUNCIL: "Hội đồng nhân dân tỉnh, thành phố",
    BodyKind.UNKNOWN: "Chưa rõ",
}

#: Prefix letter → kind of level-1 body. Other letters exist; their meaning is unconfirmed.
PREFIX_KINDS: MappingProxyType[str, BodyKind] = MappingProxyType(
    {
        "G": BodyKind.GOVERNMENT,
        "H": BodyKind.PROVINCIAL_COMMITTEE,
        "K": BodyKind.PROVINCIAL_COUNCIL,
    }
)

#: Level-1 bodies named in the specification (data, not a complete directory).
KNOWN_LEVEL1: MappingProxyType[str, str] = MappingProxyType(
    {
        "G22": "Văn phòng Chính phủ",
        "G12": "Bộ Tài chính",
        "G18": "Bộ Y tế",
        "H41": "Nghệ An",
        "H08": "Bình Dương",
        "H14": "Cao Bằng",
    }
)


@dataclass(frozen=True, slots=True)
class Level1Info:
    """What is known about a level-1 body code such as ``H41``."""

    code: str
    kind: BodyKind
    #: The body's name when it is in :data:`KNOWN_LEVEL1`, else empty.
    name: str = ""

    def describe(self) -> str:
        """``"H41 — Ủy ban nhân dân tỉnh, thành phố: Nghệ An"`` style text for display."""
        text = f"{self.code} — {self.kind.label_vi}"
        return f"{text}: {self.name}" if self.name else text


def level1_info(body: str) -> Level1Info:
    """Kind and known name of a level-1 body code (``G22``, ``H41``, …)."""
    code = body.strip().upper()
    kind = PREFIX_KINDS.get(code[:1], BodyKind.UNKNOWN)
    return Level1Info(code=code, kind=kind, name=KNOWN_LEVEL1.get(code, ""))


@dataclass(frozen=True, slots=True)
class AgencyId:
    """A parsed agency identifier.

    ``level`` is 1 for a level-1 body and grows downwards; ``level1`` is the body code
    (``H08``). Both are ``None`` for non-standard ids, whose structure is unknown.
    """

    value: str
    form: AgencyIdForm
    level: int | None = None
    level1: str | None = None

    def __str__(self) -> str:
        return self.value

    @property
    def is_standard(self) -> bool:
        """True for the two standard forms (the only ones lienthong generates)."""
        return self.form is not AgencyIdForm.NONSTANDARD

    @property
    def parent(self) -> AgencyId | None:
        """The unit one level up, or ``None`` at the top (and for non-standard ids)."""
        if self.level is None or self.level <= 1:
            return None
        if self.form is AgencyIdForm.QCVN102:
            groups = self.value.split(".")
            # groups = [DDD, CC, BB, Xnn]; zero the deepest non-zero group.
            for index in range(3):
                if int(groups[index]):
                    groups[index] = "0" * len(groups[index])
                    break
            return parse_agency_id(".".join(groups))
        return parse_agency_id(self.value.rsplit(".", 1)[0])

    def ancestors(self) -> list[AgencyId]:
        """Parents from the nearest up to the level-1 body (empty at the top)."""
        chain: list[AgencyId] = []
        current = self.parent
        while current is not None:
            chain.append(current)
            current = current.parent
        return chain

    @property
    def level1_info(self) -> Level1Info | None:
        """Kind and known name of the level-1 body, for standard ids."""
        return level1_info(self.level1) if self.level1 else None


def _clean(value: str) -> str:
    return nfc(value.strip())


def _classify(text: str) -> AgencyId | None:
    """Parse an exact (already cleaned) string as a standard id, or return ``None``."""
    match = _QCVN102.fullmatch(text)
    if match is not None:
        ddd, cc, bb, body = match.groups()
        level = 1
        for depth, group in ((2, bb), (3, cc), (4, ddd)):
            if int(group):
                level = depth
        return AgencyId(text, AgencyIdForm.QCVN102, level, body)
    if len(text) <= MAX_QD20_LENGTH and _QD20.fullmatch(text):
        return AgencyId(text, AgencyIdForm.QD20, text.count(".") + 1, text[:3])
    return None


@lru_cache(maxsize=4096)
def parse_agency_id(value: str) -> AgencyId:
    """Parse an identifier of any form, normalising it (see :func:`normalize_agency_id`).

    Raises :class:`AgencyIdError` for an empty value or one that cannot be an identifier
    at all (spaces, punctuation, more than 64 characters).
    """
    text = _clean(value)
    if not text:
        raise AgencyIdError("agency identifier is empty", code="agency_id.missing")
    parsed = _classify(text)
    if parsed is None and text != text.upper():
        parsed = _classify(text.upper())
    if parsed is not None:
        return parsed
    if len(text) > MAX_ID_LENGTH:
        raise AgencyIdError(
            f"agency identifier is {len(text)} characters long (at most {MAX_ID_LENGTH})",
            code="agency_id.too_long",
        )
    if not _NONSTANDARD.fullmatch(text):
        raise AgencyIdError(
            f"{text!r} is not an agency identifier: only letters, digits, '.', '-' and '_' "
            "may appear",
            code="agency_id.invalid",
        )
    return AgencyId(text, AgencyIdForm.NONSTANDARD)


def normalize_agency_id(value: str) -> str:
    """Strip, NFC and upper-case a standard id; a non-standard id keeps its case.

    ``" 000.00.00.h41 "`` → ``"000.00.00.H41"``; ``"vxp.saas.03"`` stays as it is.
    """
    return parse_agency_id(value).value


def validate_agency_id(value: str) -> list[Issue]:
    """Problems of an identifier as received: errors for garbage, a warning if non-standard.

    A non-standard id is only a warning: the hub accepts it when its directory knows it.
    """
    try:
        parsed = parse_agency_id(value)
    except AgencyIdError as exc:
        return [Issue(exc.code, exc.message)]
    problems: list[Issue] = []
    if parsed.form is AgencyIdForm.NONSTANDARD:
        problems.append(
            Issue(
                "agency_id.nonstandard",
                f"{parsed.value!r} is neither a QCVN 102 id (DDD.CC.BB.Xnn) nor a "
                "Decision 20 id (e.g. H37.DN.001); accepted only if the directory knows it",
                "warning",
            )
        )
    elif parsed.value != value:
        problems.append(
            Issue(
                "agency_id.not_normalized",
                f"{value!r} should be written {parsed.value!r}",
                "warning",
            )
        )
    return problems


def is_valid_agency_id(value: str, *, allow_nonstandard: bool = False) -> bool:
    """True when ``value`` parses as a standard id (or any id, if ``allow_nonstandard``)."""
    try:
        parsed = parse_agency_id(value)
    except AgencyIdError:
        return False
    return allow_nonstandard or parsed.is_standard


def require_standard(value: str | AgencyId) -> AgencyId:
    """The id to put in a package we generate: refuses non-standard ids with a clear error."""
    parsed = value if isinstance(value, AgencyId) else parse_agency_id(value)
    if not parsed.is_standard:
        raise AgencyIdError(
            f"{parsed.value!r} is a non-standard agency id; lienthong never generates those "
            "(use the QCVN 102 form DDD.CC.BB.Xnn or the Decision 20 form)",
            code="agency_id.nonstandard",
        )
    return parsed


def make_qcvn102(level1: str, level2: int = 0, level3: int = 0, level4: int = 0) -> AgencyId:
    """Build a QCVN 102 id from its level-1 body and the unit numbers below it (0 = none)."""
    body = level1.strip().upper()
    if not _BODY.fullmatch(body):
        raise AgencyIdError(
            f"level-1 body {level1!r} must be a capital letter and two digits (e.g. H41)"
        )
    numbers = (level2, level3, level4)
    for depth, (number, width) in enumerate(zip(numbers, _QCVN_WIDTHS, strict=True), start=2):
        if not 0 <= number < 10**width:
            raise AgencyIdError(f"level-{depth} unit number {number} does not fit {width} digits")
    return parse_agency_id(f"{level4:03d}.{level3:02d}.{level2:02d}.{body}")


def make_child(parent: str | AgencyId, unit: int | str) -> AgencyId:
    """The id of a unit directly under ``parent`` (refuses non-standard parents).

    QCVN 102: ``unit`` is the number at the next level (``make_child("000.00.00.H08", 1)``
    → ``000.00.01.H08``). Decision 20: ``unit`` is the next group (``"DN"`` → ``H37.DN``).
    """
    base = require_standard(parent)
    level = base.level or 1  # standard ids always have a level
    if base.form is AgencyIdForm.QCVN102:
        if level >= 4:
            raise AgencyIdError(f"{base.value} is at level 4; QCVN 102 ids have no level 5")
        if isinstance(unit, str) and not unit.isdigit():
            raise AgencyIdError(f"QCVN 102 unit numbers are digits, not {unit!r}")
        number = int(unit)
        if number == 0:
            raise AgencyIdError("unit number 0 means 'no unit'; children start at 1")
        ddd, cc, bb, body = base.value.split(".")
        levels = [int(bb), int(cc), int(ddd)]
        levels[level - 1] = number
        return make_qcvn102(body, *levels)
    group = str(unit).strip().upper()
    if not group or not group.isalnum() or not group.isascii():
        raise AgencyIdError(f"Decision 20 groups are letters and digits, not {unit!r}")
    child = f"{base.value}.{group}"
    if len(child) > MAX_QD20_LENGTH:
        raise AgencyIdError(f"{child} is longer than {MAX_QD20_LENGTH} characters")
    return parse_agency_id(child)
