"""Registers as files: an XLSX workbook (openpyxl) and a printable PDF book
(:mod:`.exports_pdf`, reportlab).

The workbook has one sheet: the agency and the register's title on top, the Decree 30
columns as a header row (repeated on every printed page), one row per document, A4
landscape when printed.
"""

from __future__ import annotations

import enum
import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from lienthong.office.registers import Register

#: The first row of the table (after the title block).
HEADER_ROW = 5


class ExportFormat(enum.StrEnum):
    XLSX = "xlsx"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        if self is ExportFormat.XLSX:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "application/pdf"


def export_register(register: Register, fmt: ExportFormat) -> bytes:
    """The register in ``fmt``."""
    if fmt is ExportFormat.XLSX:
        return register_xlsx(register)
    from lienthong.office.exports_pdf import register_pdf

    return register_pdf(register)


def file_name(register: Register, fmt: ExportFormat) -> str:
    """``so-van-ban-di-2026.xlsx`` (``-mat`` for a secret register)."""
    kind = "di" if register.kind.value == "out" else "den"
    secret = "-mat" if register.secret else ""
    return f"so-van-ban-{kind}{secret}-{register.year}.{fmt.value}"


def register_xlsx(register: Register) -> bytes:
    """The register as an XLSX workbook."""
    book = Workbook()
    sheet = book.active
    sheet.title = f"{'Sổ đi' if register.kind.value == 'out' else 'Sổ đến'} {register.year}"
    last = get_column_letter(len(register.columns))
    sheet["A1"] = register.agency.name.upper()
    sheet["A1"].font = Font(bold=True)
    sheet["A2"] = register.title
    sheet["A2"].font = Font(bold=True, size=14)
    sheet["A3"] = f"Năm {register.year}"
    for row in (1, 2, 3):
        sheet.merge_cells(f"A{row}:{last}{row}")
        sheet[f"A{row}"].alignment = Alignment(horizontal="center")
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    for col, (title, width) in enumerate(zip(register.columns, register.widths, strict=True), 1):
        cell = sheet.cell(row=HEADER_ROW, column=col, value=title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
        cell.border = border
        sheet.column_dimensions[get_column_letter(col)].width = width * 1.4
    for r, values in enumerate(register.rows, start=HEADER_ROW + 1):
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=r, column=col, value=value)
            cell.alignment = wrap
            cell.border = border
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
