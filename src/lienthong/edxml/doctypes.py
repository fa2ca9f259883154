"""Document types (Decree 30/2020/NĐ-CP), copy kinds, and the number/notation rules.

- The 29 administrative types and their abbreviations (``QĐ``, ``TB``, …; Công văn and Thư
  công have none: "CV" is a common mistake and is refused).
- Legal normative types (Luật, Nghị định, Thông tư, …) circulate as incoming documents:
  registrable, numbered under their own law, not built here.
- The edXML ``DocumentType`` mapping (§1.5): the official Type/TypeDetail list is not public,
  so :class:`EdxmlTypeTable` is configurable; by default it reads by ``TypeName``.
- Numbers below 10 take a leading zero (``05``); ``/`` between number and notation, ``-``
  between groups, no spaces: ``12/QĐ-UBND``, ``7816/VPCP-TTĐT``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from lienthong.edxml.issues import Issue
from lienthong.edxml.model import DocumentType
from lienthong.errors import ValidationError
from lienthong.text import fold, nfc

__all__ = [
    "ALL_TYPES",
    "CONG_VAN",
    "THU_CONG",
    "CopyKind",
    "DocCategory",
    "DocType",
    "DocTypeError",
    "EdxmlTypeTable",
    "ParsedNotation",
    "build_code",
    "build_notation",
    "check_code_number",
    "doctype_by_abbreviation",
    "format_number",
    "lookup_doctype",
    "parse_code",
    "parse_notation",
]


class DocTypeError(ValidationError):
    """A document type, number or notation that breaks the clerical rules."""

    code = "doctype.invalid"


class DocCategory(enum.Enum):
    """Administrative documents (Decree 30) or legal normative documents."""

    ADMINISTRATIVE = "administrative"
    NORMATIVE = "normative"


@dataclass(frozen=True, slots=True)
class DocType:
    """One document type. ``abbreviation`` is ``None`` for types that carry none."""

    key: str
    name: str
    abbreviation: str | None
    category: DocCategory = DocCategory.ADMINISTRATIVE
    #: Qualifier shown in the Decree's table, e.g. ``cá biệt`` (individual, not normative).
    qualifier: str = ""

    @property
    def registrable(self) -> bool:
        """Every known type can be entered in the incoming register."""
        return True

    @property
    def is_normative(self) -> bool:
        return self.category is DocCategory.NORMATIVE

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.qualifier})" if self.qualifier else self.name


def _admin(key: str, name: str, abbreviation: str | None, qualifier: str = "") -> DocType:
    return DocType(key, name, abbreviation, DocCategory.ADMINISTRATIVE, qualifier)


def _normative(key: str, name: str) -> DocType:
    return DocType(key, name, None, DocCategory.NORMATIVE, "quy phạm pháp luật")


CONG_VAN = _admin("cong_van", "Công văn", None)
THU_CONG = _admin("thu_cong", "Thư công", None)

#: Decree 30/2020/NĐ-CP, Article 7: the 29 administrative types, in the Decree's order.
ADMINISTRATIVE_TYPES: tuple[DocType, ...] = (
    _admin("nghi_quyet", "Nghị quyết", "NQ", "cá biệt"),
    _admin("quyet_dinh", "Quyết định", "QĐ", "cá biệt"),
    _admin("chi_thi", "Chỉ thị", "CT"),
    _admin("quy_che", "Quy chế", "QC"),
    _admin("quy_dinh", "Quy định", "QyĐ"),
    _admin("thong_cao", "Thông cáo", "TC"),
    _admin("thong_bao", "Thông báo", "TB"),
    _admin("huong_dan", "Hướng dẫn", "HD"),
    _admin("chuong_trinh", "Chương trình", "CTr"),
    _admin("ke_hoach", "Kế hoạch", "KH"),
    _admin("phuong_an", "Phương án", "PA"),
    _admin("de_an", "Đề án", "ĐA"),
    _admin("du_an", "Dự án", "DA"),
    _admin("bao_cao", "Báo cáo", "BC"),
    _admin("bien_ban", "Biên bản", "BB"),
    _admin("to_trinh", "Tờ trình", "TTr"),
    _admin("hop_dong", "Hợp đồng", "HĐ"),
    CONG_VAN,
    _admin("cong_dien", "Công điện", "CĐ"),
    _admin("ban_ghi_nho", "Bản ghi nhớ", "BGN"),
    _admin("ban_thoa_thuan", "Bản thỏa thuận", "BTT"),
    _admin("giay_uy_quyen", "Giấy ủy quyền", "GUQ"),
    _admin("giay_moi", "Giấy mời", "GM"),
    _admin("giay_gioi_thieu", "Giấy giới thiệu", "GGT"),
    _admin("giay_nghi_phep", "Giấy nghỉ phép", "GNP"),
    _admin("phieu_gui", "Phiếu gửi", "PG"),
    _admin("phieu_chuyen", "Phiếu chuyển", "PC"),
    _admin("phieu_bao", "Phiếu báo", "PB"),
    THU_CONG,
)

#: Legal normative types (Law on Promulgation of Legal Normative Documents, 2015) that
#: arrive as incoming documents. Nghị quyết and Quyết định also exist as normative
#: documents; a name lookup finds the administrative (cá biệt) type first.
NORMATIVE_TYPES: tuple[DocType, ...] = (
    _normative("hien_phap", "Hiến pháp"),
    _normative("bo_luat", "Bộ luật"),
    _normative("luat", "Luật"),
    _normative("phap_lenh", "Pháp lệnh"),
    _normative("lenh", "Lệnh"),
    _normative("nghi_dinh", "Nghị định"),
    _normative("thong_tu", "Thông tư"),
    _normative("thong_tu_lien_tich", "Thông tư liên tịch"),
    _normative("nghi_quyet_lien_tich", "Nghị quyết liên tịch"),
    _normative("nghi_quyet_qppl", "Nghị quyết"),
    _normative("quyet_dinh_qppl", "Quyết định"),
)

ALL_TYPES: tuple[DocType, ...] = ADMINISTRATIVE_TYPES + NORMATIVE_TYPES

_BY_KEY: Mapping[str, DocType] = MappingProxyType({t.key: t for t in ALL_TYPES})
_BY_FOLDED_NAME: dict[str, DocType] = {}
for _t in reversed(ALL_TYPES):  # reversed: administrative types win on equal names
    _BY_FOLDED_NAME[fold(_t.name)] = _t
    _BY_FOLDED_NAME[fold(_t.display_name)] = _t
    _BY_FOLDED_NAME[_t.key.replace("_", " ")] = _t
_BY_ABBREVIATION: Mapping[str, DocType] = MappingProxyType(
    {t.abbreviation: t for t in ALL_TYPES if t.abbreviation}
)
_CV_MESSAGE = (
    "'CV' is not an abbreviation: a công văn has no type abbreviation; write "
    "number/AGENCY-UNIT, e.g. 7816/VPCP-TTĐT"
)


class CopyKind(enum.Enum):
    """Kinds of copies (bản sao) and their abbreviations."""

    SAO_Y = "SY"
    TRICH_SAO = "TrS"
    SAO_LUC = "SL"

    @property
    def name_vi(self) -> str:
        return {"SY": "Bản sao y", "TrS": "Bản trích sao", "SL": "Bản sao lục"}[self.value]


def lookup_doctype(name: str) -> DocType | None:
    """Find a type by name, tolerant of diacritics and case (``"cong van"`` → Công văn).

    Also accepts the key (``quyet_dinh``) and the qualified name (``Nghị quyết (cá biệt)``).
    """
    folded = fold(name)
    found = _BY_FOLDED_NAME.get(folded)
    if found is None and folded.replace(" ", "_") in _BY_KEY:
        found = _BY_KEY[folded.replace(" ", "_")]
    return found


def doctype_by_abbreviation(abbreviation: str) -> DocType | None:
    """Find an administrative type by its exact abbreviation (``QĐ`` and ``QyĐ`` differ).

    Raises :class:`DocTypeError` for ``CV``, the common mistake for a công văn.
    """
    abbr = nfc(abbreviation.strip())
    if abbr.upper() == "CV":
        raise DocTypeError(_CV_MESSAGE, code="doctype.cv_abbreviation")
    return _BY_ABBREVIATION.get(abbr)


def format_number(number: int) -> str:
    """The number as written: ``5`` → ``05``, ``12`` → ``12``."""
    if number < 1:
        raise DocTypeError(f"document numbers start at 1, not {number}", code="code.number")
    return f"{number:02d}"


def check_code_number(text: str) -> list[Issue]:
    """Problems of a CodeNumber; empty when it is well formed (``05``, ``7816``)."""
    value = text.strip()
    if not value:
        return [Issue("code.number_missing", "the code number is empty")]
    if not value.isascii() or not value.isdigit():
        return [Issue("code.number_not_numeric", f"code number {value!r} is not a number")]
    number = int(value)
    if number == 0:
        return [Issue("code.number_zero", "document numbers start at 1, not 0")]
    expected = f"{number:02d}"
    if value != expected:
        return [
            Issue(
                "code.number_format",
                f"code number {value!r} should be written {expected!r} "
                "(a leading zero below 10 only)",
                "warning",
            )
        ]
    return []


def _check_group(group: str, what: str) -> str:
    value = nfc(group.strip())
    if not value:
        raise DocTypeError(f"the {what} is empty", code="code.notation_format")
    if any(ch.isspace() for ch in value) or "/" in value:
        raise DocTypeError(
            f"the {what} {value!r} must not contain spaces or '/'", code="code.notation_format"
        )
    return value


def build_notation(doctype: DocType, agency: str, drafting_unit: str = "") -> str:
    """The notation after the number.

    Named types: ``QĐ-UBND`` (type abbreviation - agency abbreviation). Công văn and Thư
    công: ``VPCP-TTĐT`` (agency abbreviation - drafting unit, the unit optional).
    Legal normative documents are numbered under their own law and are refused here.
    """
    if doctype.is_normative:
        raise DocTypeError(
            f"{doctype.name} is a legal normative document; its notation is not built here",
            code="doctype.normative",
        )
    agency_abbr = _check_group(agency, "agency abbreviation")
    if agency_abbr.upper() == "CV":
        raise DocTypeError(_CV_MESSAGE, code="doctype.cv_abbreviation")
    if doctype.abbreviation is None:
        if drafting_unit.strip():
            return f"{agency_abbr}-{_check_group(drafting_unit, 'drafting unit')}"
        return agency_abbr
    notation = f"{doctype.abbreviation}-{agency_abbr}"
    if drafting_unit.strip():
        notation += f"-{_check_group(drafting_unit, 'drafting unit')}"
    return notation


def build_code(number: int, doctype: DocType, agency: str, drafting_unit: str = "") -> str:
    """``build_code(12, quyết định, "UBND")`` → ``12/QĐ-UBND``."""
    return f"{format_number(number)}/{build_notation(doctype, agency, drafting_unit)}"


def parse_code(code: str) -> tuple[str, str]:
    """Split ``7816/VPCP-TTĐT`` into ``("7816", "VPCP-TTĐT")``.

    Only the first ``/`` separates (``12/2020/NĐ-CP`` → ``("12", "2020/NĐ-CP")``). A code
    without ``/`` is all number. Raises :class:`DocTypeError` for an empty code or spaces.
    """
    text = nfc(code.strip())
    if not text:
        raise DocTypeError("the code is empty", code="code.missing")
    if any(ch.isspace() for ch in text):
        raise DocTypeError(
            f"code {text!r} contains spaces (write number/notation without spaces)",
            code="code.notation_format",
        )
    number, _, notation = text.partition("/")
    if not number:
        raise DocTypeError(f"code {text!r} has no number before '/'", code="code.number_missing")
    return number, notation


@dataclass(frozen=True, slots=True)
class ParsedNotation:
    """A notation split into its groups, with the type it names (``None`` for công văn)."""

    groups: tuple[str, ...]
    doctype: DocType | None
    agency: str
    drafting_unit: str = ""


_NOTATION_GROUP = re.compile(r"[^\s/-]+")


def parse_notation(notation: str) -> ParsedNotation:
    """Split a notation by ``-`` and recognise a leading type abbreviation.

    ``QĐ-UBND`` → type Quyết định, agency ``UBND``; ``VPCP-TTĐT`` → no type (a công văn),
    agency ``VPCP``, unit ``TTĐT``. Raises :class:`DocTypeError` for ``CV-…`` (the common
    mistake) and for empty groups or spaces.
    """
    text = nfc(notation.strip())
    groups = tuple(text.split("-"))
    if not text or not all(_NOTATION_GROUP.fullmatch(g) for g in groups):
        raise DocTypeError(
            f"notation {text!r} must be groups of letters joined by '-', without spaces",
            code="code.notation_format",
        )
    doctype = doctype_by_abbreviation(groups[0]) if len(groups) > 1 else None
    if doctype is not None:
        return ParsedNotation(groups, doctype, groups[1], "-".join(groups[2:]))
    return ParsedNotation(groups, None, groups[0], "-".join(groups[1:]))


@dataclass(frozen=True, slots=True)
class EdxmlTypeTable:
    """How document types map to edXML ``DocumentType`` (§1.5). Configurable: unconfirmed.

    ``Type`` defaults to 1 for administrative and 2 for normative documents (samples use
    Type 1 / TypeDetail 0 for a công văn); ``TypeDetail`` comes from ``details`` (type key →
    number), else ``default_detail``. Reading trusts ``TypeName`` first, then the numbers.
    """

    type_by_category: Mapping[DocCategory, int] = field(
        default_factory=lambda: {DocCategory.ADMINISTRATIVE: 1, DocCategory.NORMATIVE: 2}
    )
    details: Mapping[str, int] = field(default_factory=lambda: {"cong_van": 0})
    default_detail: int = 0

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> EdxmlTypeTable:
        """Build from configuration: ``{"administrative": 1, "normative": 2, "details": {…}}``."""
        by_category = dict(cls().type_by_category)
        for category in DocCategory:
            value = data.get(category.value)
            if isinstance(value, int):
                by_category[category] = value
        raw_details = data.get("details", {})
        if not isinstance(raw_details, Mapping):
            raise DocTypeError("'details' must map type keys to numbers", code="config.doctypes")
        details: dict[str, int] = {}
        for key, number in raw_details.items():
            if key not in _BY_KEY or not isinstance(number, int):
                raise DocTypeError(
                    f"unknown type key {key!r} or non-integer detail", code="config.doctypes"
                )
            details[key] = number
        default_detail = data.get("default_detail", 0)
        if not isinstance(default_detail, int):
            raise DocTypeError("'default_detail' must be an integer", code="config.doctypes")
        return cls(by_category, details, default_detail)

    def to_edxml(self, doctype: DocType) -> DocumentType:
        """The ``DocumentType`` element for a type."""
        return DocumentType(
            type=self.type_by_category[doctype.category],
            type_detail=self.details.get(doctype.key, self.default_detail),
            type_name=doctype.name,
        )

    def from_edxml(self, value: DocumentType) -> DocType | None:
        """The type a ``DocumentType`` element names: by ``TypeName``, else by the numbers
        when exactly one configured type has them."""
        if value.type_name.strip():
            found = lookup_doctype(value.type_name)
            if found is not None:
                return found
        candidates = [
            t
            for t in ALL_TYPES
            if t.key in self.details
            and self.details[t.key] == value.type_detail
            and self.type_by_category[t.category] == value.type
        ]
        return candidates[0] if len(candidates) == 1 else None
