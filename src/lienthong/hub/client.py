"""Clients of the hub's HTTP API: :class:`HubClient` for a system, :class:`HubAdminClient`
for operators (``docs/hub-api.md``, section "Client").

Both are synchronous (httpx) and take an optional ``transport`` (``None``: real HTTP;
an ``httpx.MockTransport`` for a fake hub in tests). Error answers raise :class:`~lienthong.errors.HubError` with the hub's
``code``, ``axis_code`` and ``http_status``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from lienthong.clock import Clock
from lienthong.errors import HubError
from lienthong.hub import schemas as s
from lienthong.hub.auth import sign_headers
from lienthong.hub.client_core import HttpCore, parse_reply, segment

API = "/api/v1"
_TRACE = TypeAdapter(list[s.TraceEntry])


@dataclass(frozen=True, slots=True)
class FetchedPackage:
    """A delivery's exact package bytes, checked against the hub's SHA-256 (ETag)."""

    delivery_id: str
    content: bytes
    sha256: str
    trace: tuple[s.TraceEntry, ...]


def _json(model: Any) -> bytes:
    if isinstance(model, BaseModel):
        return model.model_dump_json(exclude_unset=isinstance(model, s.AgencyUpdate)).encode()
    return json.dumps(model, ensure_ascii=False).encode("utf-8")


def _etag_sha256(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip().removeprefix("W/").strip('"').lower()


class _Base:
    _core: HttpCore

    def close(self) -> None:
        """Close the connections."""
        self._core.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _post_json(self, path: str, body: Any, *, idempotent: bool) -> httpx.Response:
        return self._core.request(
            "POST", path, body=_json(body), content_type="application/json", idempotent=idempotent
        )


class HubClient(_Base):
    """A system's client: sends packages, receives and acknowledges deliveries, tracks.

    ``secret`` is the system secret as issued (its UTF-8 bytes are the HMAC key). Every
    request is signed (``X-Lienthong-*`` headers, a new nonce per attempt).
    """

    def __init__(
        self,
        base_url: str,
        system_id: str,
        secret: str | bytes,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        clock: Clock | None = None,
        retries: int = 5,
        backoff: float = 0.5,
        sleep: Callable[[float], None] | None = None,
        jitter: Callable[[], float] | None = None,
    ) -> None:
        key = secret.encode("utf-8") if isinstance(secret, str) else secret
        self.system_id = system_id
        extra: dict[str, Any] = {}
        if sleep is not None:
            extra["sleep"] = sleep
        if jitter is not None:
            extra["jitter"] = jitter

        def authorize(request: httpx.Request) -> None:
            path, _, query = request.url.raw_path.decode("ascii").partition("?")
            request.headers.update(
                sign_headers(
                    system_id,
                    key,
                    request.method,
                    path,
                    query,
                    request.content,
                    clock=self._core.clock,
                )
            )

        self._core = HttpCore(
            base_url,
            authorize=authorize,
            transport=transport,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            clock=clock,
            **extra,
        )

    # -- sending ---------------------------------------------------------------------------

    def send(self, package: bytes) -> s.SendResult:
        """Send a document or status package (exact bytes). Safe to retry: the hub
        deduplicates, and a repeated send answers the first result (``duplicate``)."""
        response = self._core.request(
            "POST", f"{API}/packages", body=package, content_type="application/xml"
        )
        return parse_reply(s.SendResult, response)

    # -- receiving -------------------------------------------------------------------------

    def receive(
        self,
        agency: str | None = None,
        kind: s.PackageKind | None = None,
        max: int = 10,
        wait: int = 0,
        visibility: int = 60,
    ) -> list[s.DeliveryItem]:
        """Claim up to ``max`` deliveries, leased for ``visibility`` seconds; with
        ``wait`` > 0 the hub holds the call until something arrives (long poll)."""
        query = {
            "agency": agency,
            "kind": kind,
            "max": max,
            "wait": wait,
            "visibility": visibility,
        }
        response = self._core.request(
            "POST",
            f"{API}/inbox/receive",
            query=query,
            # The hub may hold a long poll for ``wait`` s before it even starts answering.
            read_timeout=self._core.timeout + wait,
        )
        return parse_reply(s.ReceiveResult, response).deliveries

    def inbox(
        self,
        agency: str | None = None,
        kind: s.PackageKind | None = None,
        since: str | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> s.InboxPage:
        """A read-only page of pending deliveries (``since``: ISO 8601 time)."""
        query = {"agency": agency, "kind": kind, "since": since, "limit": limit, "cursor": cursor}
        response = self._core.request("GET", f"{API}/inbox", query=query)
        return parse_reply(s.InboxPage, response)

    def fetch(self, delivery_id: str) -> FetchedPackage:
        """The delivery's exact bytes; ``hub.integrity`` unless they hash to the ETag."""
        response = self._core.request("GET", f"{API}/deliveries/{segment(delivery_id)}/content")
        content = response.content
        actual = hashlib.sha256(content).hexdigest()
        expected = _etag_sha256(response.headers.get("ETag"))
        if expected is None:
            raise HubError(
                f"delivery {delivery_id}: the hub sent no ETag (SHA-256)",
                code="hub.bad_response",
                http_status=response.status_code,
            )
        if not hmac.compare_digest(actual.encode(), expected.encode("utf-8")):
            raise HubError(
                f"delivery {delivery_id}: the bytes received hash to {actual}, "
                f"not to the hub's {expected}",
                code="hub.integrity",
                http_status=response.status_code,
                delivery_id=delivery_id,
            )
        trace_header = response.headers.get("X-Lienthong-Trace")
        try:
            trace = tuple(_TRACE.validate_json(trace_header)) if trace_header else ()
        except PydanticValidationError as exc:
            raise HubError(
                f"delivery {delivery_id}: X-Lienthong-Trace is not a list of trace entries",
                code="hub.bad_response",
                http_status=response.status_code,
            ) from exc
        return FetchedPackage(delivery_id=delivery_id, content=content, sha256=actual, trace=trace)

    def ack(self, delivery_id: str, state: s.AckState, reason: str = "") -> s.AckResult:
        """Acknowledge a leased delivery: ``done``/``fail`` (final) or ``processing``
        (extends the lease)."""
        body = s.AckRequest(state=state, reason=reason)
        response = self._post_json(
            f"{API}/deliveries/{segment(delivery_id)}/ack", body, idempotent=True
        )
        return parse_reply(s.AckResult, response)

    # -- tracking and directory ------------------------------------------------------------

    def tracking(self, package_id: str) -> s.TrackingReport:
        """Each recipient's transport state and business statuses for a package sent."""
        response = self._core.request("GET", f"{API}/packages/{segment(package_id)}/tracking")
        return parse_reply(s.TrackingReport, response)

    def tracking_by_document(self, document_id: str) -> s.DocumentTracking:
        """Tracking of every package sent under a DocumentId."""
        response = self._core.request(
            "GET", f"{API}/documents/tracking", query={"document_id": document_id}
        )
        return parse_reply(s.DocumentTracking, response)

    def links(self, document_id: str) -> s.DocumentLinks:
        """The revocations, updates and replacements linked to a document."""
        response = self._core.request(
            "GET", f"{API}/documents/links", query={"document_id": document_id}
        )
        return parse_reply(s.DocumentLinks, response)

    def directory(self, since: int = 0, limit: int | None = None) -> s.DirectoryPage:
        """One page of agencies changed after directory version ``since``."""
        response = self._core.request(
            "GET", f"{API}/directory", query={"since": since, "limit": limit}
        )
        return parse_reply(s.DirectoryPage, response)

    def directory_changes(self, since: int = 0) -> s.DirectoryPage:
        """Every agency changed after ``since`` (all pages), and the version to keep."""
        agencies: list[s.DirectoryAgency] = []
        page = self.directory(since)
        agencies.extend(page.agencies)
        while page.has_more and page.agencies:
            page = self.directory(page.agencies[-1].version)
            agencies.extend(page.agencies)
        return s.DirectoryPage(version=page.version, agencies=agencies, has_more=False)


class HubAdminClient(_Base):
    """An operator's client of the admin endpoints (``Authorization: Bearer <token>``).

    Calls that issue a secret (``register_system``, ``rotate_secret``) are retried only
    when the request surely did not reach the hub, so a secret is never lost in transit
    to a blind retry.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 0.5,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        def authorize(request: httpx.Request) -> None:
            request.headers["Authorization"] = f"Bearer {token}"

        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self._core = HttpCore(
            base_url,
            authorize=authorize,
            transport=transport,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
            **extra,
        )

    # -- agencies --------------------------------------------------------------------------

    def register_agency(self, agency: s.AgencyCreate) -> s.DirectoryAgency:
        """Add an agency to the directory."""
        response = self._post_json(f"{API}/admin/agencies", agency, idempotent=False)
        return parse_reply(s.DirectoryAgency, response)

    def update_agency(self, agency_id: str, patch: s.AgencyUpdate) -> s.DirectoryAgency:
        """Change the fields set in ``patch`` (``None`` clears a field)."""
        response = self._core.request(
            "PATCH",
            f"{API}/admin/agencies/{segment(agency_id)}",
            body=_json(patch),
            content_type="application/json",
        )
        return parse_reply(s.DirectoryAgency, response)

    def lock_agency(self, agency_id: str) -> s.DirectoryAgency:
        """Lock an agency (it may no longer send or receive)."""
        return self._agency_action(agency_id, "lock")

    def unlock_agency(self, agency_id: str) -> s.DirectoryAgency:
        """Make a locked agency active again."""
        return self._agency_action(agency_id, "unlock")

    def _agency_action(self, agency_id: str, action: str) -> s.DirectoryAgency:
        response = self._core.request("POST", f"{API}/admin/agencies/{segment(agency_id)}/{action}")
        return parse_reply(s.DirectoryAgency, response)

    def add_agency_certificate(self, agency_id: str, pem: str | bytes) -> s.AgencyCertificate:
        """Allow an organisation certificate (PEM) to sign for an agency."""
        text = pem.decode("ascii") if isinstance(pem, bytes) else pem
        response = self._post_json(
            f"{API}/admin/agencies/{segment(agency_id)}/certificates",
            s.CertificateUpload(pem=text),
            idempotent=True,
        )
        return parse_reply(s.AgencyCertificate, response)

    # -- systems ---------------------------------------------------------------------------

    def register_system(self, system_id: str, name: str, agencies: list[str]) -> s.SystemSecret:
        """Register a system hosting ``agencies``; the answer holds its secret (once)."""
        body = s.SystemCreate(system_id=system_id, name=name, agencies=agencies)
        response = self._post_json(f"{API}/admin/systems", body, idempotent=False)
        return parse_reply(s.SystemSecret, response)

    def rotate_secret(self, system_id: str, grace_seconds: int | None = None) -> s.SystemSecret:
        """Issue a new secret; the previous one stays valid for the grace period."""
        body = (
            s.RotateSecret()
            if grace_seconds is None
            else s.RotateSecret(grace_seconds=grace_seconds)
        )
        response = self._post_json(
            f"{API}/admin/systems/{segment(system_id)}/rotate", body, idempotent=False
        )
        return parse_reply(s.SystemSecret, response)

    def set_system_agencies(self, system_id: str, agencies: list[str]) -> s.SystemInfo:
        """Replace the list of agencies a system hosts."""
        return self._put(system_id, "agencies", s.SystemAgencies(agencies=agencies))

    def set_webhook(self, system_id: str, url: str | None) -> s.SystemInfo:
        """Set (or with ``None`` remove) a system's webhook URL."""
        return self._put(system_id, "webhook", s.WebhookSet(url=url))

    def _put(self, system_id: str, what: str, body: BaseModel) -> s.SystemInfo:
        response = self._core.request(
            "PUT",
            f"{API}/admin/systems/{segment(system_id)}/{what}",
            body=_json(body),
            content_type="application/json",
        )
        return parse_reply(s.SystemInfo, response)

    def lock_system(self, system_id: str) -> s.SystemInfo:
        """Lock a system: its requests are refused (``auth.system_locked``)."""
        return self._system_action(system_id, "lock")

    def unlock_system(self, system_id: str) -> s.SystemInfo:
        """Unlock a locked system."""
        return self._system_action(system_id, "unlock")

    def _system_action(self, system_id: str, action: str) -> s.SystemInfo:
        response = self._core.request("POST", f"{API}/admin/systems/{segment(system_id)}/{action}")
        return parse_reply(s.SystemInfo, response)

    # -- operations ------------------------------------------------------------------------

    def audit_verify(self) -> s.AuditReport:
        """Check the hub's hash-chained audit log."""
        return parse_reply(s.AuditReport, self._core.request("GET", f"{API}/admin/audit/verify"))

    def queues(self) -> s.QueuesReport:
        """Deliveries waiting, per recipient agency."""
        return parse_reply(s.QueuesReport, self._core.request("GET", f"{API}/admin/queues"))
