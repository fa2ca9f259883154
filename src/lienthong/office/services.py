"""The office's services, wired once: what the API, the CLI and the web UI call.

:func:`build_office_services` takes the unit-of-work factory, the blob store and a
:class:`~lienthong.office.signing.SigningKeys`; ``bootstrap.build_container`` builds the
bundle as ``container.office``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher

from lienthong.clock import Clock
from lienthong.db.uow import UnitOfWork
from lienthong.office.catalogue import CatalogueService
from lienthong.office.dispatch import DispatchService
from lienthong.office.handover import HandoverService
from lienthong.office.hubsync_journal import InboundJournal
from lienthong.office.incoming import IncomingService
from lienthong.office.intake import IntakeService
from lienthong.office.outgoing import OutgoingService
from lienthong.office.outgoing_issue import IssuingService
from lienthong.office.registers import RegisterService
from lienthong.office.signing import PkiDirKeys, SigningKeys, UnconfiguredKeys
from lienthong.office.users import UserService
from lienthong.settings import Settings
from lienthong.storage import BlobStore


@dataclass(frozen=True)
class OfficeServices:
    """Every use case of the agency office."""

    users: UserService
    catalogue: CatalogueService
    outgoing: OutgoingService
    issuing: IssuingService
    dispatch: DispatchService
    #: Paper and e-mail recipients: the clerk records their dispatch.
    handover: HandoverService
    incoming: IncomingService
    intake: IntakeService
    registers: RegisterService
    #: What the hub sync worker made of each delivery (with the signature reports).
    inbound: InboundJournal


def keys_from_settings(settings: Settings, clock: Clock) -> SigningKeys:
    """Signers from the configured pki directory (B-T when a TSA is configured)."""
    if settings.pki_passphrase is None:
        return UnconfiguredKeys()
    tsa_url = settings.tsa_url or None
    return PkiDirKeys(
        settings.effective_pki_dir,
        settings.pki_passphrase.get_secret_value(),
        clock=clock,
        level="B-T" if tsa_url else "B-B",
        tsa_url=tsa_url,
    )


def build_office(
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    *,
    blobs: BlobStore,
    clock: Clock,
) -> OfficeServices:
    """The office as ``bootstrap.build_container`` wires it."""
    return build_office_services(uow_factory, blobs, keys_from_settings(settings, clock))


def build_office_services(
    uow_factory: Callable[[], UnitOfWork],
    blobs: BlobStore,
    keys: SigningKeys,
    *,
    hasher: PasswordHasher | None = None,
) -> OfficeServices:
    """Wire the office's services over one database, blob store and key source."""
    return OfficeServices(
        users=UserService(uow_factory, hasher=hasher),
        catalogue=CatalogueService(uow_factory),
        outgoing=OutgoingService(uow_factory, blobs),
        issuing=IssuingService(uow_factory, blobs, keys),
        dispatch=DispatchService(uow_factory),
        handover=HandoverService(uow_factory),
        incoming=IncomingService(uow_factory, blobs),
        intake=IntakeService(uow_factory, blobs),
        registers=RegisterService(uow_factory),
        inbound=InboundJournal(uow_factory),
    )
