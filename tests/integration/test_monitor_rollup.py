"""The national roll-up through the hub's real intake, on SQLite and PostgreSQL.

An office hosting Nghệ An (H41) sends its statistics report with ``HubClient`` to a
hub served by uvicorn; Bình Dương (H08) sends one made by hand; Cao Bằng (H14) sends a
report about another agency. The Government Office's system (G22) takes its deliveries
as usual. The hub's monitor then collects the reports and adds them up with what the
hub observed itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hubkit import G22, H08, H14, H41, HubWorld, build_world, serve
from lienthong.clock import VN_TZ
from lienthong.db.tables import monitor_reports, monitor_sent
from lienthong.db.uow import UnitOfWork
from lienthong.edxml import model as m
from lienthong.edxml.writer import package_to_bytes
from lienthong.errors import HubError
from lienthong.hub.app import create_hub_app
from lienthong.hub.client import HubClient
from lienthong.monitor.payload import StatisticsReport, encode, report_package
from lienthong.monitor.periods import Period
from lienthong.monitor.rollup import HubMonitor
from lienthong.monitor.services import AgencyMonitor, ReportChannel
from lienthong.monitor.targets import TargetTable
from lienthong.office.intake import PaperArrival, ReceivedDocument, SignatureCheck
from lienthong.office.model import Actor
from lienthong.office.services import build_office_services
from lienthong.office.signing import StaticKeys
from lienthong.pdfsign import sample

MAY = Period.parse("2026-05")


@pytest.fixture
def hub(make_uow: Callable[[], UnitOfWork], tmp_path: Path) -> Iterator[tuple[HubWorld, str]]:
    world = build_world(make_uow, tmp_path / "blobs")
    with serve(create_hub_app(world.hub, background=False)) as url:
        yield world, url


def client(world: HubWorld, url: str, system: str) -> HubClient:
    return HubClient(url, system, world.secrets[system], clock=world.clock, retries=0)


def _office_documents(world: HubWorld) -> int:
    """H41 hosted by an office on the hub's database, with two documents in May: a paper
    arrival and an electronic one from the Government Office. Its agency id."""
    office = build_office_services(world.uow, world.blobs, StaticKeys({}, {}))
    hosted = office.users.add_agency(Actor.operator(), H41, "UBND")
    office.users.add_user(
        Actor.operator(), hosted.agency_id, username="vanthu", full_name="Nguyễn Thị Vân",
        password="mật-khẩu-1", roles=["clerk"],
    )  # fmt: skip
    clerk = office.users.actor_for("vanthu", hosted.agency_id)
    paper = PaperArrival(sender_name="Sở Tài chính", subject="Về việc quyết toán")
    office.intake.register_paper(clerk, paper, sample.decision_pdf())
    arrival = ReceivedDocument(
        hub_delivery_id="D-1", sender_document_id=f"{G22},2026/05/09,1/VPCP-TTĐT",
        sender_code=G22, sender_name="Văn phòng Chính phủ", subject="Về việc chuyển đổi số",
        signatures=(SignatureCheck("package", "Văn phòng Chính phủ", valid=True),),
    )  # fmt: skip
    office.intake.receive(Actor.system(hosted.agency_id), arrival)
    return hosted.agency_id


def _report(world: HubWorld, about: str, documents: int, electronic: int) -> StatisticsReport:
    return StatisticsReport.model_validate(
        {
            "schema": "lienthong.statistics/1", "agency_code": about, "agency_name": "UBND tỉnh",
            "period": "2026-05", "as_of": "2026-05-10", "generated_at": world.clock.now(),
            "documents": documents, "outgoing": documents, "incoming": 0,
            "excluded_confidential": 0, "excluded_withdrawn": 0,
            "measures": [{"name": "electronic", "numerator": electronic, "denominator": documents}],
            "processing": {"received": 0, "on_time": 0, "late": 0, "in_progress": 0,
                           "overdue": 0, "no_deadline": 0},
        }
    )  # fmt: skip


def _hand_made(world: HubWorld, sender: str, about: str, documents: int, electronic: int) -> bytes:
    """A report package from ``sender`` whose figures say they are ``about``'s."""
    report = _report(world, sender, documents, electronic)
    payload = encode(_report(world, about, documents, electronic))
    now = world.clock.now().astimezone(VN_TZ).replace(tzinfo=None, microsecond=0)
    package = report_package(
        report, payload, recipient=m.Organization(G22, "Văn phòng Chính phủ"),
        number=1, notation="BC-UBND", signer_name="Trần Văn B", now=now,
    )  # fmt: skip
    return world.sign(package_to_bytes(package), world.pki.agency(sender))


def test_reports_sent_through_the_hub_are_added_up(hub: tuple[HubWorld, str]) -> None:
    world, url = hub
    agency_id = _office_documents(world)
    agency = AgencyMonitor(
        world.uow, clock=world.clock, targets=TargetTable(), government=[G22], monitor_agency=G22
    )
    national = HubMonitor(
        world.uow, blobs=world.blobs, clock=world.clock, monitor_agency=G22, targets=TargetTable()
    )
    operator = Actor.operator(agency_id)
    with client(world, url, "sys-nghean") as nghean, client(world, url, "sys-other") as other:
        channel = ReportChannel(identity=world.pki.agency, send=nghean.send)
        first = agency.send_report(operator, MAY, channel, pdf=lambda _t: sample.decision_pdf())
        other.send(_hand_made(world, H08, H08, documents=10, electronic=6))
        other.send(_hand_made(world, H14, H08, documents=99, electronic=99))  # not about H14
        other.send(world.document(H14, [G22], subject="Báo cáo thống kê văn bản điện tử sai"))
        world.advance(60)
        with client(world, url, "sys-vpcp") as vpcp:  # the Government Office takes its mail
            taken = vpcp.receive(max=10)
            for item in taken[:2]:
                vpcp.ack(item.delivery_id, "done")
        world.advance(60)
        second = agency.send_report(operator, MAY, channel)

    # the office's side: numbered in its own series, the hub's package recorded
    assert (first.number, second.number) == (1, 2)
    assert first.document_id == f"{H41},2026/05/10,01/BC-UBND"
    assert not first.duplicate
    with world.uow() as uow:
        sent = uow.session.execute(
            select(
                monitor_sent.c.number, monitor_sent.c.state, monitor_sent.c.hub_package_id
            ).order_by(monitor_sent.c.number)
        ).all()
    assert [tuple(r) for r in sent] == [
        (1, "sent", first.package_id),
        (2, "sent", second.package_id),
    ]
    # the reports went to G22 like any document: its system received them
    assert len(taken) == 4

    result = national.collect()
    assert len(result.accepted) == 3  # H41 twice, H08 once
    assert sorted(reason for _, reason in result.rejected) == [
        "no statistics attachment",
        f"the report is about {H08}, not about its sender",
    ]
    assert national.collect().accepted == ()  # each package is read once
    with world.uow() as uow:
        states = uow.session.execute(select(monitor_reports.c.state)).scalars().all()
    assert sorted(states) == ["accepted"] * 3 + ["rejected"] * 2

    table = national.national(MAY)
    # H41's latest report: 2 documents, 1 fully electronic (the hub arrival); H08: 6 of 10
    electronic = next(x for x in table.measures if x.name == "electronic")
    assert (electronic.numerator, electronic.denominator) == (1 + 6, 2 + 10)
    assert table.documents == 12
    assert table.reporting == 2
    lines = {line.code: line for line in table.lines}
    assert set(lines) == {H41, H08, H14}
    assert lines[H41].report is not None
    assert lines[H41].report.generated_at == world.clock.now()  # the second one
    assert lines[H41].activity is not None
    assert lines[H41].activity.documents_sent == 2
    assert not lines[H14].reported  # sent packages, no valid report
    assert [line.code for line in table.active_not_reporting] == [H14]
    # what the hub saw: 5 document packages, 5 deliveries to G22, 4 taken after 60 s
    # (2 of them acknowledged), the last report still waiting
    hub_ = table.hub
    assert (hub_.documents, hub_.statuses, hub_.deliveries) == (5, 0, 5)
    assert (hub_.delivered, hub_.failed, hub_.waiting) == (2, 0, 3)
    assert hub_.latencies == (60.0, 60.0, 60.0, 60.0)
    assert hub_.latency_median_s == 60.0
    # another month: nothing
    empty = national.national(Period.parse("2026-06"))
    assert (empty.documents, empty.reporting, empty.hub.documents) == (0, 0, 0)


def test_a_send_that_fails_is_recorded(hub: tuple[HubWorld, str]) -> None:
    world, url = hub
    agency_id = _office_documents(world)
    agency = AgencyMonitor(
        world.uow, clock=world.clock, targets=TargetTable(), government=[G22], monitor_agency=G22
    )
    # sys-other does not host H41: the hub refuses the package
    with client(world, url, "sys-other") as other:
        channel = ReportChannel(identity=world.pki.agency, send=other.send)
        with pytest.raises(HubError) as caught:
            agency.send_report(Actor.operator(agency_id), MAY, channel)
    assert caught.value.code == "forbidden.sender_not_hosted"
    with world.uow() as uow:
        row = uow.session.execute(select(monitor_sent)).one()
    assert (row.number, row.state, row.hub_package_id) == (1, "failed", None)
    assert row.error.startswith("forbidden.sender_not_hosted")
