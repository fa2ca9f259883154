"""Test helpers for the web UI: an office world on a real SQLite file, served by the UI.

Importable from any tier. The world is :mod:`officekit`'s (two hosted agencies with their
people and keys); the database is a migrated SQLite file so that the app's worker threads
see each other's commits, as in production.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from lienthong.clock import FixedClock
from lienthong.db import migrate
from lienthong.db.engine import make_engine
from lienthong.db.uow import uow_factory
from lienthong.hub.model import HubConfig
from lienthong.hub.secrets import SecretBox
from lienthong.hub.services import HubService
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from lienthong.web.context import WebContext
from officekit import A_CODE, B_CODE, OfficeWorld, build_world

#: The web tests' instant: a weekday morning in Vietnam, after the test PKI was issued.
NOW = datetime(2026, 5, 11, 2, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@dataclass
class WebWorld:
    """An office world and the web context over it."""

    world: OfficeWorld
    ctx: WebContext
    engine: Engine
    clock: FixedClock
    #: A hub operator's admin token.
    admin_token: str
    #: The secret of the hub system ``sys-web`` (hosting agencies A and B).
    system_secret: str


def build_web_world(tmp: Path, pki: DemoPki, *, now: datetime = NOW) -> WebWorld:
    """A fresh SQLite database with the office world, and a web context over it."""
    engine = make_engine(f"sqlite:///{tmp / 'web.sqlite3'}")
    migrate.upgrade(engine)
    clock = FixedClock(now)
    uows = uow_factory(engine, clock=clock)
    blobs = FileBlobStore(tmp / "blobs")
    world = build_world(uows, blobs, pki, clock)
    hub = HubService(
        uows,
        blobs=blobs,
        clock=clock,
        directory=world.directory,
        trust=lambda: pki.trust_store,
        identity=lambda: pki.system,
        box=lambda: SecretBox(bytes(range(32))),
        config=HubConfig(checkpoint_every=0),
    )
    issued = hub.systems.register("sys-web", "Hệ thống thử", [A_CODE, B_CODE])
    token = hub.systems.create_admin_token("web tests")
    ctx = WebContext(
        office=world.services,
        directory=world.directory,
        clock=clock,
        cache_dir=tmp / "previews",
        trust=lambda: pki.trust_store,
        hub=hub,
    )
    return WebWorld(world, ctx, engine, clock, token, issued.secret)


def csrf_of(html: str) -> str:
    """The CSRF token of the first form of a page."""
    match = CSRF.search(html)
    assert match is not None, "the page has no form with a CSRF token"
    return match.group(1)
