"""The hub's Prometheus text and its error → HTTP status mapping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lienthong.errors import (
    AuthError,
    Conflict,
    LienthongError,
    LimitExceeded,
    NotFound,
    PackageError,
    PermissionDenied,
    RoutingError,
    SignatureError,
    StorageError,
    ValidationError,
)
from lienthong.hub.metrics import HubMetrics
from lienthong.hub.problems import problem_response, status_for
from lienthong.hub.records import QueueStats


def test_the_exposition_text() -> None:
    metrics = HubMetrics()
    metrics.intake("document", 400_000, 0.02, duplicate=False)
    metrics.intake("document", 400_000, 0.004, duplicate=True)
    metrics.error("recipient.unknown")
    queues = [QueueStats('000.00.00.H41"x', 3, 1, 0, datetime(2026, 5, 10, tzinfo=UTC))]

    text = metrics.render(queues)

    lines = text.splitlines()
    assert 'lienthong_hub_intake_total{kind="document",duplicate="false"} 1' in lines
    assert 'lienthong_hub_intake_total{kind="document",duplicate="true"} 1' in lines
    assert 'lienthong_hub_intake_bytes_total{kind="document"} 400000' in lines
    assert 'lienthong_hub_intake_seconds_bucket{le="0.005"} 1' in lines
    assert 'lienthong_hub_intake_seconds_bucket{le="0.025"} 2' in lines
    assert 'lienthong_hub_intake_seconds_bucket{le="+Inf"} 2' in lines
    assert "lienthong_hub_intake_seconds_count 2" in lines
    assert 'lienthong_hub_errors_total{code="recipient.unknown"} 1' in lines
    assert 'lienthong_hub_queue_pending{agency="000.00.00.H41\\"x"} 3' in lines
    assert "# TYPE lienthong_hub_intake_seconds histogram" in lines
    assert text.endswith("\n")


@pytest.mark.parametrize(
    ("error", "status", "axis"),
    [
        (ValidationError("x", code="request.invalid"), 400, 10),
        (AuthError("x", code="auth.signature"), 401, 15),
        (PermissionDenied("x", code="forbidden.sender_not_hosted"), 403, 19),
        (NotFound("x", code="not_found.delivery"), 404, None),
        (Conflict("x", code="delivery.already_acknowledged"), 409, None),
        (LimitExceeded("x", code="package.limit.size"), 413, 10),
        (PackageError("x", code="package.xml_syntax"), 422, 21),
        (ValidationError("x", code="validation.package"), 422, 22),
        (SignatureError("x", code="signature.untrusted"), 422, 22),
        (RoutingError("x", code="recipient.unknown"), 422, 18),
        (RoutingError("x", code="recipient.locked"), 422, 23),
        (RoutingError("x", code="sender.unknown"), 422, 19),
        (StorageError("x", code="storage.unavailable"), 503, 20),
    ],
)
def test_error_families_map_to_status_and_axis_code(
    error: LienthongError, status: int, axis: int | None
) -> None:
    import json

    response = problem_response(error)

    assert status_for(error) == status
    assert response.status_code == status
    body = json.loads(bytes(response.body))
    assert body == {"code": error.code, "axis_code": axis, "message": "x", "details": {}}
    if status == 503:
        assert response.headers["Retry-After"] == "5"
