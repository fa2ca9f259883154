"""The register as a printable book: A4 landscape, a cover page, the table with its header
repeated on every page, "Trang x/y" at the foot, to be signed and bound at year end.

Rendered with reportlab; the text is Liberation Serif (metric-compatible with Times New
Roman, full Vietnamese coverage; Debian's ``fonts-liberation2``), embedded as TrueType so
every character prints and can be searched.
"""

from __future__ import annotations

import functools
import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    LongTable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from lienthong.office.registers import Register, day_text
from lienthong.pdfsign.fonts import SERIF_BOLD, SERIF_REGULAR, font_path

REGULAR = "LienthongSerif"
BOLD = "LienthongSerif-Bold"
PAGE = landscape(A4)
MARGIN = 12 * mm


@functools.cache
def register_fonts() -> None:
    """Register Liberation Serif with reportlab, once per process."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(font_path(SERIF_REGULAR))))
    pdfmetrics.registerFont(TTFont(BOLD, str(font_path(SERIF_BOLD))))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)


def _style(name: str, size: float, *, bold: bool = False, center: bool = False) -> ParagraphStyle:
    return ParagraphStyle(
        name,
        fontName=BOLD if bold else REGULAR,
        fontSize=size,
        leading=size * 1.25,
        alignment=TA_CENTER if center else 0,
    )


class _NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
    """A canvas that knows the page count when it saves: draws "Trang x/y" on every page
    after the cover."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            number = self._pageNumber
            if number > 1:
                self.setFont(REGULAR, 9)
                self.drawCentredString(PAGE[0] / 2, 7 * mm, f"Trang {number}/{total}")
            super().showPage()
        super().save()


def _cover(register: Register) -> list[Any]:
    first_no, last_no = _number_range(register, list(register.rows))
    lines: list[Any] = [
        Paragraph(
            escape(register.agency.name.upper()), _style("agency", 14, bold=True, center=True)
        ),
        Spacer(1, 45 * mm),
        Paragraph(escape(register.title), _style("title", 26, bold=True, center=True)),
        Spacer(1, 12 * mm),
        Paragraph(f"Năm: {register.year}", _style("year", 16, bold=True, center=True)),
        Spacer(1, 20 * mm),
    ]
    details = [
        f"Từ ngày {day_text(register.first_date) or '...'} "
        f"đến ngày {day_text(register.last_date) or '...'}",
        f"Từ số {first_no or '...'} đến số {last_no or '...'}",
        f"Gồm {len(register.rows)} văn bản",
        "Quyển số: 01",
    ]
    lines += [Paragraph(escape(t), _style("detail", 13, center=True)) for t in details]
    return [*lines, PageBreak()]


def _number_range(register: Register, rows: list[tuple[str, ...]]) -> tuple[str, str]:
    if not rows:
        return "", ""
    column = 0 if register.kind.value == "out" else 1
    first = rows[0][column].split("/")[0]
    last = rows[-1][column].split("/")[0]
    return first, last


def _table(register: Register) -> LongTable:
    head = _style("head", 9, bold=True, center=True)
    cell = _style("cell", 9)
    data = [[Paragraph(escape(c), head) for c in register.columns]]
    data += [[Paragraph(escape(v), cell) for v in row] for row in register.rows]
    if not register.rows:
        data.append([Paragraph("Không có văn bản", cell)] + [""] * (len(register.columns) - 1))
    usable = PAGE[0] - 2 * MARGIN
    total = sum(register.widths)
    widths = [usable * w / total for w in register.widths]
    table = LongTable(data, colWidths=widths, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.92, 0.92)),
    ]
    if not register.rows:
        style.append(("SPAN", (0, 1), (-1, 1)))
    table.setStyle(TableStyle(style))
    return table


def register_pdf(register: Register) -> bytes:
    """The register as a PDF book."""
    register_fonts()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=f"{register.title} {register.year} — {register.agency.name}",
        author=register.agency.name,
    )
    story = [*_cover(register), _table(register)]
    doc.build(story, canvasmaker=_NumberedCanvas)
    return out.getvalue()
