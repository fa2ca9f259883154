"""Every report as one printable :class:`Sheet` (title block, columns, rows), so that one
XLSX writer and one PDF writer (:mod:`.exports`) serve them all, and the CLI's tables
show the same columns. Texts are Vietnamese (what agencies print and file)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from lienthong.monitor.measures import Measure, MeasureTable
from lienthong.monitor.national import NationalLine, NationalTable
from lienthong.monitor.periods import vn_day
from lienthong.monitor.reports import (
    REGISTER_COLUMNS,
    STATUS_COLUMNS,
    Evaluation,
    RegistersSummary,
    StatusReport,
)

NO_DATA = "Không có số liệu"


@dataclass(frozen=True, slots=True)
class Pct:
    """A share in percent (``None``: no data)."""

    value: float | None


@dataclass(frozen=True, slots=True)
class Points:
    """A gap in percentage points (``None``: no data or no target)."""

    value: float | None


@dataclass(frozen=True, slots=True)
class Verdict:
    """Met / not met / no data / no target, for colouring."""

    met: bool | None
    has_target: bool

    @property
    def text(self) -> str:
        if not self.has_target:
            return ""
        if self.met is None:
            return NO_DATA
        return "Đạt" if self.met else "Chưa đạt"


Cell = str | int | Pct | Points | Verdict | None


@dataclass(frozen=True, slots=True)
class Sheet:
    """A titled table: what every export and every CLI table shows."""

    name: str
    organisation: str
    title: str
    subtitle: tuple[str, ...]
    columns: tuple[str, ...]
    widths: tuple[int, ...]
    rows: tuple[tuple[Cell, ...], ...]
    footer: tuple[tuple[Cell, ...], ...] = ()
    notes: tuple[str, ...] = field(default=())
    landscape: bool = True


def number_vi(value: float, digits: int = 1) -> str:
    """``55.25`` → ``55,3`` (Vietnamese decimal comma)."""
    return f"{value:.{digits}f}".replace(".", ",")


def cell_text(cell: Cell) -> str:
    """How a cell prints."""
    if cell is None:
        return ""
    if isinstance(cell, Pct):
        return NO_DATA if cell.value is None else f"{number_vi(cell.value)}%"
    if isinstance(cell, Points):
        if cell.value is None:
            return ""
        sign = "+" if cell.value > 0 else ("−" if cell.value < 0 else "±")
        return f"{sign}{number_vi(abs(cell.value))} điểm"
    if isinstance(cell, Verdict):
        return cell.text
    return str(cell)


def day_vi(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


MEASURE_COLUMNS = (
    "Chỉ tiêu",
    "Số văn bản đạt",
    "Tổng số",
    "Tỷ lệ",
    "Mục tiêu",
    "Chênh lệch",
    "Đánh giá",
)


def measure_cells(m: Measure) -> tuple[Cell, ...]:
    return (
        m.label_vi,
        m.numerator,
        m.denominator,
        Pct(m.share),
        m.target.text if m.target else "",
        Points(m.gap),
        Verdict(m.met, m.target is not None),
    )


def measures_sheet(table: MeasureTable) -> Sheet:
    return Sheet(
        name=f"Chỉ tiêu {table.period.key}",
        organisation=table.scope.title,
        title="KẾT QUẢ SỬ DỤNG VĂN BẢN ĐIỆN TỬ",
        subtitle=(
            f"Kỳ báo cáo: {table.period.label_vi} (tính đến ngày {day_vi(table.as_of)})",
            f"Số văn bản tính: {table.documents} (đi {table.outgoing}, đến {table.incoming}); "
            f"không tính {table.excluded_confidential} văn bản mật, "
            f"{table.excluded_withdrawn} văn bản thu hồi, thay thế hoặc trả lại",
        ),
        columns=MEASURE_COLUMNS,
        widths=(44, 11, 9, 10, 10, 12, 14),
        rows=tuple(measure_cells(m) for m in table.measures),
    )


def status_sheet(report: StatusReport) -> Sheet:
    total = report.total
    return Sheet(
        name=f"Xử lý {report.period.key}",
        organisation=report.scope.title,
        title="BÁO CÁO TÌNH HÌNH XỬ LÝ VĂN BẢN ĐẾN",
        subtitle=(
            f"Kỳ báo cáo: {report.period.label_vi} (tính đến ngày {day_vi(report.as_of)})",
            f"Theo: {report.group_by.label_vi.lower()}",
        ),
        columns=(report.group_by.label_vi, *STATUS_COLUMNS),
        widths=(34, 12, 12, 12, 12, 12, 12),
        rows=tuple((r.label, *r.cells()) for r in report.rows),
        footer=((total.label, *total.cells()),),
    )


def registers_sheet(summary: RegistersSummary) -> Sheet:
    return Sheet(
        name=f"Sổ {summary.period.key}",
        organisation=summary.scope.title,
        title="TỔNG HỢP SỔ ĐĂNG KÝ VĂN BẢN ĐI, ĐẾN",
        subtitle=(f"Kỳ báo cáo: {summary.period.label_vi}",),
        columns=("Loại văn bản", *REGISTER_COLUMNS),
        widths=(30, 10, 10, 10, 10, 10, 10, 10),
        rows=tuple((line.doctype, *line.cells()) for line in summary.lines),
        footer=((summary.total.doctype, *summary.total.cells()),),
    )


EVALUATION_HEADINGS = (
    "Điện tử hoàn toàn",
    "Điện tử kèm giấy",
    "Scan",
    "Có chữ ký số",
    "Xử lý đúng hạn",
)


def evaluation_sheet(ev: Evaluation) -> Sheet:
    def cells(
        rank: int | None, unit: str, documents: int, measures: Sequence[Measure]
    ) -> tuple[Cell, ...]:
        return (rank, unit, documents, *(Pct(m.share) for m in measures))

    total = ev.total
    return Sheet(
        name=f"Đánh giá {ev.period.key}",
        organisation=ev.scope.title,
        title="BẢNG ĐÁNH GIÁ MỨC ĐỘ SỬ DỤNG VĂN BẢN ĐIỆN TỬ CỦA CÁC ĐƠN VỊ",
        subtitle=(
            f"Kỳ đánh giá: {ev.period.label_vi} (tính đến ngày {day_vi(ev.as_of)})",
            "Xếp hạng theo tỷ lệ văn bản điện tử hoàn toàn",
        ),
        columns=("Hạng", "Đơn vị", "Số văn bản", *EVALUATION_HEADINGS),
        widths=(6, 34, 10, 11, 11, 9, 11, 11),
        rows=tuple(cells(x.rank, x.unit, x.documents, x.measures) for x in ev.lines),
        footer=(cells(None, total.unit, total.documents, total.measures),),
    )


def plain_rows(sheet: Sheet) -> list[list[str]]:
    """Header, rows and footer as text (what a test or a text export reads)."""
    return [list(sheet.columns)] + [
        [cell_text(c) for c in row] for row in (*sheet.rows, *sheet.footer)
    ]


def _seconds(value: float | None) -> str:
    if value is None:
        return NO_DATA
    if value < 120:
        return f"{number_vi(value, 0)} giây"
    return f"{number_vi(value / 60)} phút"


def national_sheets(table: NationalTable) -> tuple[Sheet, Sheet, Sheet]:
    """The national table: pooled measures, one line per agency, the hub's figures."""
    organisation = "Văn phòng Chính phủ — Trục liên thông văn bản quốc gia"
    period = table.period
    reported = f"{table.reporting} cơ quan đã báo cáo"
    missing = len(table.active_not_reporting)
    summary = Sheet(
        name=f"Toàn quốc {period.key}",
        organisation=organisation,
        title="TỔNG HỢP TÌNH HÌNH SỬ DỤNG VĂN BẢN ĐIỆN TỬ TOÀN QUỐC",
        subtitle=(
            f"Kỳ báo cáo: {period.label_vi}",
            f"{reported}; {missing} cơ quan có gửi văn bản qua trục nhưng chưa báo cáo; "
            f"tổng số văn bản tính: {table.documents}",
        ),
        columns=MEASURE_COLUMNS,
        widths=(44, 11, 9, 10, 10, 12, 14),
        rows=tuple(measure_cells(m) for m in table.measures),
    )

    def line_cells(line: NationalLine) -> tuple[Cell, ...]:
        act = line.activity
        shares: tuple[Cell, ...] = tuple(Pct(m.share) for m in line.measures) or ("", "", "")
        return (
            line.code,
            line.name,
            day_vi(vn_day(line.report.generated_at)) if line.report else "Chưa báo cáo",
            line.report.documents if line.report else None,
            *shares,
            act.documents_sent if act else 0,
            act.deliveries_received if act else 0,
            act.statuses_sent if act else 0,
        )

    agencies = Sheet(
        name=f"Cơ quan {period.key}",
        organisation=organisation,
        title="SỐ LIỆU THEO CƠ QUAN",
        subtitle=(f"Kỳ báo cáo: {period.label_vi}",),
        columns=(
            "Mã định danh",
            "Cơ quan",
            "Ngày báo cáo",
            "Số văn bản",
            "Điện tử hoàn toàn",
            "Hồ sơ trình CP có bản điện tử",
            "Xử lý đúng hạn",
            "Văn bản gửi qua trục",
            "Văn bản nhận qua trục",
            "Trạng thái đã gửi",
        ),
        widths=(14, 30, 11, 9, 10, 11, 10, 10, 10, 10),
        rows=tuple(line_cells(line) for line in table.lines),
    )
    hub = table.hub
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(hub.by_status.items())) or "—"
    observed = Sheet(
        name=f"Trục {period.key}",
        organisation=organisation,
        title="SỐ LIỆU DO TRỤC LIÊN THÔNG GHI NHẬN",
        subtitle=(f"Kỳ báo cáo: {period.label_vi}",),
        columns=("Chỉ số", "Giá trị"),
        widths=(50, 40),
        rows=(
            ("Gói văn bản tiếp nhận", hub.documents),
            ("Gói trạng thái tiếp nhận", hub.statuses),
            ("Trạng thái theo mã", statuses),
            ("Lượt chuyển phát tạo ra", hub.deliveries),
            ("Đã chuyển xong", hub.delivered),
            ("Chuyển lỗi", hub.failed),
            ("Đang chờ nhận", hub.waiting),
            ("Thời gian đến khi nơi nhận lấy văn bản (trung vị)", _seconds(hub.latency_median_s)),
            ("Thời gian đến khi nơi nhận lấy văn bản (90%)", _seconds(hub.latency_p90_s)),
            ("Thời gian đến khi nơi nhận lấy văn bản (lâu nhất)", _seconds(hub.latency_max_s)),
        ),
        landscape=False,
    )
    return summary, agencies, observed
