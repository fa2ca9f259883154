"""The sync worker: pulls the office's deliveries from the hub, handles and acknowledges them.

One round (:meth:`SyncWorker.run_once`):

1. ``HubClient.receive(wait=…)`` claims up to ``batch`` deliveries for every agency the
   office's hub system hosts (a long poll: the hub answers as soon as something comes,
   at the latest after ``wait`` seconds); each is leased for ``visibility`` seconds;
2. each delivery is fetched (bytes checked against the hub's SHA-256) and handled by
   :class:`~.hubsync_inbound.InboundProcessor` — stored, applied, ignored, or refused;
3. it is acknowledged: ``done``, or ``fail`` with the reason for a package the office
   cannot take. A delivery whose handling hit a storage error is left unacknowledged (its
   lease runs out and it comes again); one that failed to fetch likewise, until it has
   been claimed ``max_claims`` times, then it is acknowledged ``fail``;
4. the status outbox is drained (status 01 of what just arrived goes out at once).

:meth:`SyncWorker.run` repeats rounds until a ``threading.Event`` is set, backing off
exponentially (1 s, 2 s, 4 s… up to ``max_backoff``) while the hub cannot be reached.
A stop takes effect between rounds: at the latest after the long poll in progress.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from lienthong.clock import Clock
from lienthong.db.retry import retrying
from lienthong.errors import HubError, LienthongError
from lienthong.hub.client import HubClient
from lienthong.hub.schemas import DeliveryItem
from lienthong.office.hubsync import transient
from lienthong.office.hubsync_inbound import InboundProcessor
from lienthong.office.hubsync_journal import InboundEntry
from lienthong.office.hubsync_statuses import StatusReport, StatusSender
from lienthong.office.services import OfficeServices
from lienthong.pki.model import TrustStore
from lienthong.settings import EdxmlLimits
from lienthong.storage import BlobStore

log = logging.getLogger(__name__)


@dataclass
class SyncReport:
    """What a round of the sync worker did."""

    entries: list[InboundEntry] = field(default_factory=list)
    #: Deliveries left unacknowledged (to come again): (delivery id, reason).
    deferred: list[tuple[str, str]] = field(default_factory=list)
    statuses: StatusReport | None = None

    @property
    def received(self) -> int:
        return len(self.entries)


class SyncWorker:
    """Receives from the hub for the office's agencies (see the module docstring).

    ``trust`` is the trust store signatures are judged against (or a function giving it,
    loaded on first use); ``statuses``, when given, is drained after every round.
    """

    def __init__(
        self,
        office: OfficeServices,
        hub: HubClient,
        *,
        blobs: BlobStore,
        trust: TrustStore | Callable[[], TrustStore],
        statuses: StatusSender | None = None,
        clock: Clock | None = None,
        limits: EdxmlLimits | None = None,
        wait: int = 20,
        batch: int = 10,
        visibility: int = 120,
        max_claims: int = 5,
    ) -> None:
        self._hub = hub
        self._statuses = statuses
        self._processor = InboundProcessor(
            office, blobs=blobs, trust=_lazy(trust), clock=clock, limits=limits
        )
        self.wait = wait
        self._batch = batch
        self._visibility = visibility
        self._max_claims = max_claims

    def run_once(self, wait: int | None = None) -> SyncReport:
        """One round: receive (long poll of ``wait`` s, default the worker's), handle and
        acknowledge, then send the pending statuses. Raises a transient
        :class:`HubError` when the hub cannot be reached."""
        report = SyncReport()
        items = self._hub.receive(
            max=self._batch,
            wait=self.wait if wait is None else wait,
            visibility=self._visibility,
        )
        for item in items:
            self._one(item, report)
        if self._statuses is not None:
            report.statuses = self._statuses.run_once()
        return report

    def _one(self, item: DeliveryItem, report: SyncReport) -> None:
        try:
            fetched = self._hub.fetch(item.delivery_id)
        except HubError as exc:
            if transient(exc) or item.attempts < self._max_claims:
                report.deferred.append((item.delivery_id, exc.message))
                if transient(exc):
                    raise
                return
            self._ack(item, "fail", f"cannot be fetched: {exc.message}")
            return
        try:
            # SQLite refuses a writer for a moment when another committed meanwhile:
            # handling is idempotent (by delivery), so try again at once rather than
            # leave the delivery leased until its visibility timeout.
            entry = retrying(lambda: self._processor.handle(item, fetched.content))
        except LienthongError as exc:  # storage: not acknowledged, it will come again
            log.warning("delivery %s deferred: %s", item.delivery_id, exc)
            report.deferred.append((item.delivery_id, exc.message))
            if transient(exc):
                raise
            return
        report.entries.append(entry)
        if entry.failed:
            log.warning("delivery %s refused: %s", item.delivery_id, entry.reason)
            self._ack(item, "fail", entry.reason or "refused")
        else:
            self._ack(item, "done", "")

    def _ack(self, item: DeliveryItem, state: str, reason: str) -> None:
        try:
            if state == "fail":
                self._hub.ack(item.delivery_id, "fail", reason[:2000])
            else:
                self._hub.ack(item.delivery_id, "done")
        except HubError as exc:
            # Acknowledged already (a retry whose first attempt landed), or the lease went
            # to another worker meanwhile: nothing more to do here.
            if exc.http_status not in (404, 409):
                raise

    def run(self, stop: threading.Event, *, max_backoff: float = 60.0) -> None:
        """Rounds until ``stop`` is set; exponential backoff while the hub is down."""
        run_loop(self.run_once, stop, idle=0.0 if self.wait > 0 else 1.0, max_backoff=max_backoff)


def run_loop(
    step: Callable[[], object],
    stop: threading.Event,
    *,
    idle: float,
    max_backoff: float = 60.0,
    first_backoff: float = 1.0,
    name: str = "exchange",
) -> None:
    """Call ``step`` until ``stop`` is set, waiting ``idle`` s between calls; after an
    error wait ``first_backoff`` (1 s), then twice as long each time (at most
    ``max_backoff``) before the next try. Transient errors are logged as such, others as
    errors; neither ends the loop: a worker never dies."""
    delay = 0.0
    while not stop.is_set():
        try:
            step()
        except LienthongError as exc:
            delay = min(max(delay * 2, first_backoff), max_backoff)
            level = logging.INFO if transient(exc) else logging.ERROR
            log.log(level, "%s: %s; next try in %.0f s", name, exc, delay)
            stop.wait(delay)
            continue
        except Exception:
            delay = min(max(delay * 2, first_backoff), max_backoff)
            log.exception("%s: unexpected failure; next try in %.0f s", name, delay)
            stop.wait(delay)
            continue
        delay = 0.0
        if idle:
            stop.wait(idle)


def _lazy(trust: TrustStore | Callable[[], TrustStore]) -> Callable[[], TrustStore]:
    if isinstance(trust, TrustStore):
        return lambda: trust
    cached: list[TrustStore] = []

    def load() -> TrustStore:
        if not cached:
            cached.append(trust())
        return cached[0]

    return load
