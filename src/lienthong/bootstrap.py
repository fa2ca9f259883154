"""The one place that wires settings → engine → units of work → blob store → services.

::

    container = build_container(load_settings())
    try:
        container.directory.resolve("000.00.00.G22")
    finally:
        container.close()

Nothing here is global: every caller (CLI command, web app, test) builds its own container
and passes it on. Building does not touch the database; ``lienthong db upgrade`` creates
the schema.

``build_hub_container`` wires the hub alone (with the national monitor it serves): a hub
process (``lienthong hub serve``) then never imports the office's libraries (PDF signing,
images, spreadsheets), which keeps each worker ~40 MB smaller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from sqlalchemy import Engine

from lienthong.clock import Clock, SystemClock
from lienthong.db.engine import make_engine
from lienthong.db.uow import UnitOfWork, uow_factory
from lienthong.directory.services import DirectoryService
from lienthong.hub.services import HubService, build_hub
from lienthong.monitor.rollup import HubMonitor
from lienthong.monitor.wiring import national_monitor
from lienthong.settings import Settings
from lienthong.storage import BlobStore, DatabaseBlobStore, FileBlobStore

if TYPE_CHECKING:
    from lienthong.monitor.wiring import MonitorServices
    from lienthong.office.services import OfficeServices


@dataclass(frozen=True)
class HubContainer:
    """What a hub process needs, built from one ``Settings``."""

    settings: Settings
    clock: Clock
    engine: Engine
    uow_factory: Callable[[], UnitOfWork]
    blobs: BlobStore
    directory: DirectoryService
    #: The exchange hub's use cases (intake, delivery, tracking, systems, audit).
    hub: HubService
    #: The national roll-up of the agencies' statistics reports (docs/monitor.md).
    national: HubMonitor

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


@dataclass(frozen=True)
class Container(HubContainer):
    """Everything a running lienthong needs: the hub's parts, the office and the monitor."""

    #: The agency office's use cases (people, registers, workflows, catalogue).
    office: OfficeServices
    #: The compliance monitor: an agency's measures and reports, the national roll-up
    #: (``monitor.national`` is ``national``).
    monitor: MonitorServices


def make_blob_store(settings: Settings, engine: Engine, clock: Clock) -> BlobStore:
    """The blob store the ``blob_store`` setting names: ``fs`` (default) or ``db``."""
    if settings.blob_store == "db":
        return DatabaseBlobStore(engine, clock=clock)
    return FileBlobStore(settings.blob_dir, direct_io=settings.blob_direct_io)


def build_hub_container(settings: Settings, clock: Clock | None = None) -> HubContainer:
    """Wire the hub alone (``lienthong hub serve``); ``clock`` defaults to the system clock."""
    return HubContainer(**_hub_parts(settings, clock or SystemClock()))


def build_container(settings: Settings, clock: Clock | None = None) -> Container:
    """Wire a container; ``clock`` defaults to the system clock."""
    from lienthong.monitor.wiring import build_monitor
    from lienthong.office.services import build_office

    parts = _hub_parts(settings, clock or SystemClock())
    uows, blobs, clock_ = parts["uow_factory"], parts["blobs"], parts["clock"]
    monitor = build_monitor(settings, uows, blobs=blobs, clock=clock_, national=parts["national"])
    return Container(
        **parts,
        office=build_office(settings, uows, blobs=blobs, clock=clock_),
        monitor=monitor,
    )


def _hub_parts(settings: Settings, clock: Clock) -> dict[str, Any]:
    engine = make_engine(settings.effective_database_url)
    uows = uow_factory(engine, clock=clock)
    blobs = make_blob_store(settings, engine, clock)
    directory = DirectoryService(uows)
    return {
        "settings": settings,
        "clock": clock,
        "engine": engine,
        "uow_factory": uows,
        "blobs": blobs,
        "directory": directory,
        "hub": build_hub(settings, uows, blobs=blobs, clock=clock, directory=directory),
        "national": national_monitor(settings, uows, blobs=blobs, clock=clock),
    }
