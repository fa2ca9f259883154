"""DirectoryService: the rules of registering and changing agencies, on both databases."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from lienthong.db.uow import UnitOfWork
from lienthong.directory.model import AgencyDraft, AgencyPatch, AgencyState, Contact
from lienthong.directory.services import DirectoryService
from lienthong.errors import Conflict, NotFound, ValidationError


@pytest.fixture
def service(make_uow: Callable[[], UnitOfWork]) -> DirectoryService:
    return DirectoryService(make_uow)


def test_register_cleans_input_and_commits(service: DirectoryService) -> None:
    decomposed = unicodedata.normalize("NFD", "  Văn phòng   Chính phủ ")
    agency = service.register(
        AgencyDraft(
            name=decomposed,
            qcvn_id=" 000.00.00.g22 ",
            qd20_id="g22",
            short_name="",
            contact=Contact(email=" vpcp@chinhphu.vn ", website="chinhphu.vn", fax=" "),
            aliases=("vxp.saas.03",),
        )
    )

    assert agency.name == unicodedata.normalize("NFC", "Văn phòng Chính phủ")
    assert (agency.qcvn_id, agency.qd20_id) == ("000.00.00.G22", "G22")
    assert agency.short_name is None
    assert agency.contact == Contact(email="vpcp@chinhphu.vn", website="chinhphu.vn")
    assert agency.aliases == ("vxp.saas.03",)
    assert service.resolve("vxp.saas.03") == agency


@pytest.mark.parametrize(
    ("draft", "code"),
    [
        (AgencyDraft(name="  ", qcvn_id="000.00.00.G22"), "directory.invalid_name"),
        (AgencyDraft(name="Không mã"), "directory.missing_id"),
        (AgencyDraft(name="x", qcvn_id="H37.DN.001"), "directory.invalid_id"),
        (AgencyDraft(name="x", qd20_id="000.00.00.G22"), "directory.invalid_id"),
        (AgencyDraft(name="x", qcvn_id="000 00 00 G22"), "directory.invalid_id"),
        (AgencyDraft(name="x", qcvn_id="000.00.00.G22", aliases=("a b",)), "directory.invalid_id"),
        (
            AgencyDraft(name="x", qcvn_id="000.00.00.G22", contact=Contact(email="no-at-sign")),
            "directory.invalid_contact",
        ),
        (
            AgencyDraft(name="x", qcvn_id="000.00.00.G22", parent="000.00.00.H99"),
            "directory.invalid_parent",
        ),
    ],
)
def test_register_refuses_bad_input_and_stores_nothing(
    service: DirectoryService, draft: AgencyDraft, code: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.register(draft)
    assert caught.value.code == code
    assert service.current_version() == 0


def test_register_refuses_a_taken_id(service: DirectoryService) -> None:
    service.register(AgencyDraft(name="Văn phòng Chính phủ", qcvn_id="000.00.00.G22"))
    with pytest.raises(Conflict):
        service.register(AgencyDraft(name="Khác", qd20_id="G22", aliases=("000.00.00.G22",)))
    assert len(service.list()) == 1


def test_parent_is_inferred_from_the_nearest_known_ancestor_id(
    service: DirectoryService,
) -> None:
    province = service.register(AgencyDraft(name="UBND tỉnh Bình Dương", qcvn_id="000.00.00.H08"))
    office = service.register(AgencyDraft(name="Phòng Tổ chức", qcvn_id="000.01.01.H08"))
    department = service.register(AgencyDraft(name="Sở Nội vụ", qcvn_id="000.00.01.H08"))
    qd20_unit = service.register(AgencyDraft(name="Doanh nghiệp", qd20_id="H08.DN.001"))
    lone = service.register(AgencyDraft(name="Bộ Y tế", qcvn_id="000.00.00.G18"))

    assert office.parent_id == province.id  # 000.00.01.H08 was not known yet
    assert department.parent_id == province.id
    assert qd20_unit.parent_id is None  # neither H08.DN nor H08 is a QĐ 20 id here
    assert lone.parent_id is None
    assert [a.id for a in service.children("000.00.00.H08")] == [
        office.id,
        department.id,
    ]


def test_explicit_parent_by_any_identifier(service: DirectoryService) -> None:
    parent = service.register(
        AgencyDraft(name="UBND tỉnh Nghệ An", qcvn_id="000.00.00.H41", aliases=("na.old",))
    )
    child = service.register(AgencyDraft(name="Sở Y tế", qcvn_id="000.00.05.H41", parent="na.old"))

    assert child.parent_id == parent.id
    assert [a.id for a in service.list(parent="000.00.00.H41")] == [child.id]


def test_update_applies_only_the_given_fields(service: DirectoryService) -> None:
    created = service.register(
        AgencyDraft(
            name="Bộ Tài chính",
            qcvn_id="000.00.00.G12",
            contact=Contact(email="btc@mof.gov.vn", telephone="024 2220 2828"),
        )
    )
    updated = service.update(
        "000.00.00.G12", AgencyPatch(short_name="BTC", telephone=None, fax="024 2220 8091")
    )

    assert updated.name == created.name
    assert updated.short_name == "BTC"
    assert updated.contact == Contact(email="btc@mof.gov.vn", fax="024 2220 8091")
    assert updated.version == created.version + 1


def test_update_parent_refuses_cycles_and_accepts_root(service: DirectoryService) -> None:
    service.register(AgencyDraft(name="UBND tỉnh Bình Dương", qcvn_id="000.00.00.H08"))
    service.register(AgencyDraft(name="Sở Nội vụ", qcvn_id="000.00.01.H08"))
    service.register(AgencyDraft(name="Phòng Tổ chức", qcvn_id="000.01.01.H08"))

    for parent in ("000.01.01.H08", "000.00.00.H08"):
        with pytest.raises(ValidationError) as caught:
            service.update("000.00.00.H08", AgencyPatch(parent=parent))
        assert caught.value.code == "directory.invalid_parent"

    moved = service.update("000.01.01.H08", AgencyPatch(parent="000.00.00.H08"))
    assert moved.parent_id == service.resolve("000.00.00.H08").id
    root = service.update("000.01.01.H08", AgencyPatch(parent=None))
    assert root.parent_id is None


def test_update_cannot_remove_both_official_ids(service: DirectoryService) -> None:
    service.register(AgencyDraft(name="Bộ Y tế", qcvn_id="000.00.00.G18"))
    with pytest.raises(ValidationError) as caught:
        service.update("000.00.00.G18", AgencyPatch(qcvn_id=""))
    assert caught.value.code == "directory.missing_id"
    switched = service.update("000.00.00.G18", AgencyPatch(qcvn_id=None, qd20_id="G18"))
    assert (switched.qcvn_id, switched.qd20_id) == (None, "G18")


def test_lock_unlock_and_aliases_through_the_service(service: DirectoryService) -> None:
    service.register(AgencyDraft(name="Sở Y tế", qcvn_id="000.00.05.H41"))

    assert service.lock("000.00.05.H41").state is AgencyState.LOCKED
    assert [a.code for a in service.list(state=AgencyState.LOCKED)] == ["000.00.05.H41"]
    assert service.unlock("000.00.05.H41").is_active
    assert service.add_alias("000.00.05.H41", "syt.na").aliases == ("syt.na",)
    assert service.resolve("SYT.NA").code == "000.00.05.H41"
    assert service.remove_alias("syt.na").aliases == ()
    assert service.lookup("syt.na") is None
    with pytest.raises(NotFound):
        service.lock("000.00.06.H41")


def test_changes_since_through_the_service(service: DirectoryService) -> None:
    service.register(AgencyDraft(name="A", qcvn_id="000.00.00.G01"))
    mark = service.current_version()
    b = service.register(AgencyDraft(name="B", qcvn_id="000.00.00.G02"))

    assert [a.id for a in service.changes_since(mark)] == [b.id]
