"""What the web interface is built over: :class:`WebContext`.

The UI calls the office's and the hub's services and nothing else; this bundle names them,
with the few things the pages need beside (the clock, where page previews are cached, the
trust store that judges PDF signatures, and — when the hub integration provides one — a
way to dispatch a ready document at once). ``bootstrap.Container`` gives all of it
(:func:`context_from_container`); tests build one over their own services.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lienthong.clock import Clock
from lienthong.directory.services import DirectoryService
from lienthong.office.documents import OutgoingDocument
from lienthong.office.model import Actor
from lienthong.office.services import OfficeServices
from lienthong.pki.model import TrustStore

if TYPE_CHECKING:
    from lienthong.bootstrap import Container
    from lienthong.hub.services import HubService

#: Dispatch one ready outgoing document now (the hub integration's dispatcher).
DispatchNow = Callable[[Actor, int], OutgoingDocument]


@dataclass
class WebContext:
    """The services and settings behind the pages."""

    office: OfficeServices
    directory: DirectoryService
    clock: Clock
    #: Where PDF page previews are cached (by the PDF's SHA-256).
    cache_dir: Path
    #: The trust store PDF signatures are judged against (``None``: not configured).
    trust: Callable[[], TrustStore | None] = lambda: None
    #: The hub's services, for the operators' pages (``None``: no hub in this process).
    hub: HubService | None = None
    #: Sends a ready document through the hub at once, if the integration is present.
    dispatch_now: DispatchNow | None = None
    #: Key of the CSRF tokens (random per process unless given).
    csrf_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    #: Whether cookies get the ``Secure`` flag (behind HTTPS).
    secure_cookies: bool = False


def _trust_loader(container: Container) -> Callable[[], TrustStore | None]:
    cached: list[TrustStore | None] = []

    def load() -> TrustStore | None:
        if not cached:
            from lienthong.errors import LienthongError
            from lienthong.pki.trust import trust_store_from_settings

            try:
                cached.append(trust_store_from_settings(container.settings))
            except (LienthongError, OSError):
                cached.append(None)
        return cached[0]

    return load


def context_from_container(
    container: Container,
    *,
    with_hub: bool = True,
    dispatch_now: DispatchNow | None = None,
) -> WebContext:
    """The web context of a container (its office, directory, hub and settings)."""
    return WebContext(
        office=container.office,
        directory=container.directory,
        clock=container.clock,
        cache_dir=container.settings.data_dir / "cache" / "previews",
        trust=_trust_loader(container),
        hub=container.hub if with_hub else None,
        dispatch_now=dispatch_now,
        secure_cookies=container.settings.secure_cookies,
    )
