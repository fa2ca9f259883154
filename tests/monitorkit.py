"""A quarter of agency A's documents, made through the office's real services, for the
monitor's tests (the expected figures are worked out in the tests themselves).

Everything happens in the third quarter of 2026 (1 July – 30 September, Vietnam time),
in time order, with the clock moved to each step. ``S`` is a department of A in the
directory (a subordinate unit); ``C`` (the Government Office) is the Government/PM
agency. Documents (``docs[...]`` keys):

outgoing (drafted by A's specialist, unit TTĐT unless said):
- ``o1`` công văn to B and C, agency-signed (electronic);
- ``o2`` tờ trình to C, agency-signed (mixed by the catalogue; a dossier by its type);
- ``o3`` giấy mời to A itself, unit VP, scanned, handed over (electronic, not
  agency-signed);
- ``o4`` công văn to S on paper, handed over, issued 30/09 23:30 ICT (still Q3);
- ``o5`` confidential công văn to B, handed over;
- ``o6`` công văn to B, dispatched, then replaced;
- ``o7`` công văn to B issued 01/10 00:30 ICT (Q4);
- ``o8`` a draft cancelled (never issued).

incoming:
- ``i1`` from C 02/07, handled by the specialist (TTĐT), deadline 10/07, finished 09/07;
- ``i2`` from B 15/07 with paper following (mixed), specialist 2 (VP), deadline 20/07,
  finished 25/07;
- ``i3`` paper from S 05/08 (scanned), specialist, deadline 15/10, open;
- ``i4`` from B 20/08, specialist 2, deadline 10/09, open;
- ``i5`` from B 25/08, replaced by ``i6`` (05/09, accepted, never assigned);
- ``i7`` from B 01/09, recalled by its sender (cancelled);
- ``i8`` from B 02/09, rejected;
- ``i9`` a confidential paper arrival 03/09;
- ``i10`` from B 01/10 00:30 ICT (Q4).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from lienthong.clock import FixedClock
from lienthong.directory.model import AgencyDraft
from lienthong.office.dispatch import RecipientOutcome
from lienthong.office.documents import Channel, RecipientInput
from lienthong.office.incoming import Assignment
from lienthong.office.intake import PaperArrival, ReceivedDocument, SignatureCheck
from lienthong.office.model import Actor, Confidentiality, DocumentForm
from lienthong.office.workflow import OutgoingAction
from lienthong.pdfsign import sample
from officekit import A_CODE, B_CODE, B_NAME, C_CODE, C_NAME, OfficeWorld

S_CODE = "000.01.00.H41"
S_NAME = "Sở Nội vụ tỉnh Nghệ An"
#: When the monitor's tests compute (the quarter is over: processing as of 30/09).
TODAY = datetime(2026, 10, 5, 3, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 3, minute: int = 0) -> datetime:
    """An instant of 2026 (UTC)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _arrival(n: int, sender: str, name: str, **changes: object) -> ReceivedDocument:
    values: dict[str, object] = {
        "hub_delivery_id": f"DLV-{n}",
        "sender_document_id": f"{sender},2026/07/01,{n}/UBND-VP",
        "sender_code": sender,
        "sender_name": name,
        "subject": f"Văn bản đến số {n}",
        "code": f"{n}/UBND-VP",
        "document_date": date(2026, 7, 1),
        "doctype_name": "Công văn",
        "signer_name": "Nguyễn Văn An",
        "signatures": (SignatureCheck("package", name, valid=True, agency_id=sender),),
    }
    values.update(changes)
    return ReceivedDocument(**values)  # type: ignore[arg-type]


def build_quarter(world: OfficeWorld, clock: FixedClock) -> dict[str, int]:
    """Make the documents listed in the module docstring; their ids by key."""
    world.directory.register(AgencyDraft(name=S_NAME, qcvn_id=S_CODE, parent=A_CODE))
    s = world.services
    clerk, leader = world.actor("a.clerk"), world.actor("a.leader")
    specialist, specialist2 = world.actor("a.specialist"), world.actor("a.specialist2")
    system = Actor.system(world.a.agency_id)
    docs: dict[str, int] = {}

    def arrive(key: str, n: int, when: datetime, sender: str = B_CODE, **changes: object) -> int:
        clock.set(when)
        name = C_NAME if sender == C_CODE else B_NAME
        docs[key] = s.intake.receive(system, _arrival(n, sender, name, **changes)).id
        return docs[key]

    def assign(key: str, lead: str, deadline: date) -> None:
        s.incoming.accept(clerk, docs[key])
        s.incoming.assign(leader, docs[key], Assignment(lead=lead, deadline=deadline))

    def outgoing(key: str, when: datetime, *, hand_over: bool = False, **changes: object) -> int:
        clock.set(when)
        created = s.outgoing.create(
            specialist, world.draft(**changes), main_pdf=sample.decision_pdf()
        )
        doc_id = docs[key] = created.value.id
        s.outgoing.submit(specialist, doc_id)
        if changes.get("confidentiality"):
            s.outgoing.grant(specialist, doc_id, "a.vanthu")
        s.issuing.sign(leader, doc_id)
        s.issuing.issue(clerk, doc_id)
        if hand_over:
            s.issuing.hand_over(clerk, doc_id)
        return doc_id

    arrive("i1", 1, at(7, 2), C_CODE)
    assign("i1", "a.chuyenvien", date(2026, 7, 10))
    clock.set(at(7, 9))
    s.incoming.finish(specialist, docs["i1"])
    arrive("i2", 2, at(7, 15), paper_follows=True)
    assign("i2", "a.chuyenvien2", date(2026, 7, 20))
    clock.set(at(7, 25))
    s.incoming.finish(specialist2, docs["i2"])
    clock.set(at(8, 5))
    paper = PaperArrival(
        sender_name=S_NAME, subject="Báo cáo tình hình", doctype="Báo cáo", sender_agency=S_CODE
    )
    docs["i3"] = s.intake.register_paper(clerk, paper, sample.decision_pdf()).id
    s.incoming.assign(
        leader, docs["i3"], Assignment(lead="a.chuyenvien", deadline=date(2026, 10, 15))
    )

    outgoing("o1", at(8, 10))
    s.issuing.agency_sign(clerk, docs["o1"])
    to_c = (RecipientInput(agency=C_CODE),)
    outgoing("o2", at(8, 10, 4), doctype="to_trinh", subject="Tờ trình về đề án", recipients=to_c)
    s.issuing.agency_sign(clerk, docs["o2"])
    outgoing(
        "o3", at(8, 10, 5), hand_over=True, doctype="giay_moi", unit="VP", scanned=True,
        subject="Mời họp giao ban", recipients=(RecipientInput(agency=A_CODE),),
    )  # fmt: skip
    outgoing(
        "o5", at(8, 10, 6), hand_over=True, confidentiality=Confidentiality.MAT,
        recipients=(RecipientInput(agency=B_CODE),),
    )  # fmt: skip
    outgoing("o6", at(8, 10, 7), recipients=(RecipientInput(agency=B_CODE),))
    s.issuing.agency_sign(clerk, docs["o6"])
    [recipient] = s.outgoing.get(clerk, docs["o6"]).hub_recipients
    s.dispatch.record(system, docs["o6"], [RecipientOutcome(recipient.id, "PKG-6")])
    s.dispatch.request_replace(clerk, docs["o6"], "Thay thế do sai sót")
    s.dispatch.request_done(system, docs["o6"], OutgoingAction.REPLACEMENT_SENT)
    clock.set(at(8, 11))
    docs["o8"] = s.outgoing.create(specialist, world.draft()).value.id
    s.outgoing.cancel(specialist, docs["o8"], "Không gửi nữa")

    arrive("i4", 4, at(8, 20))
    assign("i4", "a.chuyenvien2", date(2026, 9, 10))
    replaced = arrive("i5", 5, at(8, 25))
    original = s.incoming.get(clerk, replaced).sender_document_id
    arrive("i6", 6, at(9, 5), link_kind="replace", linked_document_id=original)
    s.incoming.accept(clerk, docs["i6"])
    arrive("i7", 7, at(9, 1))
    s.incoming.recall_received(system, s.incoming.get(clerk, docs["i7"]).sender_document_id or "")
    s.incoming.agree_recall(clerk, docs["i7"])
    arrive("i8", 8, at(9, 2))
    s.incoming.reject(clerk, docs["i8"], "Gửi nhầm")
    clock.set(at(9, 3))
    secret = PaperArrival(
        sender_name="Bộ Công an", subject="Mật", confidentiality=Confidentiality.MAT
    )
    docs["i9"] = s.intake.register_paper(clerk, secret, sample.decision_pdf()).id

    # 30/09 23:30 ICT is still the third quarter; 01/10 00:30 ICT is the fourth
    outgoing(
        "o4", at(9, 30, 16, 30), hand_over=True, form=DocumentForm.PAPER,
        recipients=(RecipientInput(agency=S_CODE, channel=Channel.PAPER),),
    )  # fmt: skip
    outgoing("o7", at(9, 30, 17, 30), recipients=(RecipientInput(agency=B_CODE),))
    arrive("i10", 10, at(9, 30, 17, 30))
    clock.set(TODAY)
    return docs
