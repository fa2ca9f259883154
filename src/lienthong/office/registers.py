"""The outgoing and incoming registers (sổ đăng ký văn bản đi / đến) per agency and year.

A register is the year's documents of one series in number order, with the columns
Decree 30 lists (``clerical.md``). The secret series have their own registers, whose rows
a reader sees only for the documents on their access list. :mod:`.exports` prints them.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from lienthong.clock import VN_TZ
from lienthong.db.uow import UnitOfWork
from lienthong.edxml.doctypes import lookup_doctype
from lienthong.errors import PermissionDenied
from lienthong.office.access import require_member_of
from lienthong.office.documents import IncomingDocument, OutgoingDocument
from lienthong.office.model import Actor, OfficeAgency
from lienthong.office.numbering import register_series
from lienthong.office.repository_incoming import IncomingFilter
from lienthong.office.repository_outgoing import OutgoingFilter
from lienthong.office.workflow import IncomingState, OutgoingState


class RegisterKind(enum.StrEnum):
    OUTGOING = "out"
    INCOMING = "in"

    def heading(self, *, secret: bool) -> str:
        base = (
            "SỔ ĐĂNG KÝ VĂN BẢN ĐI" if self is RegisterKind.OUTGOING else "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
        )
        return f"{base} (MẬT)" if secret else base


OUTGOING_COLUMNS: tuple[str, ...] = (
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung văn bản",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
)
INCOMING_COLUMNS: tuple[str, ...] = (
    "Ngày đến",
    "Số đến",
    "Tác giả (cơ quan ban hành)",
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung văn bản",
    "Đơn vị hoặc người nhận",
    "Ký nhận",
    "Ghi chú",
)
#: Relative widths of the columns, for printing.
OUTGOING_WIDTHS: tuple[int, ...] = (14, 9, 28, 12, 19, 12, 6, 9, 8, 10)
INCOMING_WIDTHS: tuple[int, ...] = (9, 6, 18, 14, 9, 28, 14, 8, 10)


@dataclass(frozen=True, slots=True)
class Register:
    """A printable register: the agency, the year, the columns and one row per document."""

    agency: OfficeAgency
    kind: RegisterKind
    year: int
    secret: bool
    columns: tuple[str, ...]
    widths: tuple[int, ...]
    rows: tuple[tuple[str, ...], ...]
    first_date: date | None
    last_date: date | None

    @property
    def title(self) -> str:
        return self.kind.heading(secret=self.secret)


def day_text(value: datetime | date | None) -> str:
    """``dd/mm/yyyy`` (Vietnam calendar day for instants)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


def _type_and_subject(doctype_key: str | None, doctype_name: str | None, subject: str) -> str:
    doctype = lookup_doctype(doctype_key) if doctype_key else None
    name = doctype.name if doctype else (doctype_name or "")
    return f"{name}: {subject}" if name else subject


def _notes(*parts: str | None) -> str:
    return "; ".join(p for p in parts if p)


class RegisterService:
    """Registers as data; any member of the agency reads them, the operator too (not the
    secret ones)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    def register(
        self,
        actor: Actor,
        kind: RegisterKind,
        year: int,
        *,
        secret: bool = False,
        agency_id: int | None = None,
        text: str | None = None,
    ) -> Register:
        """The register of ``kind`` for ``year``. ``agency_id`` names the agency for the
        operator; anyone else may only name their own."""
        target = agency_id if agency_id is not None else actor.agency_id
        if target is None:
            raise PermissionDenied("name the agency", code="office.no_agency", action="register")
        require_member_of(actor, target)
        series = register_series(kind.value, secret=secret).value
        with self._uow() as uow:
            agency = uow.office.people.agency(target)
            if kind is RegisterKind.OUTGOING:
                outgoing = uow.office.outgoing.register(
                    target, actor.user_id, year, series, OutgoingFilter(text=text)
                )
                rows = tuple(self._outgoing_row(uow, d) for d in outgoing)
                days = [d.issued_at for d in outgoing if d.issued_at]
                columns, widths = OUTGOING_COLUMNS, OUTGOING_WIDTHS
            else:
                incoming = uow.office.incoming.register(
                    target, actor.user_id, year, series, IncomingFilter(text=text)
                )
                rows = tuple(self._incoming_row(uow, d) for d in incoming)
                days = [d.registered_at for d in incoming if d.registered_at]
                columns, widths = INCOMING_COLUMNS, INCOMING_WIDTHS
        dates = sorted(d.astimezone(VN_TZ).date() for d in days)
        return Register(
            agency=agency,
            kind=kind,
            year=year,
            secret=secret,
            columns=columns,
            widths=widths,
            rows=rows,
            first_date=dates[0] if dates else None,
            last_date=dates[-1] if dates else None,
        )

    @staticmethod
    def _outgoing_row(uow: UnitOfWork, d: OutgoingDocument) -> tuple[str, ...]:
        people = uow.office.people
        signer = people.user(d.signer_id).full_name if d.signer_id else ""
        keeper = d.file_keeper or (people.unit(d.unit_id).name if d.unit_id else "")
        sent = d.dispatched_at or d.handed_over_at
        state_note = {
            OutgoingState.RECALLED: "Đã thu hồi",
            OutgoingState.REPLACED: "Đã được thay thế",
        }.get(d.state)
        return (
            d.code or "",
            day_text(d.issued_at),
            _type_and_subject(d.doctype_key, None, d.subject),
            signer,
            "; ".join(r.name for r in d.recipients),
            keeper,
            str(d.copies),
            day_text(sent),
            "",
            _notes(d.urgency.label_vi, d.confidentiality.label_vi, state_note, d.notes),
        )

    @staticmethod
    def _incoming_row(uow: UnitOfWork, d: IncomingDocument) -> tuple[str, ...]:
        lead = d.lead_handler
        receiver = lead.full_name if lead else ""
        state_note = {
            IncomingState.CANCELLED: "Đã thu hồi theo đề nghị của nơi gửi",
        }.get(d.state)
        overdue = "Quá hạn xử lý" if d.overdue else None
        return (
            day_text(d.received_at),
            f"{d.number:02d}" if d.number is not None else "",
            d.sender_name,
            d.code or "",
            day_text(d.document_date),
            _type_and_subject(d.doctype_key, d.doctype_name, d.subject),
            receiver,
            "",
            _notes(d.urgency.label_vi, d.confidentiality.label_vi, state_note, overdue, d.notes),
        )
