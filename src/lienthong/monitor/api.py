"""The monitor's HTTP routes: an agency's reports on the office's API, the national table
on the hub's operators' API. They translate HTTP to the services' calls and back; the
rules (who may read, what counts) are the services'.

- :func:`mount_office_monitor` — under ``/office/api/v1/monitor`` of an office app
  (office Bearer tokens: a member of the agency reads its own figures):
  ``GET /measures|status|registers|evaluation?period=&unit=&by=&format=json|xlsx|pdf|svg``,
  ``PUT /outgoing/{id}/dossier`` ``{"dossier": true|false|null}``,
  ``POST /reports?period=`` (send the statistics report; needs a report channel),
  ``GET /reports`` (what was sent).
- :func:`lienthong.monitor.api_hub.mount_hub_monitor` — the national table on the hub
  (its own module: a hub process does not import the office).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel

from lienthong.errors import ConfigError
from lienthong.monitor.answers import FormatQ, PeriodQ, answer
from lienthong.monitor.charts import render_evaluation_svg, render_measures_svg
from lienthong.monitor.periods import Period
from lienthong.monitor.printable import (
    evaluation_sheet,
    measures_sheet,
    registers_sheet,
    status_sheet,
)
from lienthong.monitor.reports import GroupBy
from lienthong.monitor.services import AgencyMonitor, ReportChannel
from lienthong.monitor.views import (
    evaluation_json,
    measures_json,
    registers_json,
    status_json,
)
from lienthong.office.api import Me

OFFICE_PREFIX = "/office/api/v1/monitor"


def _agency_monitor(request: Request) -> AgencyMonitor:
    found = request.app.state.monitor_agency
    assert isinstance(found, AgencyMonitor)  # noqa: S101 - set by mount_office_monitor
    return found


Agency = Annotated[AgencyMonitor, Depends(_agency_monitor)]


office_router = APIRouter(tags=["monitor"])


@office_router.get("/measures")
def measures(
    me: Me, agency: Agency, period: PeriodQ, unit: str | None = None, format: FormatQ = "json"
) -> Any:
    """Every measure beside its target, with the gap."""
    table = agency.measures(me, Period.parse(period), unit=unit)
    return answer(
        format,
        lambda: measures_json(table),
        lambda: [measures_sheet(table)],
        lambda: render_measures_svg(table),
        f"chi-tieu-{table.period.key}",
    )


@office_router.get("/status")
def status(
    *,
    me: Me,
    agency: Agency,
    period: PeriodQ,
    by: GroupBy = GroupBy.UNIT,
    unit: str | None = None,
    format: FormatQ = "json",
) -> Any:
    """The processing-status form per agency, unit or handler."""
    report = agency.status(me, Period.parse(period), group_by=by, unit=unit)
    return answer(
        format,
        lambda: status_json(report),
        lambda: [status_sheet(report)],
        None,
        f"tinh-hinh-xu-ly-{report.period.key}",
    )


@office_router.get("/registers")
def registers(
    me: Me, agency: Agency, period: PeriodQ, unit: str | None = None, format: FormatQ = "json"
) -> Any:
    """Documents per type and form."""
    summary = agency.registers(me, Period.parse(period), unit=unit)
    return answer(
        format,
        lambda: registers_json(summary),
        lambda: [registers_sheet(summary)],
        None,
        f"tong-hop-so-{summary.period.key}",
    )


@office_router.get("/evaluation")
def evaluation(me: Me, agency: Agency, period: PeriodQ, format: FormatQ = "json") -> Any:
    """Units ranked by their use of electronic documents."""
    ev = agency.evaluation(me, Period.parse(period))
    return answer(
        format,
        lambda: evaluation_json(ev),
        lambda: [evaluation_sheet(ev)],
        lambda: render_evaluation_svg(ev),
        f"danh-gia-{ev.period.key}",
    )


class DossierFlag(BaseModel):
    """``true``/``false``: a dossier submitted for decision or not; ``null``: by type."""

    dossier: bool | None


@office_router.put("/outgoing/{doc_id}/dossier", status_code=204)
def set_dossier(me: Me, agency: Agency, doc_id: int, body: DossierFlag) -> Response:
    """Say whether an outgoing document is a dossier (hồ sơ trình)."""
    agency.mark_dossier(me, doc_id, dossier=body.dossier)
    return Response(status_code=204)


@office_router.post("/reports", status_code=201)
def send_report(me: Me, agency: Agency, request: Request, period: PeriodQ) -> dict[str, Any]:
    """Send the agency's statistics report of ``period`` to the monitor agency."""
    factory = request.app.state.monitor_channel
    if factory is None:
        raise ConfigError(
            "this office has no hub connection for reports", code="config.monitor_hub"
        )
    sent = agency.send_report(me, Period.parse(period), factory())
    return {
        "number": sent.number,
        "document_id": sent.document_id,
        "package_id": sent.package_id,
        "duplicate": sent.duplicate,
        "period": sent.report.period,
    }


@office_router.get("/reports")
def sent_reports(me: Me, agency: Agency) -> list[dict[str, Any]]:
    """The agency's latest report sends."""
    return [
        {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
        for row in agency.sent(me)
    ]


def mount_office_monitor(
    app: FastAPI,
    agency: AgencyMonitor,
    *,
    channel: Callable[[], ReportChannel] | None = None,
    prefix: str = OFFICE_PREFIX,
) -> None:
    """Serve the agency routes in an office app (which must already serve the office API:
    its tokens authenticate). ``channel`` makes the report channel on first send."""
    app.state.monitor_agency = agency
    app.state.monitor_channel = channel
    app.include_router(office_router, prefix=prefix)
