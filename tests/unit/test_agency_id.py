"""Agency identifiers: both standard forms, non-standard ids, normalisation, generation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.edxml.agency_id import (
    KNOWN_LEVEL1,
    AgencyIdError,
    AgencyIdForm,
    BodyKind,
    is_valid_agency_id,
    level1_info,
    make_child,
    make_qcvn102,
    normalize_agency_id,
    parse_agency_id,
    require_standard,
    validate_agency_id,
)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("000.00.00.H08", 1),
        ("000.00.01.H08", 2),
        ("000.01.01.H08", 3),
        ("001.01.01.H08", 4),
    ],
)
def test_qcvn102_levels(value: str, level: int) -> None:
    parsed = parse_agency_id(value)
    assert parsed.form is AgencyIdForm.QCVN102
    assert parsed.level == level
    assert parsed.level1 == "H08"
    assert parsed.is_standard


def test_qcvn102_parent_chain_reads_right_to_left() -> None:
    parsed = parse_agency_id("000.01.01.H08")
    assert parsed.parent is not None
    assert parsed.parent.value == "000.00.01.H08"
    assert [a.value for a in parsed.ancestors()] == ["000.00.01.H08", "000.00.00.H08"]
    top = parse_agency_id("000.00.00.H08")
    assert top.parent is None
    assert top.ancestors() == []


def test_qcvn102_with_a_skipped_level_drops_the_deepest_unit_first() -> None:
    # Seen in a real package: a level-4 unit directly under a level-2 unit.
    parsed = parse_agency_id("002.00.20.H13")
    assert parsed.level == 4
    assert [a.value for a in parsed.ancestors()] == ["000.00.20.H13", "000.00.00.H13"]


def test_qd20_form_groups_left_to_right() -> None:
    parsed = parse_agency_id("H37.DN.001")
    assert parsed.form is AgencyIdForm.QD20
    assert parsed.level == 3
    assert parsed.level1 == "H37"
    assert [a.value for a in parsed.ancestors()] == ["H37.DN", "H37"]
    assert parse_agency_id("H37").parent is None


def test_qd20_longer_than_35_characters_is_not_standard() -> None:
    long_id = "H37." + ".".join(["ABCDEFGH"] * 4)  # 39 characters
    assert len(long_id) > 35
    assert parse_agency_id(long_id).form is AgencyIdForm.NONSTANDARD
    assert parse_agency_id(long_id[:35].rstrip(".")).form is AgencyIdForm.QD20


@pytest.mark.parametrize("value", ["vxp.saas.03", "01.02.G22", "28.22.H17"])
def test_nonstandard_ids_are_kept_exactly_and_have_no_structure(value: str) -> None:
    parsed = parse_agency_id(value)
    assert parsed.form is AgencyIdForm.NONSTANDARD
    assert parsed.value == value  # case and content untouched
    assert parsed.level is None
    assert parsed.level1 is None
    assert parsed.parent is None
    assert not parsed.is_standard


def test_normalise_strips_and_uppercases_standard_forms_only() -> None:
    assert normalize_agency_id("  000.00.00.h41\n") == "000.00.00.H41"
    assert normalize_agency_id("h37.dn.001") == "H37.DN.001"
    assert normalize_agency_id(" vxp.saas.03 ") == "vxp.saas.03"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "agency_id.missing"),
        ("   ", "agency_id.missing"),
        ("000.00.00 H41", "agency_id.invalid"),
        ("<script>", "agency_id.invalid"),
        ("x" * 65, "agency_id.too_long"),
    ],
)
def test_garbage_is_an_error_with_a_stable_code(value: str, code: str) -> None:
    with pytest.raises(AgencyIdError) as info:
        parse_agency_id(value)
    assert info.value.code == code
    problems = validate_agency_id(value)
    assert [(p.code, p.severity) for p in problems] == [(code, "error")]


def test_validate_reports_nonstandard_as_a_warning() -> None:
    problems = validate_agency_id("vxp.saas.03")
    assert [(p.code, p.severity) for p in problems] == [("agency_id.nonstandard", "warning")]
    assert validate_agency_id("000.00.00.G22") == []
    assert [p.code for p in validate_agency_id("000.00.00.g22")] == ["agency_id.not_normalized"]


def test_is_valid() -> None:
    assert is_valid_agency_id("000.00.00.G22")
    assert is_valid_agency_id("H37.DN.001")
    assert not is_valid_agency_id("vxp.saas.03")
    assert is_valid_agency_id("vxp.saas.03", allow_nonstandard=True)
    assert not is_valid_agency_id("", allow_nonstandard=True)


def test_prefix_letters_and_known_bodies() -> None:
    assert level1_info("G22").kind is BodyKind.GOVERNMENT
    assert level1_info("G22").name == "Văn phòng Chính phủ"
    assert level1_info("H41").kind is BodyKind.PROVINCIAL_COMMITTEE
    assert level1_info("H41").name == "Nghệ An"
    assert level1_info("K41").kind is BodyKind.PROVINCIAL_COUNCIL
    assert level1_info("A01").kind is BodyKind.UNKNOWN
    assert level1_info("A01").name == ""
    assert set(KNOWN_LEVEL1) == {"G22", "G12", "G18", "H41", "H08", "H14"}
    info = parse_agency_id("000.00.01.H08").level1_info
    assert info is not None
    assert info.describe() == "H08 — Ủy ban nhân dân tỉnh, thành phố: Bình Dương"


def test_generation_refuses_nonstandard_ids() -> None:
    with pytest.raises(AgencyIdError) as info:
        require_standard("vxp.saas.03")
    assert info.value.code == "agency_id.nonstandard"
    with pytest.raises(AgencyIdError):
        make_child("01.02.G22", 1)
    assert require_standard("000.00.00.G22").value == "000.00.00.G22"


def test_make_qcvn102_and_children() -> None:
    assert make_qcvn102("h08").value == "000.00.00.H08"
    assert make_qcvn102("H08", 1, 1).value == "000.01.01.H08"
    assert make_child("000.00.00.H08", 1).value == "000.00.01.H08"
    assert make_child("000.00.01.H08", 12).value == "000.12.01.H08"
    assert make_child("000.12.01.H08", 7).value == "007.12.01.H08"
    assert make_child("H37", "dn").value == "H37.DN"
    with pytest.raises(AgencyIdError):
        make_child("007.12.01.H08", 1)  # no level 5
    with pytest.raises(AgencyIdError):
        make_child("000.00.00.H08", 0)
    with pytest.raises(AgencyIdError):
        make_qcvn102("H08", 100)
    with pytest.raises(AgencyIdError):
        make_qcvn102("8H0")


@given(
    body=st.from_regex(r"[A-Z][0-9]{2}", fullmatch=True),
    levels=st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 999)),
)
def test_every_qcvn102_id_climbs_to_its_body(body: str, levels: tuple[int, int, int]) -> None:
    parsed = make_qcvn102(body, *levels)
    chain = [parsed, *parsed.ancestors()]
    assert chain[-1].value == f"000.00.00.{body}"
    assert chain[-1].level == 1
    assert all(a.level1 == body for a in chain)
    assert [a.level for a in chain] == sorted((a.level or 0 for a in chain), reverse=True)


@given(st.text(max_size=80))
def test_parse_never_crashes_on_arbitrary_text(value: str) -> None:
    try:
        parsed = parse_agency_id(value)
    except AgencyIdError:
        return
    assert parsed.value == parsed.value.strip()
    assert parsed.value


def test_only_ascii_digits_make_a_standard_id() -> None:
    with pytest.raises(AgencyIdError):
        parse_agency_id("٠٠٠.٠٠.٠٠.H41")  # Arabic-Indic digits
