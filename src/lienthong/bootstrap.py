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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from sqlalchemy import Engine

from lienthong.clock import Clock, SystemClock
from lienthong.db.engine import make_engine
from lienthong.db.uow import UnitOfWork, uow_factory
from lienthong.directory.services import DirectoryService
from lienthong.hub.services import HubService, build_hub
from lienthong.monitor.wiring import MonitorServices, build_monitor
from lienthong.office.services import OfficeServices, build_office
from lienthong.settings import Settings
from lienthong.storage import BlobStore, DatabaseBlobStore, FileBlobStore


@dataclass(frozen=True)
class Container:
    """Everything a running lienthong needs, built from one ``Settings``."""

    settings: Settings
    clock: Clock
    engine: Engine
    uow_factory: Callable[[], UnitOfWork]
    blobs: BlobStore
    directory: DirectoryService
    #: The exchange hub's use cases (intake, delivery, tracking, systems, audit).
    hub: HubService
    #: The agency office's use cases (people, registers, workflows, catalogue).
    office: OfficeServices
    #: The compliance monitor: an agency's measures and reports, the national roll-up.
    monitor: MonitorServices

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


def make_blob_store(settings: Settings, engine: Engine, clock: Clock) -> BlobStore:
    """The blob store the ``blob_store`` setting names: ``fs`` (default) or ``db``."""
    if settings.blob_store == "db":
        return DatabaseBlobStore(engine, clock=clock)
    return FileBlobStore(settings.blob_dir)


def build_container(settings: Settings, clock: Clock | None = None) -> Container:
    """Wire a container; ``clock`` defaults to the system clock."""
    clock = clock or SystemClock()
    engine = make_engine(settings.effective_database_url)
    uows = uow_factory(engine, clock=clock)
    blobs = make_blob_store(settings, engine, clock)
    directory = DirectoryService(uows)
    return Container(
        settings=settings,
        clock=clock,
        engine=engine,
        uow_factory=uows,
        blobs=blobs,
        directory=directory,
        hub=build_hub(settings, uows, blobs=blobs, clock=clock, directory=directory),
        office=build_office(settings, uows, blobs=blobs, clock=clock),
        monitor=build_monitor(settings, uows, blobs=blobs, clock=clock),
    )
