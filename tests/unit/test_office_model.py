"""Plain rules of the office's people: roles, tokens, names; urgency and secrecy values."""

from __future__ import annotations

import pytest

from lienthong.errors import ValidationError
from lienthong.office.model import (
    Actor,
    Confidentiality,
    Role,
    Urgency,
    parse_roles,
    roles_from_text,
    roles_text,
)
from lienthong.office.users import (
    check_password,
    clean_abbreviation,
    clean_username,
    hash_token,
    new_token,
)


def test_roles_round_trip_through_storage() -> None:
    roles = parse_roles(["Leader", " clerk "])
    assert roles == {Role.LEADER, Role.CLERK}
    assert roles_text(roles) == "clerk,leader"
    assert roles_from_text("clerk,leader") == roles
    assert roles_from_text("") == frozenset()


def test_reserved_roles_belong_to_no_user() -> None:
    assert not Role.SYSTEM.assignable
    assert not Role.OPERATOR.assignable
    assert Actor.system(7).roles == {Role.SYSTEM}
    assert Actor.system(7).agency_id == 7
    assert Actor.operator().agency_id is None
    assert not Actor.operator().is_person


def test_tokens_are_random_and_stored_hashed() -> None:
    first, second = new_token(), new_token()
    assert first != second
    assert len(first) == 43  # 32 bytes, URL-safe base64 without padding
    assert hash_token(first) != first
    assert len(hash_token(first)) == 64
    assert hash_token(f" {first} ".strip()) == hash_token(first)


@pytest.mark.parametrize(("value", "clean"), [("VanThu", "vanthu"), (" a.b-c_1 ", "a.b-c_1")])
def test_usernames(value: str, clean: str) -> None:
    assert clean_username(value) == clean


@pytest.mark.parametrize("value", ["a", "văn thư", "x" * 65, "-abc", "a b"])
def test_bad_usernames(value: str) -> None:
    with pytest.raises(ValidationError):
        clean_username(value)


@pytest.mark.parametrize("value", ["CV", "U BND", "UB/ND", "UB-ND", ""])
def test_bad_abbreviations(value: str) -> None:
    with pytest.raises(ValidationError):
        clean_abbreviation(value, what="abbreviation")


def test_abbreviations_keep_vietnamese_letters() -> None:
    assert clean_abbreviation(" TTĐT ", what="abbreviation") == "TTĐT"


def test_short_passwords_are_refused() -> None:
    with pytest.raises(ValidationError):
        check_password("1234567")
    check_password("12345678")


def test_urgency_and_priority() -> None:
    assert [u.priority for u in Urgency] == [0, 1, 2, 3]
    assert Urgency.of_priority(4) is Urgency.HOA_TOC  # legacy "Hỏa tốc hẹn giờ"
    assert Urgency.of_priority(-1) is Urgency.NORMAL
    assert Urgency.THUONG_KHAN.label_vi == "Thượng khẩn"
    assert [c.secret for c in Confidentiality] == [False, True, True, True]
    assert Confidentiality.TUYET_MAT.label_vi == "Tuyệt mật"
