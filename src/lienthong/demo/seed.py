"""The demo's documents: a few dozen, in every state, made through the office's services.

Each story happens on a day of the past weeks (a fixed random seed picks the days, the
subjects and the urgencies): the container's clock is moved to that moment before each
step, so registers, trails, deadlines and the home page's chart look lived in. Documents
that travel between agencies go through the hub when the office's hub integration is
installed (:func:`exchange`); otherwise arrivals are registered on paper.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from lienthong.bootstrap import Container, build_container
from lienthong.clock import VN_TZ, FixedClock
from lienthong.demo.people import AGENCIES, DemoAgency
from lienthong.office.documents import OutgoingDraft, RecipientInput
from lienthong.office.incoming import Assignment
from lienthong.office.intake import PaperArrival
from lienthong.office.model import Actor, Confidentiality, Urgency
from lienthong.office.repository_incoming import IncomingFilter
from lienthong.office.workflow import IncomingState
from lienthong.pdfsign.sample import DecisionText, decision_pdf
from lienthong.settings import Settings

if TYPE_CHECKING:
    from lienthong.office.hubsync_run import OfficeExchange

_SUBJECTS = (
    ("cong_van", "V/v triển khai chuyển đổi số năm 2026"),
    ("cong_van", "V/v báo cáo tình hình thực hiện nhiệm vụ quý II"),
    ("quyet_dinh", "Về việc phê duyệt kế hoạch cải cách hành chính năm 2026"),
    ("ke_hoach", "Kế hoạch tổ chức hội nghị trực tuyến tổng kết công tác văn thư"),
    ("giay_moi", "Mời dự họp giao ban công tác chuyển đổi số"),
    ("thong_bao", "Thông báo kết luận của Lãnh đạo tại cuộc họp giao ban tháng"),
    ("bao_cao", "Báo cáo kết quả triển khai dịch vụ công trực tuyến"),
    ("cong_van", "V/v góp ý dự thảo Nghị định về văn thư điện tử"),
    ("to_trinh", "Tờ trình phê duyệt dự toán kinh phí ứng dụng công nghệ thông tin"),
    ("cong_van", "V/v đôn đốc thực hiện chế độ báo cáo định kỳ"),
    ("huong_dan", "Hướng dẫn lập hồ sơ điện tử và nộp lưu tài liệu"),
    ("chuong_trinh", "Chương trình công tác tháng của Ủy ban nhân dân"),
)
_PAPER_SENDERS = (
    ("Bộ Nội vụ", "BNV-VP"),
    ("Kho bạc Nhà nước", "KBNN-VP"),
    ("Công an tỉnh", "CAT-PV01"),
    ("Sở Thông tin và Truyền thông", "STTTT-BCVT"),
    ("Hội Cựu chiến binh tỉnh", "HCCB"),
)
_URGENCIES = (
    Urgency.NORMAL,
    Urgency.NORMAL,
    Urgency.NORMAL,
    Urgency.KHAN,
    Urgency.THUONG_KHAN,
    Urgency.HOA_TOC,
)


class Story:
    """Moves the shared clock through the steps of one document's life."""

    def __init__(self, clock: FixedClock, day: date, rng: random.Random) -> None:
        self.clock = clock
        hour = rng.randint(8, 10)
        self.at = datetime.combine(day, time(hour, rng.randint(0, 59)), VN_TZ)

    def step(self, minutes: int = 35) -> None:
        """Move the clock to the next step of the story."""
        self.at += timedelta(minutes=minutes)
        self.clock.set(self.at)

    def later(self, days: int) -> None:
        self.at += timedelta(days=days)
        self.clock.set(self.at)


def _pdf(agency: DemoAgency, subject: str, day: date, kind: str) -> bytes:
    title = {
        "quyet_dinh": "QUYẾT ĐỊNH",
        "ke_hoach": "KẾ HOẠCH",
        "thong_bao": "THÔNG BÁO",
        "bao_cao": "BÁO CÁO",
        "to_trinh": "TỜ TRÌNH",
        "giay_moi": "GIẤY MỜI",
        "huong_dan": "HƯỚNG DẪN",
        "chuong_trinh": "CHƯƠNG TRÌNH",
    }.get(kind, "CÔNG VĂN")
    return decision_pdf(
        DecisionText(
            agency_name=agency.name,
            number_notation=f"Số: …/{agency.abbreviation}",
            place_date=f"{agency.place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}",
            title=title,
            summary=subject,
        )
    )


class Seeder:
    """Runs the stories of every agency on one container with a movable clock."""

    def __init__(self, container: Container, clock: FixedClock, rng: random.Random) -> None:
        self.c = container
        self.clock = clock
        self.rng = rng
        self.counts: Counter[str] = Counter()

    def actor(self, agency: DemoAgency, key: str) -> Actor:
        return self.c.office.users.actor_for(f"{agency.prefix}.{key}", agency.code)

    def outgoing(  # noqa: PLR0911 - one return per stage of the story
        self,
        agency: DemoAgency,
        day: date,
        target: str,
        others: list[DemoAgency],
        story: Story | None = None,
    ) -> int:
        """One outgoing document taken to ``target`` (a state name); its id."""
        story = story or Story(self.clock, day, self.rng)
        story.step(0)
        kind, subject = self.rng.choice(_SUBJECTS)
        urgency = self.rng.choice(_URGENCIES)
        drafter = self.actor(agency, self.rng.choice(["chuyenvien", "chuyenvien2"]))
        recipients: tuple[RecipientInput, ...] = tuple(
            RecipientInput(agency=o.code) for o in self.rng.sample(others, k=min(2, len(others)))
        )
        if target == "handed_over":
            recipients = (RecipientInput(name="Công ty Cổ phần Phần mềm Quản lý Văn bản"),)
        signer = self.rng.choice(["lanhdao", "phochutich"])
        draft = OutgoingDraft(
            doctype=kind,
            subject=subject,
            urgency=urgency,
            signer=f"{agency.prefix}.{signer}",
            recipients=recipients,
        )
        office = self.c.office
        doc = office.outgoing.create(
            drafter, draft, main_pdf=_pdf(agency, subject, day, kind)
        ).value
        self.counts[f"out.{target}"] += 1
        if target == "draft":
            return doc.id
        if target == "cancelled":
            story.step()
            office.outgoing.cancel(drafter, doc.id, "Trùng nội dung với văn bản đã ban hành")
            return doc.id
        story.step()
        office.outgoing.submit(drafter, doc.id)
        leader = self.actor(agency, signer)
        if target == "in_review":
            story.step(20)
            office.outgoing.comment(leader, doc.id, "Đề nghị bổ sung số liệu quý trước.")
            return doc.id
        story.step(90)
        office.issuing.sign(leader, doc.id)
        if target == "signed":
            return doc.id
        clerk = self.actor(agency, "vanthu")
        story.step(40)
        office.issuing.issue(clerk, doc.id)
        if target == "registered":
            return doc.id
        story.step(10)
        if target == "handed_over":
            office.issuing.hand_over(clerk, doc.id, "Gửi bưu điện, 01 bản")
            return doc.id
        office.issuing.agency_sign(clerk, doc.id)
        return doc.id

    def exchanged(
        self, exchange: OfficeExchange, sender: DemoAgency, to: DemoAgency, day: date, target: str
    ) -> None:
        """A document sent through the hub, then handled by its recipient up to ``target``
        (``received``, ``registered``, ``finished`` or ``rejected``); the statuses go back."""
        story = Story(self.clock, day, self.rng)
        doc_id = self.outgoing(sender, day, "ready_to_dispatch", [to], story)
        self.counts["out.ready_to_dispatch"] -= 1  # counted as a hub document below
        story.step(15)
        exchange.send_once()
        story.step(5)
        exchange.sync_once(0)
        self.counts[f"hub.{target}"] += 1
        if target == "received":
            return
        office = self.c.office
        sent = office.outgoing.get(self.actor(sender, "vanthu"), doc_id)
        clerk = self.actor(to, "vanthu")
        arrived = next(
            d
            for d in office.incoming.search(clerk, IncomingFilter(states=(IncomingState.RECEIVED,)))
            if d.sender_document_id == sent.document_id
        )
        story.step(50)
        if target == "rejected":
            office.incoming.reject(clerk, arrived.id, "Văn bản gửi nhầm nơi nhận")
        else:
            office.incoming.accept(clerk, arrived.id)
        if target == "finished":
            handler = f"{to.prefix}.chuyenvien"
            story.step(60)
            office.incoming.assign(
                self.actor(to, "lanhdao"),
                arrived.id,
                Assignment(handler, (), story.at.date() + timedelta(days=7), "Đề nghị xử lý."),
            )
            story.step(120)
            office.incoming.progress(self.actor(to, "chuyenvien"), arrived.id, "Đang tổng hợp.")
            story.step(240)
            office.incoming.finish(self.actor(to, "chuyenvien"), arrived.id, "Đã trả lời.")
        story.step(10)
        exchange.send_once()
        story.step(5)
        exchange.sync_once(0)

    def paper(self, agency: DemoAgency, day: date, target: str) -> None:
        """One paper arrival taken to ``target``."""
        story = Story(self.clock, day, self.rng)
        story.step(0)
        kind, subject = self.rng.choice(_SUBJECTS)
        sender, notation = self.rng.choice(_PAPER_SENDERS)
        secret = target == "secret"
        clerk = self.actor(agency, "vanthu")
        office = self.c.office
        doc = office.intake.register_paper(
            clerk,
            PaperArrival(
                sender_name=sender,
                subject=subject,
                code=f"{self.rng.randint(100, 2400)}/{notation}",
                document_date=day - timedelta(days=self.rng.randint(1, 4)),
                doctype=kind,
                urgency=self.rng.choice(_URGENCIES),
                confidentiality=Confidentiality.MAT if secret else Confidentiality.NONE,
                signer_name="Nguyễn Văn Bình",
            ),
            _pdf(agency, subject, day, kind),
        )
        self.counts[f"in.{target}"] += 1
        if target in ("registered", "secret"):
            return
        leader = self.actor(agency, "lanhdao")
        handler = self.rng.choice(["chuyenvien", "chuyenvien2"])
        story.step(60)
        days = 2 if target == "overdue" else 10
        office.incoming.assign(
            leader,
            doc.id,
            Assignment(
                f"{agency.prefix}.{handler}",
                (),
                story.at.date() + timedelta(days=days),
                "Đề nghị nghiên cứu, tham mưu xử lý.",
            ),
        )
        if target == "assigned":
            return
        worker = self.actor(agency, handler)
        story.step(120)
        office.incoming.progress(worker, doc.id, "Đã dự thảo văn bản trả lời.")
        if target in ("in_progress", "overdue"):
            return
        story.step(180)
        office.incoming.finish(worker, doc.id, "Đã ban hành văn bản trả lời.")


def _days(start: datetime, end: datetime) -> list[date]:
    first, last = start.astimezone(VN_TZ).date(), end.astimezone(VN_TZ).date()
    days = [first + timedelta(days=i) for i in range((last - first).days)]
    return [d for d in days if d.weekday() < 5] or days or [first]


def _exchange(container: Container, url: str, settings: Settings) -> OfficeExchange:
    from lienthong.hub.client import HubClient
    from lienthong.office.hubsync_run import exchange_from_container

    assert settings.hub_secret is not None  # noqa: S101 - the builder set it
    client = HubClient(
        url, settings.hub_system, settings.hub_secret.get_secret_value(), clock=container.clock
    )
    return exchange_from_container(container, hub=client, wait=0)


def seed_documents(
    settings: Settings,
    *,
    start: datetime,
    end: datetime,
    seed: int = 2026,
    on_step: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Every agency's stories between ``start`` and ``end``; returns counts per kind.

    The hub runs in a thread of this process meanwhile (on a free local port) and the
    office's exchange talks to it over HTTP, on the same moving clock.
    """
    from lienthong.hub.app import create_hub_app
    from lienthong.web.serve import serve_in_thread

    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    clock = FixedClock(start)
    days = _days(start, end)
    recent, older = days[-6:], days[:-6] or days
    with build_container(settings, clock=clock) as container:
        seeder = Seeder(container, clock, rng)
        for agency in AGENCIES:
            if on_step:
                on_step(agency.name)
            others = [a for a in AGENCIES if a is not agency]
            for target in (
                "draft",
                "draft",
                "in_review",
                "signed",
                "registered",
                "handed_over",
                "cancelled",
            ):
                pool = recent if target in ("draft", "in_review", "signed") else days
                seeder.outgoing(agency, rng.choice(pool), target, others)
            for target in ("registered", "assigned", "in_progress", "finished", "secret"):
                seeder.paper(agency, rng.choice(recent if target == "registered" else days), target)
            seeder.paper(agency, rng.choice(older), "overdue")
        hub = create_hub_app(container, background=False)
        with serve_in_thread(hub) as url:
            exchange = _exchange(container, url, settings)
            try:
                for i, agency in enumerate(AGENCIES):
                    to = AGENCIES[(i + 1) % len(AGENCIES)]
                    for target in ("finished", "finished", "registered", "rejected", "received"):
                        pool = recent if target == "received" else days
                        seeder.exchanged(exchange, agency, to, rng.choice(pool), target)
            finally:
                exchange.close()
    return {kind: n for kind, n in seeder.counts.items() if n}
