"""The monitor's services, wired once from the settings (``container.monitor``).

- ``agency`` — :class:`~lienthong.monitor.services.AgencyMonitor`: measures and report
  forms of the agencies this office hosts, sending their reports;
- ``national`` — :class:`~lienthong.monitor.rollup.HubMonitor`: the hub's roll-up;
- :func:`report_channel` — how ``lienthong report send`` reaches the hub: the
  ``hub_url`` / ``hub_system`` / ``hub_secret`` settings and the agencies' organisation keys from the office's key source (:func:`lienthong.office.services.keys_from_settings`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lienthong.clock import Clock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import ConfigError
from lienthong.monitor.rollup import HubMonitor
from lienthong.monitor.targets import load_targets
from lienthong.pki.model import SigningIdentity
from lienthong.settings import Settings
from lienthong.storage import BlobStore

if TYPE_CHECKING:
    from lienthong.monitor.services import AgencyMonitor, ReportChannel


@dataclass(frozen=True)
class MonitorServices:
    """The monitor's two sides."""

    agency: AgencyMonitor
    national: HubMonitor


def build_monitor(
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    *,
    blobs: BlobStore,
    clock: Clock,
    national: HubMonitor | None = None,
) -> MonitorServices:
    """The monitor of ``settings`` (targets: the defaults with ``monitor.targets_file``);
    ``national``: the hub's roll-up when it is already built."""
    from lienthong.monitor.services import AgencyMonitor

    config = settings.monitor
    return MonitorServices(
        agency=AgencyMonitor(
            uow_factory,
            clock=clock,
            targets=load_targets(config.targets_file),
            government=config.government,
            monitor_agency=config.agency,
        ),
        national=national or national_monitor(settings, uow_factory, blobs=blobs, clock=clock),
    )


def national_monitor(
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    *,
    blobs: BlobStore,
    clock: Clock,
) -> HubMonitor:
    """The hub's national roll-up of ``settings``."""
    return HubMonitor(
        uow_factory,
        blobs=blobs,
        clock=clock,
        monitor_agency=settings.monitor.agency,
        targets=load_targets(settings.monitor.targets_file),
        limits=settings.edxml,
    )


def report_channel(settings: Settings, clock: Clock) -> ReportChannel:
    """The hub connection (``hub_url``, ``hub_system``, ``hub_secret``: the office's system
    on the hub) and keys ``report send`` uses; :class:`ConfigError` names what is missing."""
    missing = [
        name
        for name, value in (
            ("LIENTHONG_HUB_URL", settings.hub_url),
            ("LIENTHONG_HUB_SYSTEM", settings.hub_system),
            ("LIENTHONG_HUB_SECRET", settings.hub_secret),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"to send reports to the hub, set {', '.join(missing)}", code="config.monitor_hub"
        )
    assert settings.hub_secret is not None  # noqa: S101 - checked above
    from lienthong.hub.client import HubClient
    from lienthong.monitor.services import ReportChannel
    from lienthong.office.services import keys_from_settings

    client = HubClient(
        settings.hub_url, settings.hub_system, settings.hub_secret.get_secret_value(), clock=clock
    )
    keys = keys_from_settings(settings, clock)

    def identity(agency_code: str) -> SigningIdentity:
        return keys.agency(agency_code).identity

    return ReportChannel(identity=identity, send=client.send)
