"""Test helpers for the office ⇄ hub exchange: a hub, offices connected to it, documents.

Importable from any tier (pytest puts tests/ on the path). Nothing is faked: a real
:class:`HubService` (served by uvicorn, see ``hubkit.serve``), real office services, real
demo PKIs, real signatures; offices reach the hub only through ``HubClient``.

Agencies: A (``000.00.00.H41``), B (``000.00.00.H08``), C (``000.00.00.G22``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lienthong.clock import Clock
from lienthong.db.uow import UnitOfWork
from lienthong.directory.model import AgencyDraft
from lienthong.directory.services import DirectoryService
from lienthong.hub.client import HubClient
from lienthong.hub.model import HubConfig
from lienthong.hub.secrets import SecretBox
from lienthong.hub.services import HubService
from lienthong.office.documents import FileInput, OutgoingDocument, OutgoingDraft, RecipientInput
from lienthong.office.hubsync_run import OfficeExchange, build_exchange
from lienthong.office.model import Actor, OfficeAgency
from lienthong.office.services import OfficeServices, build_office_services
from lienthong.office.signing import StaticKeys
from lienthong.pdfsign import sample
from lienthong.pki.ca import DemoPki
from lienthong.pki.model import TrustStore
from lienthong.pki.testing import demo_pki
from lienthong.storage import BlobStore
from officekit import A_CODE, A_NAME, B_CODE, B_NAME, C_CODE, C_NAME, FAST_HASHER, PASSWORD, PEOPLE

A, B, C = A_CODE, B_CODE, C_CODE
NAMES = {A: A_NAME, B: B_NAME, C: C_NAME}
#: Prefix of each agency's usernames: ``a.vanthu``, ``c.lanhdao``…
PREFIX = {A: "a", B: "b", C: "c"}
MASTER_KEY = bytes(range(32))


def exchange_pki(tmp_dir: Path, clock: Clock | None = None) -> DemoPki:
    """A demo PKI for A, B and C (issued now, or at ``clock``'s time)."""
    return demo_pki(tmp_dir, [(code, NAMES[code]) for code in (A, B, C)], clock=clock)


def merged_trust(*stores: TrustStore) -> TrustStore:
    """One trust store trusting the roots of every store given."""
    return TrustStore(
        roots=tuple(c for s in stores for c in s.roots),
        intermediates=tuple(c for s in stores for c in s.intermediates),
        crls=tuple(c for s in stores for c in s.crls),
    )


def make_hub(
    uows: Callable[[], UnitOfWork],
    blobs: BlobStore,
    pki: DemoPki,
    clock: Clock,
    systems: dict[str, Sequence[str]],
    *,
    trust: TrustStore | None = None,
    register_directory: bool = True,
) -> tuple[HubService, dict[str, str]]:
    """A hub over ``uows`` with A, B and C in its directory and ``systems`` registered;
    returns it with each system's secret."""
    directory = DirectoryService(uows)
    hub = HubService(
        uows,
        blobs=blobs,
        clock=clock,
        directory=directory,
        trust=lambda: trust or pki.trust_store,
        identity=lambda: pki.system,
        box=lambda: SecretBox(MASTER_KEY),
        config=HubConfig(checkpoint_every=0),
    )
    if register_directory:
        for code in (A, B, C):
            directory.register(AgencyDraft(name=NAMES[code], qcvn_id=code))
    secrets = {
        system_id: hub.systems.register(system_id, f"Hệ thống {system_id}", list(hosted)).secret
        for system_id, hosted in systems.items()
    }
    return hub, secrets


@dataclass
class Office:
    """One office install connected to the hub."""

    services: OfficeServices
    directory: DirectoryService
    exchange: OfficeExchange
    keys: StaticKeys
    agencies: dict[str, OfficeAgency] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        """``a.clerk``, ``c.leader``…"""
        return self.actors[name]

    def system(self, code: str) -> Actor:
        return Actor.system(self.agencies[code].agency_id)

    def drain(self, *, wait: int = 0, rounds: int = 10) -> list[str]:
        """Receive (and send the statuses that follow) until a round does nothing; the
        outcomes, in order."""
        outcomes: list[str] = []
        for _ in range(rounds):
            report = self.exchange.sync_once(wait)
            outcomes += [f"{e.kind}:{e.status_code or '-'}:{e.outcome}" for e in report.entries]
            if not report.received and not (report.statuses and report.statuses.sent):
                break
        return outcomes


def open_office(
    uows: Callable[[], UnitOfWork],
    blobs: BlobStore,
    pki: DemoPki,
    clock: Clock,
    *,
    hub: HubClient,
    hosted: Iterable[str],
    trust: TrustStore | None = None,
    pull_directory: bool = True,
) -> Office:
    """An office over ``uows`` hosting ``hosted`` with their people (officekit's), its
    directory pulled from the hub, exchanging through ``hub``."""
    codes = list(hosted)
    people = {f"{PREFIX[c]}.signer": pki.signer(c) for c in codes}
    keys = StaticKeys(people, {c: pki.agency(c) for c in codes}, clock=clock)
    services = build_office_services(uows, blobs, keys, hasher=FAST_HASHER)
    exchange = build_exchange(
        services, hub, keys, blobs=blobs, trust=trust or pki.trust_store, clock=clock, wait=2
    )
    directory = DirectoryService(uows)
    if pull_directory:
        exchange.pull_directory(directory)
    office = Office(services, directory, exchange, keys)
    operator = Actor.operator()
    for code in codes:
        prefix = PREFIX[code]
        agency = services.users.add_agency(operator, code, "UBND")
        office.agencies[code] = agency
        services.users.add_unit(operator, agency.agency_id, "Văn phòng", "VP")
        services.users.add_unit(operator, agency.agency_id, "Trung tâm Thông tin điện tử", "TTĐT")
        for key, username, full_name, roles, unit, title, signing_key in PEOPLE:
            services.users.add_user(
                operator,
                agency.agency_id,
                username=f"{prefix}.{username}",
                full_name=full_name,
                password=PASSWORD,
                roles=roles,
                unit=unit,
                title=title,
                email=f"{username}@{prefix}.gov.vn",
                signing_key=f"{prefix}.{signing_key}" if signing_key else None,
            )
            office.actors[f"{prefix}.{key}"] = services.users.actor_for(
                f"{prefix}.{username}", agency.agency_id
            )
    return office


def ready_document(
    office: Office,
    code: str,
    to: Sequence[RecipientInput],
    *,
    subject: str = "V/v triển khai chuyển đổi số năm 2026",
    attachment: bool = True,
) -> OutgoingDocument:
    """A công văn of agency ``code`` drafted, signed by its leader, issued and signed by
    the agency: ready to dispatch."""
    p = PREFIX[code]
    out, issuing = office.services.outgoing, office.services.issuing
    draft = OutgoingDraft(
        doctype="cong_van",
        subject=subject,
        signer=f"{p}.lanhdao",
        recipients=tuple(to),
        unit="TTĐT",
    )
    files = [FileInput("phu-luc.pdf", sample.attachment_pdf())] if attachment else []
    doc = out.create(
        office.actor(f"{p}.specialist"), draft, main_pdf=sample.decision_pdf(), attachments=files
    ).value
    out.submit(office.actor(f"{p}.specialist"), doc.id)
    issuing.sign(office.actor(f"{p}.leader"), doc.id)
    issuing.issue(office.actor(f"{p}.clerk"), doc.id)
    return issuing.agency_sign(office.actor(f"{p}.clerk"), doc.id)
