"""The national document id (§1.14): ``<OrganId>,<yyyy/MM/dd>,<CodeNumber>/<CodeNotation>``.

``000.00.00.G22,2015/09/30,7816/VPCP-TTĐT`` is document 7816/VPCP-TTĐT issued by the
Government Office on 30 September 2015. Some systems send a UUID instead. Parsing never
raises: :func:`parse_document_id` tells which form it saw and lists the problems (an
impossible date such as 2014/02/30 is a problem, not a crash). Building is strict.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from lienthong.edxml.agency_id import AgencyIdError, parse_agency_id, require_standard
from lienthong.edxml.issues import Issue
from lienthong.errors import ValidationError
from lienthong.text import nfc

__all__ = [
    "DocumentIdError",
    "DocumentIdForm",
    "ParsedDocumentId",
    "build_document_id",
    "format_wire_date",
    "mismatches",
    "parse_document_id",
    "parse_wire_date",
]

_WIRE_DATE = re.compile(r"([0-9]{4})/([0-9]{2})/([0-9]{2})")
_UUID = re.compile(
    r"\{?[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\}?"
)
_DIGITS = re.compile(r"[0-9]+")


class DocumentIdError(ValidationError):
    """A document id could not be built from the given parts."""

    code = "document_id.invalid"


class DocumentIdForm(enum.Enum):
    """The shape a document id takes on the wire."""

    NATIONAL = "national"
    UUID = "uuid"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ParsedDocumentId:
    """What :func:`parse_document_id` found. Fields the form lacks stay empty."""

    value: str
    form: DocumentIdForm
    organ_id: str = ""
    date_text: str = ""
    #: ``None`` when the date part is missing or impossible.
    promulgation_date: date | None = None
    code_number: str = ""
    code_notation: str = ""
    uuid: UUID | None = None
    problems: tuple[Issue, ...] = ()

    @property
    def ok(self) -> bool:
        """No error-level problem."""
        return all(p.severity != "error" for p in self.problems)

    @property
    def code(self) -> str:
        """Number and notation as one text, ``7816/VPCP-TTĐT``."""
        if self.code_notation:
            return f"{self.code_number}/{self.code_notation}"
        return self.code_number


def parse_wire_date(text: str) -> date:
    """Parse ``yyyy/MM/dd``; raises ``ValueError`` naming the problem."""
    match = _WIRE_DATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a date in the form yyyy/MM/dd")
    year, month, day = (int(g) for g in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a real date ({_date_reason(year, month, day)})"
        ) from None


def _date_reason(year: int, month: int, day: int) -> str:
    """Why year/month/day is no calendar date, in a few words."""
    if not 1 <= month <= 12:
        return f"there is no month {month}"
    if year < 1:
        return "the year must be at least 1"
    return f"month {month} of {year} has no day {day}"


def format_wire_date(value: date) -> str:
    """``date(2015, 9, 30)`` → ``2015/09/30``."""
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def parse_document_id(value: str) -> ParsedDocumentId:
    """Parse a document id of either form; never raises (problems are listed instead)."""
    text = nfc(value.strip())
    if not text:
        return ParsedDocumentId(
            text,
            DocumentIdForm.UNKNOWN,
            problems=(Issue("document_id.missing", "document id is empty"),),
        )
    if "," not in text and _UUID.fullmatch(text):
        return ParsedDocumentId(text, DocumentIdForm.UUID, uuid=UUID(text))
    parts = text.split(",", 2)
    if len(parts) != 3:
        return ParsedDocumentId(
            text,
            DocumentIdForm.UNKNOWN,
            problems=(
                Issue(
                    "document_id.malformed",
                    f"{text!r} is neither '<OrganId>,<yyyy/MM/dd>,<number>/<notation>' nor a UUID",
                ),
            ),
        )
    organ_id, date_text, code = (p.strip() for p in parts)
    problems: list[Issue] = []
    try:
        parsed_organ = parse_agency_id(organ_id)
    except AgencyIdError as exc:
        problems.append(Issue("document_id.organ_id", f"agency part: {exc.message}"))
    else:
        organ_id = parsed_organ.value
    promulgation: date | None = None
    try:
        promulgation = parse_wire_date(date_text)
    except ValueError as exc:
        problems.append(Issue("document_id.date_invalid", f"date part: {exc}"))
    number, _, notation = code.partition("/")
    number, notation = number.strip(), notation.strip()
    if not number:
        problems.append(Issue("document_id.code_missing", "the code part is empty"))
    elif not _DIGITS.fullmatch(number):
        problems.append(
            Issue("document_id.code_number", f"code number {number!r} is not a number", "warning")
        )
    if number and not notation:
        problems.append(
            Issue(
                "document_id.notation_missing",
                f"code {code!r} has no notation after '/'",
                "warning",
            )
        )
    return ParsedDocumentId(
        value=text,
        form=DocumentIdForm.NATIONAL,
        organ_id=organ_id,
        date_text=date_text,
        promulgation_date=promulgation,
        code_number=number,
        code_notation=notation,
        problems=tuple(problems),
    )


def build_document_id(
    organ_id: str, promulgation_date: date, code_number: str | int, code_notation: str
) -> str:
    """Build the national id; refuses non-standard agency ids and malformed codes."""
    try:
        organ = require_standard(organ_id)
    except AgencyIdError as exc:
        raise DocumentIdError(f"cannot build a document id: {exc.message}") from exc
    number = str(code_number).strip()
    if not _DIGITS.fullmatch(number) or int(number) == 0:
        raise DocumentIdError(f"code number {code_number!r} must be a positive number")
    notation = nfc(code_notation.strip())
    if not notation or any(ch.isspace() for ch in notation) or "," in notation:
        raise DocumentIdError(
            f"code notation {code_notation!r} must be non-empty, without spaces or commas"
        )
    return f"{organ.value},{format_wire_date(promulgation_date)},{number}/{notation}"


def mismatches(
    parsed: ParsedDocumentId,
    *,
    organ_id: str | None = None,
    promulgation_date: date | None = None,
    code_number: str | None = None,
    code_notation: str | None = None,
) -> list[str]:
    """Names of the given fields that disagree with a national-form id (empty if all agree).

    Fields given as ``None`` (or that the id could not carry) are not compared. Numbers are
    compared as numbers, so ``05`` and ``5`` agree.
    """
    if parsed.form is not DocumentIdForm.NATIONAL:
        return []
    found: list[str] = []
    if organ_id and parsed.organ_id and _norm_organ(organ_id) != parsed.organ_id:
        found.append("organ_id")
    if (
        promulgation_date is not None
        and parsed.promulgation_date is not None
        and promulgation_date != parsed.promulgation_date
    ):
        found.append("promulgation_date")
    if (
        code_number is not None
        and parsed.code_number
        and not _same_number(code_number, parsed.code_number)
    ):
        found.append("code_number")
    if (
        code_notation is not None
        and parsed.code_notation
        and nfc(code_notation.strip()) != parsed.code_notation
    ):
        found.append("code_notation")
    return found


def _norm_organ(value: str) -> str:
    try:
        return parse_agency_id(value).value
    except AgencyIdError:
        return value.strip()


def _same_number(left: str, right: str) -> bool:
    a, b = left.strip(), right.strip()
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b
