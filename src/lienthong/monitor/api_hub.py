"""The national table on the hub's operators' API, under ``/api/v1/admin/monitor`` (admin
token): ``GET /national?period=&format=json|xlsx|pdf|svg&collect=``,
``GET /reports?period=``, ``POST /collect``. Translation only; the roll-up is
:class:`~lienthong.monitor.rollup.HubMonitor`'s.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request

from lienthong.hub.http_auth import admin_caller
from lienthong.monitor.answers import FormatQ, PeriodQ, answer
from lienthong.monitor.charts import render_national_svg
from lienthong.monitor.periods import Period
from lienthong.monitor.printable import national_sheets
from lienthong.monitor.rollup import HubMonitor
from lienthong.monitor.views import national_json

HUB_PREFIX = "/api/v1/admin/monitor"


def _hub_monitor(request: Request) -> HubMonitor:
    found = request.app.state.monitor_national
    assert isinstance(found, HubMonitor)  # noqa: S101 - set by mount_hub_monitor
    return found


National = Annotated[HubMonitor, Depends(_hub_monitor)]
hub_router = APIRouter(tags=["monitor"], dependencies=[Depends(admin_caller)])


@hub_router.get("/national")
def national(
    national: National, period: PeriodQ, format: FormatQ = "json", collect: bool = True
) -> Any:
    """The national table (collecting newly received reports first)."""
    table = national.national(Period.parse(period), collect=collect)
    return answer(
        format,
        lambda: national_json(table),
        lambda: list(national_sheets(table)),
        lambda: render_national_svg(table),
        f"toan-quoc-{table.period.key}",
    )


@hub_router.get("/reports")
def received(national: National, period: PeriodQ) -> list[dict[str, Any]]:
    """Every accepted report of the period (all versions)."""
    return [
        {
            "package_id": r.package_id,
            "agency": r.sender_code,
            "generated_at": r.report.generated_at.isoformat(),
            "received_at": r.received_at.isoformat(),
            "documents": r.report.documents,
        }
        for r in national.reports(Period.parse(period))
    ]


@hub_router.post("/collect")
def collect(national: National) -> dict[str, Any]:
    """Read the report packages received since the last collection."""
    result = national.collect()
    return {
        "accepted": list(result.accepted),
        "rejected": [{"package_id": p, "problem": why} for p, why in result.rejected],
    }


def mount_hub_monitor(app: FastAPI, national_: HubMonitor, *, prefix: str = HUB_PREFIX) -> None:
    """Serve the national routes in a hub app (admin token)."""
    app.state.monitor_national = national_
    app.include_router(hub_router, prefix=prefix)
