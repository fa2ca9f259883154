"""Reports as files: XLSX (openpyxl) and PDF (reportlab), from one :class:`Sheet`.

The workbook keeps numbers as numbers (shares as percentages, gaps as points) so that
they can be summed and charted; the PDF prints the same table, A4, with the office's
embedded Liberation Serif (:func:`lienthong.office.exports_pdf.register_fonts`) so that
Vietnamese prints and is searchable.
"""

from __future__ import annotations

import enum
import io
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from lienthong.monitor.printable import Cell, Pct, Points, Sheet, Verdict, cell_text

#: The first row of the table (after the title block).
HEADER_ROW = 6
_GREEN, _RED = "C6EFCE", "FFC7CE"


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        if self is ExportFormat.XLSX:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "application/pdf"


def export(sheets: Sheet | Sequence[Sheet], fmt: ExportFormat) -> bytes:
    """One or several sheets as ``fmt`` (one worksheet each; one table after another)."""
    many = (sheets,) if isinstance(sheets, Sheet) else tuple(sheets)
    return sheets_xlsx(many) if fmt is ExportFormat.XLSX else sheets_pdf(many)


def _value(cell: Cell) -> Any:
    if isinstance(cell, Pct):
        return cell.value / 100 if cell.value is not None else cell_text(cell)
    if isinstance(cell, Points):
        return round(cell.value, 4) if cell.value is not None else None
    if isinstance(cell, Verdict):
        return cell.text
    return cell


def sheets_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with one worksheet per sheet."""
    book = Workbook()
    for index, sheet in enumerate(sheets):
        _worksheet(book.active if index == 0 else book.create_sheet(), sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _worksheet(ws: Any, sheet: Sheet) -> None:
    """Title block, header row repeated when printed, the rows, the totals in bold."""
    ws.title = sheet.name[:31]
    last = get_column_letter(len(sheet.columns))
    lines = [sheet.organisation.upper(), sheet.title, *sheet.subtitle][: HEADER_ROW - 1]
    for row, text in enumerate(lines, start=1):
        ws.cell(row=row, column=1, value=text).font = Font(
            bold=row <= 2, size=14 if row == 2 else 11
        )
        ws.merge_cells(f"A{row}:{last}{row}")
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="center", wrap_text=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for col, (title, width) in enumerate(zip(sheet.columns, sheet.widths, strict=True), 1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = border
        ws.column_dimensions[get_column_letter(col)].width = width * 1.2
    body = [(r, False) for r in sheet.rows] + [(r, True) for r in sheet.footer]
    for r, (values, bold) in enumerate(body, start=HEADER_ROW + 1):
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=col, value=_value(value))
            cell.border = border
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.font = Font(bold=bold)
            if isinstance(value, Pct) and value.value is not None:
                cell.number_format = "0.0%"
            elif isinstance(value, Points):
                cell.number_format = '+0.0" điểm";-0.0" điểm";0.0" điểm"'
            elif isinstance(value, Verdict) and value.met is not None:
                color = _GREEN if value.met else _RED
                cell.fill = PatternFill("solid", start_color=color, end_color=color)
    for offset, note in enumerate(sheet.notes, start=HEADER_ROW + len(body) + 2):
        ws.cell(row=offset, column=1, value=note)
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape" if sheet.landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def sheets_pdf(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as an A4 PDF (landscape if the first one is): each with its title block
    and table (header on every page, totals in bold), "Trang x" at the foot."""
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    from lienthong.office.exports_pdf import REGULAR, register_fonts

    register_fonts()
    page = landscape(A4) if sheets[0].landscape else A4
    margin = 12 * mm
    story: list[Any] = []
    for index, sheet in enumerate(sheets):
        if index:
            story.append(PageBreak())
        story += _story(sheet, page[0] - 2 * margin)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.setFont(REGULAR, 9)
        canvas.drawCentredString(page[0] / 2, 7 * mm, f"Trang {doc.page}")

    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=margin,
        bottomMargin=margin + 4 * mm,
        title=f"{sheets[0].title} — {sheets[0].organisation}",
        author=sheets[0].organisation,
    )
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()


def _story(sheet: Sheet, usable: float) -> list[Any]:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import LongTable, Paragraph, Spacer, TableStyle

    from lienthong.office.exports_pdf import BOLD, REGULAR

    def style(name: str, size: float, *, bold: bool = False, align: int = 0) -> ParagraphStyle:
        font = BOLD if bold else REGULAR
        return ParagraphStyle(
            name, fontName=font, fontSize=size, leading=size * 1.25, alignment=align
        )

    head = style("h", 9, bold=True, align=TA_CENTER)
    cell, number = style("c", 9), style("n", 9, align=TA_RIGHT)
    story: list[Any] = [
        Paragraph(escape(sheet.organisation.upper()), style("org", 11, bold=True, align=TA_CENTER)),
        Spacer(1, 3 * mm),
        Paragraph(escape(sheet.title), style("title", 14, bold=True, align=TA_CENTER)),
        *(Paragraph(escape(s), style("sub", 10, align=TA_CENTER)) for s in sheet.subtitle),
        Spacer(1, 5 * mm),
    ]

    def para(value: Cell, *, bold: bool) -> Paragraph:
        text = escape(cell_text(value))
        chosen = number if isinstance(value, int | Pct | Points) else cell
        return Paragraph(f"<b>{text}</b>" if bold else text, chosen)

    data = [[Paragraph(escape(c), head) for c in sheet.columns]]
    data += [[para(v, bold=False) for v in row] for row in sheet.rows]
    data += [[para(v, bold=True) for v in row] for row in sheet.footer]
    total = sum(sheet.widths)
    table = LongTable(data, colWidths=[usable * w / total for w in sheet.widths], repeatRows=1)
    commands: list[Any] = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
    ]
    for r, row in enumerate(sheet.rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, Verdict) and value.met is not None:
                shade = (0.78, 0.94, 0.81) if value.met else (1.0, 0.78, 0.81)
                commands.append(("BACKGROUND", (c, r), (c, r), colors.Color(*shade)))
    table.setStyle(TableStyle(commands))
    return [*story, table, Spacer(1, 3 * mm), *(Paragraph(escape(n), cell) for n in sheet.notes)]


def file_name(kind: str, key: str, fmt: ExportFormat) -> str:
    """``bao-cao-chi-tieu-2026-Q3.xlsx``."""
    return f"bao-cao-{kind}-{key}.{fmt.value}"
