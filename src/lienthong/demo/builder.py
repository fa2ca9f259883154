"""Builds the demo's data directory: what ``make demo`` serves at http://127.0.0.1:8000.

1. a fresh data directory with its settings (``lienthong.toml``, secrets in 0600 files);
2. the local PKI (root, issuing CA, TSA, one seal per agency, the leaders' certificates),
   issued a few weeks back so that documents of the past weeks carry valid signatures;
3. the SQLite database, migrated; the directory of agencies;
4. the hub: one document system hosting the four agencies, its secret, an admin token;
5. the office: the four tenants, their units and people (:mod:`.people`);
6. a few dozen documents in every state, made through the office's services over the
   past weeks with a fixed random seed (:mod:`.seed`).

Nothing here writes a table directly: every step calls the same services as the CLI, the
API and the web pages.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from lienthong.bootstrap import Container, build_container
from lienthong.clock import Clock, FixedClock, SystemClock
from lienthong.db import migrate
from lienthong.demo.people import AGENCIES, OTHER_AGENCIES, PEOPLE, demo_password, username
from lienthong.directory.model import AgencyDraft
from lienthong.office.model import Actor
from lienthong.pki.ca import DemoPki, build_demo_hierarchy
from lienthong.settings import Settings, load_settings

#: The hub's id of the office's document system in the demo.
SYSTEM_ID = "lienthong-demo"
#: How far back the demo's history starts (and its certificates were issued).
HISTORY_DAYS = 24


@dataclass
class DemoData:
    """What the demo made, for printing and for serving."""

    data_dir: Path
    settings: Settings
    password: str
    admin_token: str
    system_id: str
    system_secret: str
    users: list[tuple[str, str, str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def demo_settings(data_dir: Path, passphrase: str, *, port: int = 8000, **extra: Any) -> Settings:
    """Settings of the demo directory (SQLite and files inside it; env ignored for these)."""
    return load_settings(
        data_dir=data_dir,
        database_url="",
        blob_store="fs",
        pki_dir=data_dir / "pki",
        pki_passphrase=passphrase,
        hub_url=f"http://127.0.0.1:{port}",
        **extra,
    )


def _write_private(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_config(settings: Settings, secret: str) -> Path:
    """``<data_dir>/lienthong.toml``, so ``lienthong serve`` finds the demo as it was built."""
    lines = [
        "# Written by `lienthong demo` — local demo only, NOT FOR PRODUCTION.",
        "[lienthong]",
        f"data_dir = {_toml_string(str(settings.data_dir))}",
        f"hub_url = {_toml_string(settings.hub_url)}",
        f"hub_system = {_toml_string(SYSTEM_ID)}",
        f"hub_secret = {_toml_string(secret)}",
    ]
    if settings.pki_passphrase is not None:
        lines.append(f"pki_passphrase = {_toml_string(settings.pki_passphrase.get_secret_value())}")
    path = settings.data_dir / "lienthong.toml"
    _write_private(path, "\n".join(lines) + "\n")
    return path


def make_pki(settings: Settings, issued_at: datetime) -> DemoPki:
    """The demo hierarchy, with a second signing certificate for each deputy leader."""
    assert settings.pki_passphrase is not None  # noqa: S101 - demo_settings sets it
    return build_demo_hierarchy(
        settings.effective_pki_dir,
        settings.pki_passphrase.get_secret_value(),
        agencies=[(a.code, a.name) for a in AGENCIES],
        clock=FixedClock(issued_at),
    )


def _signers(pki: DemoPki) -> dict[tuple[str, str], str]:
    """(agency code, person key) → entry name of their signing key in the pki directory."""
    keys: dict[tuple[str, str], str] = {}
    for agency in AGENCIES:
        keys[(agency.code, "lanhdao")] = pki.signer(agency.code).name
        deputy = next(p for p in PEOPLE if p.key == "phochutich")
        identity = pki.local.issue_signer(agency.code, deputy.full_name, deputy.title)
        keys[(agency.code, "phochutich")] = identity.name
    return keys


def register_agencies(container: Container) -> None:
    """The directory: the hosted agencies and a few others."""
    for code, name in [(a.code, a.name) for a in AGENCIES] + list(OTHER_AGENCIES):
        container.directory.register(AgencyDraft(name=name, qcvn_id=code))


def connect_hub(container: Container) -> tuple[str, str]:
    """The office's system on the hub (secret) and an operator's admin token."""
    issued = container.hub.systems.register(
        SYSTEM_ID,
        "lienthong — hệ thống văn bản điện tử (demo)",
        [a.code for a in AGENCIES],
        actor="demo",
    )
    token = container.hub.systems.create_admin_token("demo operator", actor="demo")
    return issued.secret, token


def host_office(
    container: Container, pki: DemoPki, password: str
) -> list[tuple[str, str, str, str]]:
    """The tenants, units and people; returns (agency, username, full name, role) rows."""
    operator = Actor.operator()
    users = container.office.users
    signers = _signers(pki)
    rows = []
    for agency in AGENCIES:
        office = users.add_agency(operator, agency.code, agency.abbreviation)
        for unit_name, abbreviation in agency.units:
            users.add_unit(operator, office.agency_id, unit_name, abbreviation)
        for person in PEOPLE:
            name = username(agency, person)
            users.add_user(
                operator,
                office.agency_id,
                username=name,
                full_name=person.full_name,
                password=password,
                roles=[person.role],
                unit=agency.units[person.unit][1] if person.unit is not None else None,
                title=person.title,
                email=f"{person.key}@{agency.prefix}.gov.vn",
                signing_key=signers.get((agency.code, person.key)) if person.signs else None,
            )
            rows.append((agency.short, name, person.full_name, person.role.label_vi))
    return rows


def build_demo(
    data_dir: Path,
    *,
    passphrase: str | None = None,
    seed: int = 2026,
    port: int = 8000,
    clock: Clock | None = None,
) -> DemoData:
    """Build the whole demo in a fresh ``data_dir`` (removed first if it exists)."""
    from lienthong.demo.seed import seed_documents
    from lienthong.hub.secrets import load_master_key

    clock = clock or SystemClock()
    now = clock.now()
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    passphrase = (
        passphrase or os.environ.get("LIENTHONG_PKI_PASSPHRASE") or secrets.token_urlsafe(18)
    )
    settings = demo_settings(data_dir.resolve(), passphrase, port=port)
    load_master_key(settings, create=True)
    start = now - timedelta(days=HISTORY_DAYS)
    pki = make_pki(settings, start - timedelta(days=1))
    password = demo_password()
    with build_container(settings, clock=clock) as container:
        migrate.upgrade(container.engine)
        register_agencies(container)
        secret, token = connect_hub(container)
        users = host_office(container, pki, password)
    settings = demo_settings(
        data_dir.resolve(), passphrase, port=port, hub_system=SYSTEM_ID, hub_secret=secret
    )
    write_config(settings, secret)
    _write_private(data_dir / "hub-admin-token.txt", token + "\n")
    counts = seed_documents(settings, start=start, end=now, seed=seed)
    return DemoData(
        data_dir=data_dir.resolve(),
        settings=settings,
        password=password,
        admin_token=token,
        system_id=SYSTEM_ID,
        system_secret=secret,
        users=users,
        counts=counts,
    )
