"""Numbers from the system, atomically, on SQLite and PostgreSQL: concurrent clerks never get
the same number, numbers never skip, a failed issue burns nothing, series restart yearly."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine

from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork, uow_factory
from lienthong.errors import WorkflowError
from lienthong.office.numbering import Series
from lienthong.office.registers import RegisterKind
from lienthong.office.workflow import OutgoingState
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from officekit import OfficeWorld, build_world, make_pki

THREADS = 8
PER_THREAD = 25


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("office-pki"))


def _signed_documents(
    world: OfficeWorld, make_uow: Callable[[], UnitOfWork], count: int
) -> list[int]:
    """Drafts moved straight to ``signed`` (the signing itself is tested elsewhere)."""
    ids = []
    for i in range(count):
        doc = world.services.outgoing.create(
            world.actor("a.specialist"), world.draft(subject=f"Văn bản số {i}")
        ).value
        ids.append(doc.id)
    with make_uow() as uow:
        for doc_id in ids:
            assert uow.office.outgoing.change(doc_id, OutgoingState.DRAFT, {"state": "signed"})
        uow.commit()
    return ids


def test_concurrent_clerks_get_every_number_once(
    fresh_engine: Engine, tmp_path: Path, pki: DemoPki
) -> None:
    clock = FixedClock(datetime(2026, 5, 10, 8, 0, tzinfo=UTC))
    make_uow = uow_factory(fresh_engine, clock=clock)
    world = build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)
    ids = _signed_documents(world, make_uow, THREADS * PER_THREAD)
    clerk = world.actor("a.clerk")
    numbers: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def work(batch: list[int]) -> None:
        start.wait()
        for doc_id in batch:
            try:
                doc = world.services.issuing.issue(clerk, doc_id)
            except BaseException as exc:
                with lock:
                    errors.append(exc)
                return
            assert doc.number is not None
            with lock:
                numbers.append(doc.number)

    threads = [
        threading.Thread(target=work, args=(ids[i * PER_THREAD : (i + 1) * PER_THREAD],))
        for i in range(THREADS)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, THREADS * PER_THREAD + 1))
    register = world.services.registers.register(clerk, RegisterKind.OUTGOING, 2026)
    assert [row[0].split("/")[0] for row in register.rows][:12] == [
        "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12",
    ]  # fmt: skip
    assert len(register.rows) == THREADS * PER_THREAD
    with make_uow() as uow:
        assert uow.office.counters.current(world.a.agency_id, Series.OUTGOING, 2026) == 200


def test_racing_for_one_document_burns_no_number(
    fresh_engine: Engine, tmp_path: Path, pki: DemoPki
) -> None:
    clock = FixedClock(datetime(2026, 5, 10, 8, 0, tzinfo=UTC))
    make_uow = uow_factory(fresh_engine, clock=clock)
    world = build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)
    contested, after = _signed_documents(world, make_uow, 2)
    clerk = world.actor("a.clerk")
    won: list[int] = []
    lost: list[str] = []
    start = threading.Barrier(THREADS)

    def work() -> None:
        start.wait()
        try:
            doc = world.services.issuing.issue(clerk, contested)
            assert doc.number is not None
            won.append(doc.number)
        except WorkflowError as exc:
            lost.append(exc.code)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert won == [1]
    assert len(lost) == THREADS - 1
    assert set(lost) <= {"workflow.illegal_transition", "workflow.concurrent_change"}
    assert world.services.issuing.issue(clerk, after).number == 2


def test_a_rolled_back_number_is_given_again(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, pki: DemoPki, clock: FixedClock
) -> None:
    world = build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)
    agency = world.a.agency_id
    with make_uow() as uow:
        assert uow.office.counters.next(agency, Series.OUTGOING, 2026) == 1
        # leaving without commit: rolled back
    with make_uow() as uow:
        assert uow.office.counters.next(agency, Series.OUTGOING, 2026) == 1
        assert uow.office.counters.next(agency, Series.OUTGOING, 2026) == 2
        assert uow.office.counters.next(agency, Series.INCOMING, 2026) == 1
        assert uow.office.counters.next(agency, Series.OUTGOING, 2027) == 1
        assert uow.office.counters.next(world.b.agency_id, Series.OUTGOING, 2026) == 1
        uow.commit()
    with make_uow() as uow:
        assert uow.office.counters.current(agency, Series.OUTGOING, 2026) == 2


def test_numbers_restart_on_the_first_of_january(
    connection: Connection, tmp_path: Path, pki: DemoPki
) -> None:
    clock = FixedClock(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 23:30 in Hanoi
    make_uow = uow_factory(connection, clock=clock)
    world = build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)
    clerk = world.actor("a.clerk")
    first, second, third = _signed_documents(world, make_uow, 3)
    assert world.services.issuing.issue(clerk, first).code == "01/UBND-TTĐT"
    assert world.services.issuing.issue(clerk, second).code == "02/UBND-TTĐT"
    clock.set(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # midnight in Hanoi
    new_year = world.services.issuing.issue(clerk, third)
    assert (new_year.year, new_year.number, new_year.code) == (2027, 1, "01/UBND-TTĐT")
    assert new_year.document_id is not None
    assert new_year.document_id.endswith(",2027/01/01,01/UBND-TTĐT")
