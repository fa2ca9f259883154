"""The hub's PostgreSQL fast path (:mod:`lienthong.hub.pgsql`) against its Core twin, and
what only real commits show: concurrent identical sends, the NOTIFY payload."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, event, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from hubkit import G12, G22, H08, H41, HubWorld, build_world
from lienthong.clock import VN_TZ, FixedClock
from lienthong.db import migrate
from lienthong.db.engine import make_engine
from lienthong.db.tables import hub_audit, hub_deliveries, hub_packages
from lienthong.db.uow import UnitOfWork, uow_factory
from lienthong.hub import pgsql
from lienthong.hub.intake_facts import delivery_row
from lienthong.hub.model import AckState, PackageKind, Recipient, dedup_key_parts
from lienthong.hub.notify import Notifier, PgListener
from lienthong.hub.records import DeliveryRef, IntakeResult
from lienthong.hub.repository import NOTIFY_CHANNEL, HubRepository, notify_payload
from lienthong.hub.repository_audit import AuditRepository
from lienthong.hub.repository_systems import SystemRepository
from lienthong.hub.webhooks import due_pushes

pytestmark = pytest.mark.postgres

CLAIM_INDEX = "ix_hub_deliveries_recipient_id_state_available_at"
PUSH_INDEX = "ix_hub_deliveries_push_state_push_next_at"


@pytest.fixture
def pg_uow(postgresql_engine: Engine, clock: FixedClock) -> Iterator[Callable[[], UnitOfWork]]:
    """Units of work on PostgreSQL inside this test's transaction (rolled back after)."""
    with postgresql_engine.connect() as conn:
        outer = conn.begin()
        try:
            yield uow_factory(conn, clock=clock)
        finally:
            outer.rollback()


@pytest.fixture
def pg_engine(pg_databases: Callable[[], URL]) -> Iterator[Engine]:
    """A database of this test's own (real commits, several connections)."""
    engine = make_engine(pg_databases())
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _as_dict(row: Any) -> dict[str, Any]:
    return dict(row._asdict())


def test_fast_statements_answer_as_the_core_ones(
    pg_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    world = build_world(pg_uow, tmp_path / "blobs")
    world.hub.systems.set_webhook("sys-nghean", "http://127.0.0.1:9/hook")
    sent = world.send("sys-vpcp", world.document(G22, [H41, G12]))
    world.advance(5)
    claimed = world.hub.delivery.receive("sys-nghean", visibility_s=30)
    assert [d.recipient for d in claimed] == [H41]
    ids = [ref.delivery_id for ref in sent.deliveries]
    with world.uow() as uow:
        fast, core = uow.hub, HubRepository(uow.session, fast=False)
        key = uow.session.execute(select(hub_packages.c.dedup_key)).scalar_one()
        for repo in (fast, core):
            assert repo.dialect == "postgresql"
        pairs: list[tuple[Any, Any]] = [
            (fast.find_duplicate(key), core.find_duplicate(key)),
            (fast.find_duplicate("0" * 64), None),
            (fast.deliveries(ids), core.deliveries(ids)),
        ]
        for identifier, system in ((H41, "sys-nghean"), (H41, "sys-vpcp"), ("000.00.00.X99", "x")):
            a, b = fast.sender(identifier, system), core.sender(identifier, system)
            pairs.append((a and (vars_of(a[0]), a[1]), b and (vars_of(b[0]), b[1])))
        wanted = [G22, H41, "000.00.00.X99"]
        a, b = fast.resolve_agencies(wanted), core.resolve_agencies(wanted)
        assert set(a) == {G22, H41}
        pairs.append(({k: vars_of(v) for k, v in a.items()}, {k: vars_of(v) for k, v in b.items()}))
        hosted: list[bool] = []
        for delivery_id in ids:
            for system in ("sys-nghean", "sys-other", "nope"):
                for lock in (False, True):
                    a, b = (
                        fast.delivery_row(delivery_id, system, for_update=lock),
                        core.delivery_row(delivery_id, system),
                    )
                    pairs.append((_as_dict(a), _as_dict(b)))
                    hosted.append(a.hosted)
        # sys-nghean hosts H41 (the first delivery's recipient), sys-other G12.
        yes, no = [True, True], [False, False]
        assert hosted == [*yes, *no, *no, *no, *yes, *no]
        assert fast.delivery_row("nope", "sys-nghean") is None
        systems, plain = uow.hub_systems, SystemRepository(uow.session, fast=False)
        for system in ("sys-nghean", "sys-other", "nope"):
            pairs.append((systems.credentials(system), plain.credentials(system)))
            pairs.append((systems.hosted(system), plain.hosted(system)))
        agencies = [r.agency_id for r in fast.resolve_agencies([H41, G12, H08]).values()]
        pairs.append((systems.webhook_targets(agencies), plain.webhook_targets(agencies)))
    for got, expected in pairs:
        assert got == expected
    leased = [d for d in fast_deliveries(world, ids) if d.state.value == "leased"]
    assert len(leased) == 1
    assert leased[0].lease_until is not None
    assert leased[0].lease_until.tzinfo is UTC
    assert leased[0].received_at.tzinfo is UTC


def test_intake_reads_answer_as_the_core_ones(
    pg_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    world = build_world(pg_uow, tmp_path / "blobs")
    world.hub.systems.set_webhook("sys-nghean", "http://127.0.0.1:9/hook")
    package = world.document(G22, [H41, G12])
    sent = world.send("sys-vpcp", package)
    world.hub.directory.lock(H08)
    with world.uow() as uow:
        stored = uow.session.execute(select(hub_packages.c.dedup_key)).scalar_one()
        sender_id = uow.hub.sender(G22, "sys-vpcp")
        assert sender_id is not None
        doc = uow.session.execute(select(hub_packages.c.document_id)).scalar_one()
    same = dedup_key_parts(PackageKind.DOCUMENT, document_id=doc, business_type=0)
    other = dedup_key_parts(PackageKind.DOCUMENT, document_id=doc, business_type=1)
    assert same.for_sender(str(sender_id[0].agency_id)) == stored
    cases = [
        ("sys-vpcp", G22, same, [H41, G12, "000.00.00.X99", f" {H41.lower()} "]),
        ("sys-vpcp", G22, other, [H08]),
        ("sys-nghean", G22, same, []),  # known, not hosted by the caller
        ("sys-vpcp", "000.00.00.X99", same, [G12]),  # unknown sender
    ]
    results = []
    with world.uow() as uow:
        fast, core = uow.hub, HubRepository(uow.session, fast=False)
        for system, sender, key, to in cases:
            results.append(
                (
                    _reads(fast.intake_reads(system, sender, key, to)),
                    _reads(core.intake_reads(system, sender, key, to)),
                )
            )
    for got, expected in results:
        assert got == expected
    first = results[0][0]
    assert first["sender"] == (sender_id[0].agency_id, G22, False, True)
    assert first["duplicate"] == dataclasses.replace(sent, duplicate=True)
    assert sorted(first["agencies"]) == [G12, H41]
    nghean = first["agencies"][H41][0]
    assert first["webhooks"] == {nghean: ("sys-nghean", "http://127.0.0.1:9/hook")}
    assert results[1][0]["duplicate"] is None
    assert results[1][0]["agencies"][H08][2] is True  # locked
    assert first["agencies"][H41][2] is False
    assert results[2][0]["sender"][3] is False  # not hosted
    assert results[3][0]["sender"] is None
    assert results[3][0]["duplicate"] is None


def _reads(reads: Any) -> dict[str, Any]:
    return {
        "sender": reads.sender and (*vars_of(reads.sender[0]), reads.sender[1]),
        "duplicate": reads.duplicate,
        "agencies": {k: vars_of(v) for k, v in reads.agencies.items()},
        "webhooks": reads.webhooks,
    }


def vars_of(agency: Any) -> tuple[int, str, bool]:
    return agency.agency_id, agency.code, agency.locked


def fast_deliveries(world: HubWorld, ids: list[str]) -> list[Any]:
    with world.uow() as uow:
        return uow.hub.deliveries(ids)


def test_intake_writes_in_one_statement_what_the_core_statements_write(
    pg_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    """The package, its deliveries and the audit entry written by ``pgsql.INTAKE_WRITE``
    (the prelude of the entry) read back as those written one statement at a time."""
    world = build_world(pg_uow, tmp_path / "blobs")
    with world.uow() as uow:
        found = uow.hub.resolve_agencies([G22, H41, G12])
    sender, h41, g12 = (found[c].agency_id for c in (G22, H41, G12))
    now = world.clock.now()

    def rows(tag: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        package = {
            "id": f"P{tag}",
            "kind": "status",
            "sha256": "a" * 64,
            "size": 12,
            "system_id": "sys-vpcp",
            "sender_id": sender,
            "sender_code": G22,
            "document_id": "000.00.00.G22,2026/05/10,7/VPCP-TTĐT",
            "code": None,
            "subject": "Trích yếu có dấu: “ngoặc” và \\ gạch",
            "business_type": None,
            "business_document_id": None,
            "status_code": "03",
            "status_description": None,
            "status_at": (now - timedelta(minutes=3, microseconds=250)).astimezone(VN_TZ),
            "dedup_key": tag * 64,
            "trace": '[{"organ_id":"000.00.00.G22","at":"2026-05-10T08:00:00+07:00"}]',
            "received_at": now,
        }
        deliveries = [
            delivery_row(
                ref=DeliveryRef(f"D{tag}{n}", code),
                recipient=Recipient(agency, code),
                kind=PackageKind.STATUS,
                push=push,
                package_id=f"P{tag}",
                now=now,
            )
            for n, (agency, code, push) in enumerate(((h41, H41, True), (g12, G12, False)))
        ]
        return package, deliveries

    one_package, one_deliveries = rows("1")
    core_package, core_deliveries = rows("2")
    entry = ("intake", "sys-vpcp", "P", {"deliveries": 2})
    with world.uow() as uow:
        partial = {k: v for k, v in one_package.items() if k != "subject"}
        with pytest.raises(ValueError, match="every column"):  # it would be NULL
            uow.hub.intake_writes(partial, one_deliveries, [h41], push=False)
        prelude = uow.hub.intake_writes(one_package, one_deliveries, [h41, g12], push=True)
        assert prelude is not None
        [one] = uow.hub_audit.append([entry], now, prelude=prelude)
        core = HubRepository(uow.session, fast=False)
        assert core.intake_writes(core_package, core_deliveries, [h41], push=False) is None
        core.add_package(core_package)
        core.add_deliveries(core_deliveries)
        [two] = AuditRepository(uow.session, fast=False).append([entry], now)
        stored = {r.id: _as_dict(r) for r in uow.session.execute(select(hub_packages))}
        delivered = {r.id: _as_dict(r) for r in uow.session.execute(select(hub_deliveries))}
        uow.commit()
    assert stored["P1"] == one_package
    assert {**stored["P2"], "id": "P1", "dedup_key": "1" * 64} == stored["P1"]
    for n in (0, 1):
        first, second = delivered[f"D1{n}"], delivered[f"D2{n}"]
        assert {**second, "id": first["id"], "package_id": "P1"} == first
        assert first == one_deliveries[n]
    assert two.seq == one.seq + 1
    assert two.prev_hash == one.hash
    assert world.hub.audit.verify().ok


def test_a_delivery_update_with_its_audit_entry_writes_what_the_core_update_writes(
    pg_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    world = build_world(pg_uow, tmp_path / "blobs")
    sent = world.send("sys-vpcp", world.document(G22, [H41, G12]))
    first, second = (ref.delivery_id for ref in sent.deliveries)
    now = world.clock.now()
    values = {"state": "done", "acked_at": now, "ack_reason": "đã xử lý", "leased_by": "sys-x"}
    entry = ("ack", "sys-x", first, {"state": "done"})
    with world.uow() as uow:
        prelude = uow.hub.delivery_update(first, values)
        assert prelude is not None
        [one] = uow.hub_audit.append([entry], now, prelude=prelude)
        core = HubRepository(uow.session, fast=False)
        assert core.delivery_update(second, values) is None
        core.set_delivery(second, values)
        [two] = AuditRepository(uow.session, fast=False).append([entry], now)
        rows = {r.id: _as_dict(r) for r in uow.session.execute(select(hub_deliveries))}
        uow.commit()
    assert {k: rows[first][k] for k in values} == values
    assert {
        **rows[second],
        "id": first,
        "recipient_id": rows[first]["recipient_id"],
        "recipient_code": rows[first]["recipient_code"],
    } == rows[first]
    assert two.seq == one.seq + 1
    assert world.hub.audit.verify().ok


def test_driver_errors_come_back_as_sqlalchemy_errors(
    pg_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    world = build_world(pg_uow, tmp_path / "blobs")
    world.send("sys-vpcp", world.document(G22, [H41]))
    with world.uow() as uow:
        row = uow.session.execute(select(hub_packages)).one()
        with pytest.raises(IntegrityError):
            uow.hub.add_package(row._asdict())


def test_concurrent_sends_of_one_package_store_it_once(pg_engine: Engine, tmp_path: Path) -> None:
    world = build_world(uow_factory(pg_engine), tmp_path / "blobs")
    data = world.document(G22, [H41, G12])
    start = threading.Barrier(6)
    results: list[IntakeResult] = []
    errors: list[BaseException] = []

    def send() -> None:
        start.wait()
        try:
            results.append(world.send("sys-vpcp", data))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len({r.package_id for r in results}) == 1
    assert sorted(r.duplicate for r in results) == [False, True, True, True, True, True]
    assert {tuple(r.deliveries) for r in results} == {results[0].deliveries}
    assert world.counts()["hub_packages"] == 1
    assert world.counts()["hub_deliveries"] == 2
    assert world.blob_count() == 1


def test_notify_says_when_deliveries_are_to_be_pushed(pg_engine: Engine, tmp_path: Path) -> None:
    world = build_world(uow_factory(pg_engine), tmp_path / "blobs")
    world.hub.systems.set_webhook("sys-nghean", "http://127.0.0.1:9/hook")
    url = pg_engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f'LISTEN "{NOTIFY_CHANNEL}"')
        world.send("sys-vpcp", world.document(G22, [H41]))  # sys-nghean has a webhook
        world.send("sys-vpcp", world.document(G22, [G12]))  # sys-other has none
        payloads = [n.payload for n in listener.notifies(timeout=5, stop_after=2)]
    with world.uow() as uow:
        found = uow.hub.resolve_agencies([H41, G12])
    h41, g12 = found[H41].agency_id, found[G12].agency_id
    assert payloads == [f"push,{h41}", str(g12)]


def test_a_notification_about_too_many_agencies_for_one_payload_wakes_every_long_poll(
    pg_engine: Engine,
) -> None:
    """A broadcast to thousands of agencies cannot name them all in one NOTIFY (8000
    bytes at most): the listener of every node then wakes all its long-polls, so none of
    the recipients waits for its next re-check."""
    notifier = Notifier()
    listener = PgListener(pg_engine, notifier)
    recipients = list(range(100_000, 102_000))  # ~14,000 characters of ids
    payload = notify_payload(recipients, push=False)
    with (
        notifier.waiting_thread([recipients[-1]]) as last,
        notifier.waiting_thread([7]) as unrelated,
        notifier.waiting_thread(pushes_only=True) as pusher,
    ):
        listener.start()
        try:
            assert listener.listening.wait(10)
            for waiter in (last, unrelated, pusher):  # the wake-up of LISTEN's start
                waiter.wait_blocking(1)
            with pg_engine.connect() as conn:
                conn.exec_driver_sql(
                    "SELECT pg_notify(%(channel)s, %(payload)s)",
                    {"channel": NOTIFY_CHANNEL, "payload": payload},
                )
                conn.commit()
            assert last.wait_blocking(10)
            assert unrelated.wait_blocking(1)
            assert not pusher.wait_blocking(0.2)  # nothing to push: the pusher sleeps on
        finally:
            listener.stop()


def test_a_listener_says_while_it_hears_every_node_and_wakes_everyone_when_it_stops(
    pg_engine: Engine,
) -> None:
    """Long-polls sleep long only while the listener hears every node: when it stops (or
    loses its connection) they are woken, to re-check every poll interval again."""
    notifier = Notifier()
    listener = PgListener(pg_engine, notifier)
    with notifier.waiting_thread([42]) as waiter:
        assert not notifier.hears_all
        listener.start()
        assert listener.listening.wait(10)
        assert waiter.wait_blocking(5)  # woken once LISTENing: for what it may have missed
        assert notifier.hears_all
        listener.stop()
        assert not notifier.hears_all
        assert waiter.wait_blocking(0)


def _plan(conn: Any, sql: str, params: Any) -> str:
    """The plan PostgreSQL picks for ``sql`` when it may neither scan the table whole nor
    walk an index in order with a filter: a bitmap scan of an index whose condition the
    query meets (a partial index's included)."""
    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
    conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
    rows = conn.exec_driver_sql("EXPLAIN " + sql, params).scalars()
    return "\n".join(rows)


def test_the_claim_and_push_indexes_hold_open_work_only_and_the_queries_use_them(
    pg_engine: Engine, tmp_path: Path
) -> None:
    """Revision 0006: a delivery acknowledged done leaves the claim and push indexes, so
    they stay the size of the open work. A partial index serves only a query whose
    condition PostgreSQL can prove implies the index's: the claim (both forms), the
    inbox, the due pushes and the queue figures of ``/metrics`` each do."""
    world = build_world(uow_factory(pg_engine), tmp_path / "blobs")
    world.hub.systems.set_webhook("sys-nghean", "http://127.0.0.1:9/hook")
    for _ in range(3):
        world.send("sys-vpcp", world.document(G22, [H41, G12]))
    claimed = world.hub.delivery.receive("sys-nghean", max_items=10)
    world.hub.delivery.ack("sys-nghean", claimed[0].delivery_id, AckState.DONE)
    with pg_engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE hub_deliveries")
        claim_index, push_index = (
            conn.exec_driver_sql(
                "SELECT indexdef FROM pg_indexes WHERE indexname = %(name)s", {"name": name}
            ).scalar_one()
            for name in (CLAIM_INDEX, PUSH_INDEX)
        )
        counts = dict(
            conn.exec_driver_sql(
                "SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relname IN "
                "(%(claim)s, %(push)s)",
                {"claim": CLAIM_INDEX, "push": PUSH_INDEX},
            ).all()
        )
    assert claim_index.endswith("WHERE ((state)::text <> 'done'::text)")
    assert push_index.endswith(
        "WHERE (((push_state)::text = 'pending'::text) AND ((state)::text <> 'done'::text))"
    )
    assert counts == {CLAIM_INDEX: 5, PUSH_INDEX: 2}  # 6 deliveries, 1 done; 3 pushed, 1 done

    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, sql: str, params: Any, *_rest: Any) -> None:
        if "hub_deliveries" in sql and not sql.lstrip().startswith("EXPLAIN"):
            statements.append((sql, params))

    with world.uow() as uow:
        h41 = uow.hub.resolve_agencies([H41])[H41].agency_id
    now = world.clock.now()
    event.listen(pg_engine, "before_cursor_execute", seen)
    try:
        with world.uow() as uow:
            uow.hub.inbox([h41], kind=None, since=None, cursor=None, limit=10, now=now)
            inbox = statements[-1]
            uow.hub.queue_stats(now)
            stats = statements[-1]
            due_pushes(uow, now, 10)
            pushes = next(st for st in statements if "push_next_at <=" in st[0])
    finally:
        event.remove(pg_engine, "before_cursor_execute", seen)
    claim_params = {"system_id": "x", "until": now, "now": now, "agencies": [h41], "limit": 5}
    with pg_engine.begin() as conn:
        assert CLAIM_INDEX in _plan(conn, pgsql.CLAIM_ANY, claim_params)
        assert CLAIM_INDEX in _plan(conn, pgsql.CLAIM_KIND, {**claim_params, "kind": "document"})
        assert CLAIM_INDEX in _plan(conn, *inbox)
        assert CLAIM_INDEX in _plan(conn, *stats)
        assert PUSH_INDEX in _plan(conn, *pushes)


def test_concurrent_single_appends_chain_as_python_computes_it(
    pg_engine: Engine, tmp_path: Path
) -> None:
    """PostgreSQL numbers and hashes a lone entry in the appending statement
    (``pgsql.AUDIT_APPEND_ONE``); under concurrent appends every entry still chains to
    the one committed before it, with the hash Python computes (the verification
    recomputes each one), Vietnamese text included."""
    world = build_world(uow_factory(pg_engine), tmp_path / "blobs")
    before = world.hub.audit.verify().head_seq
    threads, each = 6, 15
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def append(n: int) -> None:
        start.wait()
        try:
            for i in range(each):
                with world.uow() as uow:
                    now = world.clock.now()
                    entry = ("test", f"thread-{n}", f"Sở Tư pháp {i}", {"n": n, "i": i})
                    made = world.hub.audit_log.append(uow, [entry], now)
                    uow.commit()
                assert made[0].prev_hash != made[0].hash
        except BaseException as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=append, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    report = world.hub.audit.verify()
    with pg_engine.connect() as conn:
        numbers = list(conn.execute(select(hub_audit.c.seq).order_by(hub_audit.c.seq)).scalars())

    assert errors == []
    assert report.ok, report.problems
    assert report.head_seq == before + threads * each
    assert numbers == list(range(1, report.head_seq + 1))


def test_a_claim_answers_the_deliveries_as_leased_in_both_forms(
    pg_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    """The fast claim returns the leased rows with their package's facts in the same
    statement; the Core claim reads them back: both give what a later read sees."""
    world = build_world(pg_uow, tmp_path / "blobs")
    world.send("sys-vpcp", world.document(G22, [H41, G12]))
    now = world.clock.now()
    until = now.replace(year=now.year + 1)
    with world.uow() as uow:
        fast, core = uow.hub, HubRepository(uow.session, fast=False)
        ids = {code: agency.agency_id for code, agency in fast.resolve_agencies([H41, G12]).items()}
        claims = {
            H41: fast.claim([ids[H41]], kind=None, limit=5, now=now, until=until, system_id="a"),
            G12: core.claim([ids[G12]], kind=None, limit=5, now=now, until=until, system_id="b"),
        }
        again = fast.claim(
            list(ids.values()), kind=None, limit=5, now=now, until=until, system_id="c"
        )
        read_back = {
            code: fast.deliveries([d.delivery_id for d in claimed])
            for code, claimed in claims.items()
        }

    for code, claimed in claims.items():
        [delivery] = claimed
        assert delivery.recipient == code
        assert delivery.state.value == "leased"
        assert delivery.lease_until == until
        assert claimed == read_back[code]
    assert again == []  # both leased until next year
