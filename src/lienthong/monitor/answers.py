"""How a monitor route answers: JSON, an SVG chart, or an XLSX / PDF download.

Shared by the office's routes (:mod:`lienthong.monitor.api`) and the hub's
(:mod:`lienthong.monitor.api_hub`). The spreadsheet and PDF writers are imported only when
a download is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import Query
from fastapi.responses import Response

from lienthong.downloads import file_response
from lienthong.errors import ValidationError
from lienthong.monitor.printable import Sheet

Format = Literal["json", "xlsx", "pdf", "svg"]
PeriodQ = Annotated[str, Query(description="2026-11, 2026-Q3 or 2026")]
FormatQ = Annotated[Format, Query()]


def answer(
    fmt: Format,
    data: Callable[[], dict[str, Any]],
    sheets: Callable[[], list[Sheet]],
    svg: Callable[[], str] | None,
    name: str,
) -> Any:
    """``data()`` as JSON, ``svg()`` as a chart, or ``sheets()`` as a file ``name.fmt``."""
    if fmt == "json":
        return data()
    if fmt == "svg":
        if svg is None:
            raise ValidationError("this report has no chart", code="monitor.no_chart")
        return Response(svg(), media_type="image/svg+xml")
    from lienthong.monitor.exports import ExportFormat, export

    chosen = ExportFormat(fmt)
    return file_response(export(sheets(), chosen), chosen.media_type, f"{name}.{fmt}")
