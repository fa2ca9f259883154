"""AgencyRepository on SQLite and PostgreSQL: CRUD, resolution, aliases, locks, changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError

from lienthong.clock import FixedClock
from lienthong.db.tables import agencies
from lienthong.db.uow import UnitOfWork
from lienthong.directory.model import AgencyState, Contact
from lienthong.errors import Conflict, NotFound

UowFactory = Callable[[], UnitOfWork]


def test_add_then_get_returns_every_field(make_uow: UowFactory, clock: FixedClock) -> None:
    contact = Contact(
        address="16 Lê Hồng Phong, Ba Đình, Hà Nội",
        email="vpcp@chinhphu.vn",
        telephone="080.43162",
        fax="080.44130",
        website="https://chinhphu.vn",
    )
    with make_uow() as uow:
        added = uow.agencies.add(
            name="Văn phòng Chính phủ",
            short_name="VPCP",
            qcvn_id="000.00.00.G22",
            qd20_id="G22",
            contact=contact,
            aliases=["vpcp.legacy"],
        )
        got = uow.agencies.get(added.id)

    assert got == added
    assert got.name == "Văn phòng Chính phủ"
    assert got.short_name == "VPCP"
    assert (got.qcvn_id, got.qd20_id) == ("000.00.00.G22", "G22")
    assert got.contact == contact
    assert got.aliases == ("vpcp.legacy",)
    assert got.state is AgencyState.ACTIVE
    assert got.parent_id is None
    assert got.created_at == got.updated_at == clock.now()
    assert got.version == 1
    assert got.identifiers == ("000.00.00.G22", "G22", "vpcp.legacy")


def test_resolve_accepts_every_identifier_form(make_uow: UowFactory) -> None:
    with make_uow() as uow:
        added = uow.agencies.add(
            name="UBND tỉnh Bình Dương",
            qcvn_id="000.00.00.H08",
            qd20_id="H08",
            aliases=["vxp.saas.03"],
        )
        for identifier in ("000.00.00.H08", "H08", "vxp.saas.03", " VXP.SAAS.03 ", "h08"):
            assert uow.agencies.resolve(identifier).id == added.id
        assert uow.agencies.lookup("000.00.00.H41") is None
        assert uow.agencies.lookup("   ") is None
        with pytest.raises(NotFound) as caught:
            uow.agencies.resolve("000.00.00.H41")
        assert caught.value.code == "directory.not_found"


def test_get_unknown_id_is_not_found(make_uow: UowFactory) -> None:
    with make_uow() as uow, pytest.raises(NotFound):
        uow.agencies.get(987654)


def test_an_agency_needs_an_official_id(make_uow: UowFactory) -> None:
    with make_uow() as uow, pytest.raises(Conflict) as caught:
        uow.agencies.add(name="Không mã", aliases=["only.alias"])
    assert caught.value.code == "directory.no_id"


def test_the_schema_itself_refuses_an_agency_without_official_id(
    connection: Connection, clock: FixedClock
) -> None:
    now = clock.now()
    row = {"name": "x", "name_key": "x", "state": "active", "created_at": now}
    with pytest.raises(IntegrityError), connection.begin_nested():
        connection.execute(insert(agencies).values(**row, updated_at=now, version=99))


@pytest.mark.parametrize(
    ("field", "value"),
    [("qcvn_id", "000.00.00.G22"), ("qd20_id", "G22"), ("aliases", ["000.00.00.G22"])],
)
def test_identifiers_are_unique_across_agencies_and_forms(
    make_uow: UowFactory, field: str, value: object
) -> None:
    with make_uow() as uow:
        uow.agencies.add(name="Văn phòng Chính phủ", qcvn_id="000.00.00.G22", qd20_id="G22")
        kwargs: dict[str, object] = {"name": "Trùng mã", "qcvn_id": "000.00.00.G12", field: value}
        with pytest.raises(Conflict) as caught:
            uow.agencies.add(**kwargs)  # type: ignore[arg-type]
        assert caught.value.code == "directory.duplicate_id"
        assert uow.agencies.current_version() == 1


def test_the_same_identifier_twice_in_one_agency_is_refused(make_uow: UowFactory) -> None:
    with make_uow() as uow, pytest.raises(Conflict) as caught:
        uow.agencies.add(name="x", qcvn_id="000.00.00.G22", aliases=["000.00.00.g22"])
    assert caught.value.code == "directory.duplicate_id"


def test_unknown_parent_is_refused_by_the_foreign_key(make_uow: UowFactory) -> None:
    with make_uow() as uow, pytest.raises(Conflict) as caught:
        uow.agencies.add(name="Con mồ côi", qcvn_id="000.00.01.H08", parent_id=424242)
    assert caught.value.code == "directory.conflict"


def _tree(uow: UnitOfWork) -> tuple[int, int, int, int]:
    root = uow.agencies.add(name="UBND tỉnh Bình Dương", qcvn_id="000.00.00.H08").id
    child = uow.agencies.add(name="Sở Nội vụ", qcvn_id="000.00.01.H08", parent_id=root).id
    grandchild = uow.agencies.add(name="Phòng Tổ chức", qcvn_id="000.01.01.H08", parent_id=child).id
    other = uow.agencies.add(name="Văn phòng Chính phủ", qcvn_id="000.00.00.G22").id
    return root, child, grandchild, other


def test_list_filters_by_parent_state_roots_and_name(make_uow: UowFactory) -> None:
    with make_uow() as uow:
        root, child, grandchild, other = _tree(uow)
        uow.agencies.lock(other)
        repo = uow.agencies

        assert [a.id for a in repo.list()] == [root, child, grandchild, other]
        assert [a.id for a in repo.list(parent_id=root)] == [child]
        assert [a.id for a in repo.children(child)] == [grandchild]
        assert [a.id for a in repo.list(roots_only=True)] == [root, other]
        assert [a.id for a in repo.list(state=AgencyState.LOCKED)] == [other]
        assert [a.id for a in repo.list(state=AgencyState.ACTIVE)] == [root, child, grandchild]
        assert [a.id for a in repo.list(name_contains="noi vu")] == [child]
        assert [a.id for a in repo.list(name_contains="BÌNH DƯƠNG")] == [root]
        assert [a.id for a in repo.list(name_contains="100%")] == []
        assert [a.id for a in repo.list(limit=2, offset=1)] == [child, grandchild]
        assert [a.code for a in repo.ancestors(grandchild)] == ["000.00.01.H08", "000.00.00.H08"]


def test_update_changes_fields_time_and_version(make_uow: UowFactory, clock: FixedClock) -> None:
    with make_uow() as uow:
        created = uow.agencies.add(name="Bộ Tài chính", qcvn_id="000.00.00.G12")
        created_at = clock.now()
        clock.advance(timedelta(hours=2))

        updated = uow.agencies.update(
            created.id,
            name="Bộ Tài Chính",
            short_name="BTC",
            qd20_id="G12",
            contact=Contact(email="btc@mof.gov.vn"),
        )

    assert updated.name == "Bộ Tài Chính"
    assert updated.short_name == "BTC"
    assert updated.qd20_id == "G12"
    assert updated.contact == Contact(email="btc@mof.gov.vn")
    assert updated.created_at == created_at
    assert updated.updated_at == created_at + timedelta(hours=2)
    assert updated.version == created.version + 1


def test_update_with_nothing_new_keeps_the_version(make_uow: UowFactory) -> None:
    with make_uow() as uow:
        created = uow.agencies.add(name="Bộ Y tế", qcvn_id="000.00.00.G18")
        same = uow.agencies.update(created.id, name="Bộ Y tế", qcvn_id="000.00.00.G18")
        assert same == created
        assert uow.agencies.current_version() == created.version


def test_update_moves_official_ids_in_resolution(make_uow: UowFactory) -> None:
    with make_uow() as uow:
        created = uow.agencies.add(name="Bộ Y tế", qcvn_id="000.00.00.G18", qd20_id="G18")
        moved = uow.agencies.update(created.id, qcvn_id="000.00.00.G19", qd20_id=None)

        assert (moved.qcvn_id, moved.qd20_id) == ("000.00.00.G19", None)
        assert uow.agencies.resolve("000.00.00.G19").id == created.id
        assert uow.agencies.lookup("000.00.00.G18") is None
        assert uow.agencies.lookup("G18") is None
        with pytest.raises(Conflict) as caught:
            uow.agencies.update(created.id, qcvn_id=None)
        assert caught.value.code == "directory.no_id"


def test_update_refuses_an_id_another_agency_has(make_uow: UowFactory) -> None:
    with make_uow() as uow:
        uow.agencies.add(name="Bộ Y tế", qcvn_id="000.00.00.G18", aliases=["byt"])
        other = uow.agencies.add(name="Bộ Tài chính", qcvn_id="000.00.00.G12")
        for kwargs in ({"qcvn_id": "000.00.00.G18"}, {"qd20_id": "BYT"}):
            with pytest.raises(Conflict):
                uow.agencies.update(other.id, **kwargs)  # type: ignore[arg-type]


def test_lock_and_unlock_are_idempotent(make_uow: UowFactory) -> None:
    with make_uow() as uow:
        created = uow.agencies.add(name="Sở Y tế", qcvn_id="000.00.05.H41")
        locked = uow.agencies.lock(created.id)
        locked_again = uow.agencies.lock(created.id)
        unlocked = uow.agencies.unlock(created.id)

    assert locked.state is AgencyState.LOCKED
    assert not locked.is_active
    assert locked.version == created.version + 1
    assert locked_again.version == locked.version
    assert unlocked.state is AgencyState.ACTIVE
    assert unlocked.version == locked.version + 1


def test_aliases_are_added_resolved_and_removed(make_uow: UowFactory) -> None:
    with make_uow() as uow:
        created = uow.agencies.add(name="Văn phòng Chính phủ", qcvn_id="000.00.00.G22")
        with_alias = uow.agencies.add_alias(created.id, "01.02.G22")
        assert uow.agencies.add_alias(created.id, "01.02.G22") == with_alias
        assert with_alias.aliases == ("01.02.G22",)
        assert with_alias.version == created.version + 1
        assert uow.agencies.resolve("01.02.g22").id == created.id

        without = uow.agencies.remove_alias("01.02.G22")
        assert without.aliases == ()
        assert without.version == with_alias.version + 1
        assert uow.agencies.lookup("01.02.G22") is None
        with pytest.raises(NotFound):
            uow.agencies.remove_alias("01.02.G22")
        with pytest.raises(NotFound):
            uow.agencies.remove_alias("000.00.00.G22")  # an official id, not an alias


def test_changes_since_lists_each_changed_agency_once_in_version_order(
    make_uow: UowFactory,
) -> None:
    with make_uow() as uow:
        repo = uow.agencies
        a = repo.add(name="A", qcvn_id="000.00.00.G01")
        b = repo.add(name="B", qcvn_id="000.00.00.G02")
        c = repo.add(name="C", qcvn_id="000.00.00.G03")
        seen = repo.current_version()
        assert seen == 3
        repo.lock(a.id)
        repo.update(c.id, name="C mới")
        repo.add_alias(a.id, "a.old")

        changes = repo.changes_since(seen)
        assert [(x.id, x.version) for x in changes] == [(c.id, 5), (a.id, 6)]
        assert changes[1].state is AgencyState.LOCKED
        assert changes[1].aliases == ("a.old",)
        assert [x.id for x in repo.changes_since(0)] == [b.id, c.id, a.id]
        assert [x.id for x in repo.changes_since(0, limit=1)] == [b.id]
        assert repo.changes_since(repo.current_version()) == []
