"""The office's exchange with a hub, wired and run: :class:`OfficeExchange`.

::

    exchange = exchange_from_container(container)      # settings: hub_url, hub_system, hub_secret
    exchange.pull_directory(container.directory)       # learn the hub's agencies
    stop = threading.Event()
    threads = exchange.start(stop)                     # receiving and sending loops
    ...
    stop.set(); [t.join() for t in threads]; exchange.close()

Two loops, each in its own thread:

- **receiving** (:class:`~.hubsync_worker.SyncWorker`): long-polls the hub, stores and
  acknowledges what comes, then sends the pending statuses (01 at once);
- **sending** (every ``interval`` seconds): the ready documents and the recall, update
  and replacement requests (:class:`~.hubsync.HubDispatcher`), then the pending statuses
  (:class:`~.hubsync_statuses.StatusSender`) — so a clerk's accept (03) leaves within
  ``interval`` even while the other loop waits on its long poll.

Both back off exponentially (up to a minute) while the hub cannot be reached.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lienthong.clock import Clock
from lienthong.directory.model import AgencyDraft, AgencyPatch, AgencyState
from lienthong.directory.services import DirectoryService
from lienthong.errors import ConfigError, LienthongError
from lienthong.hub.client import HubClient
from lienthong.hub.schemas import DirectoryAgency
from lienthong.office.documents import OutgoingDocument
from lienthong.office.hubsync import DispatchReport, HubDispatcher
from lienthong.office.hubsync_statuses import StatusReport, StatusSender
from lienthong.office.hubsync_worker import SyncReport, SyncWorker, run_loop
from lienthong.office.model import Actor
from lienthong.office.services import OfficeServices, keys_from_settings
from lienthong.office.signing import SigningKeys
from lienthong.pki.model import TrustStore
from lienthong.settings import EdxmlLimits, Settings
from lienthong.storage import BlobStore

if TYPE_CHECKING:
    from lienthong.bootstrap import Container

#: Who the local directory's changes are recorded as when they come from the hub's feed.
SYNC_ACTOR = "directory-sync"


@dataclass
class SendReport:
    """One round of the sending loop."""

    dispatch: DispatchReport
    statuses: StatusReport


@dataclass
class DirectoryPull:
    """What :meth:`OfficeExchange.pull_directory` changed, and the version to ask from."""

    version: int
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)


@dataclass
class OfficeExchange:
    """Everything the office needs to exchange through one hub."""

    hub: HubClient
    dispatcher: HubDispatcher
    statuses: StatusSender
    worker: SyncWorker

    def dispatch_now(self, actor: Actor, doc_id: int) -> OutgoingDocument:
        """Send one ready document at once (``web.context.DispatchNow``)."""
        return self.dispatcher.dispatch_now(actor, doc_id)

    def send_once(self) -> SendReport:
        """Ready documents and requests, then pending statuses, for every hosted agency."""
        return SendReport(self.dispatcher.run_once(), self.statuses.run_once())

    def sync_once(self, wait: int | None = None) -> SyncReport:
        """One receiving round (long poll of ``wait`` s; then the pending statuses)."""
        return self.worker.run_once(wait)

    def start(
        self,
        stop: threading.Event,
        *,
        receive: bool = True,
        send: bool = True,
        interval: float = 2.0,
    ) -> list[threading.Thread]:
        """Start the receiving and/or sending loops as daemon threads (until ``stop``)."""
        loops: list[tuple[str, Callable[[], None]]] = []
        if receive:
            loops.append(("lienthong-office-sync", lambda: self.worker.run(stop)))
        if send:
            loops.append(
                (
                    "lienthong-office-dispatch",
                    lambda: run_loop(self.send_once, stop, idle=interval, name="dispatch"),
                )
            )
        threads = [
            threading.Thread(target=target, name=name, daemon=True) for name, target in loops
        ]
        for thread in threads:
            thread.start()
        return threads

    def pull_directory(self, directory: DirectoryService, since: int = 0) -> DirectoryPull:
        """Bring the office's directory up to date with the hub's (agencies added after
        ``since``: registered, renamed, locked or unlocked here)."""
        page = self.hub.directory_changes(since)
        pulled = DirectoryPull(page.version)
        for agency in page.agencies:
            code = agency.qcvn_id or agency.qd20_id
            if code is None:
                continue
            known = directory.lookup(code)
            if known is None:
                known = directory.register(_draft(agency, directory), actor=SYNC_ACTOR)
                pulled.added.append(code)
            elif known.name != agency.name or known.short_name != agency.short_name:
                known = directory.update(
                    code,
                    AgencyPatch(name=agency.name, short_name=agency.short_name),
                    actor=SYNC_ACTOR,
                )
                pulled.updated.append(code)
            locked = agency.state == AgencyState.LOCKED.value
            if locked and known.is_active:
                directory.lock(code, actor=SYNC_ACTOR)
                pulled.updated.append(code)
            elif not locked and known.state is AgencyState.LOCKED:
                directory.unlock(code, actor=SYNC_ACTOR)
                pulled.updated.append(code)
        return pulled

    def close(self) -> None:
        """Close the hub client's connections."""
        self.hub.close()


def _draft(agency: DirectoryAgency, directory: DirectoryService) -> AgencyDraft:
    parent = agency.parent if agency.parent and directory.lookup(agency.parent) else None
    return AgencyDraft(
        name=agency.name,
        qcvn_id=agency.qcvn_id,
        qd20_id=agency.qd20_id,
        short_name=agency.short_name,
        parent=parent,
    )


def build_exchange(
    office: OfficeServices,
    hub: HubClient,
    keys: SigningKeys,
    *,
    blobs: BlobStore,
    trust: TrustStore | Callable[[], TrustStore],
    clock: Clock | None = None,
    limits: EdxmlLimits | None = None,
    wait: int = 20,
) -> OfficeExchange:
    """Wire the dispatcher, the status sender and the sync worker over one hub client."""
    dispatcher = HubDispatcher(office, hub, keys, clock=clock)
    statuses = StatusSender(office, hub, keys, clock=clock)
    worker = SyncWorker(
        office,
        hub,
        blobs=blobs,
        trust=trust,
        statuses=statuses,
        clock=clock,
        limits=limits,
        wait=wait,
    )
    return OfficeExchange(hub, dispatcher, statuses, worker)


def hub_client_from_settings(settings: Settings) -> HubClient:
    """The office's client of the configured hub (``hub_url``, ``hub_system``,
    ``hub_secret``)."""
    if not settings.hub_url or not settings.hub_system or settings.hub_secret is None:
        raise ConfigError(
            "the office is not connected to a hub: set LIENTHONG_HUB_URL, "
            "LIENTHONG_HUB_SYSTEM and LIENTHONG_HUB_SECRET",
            code="config.hub_unconfigured",
        )
    return HubClient(settings.hub_url, settings.hub_system, settings.hub_secret.get_secret_value())


def exchange_from_container(
    container: Container, *, hub: HubClient | None = None, wait: int = 20
) -> OfficeExchange:
    """The exchange of a container: its office, blob store, clock, the configured keys
    (pki directory + ``LIENTHONG_PKI_PASSPHRASE``), trust store and hub."""
    settings = container.settings

    def trust() -> TrustStore:
        from lienthong.pki.trust import trust_store_from_settings

        return trust_store_from_settings(settings)

    client = hub or hub_client_from_settings(settings)
    try:
        return build_exchange(
            container.office,
            client,
            keys_from_settings(settings, container.clock),
            blobs=container.blobs,
            trust=trust,
            clock=container.clock,
            limits=settings.edxml,
            wait=wait,
        )
    except LienthongError:
        if hub is None:
            with contextlib.suppress(Exception):
                client.close()
        raise
