"""Document types, copy kinds, numbers and notations (Decree 30), and the edXML mapping."""

from __future__ import annotations

import pytest

from lienthong.edxml.doctypes import (
    ADMINISTRATIVE_TYPES,
    ALL_TYPES,
    CONG_VAN,
    NORMATIVE_TYPES,
    THU_CONG,
    CopyKind,
    DocCategory,
    DocType,
    DocTypeError,
    EdxmlTypeTable,
    build_code,
    build_notation,
    check_code_number,
    doctype_by_abbreviation,
    format_number,
    lookup_doctype,
    parse_code,
    parse_notation,
)
from lienthong.edxml.model import DocumentType
from lienthong.text import fold


def _type(name: str) -> DocType:
    found = lookup_doctype(name)
    assert found is not None, name
    return found


def test_the_decree_lists_29_types_two_without_abbreviation() -> None:
    assert len(ADMINISTRATIVE_TYPES) == 29
    assert [t.name for t in ADMINISTRATIVE_TYPES if t.abbreviation is None] == [
        "Công văn",
        "Thư công",
    ]
    abbreviations = [t.abbreviation for t in ADMINISTRATIVE_TYPES if t.abbreviation]
    assert len(set(abbreviations)) == 27
    assert {"NQ", "QĐ", "QyĐ", "CTr", "ĐA", "DA", "TTr", "HĐ", "CĐ", "GNP", "PB"} <= set(
        abbreviations
    )


def test_keys_and_folded_names_are_unique() -> None:
    assert len({t.key for t in ALL_TYPES}) == len(ALL_TYPES)
    folded = [fold(t.display_name) for t in ALL_TYPES]
    assert len(set(folded)) == len(folded)


def test_lookup_tolerates_case_and_diacritics() -> None:
    assert lookup_doctype("Công văn") is CONG_VAN
    assert lookup_doctype("cong van") is CONG_VAN
    assert lookup_doctype("  CÔNG   VĂN ") is CONG_VAN
    assert lookup_doctype("thu cong") is THU_CONG
    assert _type("quyet dinh").abbreviation == "QĐ"
    assert _type("Nghị quyết (cá biệt)").abbreviation == "NQ"
    assert _type("de an").abbreviation == "ĐA"
    assert _type("du an").abbreviation == "DA"
    assert _type("quy_dinh").abbreviation == "QyĐ"
    assert lookup_doctype("Thư điện tử") is None


def test_normative_types_are_registrable_and_marked() -> None:
    names = {t.name for t in NORMATIVE_TYPES}
    assert {"Luật", "Nghị định", "Thông tư", "Thông tư liên tịch", "Hiến pháp"} <= names
    decree = _type("nghi dinh")
    assert decree.is_normative
    assert decree.category is DocCategory.NORMATIVE
    assert decree.registrable
    assert decree.abbreviation is None
    # Names shared by both kinds find the individual (administrative) document first.
    assert not _type("Quyết định").is_normative
    assert _type("Quyết định (quy phạm pháp luật)").is_normative


def test_copy_kinds() -> None:
    assert [k.value for k in CopyKind] == ["SY", "TrS", "SL"]
    assert CopyKind.TRICH_SAO.name_vi == "Bản trích sao"


def test_abbreviations_are_exact_and_cv_is_refused() -> None:
    assert _type("quy dinh") is doctype_by_abbreviation("QyĐ")
    assert _type("quyet dinh") is doctype_by_abbreviation("QĐ")
    assert doctype_by_abbreviation("XYZ") is None
    with pytest.raises(DocTypeError, match="công văn has no type abbreviation") as info:
        doctype_by_abbreviation("CV")
    assert info.value.code == "doctype.cv_abbreviation"


@pytest.mark.parametrize(("number", "text"), [(1, "01"), (5, "05"), (10, "10"), (7816, "7816")])
def test_numbers_below_ten_take_a_leading_zero(number: int, text: str) -> None:
    assert format_number(number) == text


def test_number_zero_is_refused() -> None:
    with pytest.raises(DocTypeError):
        format_number(0)


@pytest.mark.parametrize(
    ("text", "code", "severity"),
    [
        ("", "code.number_missing", "error"),
        ("74fass22", "code.number_not_numeric", "error"),
        ("0", "code.number_zero", "error"),
        ("5", "code.number_format", "warning"),
        ("012", "code.number_format", "warning"),
    ],
)
def test_check_code_number(text: str, code: str, severity: str) -> None:
    assert [(i.code, i.severity) for i in check_code_number(text)] == [(code, severity)]


def test_well_formed_code_numbers() -> None:
    assert check_code_number("05") == []
    assert check_code_number("7816") == []


def test_build_named_type_and_cong_van_codes() -> None:
    assert build_code(12, _type("quyet dinh"), "UBND") == "12/QĐ-UBND"
    assert build_code(5, _type("thong bao"), "VPCP") == "05/TB-VPCP"
    assert build_code(7816, CONG_VAN, "VPCP", "TTĐT") == "7816/VPCP-TTĐT"
    assert build_notation(CONG_VAN, "UBND") == "UBND"


@pytest.mark.parametrize(
    ("agency", "unit", "code"),
    [
        ("CV", "", "doctype.cv_abbreviation"),
        ("UB ND", "", "code.notation_format"),
        ("", "", "code.notation_format"),
        ("UBND", "VP/TH", "code.notation_format"),
    ],
)
def test_build_refuses_bad_groups(agency: str, unit: str, code: str) -> None:
    with pytest.raises(DocTypeError) as info:
        build_notation(CONG_VAN, agency, unit)
    assert info.value.code == code


def test_normative_notations_are_not_built_here() -> None:
    with pytest.raises(DocTypeError) as info:
        build_notation(_type("nghi dinh"), "CP")
    assert info.value.code == "doctype.normative"


def test_parse_code() -> None:
    assert parse_code("7816/VPCP-TTĐT") == ("7816", "VPCP-TTĐT")
    assert parse_code(" 12/QĐ-UBND ") == ("12", "QĐ-UBND")
    assert parse_code("12/2020/NĐ-CP") == ("12", "2020/NĐ-CP")
    assert parse_code("7816") == ("7816", "")
    for bad in ("", "/QĐ-UBND", "12 / QĐ-UBND"):
        with pytest.raises(DocTypeError):
            parse_code(bad)


def test_parse_notation() -> None:
    named = parse_notation("QĐ-UBND")
    assert named.doctype is not None
    assert named.doctype.name == "Quyết định"
    assert named.agency == "UBND"
    letter = parse_notation("VPCP-TTĐT")
    assert letter.doctype is None
    assert (letter.agency, letter.drafting_unit) == ("VPCP", "TTĐT")
    with pytest.raises(DocTypeError, match="CV"):
        parse_notation("CV-UBND")
    with pytest.raises(DocTypeError):
        parse_notation("QĐ--UBND")


def test_edxml_mapping_defaults() -> None:
    table = EdxmlTypeTable()
    assert table.to_edxml(CONG_VAN) == DocumentType(type=1, type_detail=0, type_name="Công văn")
    assert table.to_edxml(_type("nghi dinh")).type == 2
    assert table.from_edxml(DocumentType(1, 0, "Công văn")) is CONG_VAN
    assert table.from_edxml(DocumentType(1, 0, "cong van")) is CONG_VAN
    # Without a name, the numbers decide when exactly one configured type has them.
    assert table.from_edxml(DocumentType(1, 0, "")) is CONG_VAN
    assert table.from_edxml(DocumentType(7, 7, "")) is None


def test_edxml_mapping_is_configurable() -> None:
    table = EdxmlTypeTable.from_mapping(
        {"administrative": 3, "details": {"quyet_dinh": 4, "cong_van": 0}}
    )
    decision = _type("quyet dinh")
    assert table.to_edxml(decision) == DocumentType(type=3, type_detail=4, type_name="Quyết định")
    assert table.from_edxml(DocumentType(3, 4, "")) is decision
    with pytest.raises(DocTypeError):
        EdxmlTypeTable.from_mapping({"details": {"no_such_type": 1}})
    with pytest.raises(DocTypeError):
        EdxmlTypeTable.from_mapping({"details": ["cong_van"]})
