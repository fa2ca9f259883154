"""Reports as JSON-ready dicts: what the API answers and ``--format json`` prints.

Shares and gaps are percentages rounded to 0.01; ``null`` means no data (or no target);
numerators and denominators are always given, so a reader can recompute everything.
"""

from __future__ import annotations

from typing import Any

from lienthong.monitor.measures import Measure, MeasureTable, Scope
from lienthong.monitor.national import NationalTable
from lienthong.monitor.periods import Period
from lienthong.monitor.reports import Evaluation, RegistersSummary, StatusReport, StatusRow
from lienthong.office.model import DocumentForm


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def measure_json(m: Measure) -> dict[str, Any]:
    return {
        "name": m.name,
        "label": m.label_vi,
        "numerator": m.numerator,
        "denominator": m.denominator,
        "share": _round(m.share),
        "target": (
            {
                "comparison": m.target.comparison.value,
                "percent": float(m.target.percent),
                "from_year": m.target.from_year,
                "text": m.target.text,
            }
            if m.target
            else None
        ),
        "gap": _round(m.gap),
        "met": m.met,
    }


def _scope(scope: Scope) -> dict[str, Any]:
    return {"agency": scope.agency_code, "agency_name": scope.agency_name, "unit": scope.unit_name}


def _period(period: Period) -> dict[str, Any]:
    return {
        "period": period.key,
        "label": period.label_vi,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }


def measures_json(table: MeasureTable) -> dict[str, Any]:
    return {
        **_scope(table.scope),
        **_period(table.period),
        "as_of": table.as_of.isoformat(),
        "documents": table.documents,
        "outgoing": table.outgoing,
        "incoming": table.incoming,
        "excluded_confidential": table.excluded_confidential,
        "excluded_withdrawn": table.excluded_withdrawn,
        "measures": [measure_json(m) for m in table.measures],
    }


def _status_row(row: StatusRow) -> dict[str, Any]:
    return {
        "label": row.label,
        "received": row.received,
        "on_time": row.on_time,
        "late": row.late,
        "in_progress": row.in_progress,
        "overdue": row.overdue,
        "no_deadline": row.no_deadline,
    }


def status_json(report: StatusReport) -> dict[str, Any]:
    return {
        **_scope(report.scope),
        **_period(report.period),
        "as_of": report.as_of.isoformat(),
        "by": report.group_by.value,
        "rows": [_status_row(r) for r in report.rows],
        "total": _status_row(report.total),
    }


def registers_json(summary: RegistersSummary) -> dict[str, Any]:
    def line(x: Any) -> dict[str, Any]:
        return {
            "doctype": x.doctype,
            "outgoing": {f.value: x.outgoing.get(f, 0) for f in DocumentForm},
            "incoming": {f.value: x.incoming.get(f, 0) for f in DocumentForm},
            "total": x.total,
        }

    return {
        **_scope(summary.scope),
        **_period(summary.period),
        "lines": [line(x) for x in summary.lines],
        "total": line(summary.total),
    }


def evaluation_json(ev: Evaluation) -> dict[str, Any]:
    def line(x: Any) -> dict[str, Any]:
        return {
            "rank": x.rank,
            "unit": x.unit,
            "documents": x.documents,
            "measures": [measure_json(m) for m in x.measures],
        }

    return {
        **_scope(ev.scope),
        **_period(ev.period),
        "as_of": ev.as_of.isoformat(),
        "lines": [line(x) for x in ev.lines],
        "total": line(ev.total),
    }


def national_json(table: NationalTable) -> dict[str, Any]:
    hub = table.hub
    return {
        **_period(table.period),
        "generated_at": table.generated_at.isoformat(),
        "reporting": table.reporting,
        "documents": table.documents,
        "processing": dict(table.processing),
        "measures": [measure_json(m) for m in table.measures],
        "agencies": [
            {
                "code": line.code,
                "name": line.name,
                "reported": line.reported,
                "generated_at": line.report.generated_at.isoformat() if line.report else None,
                "documents": line.report.documents if line.report else None,
                "measures": [measure_json(m) for m in line.measures],
                "hub": {
                    "documents_sent": line.activity.documents_sent,
                    "statuses_sent": line.activity.statuses_sent,
                    "deliveries_received": line.activity.deliveries_received,
                }
                if line.activity
                else None,
            }
            for line in table.lines
        ],
        "hub": {
            "documents": hub.documents,
            "statuses": hub.statuses,
            "by_status": dict(hub.by_status),
            "deliveries": hub.deliveries,
            "delivered": hub.delivered,
            "failed": hub.failed,
            "waiting": hub.waiting,
            "latency_s": {
                "count": len(hub.latencies),
                "median": hub.latency_median_s,
                "p90": hub.latency_p90_s,
                "max": hub.latency_max_s,
            },
        },
    }
