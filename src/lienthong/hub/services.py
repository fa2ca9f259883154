"""The hub's services, wired together: :class:`HubService` holds one of each.

The use cases live in their own modules (:mod:`.intake`, :mod:`.delivery`,
:mod:`.tracking`, :mod:`.systems`, :mod:`.audit`); this one builds them from the
container's parts and adds the small reads the API needs (directory feed, queues, health).
Things that need configuration the hub may not have yet — the trust store, the hub's
signing identity, the master key — are loaded on first use, so building a container never
fails for want of them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import text

from lienthong.clock import Clock
from lienthong.db.uow import UnitOfWork
from lienthong.directory.model import Agency
from lienthong.directory.services import DirectoryService
from lienthong.hub.audit import AuditLog, AuditService
from lienthong.hub.delivery import DeliveryService
from lienthong.hub.intake import IntakeService
from lienthong.hub.model import HubConfig, IdGenerator
from lienthong.hub.notify import Notifier
from lienthong.hub.records import QueueStats
from lienthong.hub.secrets import SecretBox
from lienthong.hub.signatures import SignatureChecker
from lienthong.hub.systems import SystemService
from lienthong.hub.tracking import TrackingService
from lienthong.pki.model import SigningIdentity, TrustStore
from lienthong.settings import EdxmlLimits, Settings
from lienthong.storage import BlobStore

_T = TypeVar("_T")


class Lazy(Generic[_T]):
    """A value made on first use (thread-safe), then kept."""

    def __init__(self, factory: Callable[[], _T]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._made = False
        self._value: _T | None = None

    def __call__(self) -> _T:
        if not self._made:
            with self._lock:
                if not self._made:
                    self._value = self._factory()
                    self._made = True
        return self._value  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class DirectoryFeed:
    """A page of the directory's change feed."""

    version: int
    agencies: tuple[Agency, ...]
    parents: dict[int, str]
    has_more: bool


class HubService:
    """Every use case of the hub, over one unit-of-work factory."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        blobs: BlobStore,
        clock: Clock,
        directory: DirectoryService,
        trust: Callable[[], TrustStore],
        identity: Callable[[], SigningIdentity | None],
        box: Callable[[], SecretBox],
        config: HubConfig | None = None,
        limits: EdxmlLimits | None = None,
        ids: IdGenerator | None = None,
    ) -> None:
        self.config = config or HubConfig()
        self.clock = clock
        self.limits = limits or EdxmlLimits()
        self.notifier = Notifier()
        self._uow = uow_factory
        self.uow_factory = uow_factory
        cfg = self.config
        self.checker = Lazy(
            lambda: SignatureChecker(
                trust(), clock=clock, limits=self.limits, ttl_s=cfg.chain_cache_ttl_s
            )
        )
        self.audit_log = AuditLog(Lazy(identity), checkpoint_every=cfg.checkpoint_every)
        self.directory = directory
        # Every change of the directory is an administrative change: audited with it.
        directory.on_change = self._audit_directory_change
        self.intake = IntakeService(
            uow_factory,
            blobs=blobs,
            clock=clock,
            ids=ids or IdGenerator(),
            checker=self.checker,
            audit=self.audit_log,
            notifier=self.notifier,
            organ_id=cfg.organ_id,
            limits=self.limits,
        )
        self.delivery = DeliveryService(uow_factory, blobs=blobs, clock=clock, audit=self.audit_log)
        self.tracking = TrackingService(uow_factory, clock=clock)
        self.systems = SystemService(
            uow_factory,
            clock=clock,
            box=Lazy(box),
            audit=self.audit_log,
            auth_window_s=cfg.auth_window_s,
            rotation_grace_s=cfg.rotation_grace_s,
        )
        self.audit = AuditService(uow_factory, self.audit_log, clock)

    def _audit_directory_change(
        self, uow: UnitOfWork, action: str, actor: str, agency: Agency, details: dict[str, Any]
    ) -> None:
        self.audit_log.append(uow, [(action, actor, agency.code, details)], self.clock.now())

    def directory_feed(self, since: int, limit: int = 1000) -> DirectoryFeed:
        """Agencies changed after ``since`` (oldest change first) and the current version."""
        size = max(1, min(limit, 5000))
        with self._uow() as uow:
            version = uow.agencies.current_version()
            changed = list(uow.agencies.changes_since(since, limit=size + 1))
            parents = uow.hub.agency_codes(a.parent_id for a in changed if a.parent_id)
        return DirectoryFeed(version, tuple(changed[:size]), parents, len(changed) > size)

    def parent_codes(self, agencies: Iterable[Agency]) -> dict[int, str]:
        """Parent id → its code, for showing agencies with their parent."""
        with self._uow() as uow:
            return uow.hub.agency_codes(a.parent_id for a in agencies if a.parent_id)

    def queues(self) -> list[QueueStats]:
        """Per recipient agency: deliveries available, leased and failed (computed now)."""
        now = self.clock.now()
        with self._uow() as uow:
            rows = uow.hub.queue_stats(now)
            codes = uow.hub.agency_codes(int(r.recipient_id) for r in rows)
        return [
            QueueStats(
                agency=codes.get(int(r.recipient_id), str(r.recipient_id)),
                pending=int(r.pending or 0),
                leased=int(r.leased or 0),
                failed=int(r.failed or 0),
                oldest_pending_at=r.oldest,
            )
            for r in rows
        ]

    def healthy(self) -> bool:
        """Whether the database answers."""
        try:
            with self._uow() as uow:
                uow.session.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    @property
    def dialect(self) -> str:
        with self._uow() as uow:
            return uow.hub.dialect


def build_hub(
    settings: Settings,
    uow_factory: Callable[[], UnitOfWork],
    *,
    blobs: BlobStore,
    clock: Clock,
    directory: DirectoryService,
    config: HubConfig | None = None,
) -> HubService:
    """The hub of ``settings``: trust store, identity and master key from there, lazily."""

    def trust() -> TrustStore:
        from lienthong.pki.trust import trust_store_from_settings

        return trust_store_from_settings(settings)

    def identity() -> SigningIdentity | None:
        if not settings.hub_identity:
            return None
        from lienthong.errors import ConfigError
        from lienthong.pki.identity import load_identity

        if settings.pki_passphrase is None:
            raise ConfigError(
                "hub_identity is set but LIENTHONG_PKI_PASSPHRASE is not",
                code="config.hub_identity",
            )
        return load_identity(
            settings.effective_pki_dir,
            settings.hub_identity,
            settings.pki_passphrase.get_secret_value(),
        )

    def box() -> SecretBox:
        from lienthong.hub.secrets import secret_box_from_settings

        return secret_box_from_settings(settings)

    base = config or HubConfig()
    if settings.hub_organ_id != base.organ_id:
        from dataclasses import replace

        base = replace(base, organ_id=settings.hub_organ_id)
    return HubService(
        uow_factory,
        blobs=blobs,
        clock=clock,
        directory=directory,
        trust=trust,
        identity=identity,
        box=box,
        config=base,
        limits=settings.edxml,
    )
