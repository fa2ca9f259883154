"""Test helpers for the hub: a small world of agencies, systems and signed packages.

Importable from any tier (pytest puts tests/ on the path). Nothing here is a fake of the
hub: it builds a real :class:`HubService` over the given units of work, a real demo PKI
and real signed edXML packages.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lienthong.clock import VN_TZ, FixedClock
from lienthong.db.tables import metadata
from lienthong.db.uow import UnitOfWork
from lienthong.directory.model import AgencyDraft
from lienthong.directory.services import DirectoryService
from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.document_id import build_document_id
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package
from lienthong.hub.model import HubConfig
from lienthong.hub.records import IntakeResult
from lienthong.hub.secrets import SecretBox
from lienthong.hub.services import HubService
from lienthong.pki.ca import DemoPki
from lienthong.pki.model import SigningIdentity
from lienthong.pki.testing import demo_pki
from lienthong.storage import FileBlobStore

#: The instant every hub test starts at (the demo PKI is issued for it).
T0 = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)
MASTER_KEY = bytes(range(32))

G22, H41, G12, H08, H14 = (
    "000.00.00.G22",
    "000.00.00.H41",
    "000.00.00.G12",
    "000.00.00.H08",
    "000.00.00.H14",
)
AGENCIES = {
    G22: "Văn phòng Chính phủ",
    H41: "UBND tỉnh Nghệ An",
    G12: "Bộ Tài chính",
    H08: "UBND tỉnh Bình Dương",
    H14: "UBND tỉnh Cao Bằng",
}
#: An agency with a certificate but not in the hub's directory.
UNLISTED = "000.00.00.K01"
#: system id → hosted agencies
SYSTEMS = {"sys-vpcp": [G22], "sys-nghean": [H41], "sys-other": [G12, H08, H14]}
HUB_TABLES = ("hub_packages", "hub_deliveries", "hub_links", "hub_audit")


@functools.cache
def shared_pki() -> DemoPki:
    """One demo hierarchy for the whole test process, issued at :data:`T0`."""
    directory = Path(tempfile.mkdtemp(prefix="lienthong-hub-pki-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    agencies = [*AGENCIES.items(), (UNLISTED, "Cơ quan chưa đăng ký")]
    return demo_pki(directory, agencies, clock=FixedClock(T0))


@dataclass
class HubWorld:
    """A hub with the agencies and systems above, and helpers to make packages."""

    hub: HubService
    pki: DemoPki
    clock: FixedClock
    blobs: FileBlobStore
    uow: Callable[[], UnitOfWork]
    secrets: dict[str, str] = field(default_factory=dict)
    _numbers: int = 0

    # -- packages ---------------------------------------------------------------------------

    def document(
        self,
        sender: str,
        to: Sequence[str],
        *,
        number: int | None = None,
        business: m.Business | None = None,
        signer: SigningIdentity | None = None,
        document_id: str | None = None,
        attachment: bytes = b"%PDF-1.4 test document\n" * 50,
        subject: str = "Về việc thử nghiệm trục liên thông",
        trace: Sequence[m.TraceHeader] | None = None,
    ) -> bytes:
        """A signed document package (signed by the sender's organisation certificate);
        ``trace``: its TraceHeaders (default: the sender's, now)."""
        self._numbers += 1
        number = number if number is not None else self._numbers
        issued = self.clock.now().astimezone(VN_TZ).date()
        doc_id = document_id or build_document_id(sender, issued, number, "VPCP-TTĐT")
        header = m.MessageHeader(
            from_=m.Organization(sender, AGENCIES.get(sender, "Cơ quan")),
            to=[m.Organization(code, AGENCIES.get(code, "Cơ quan")) for code in to],
            code=m.Code(str(number), "VPCP-TTĐT"),
            promulgation_info=m.PromulgationInfo("Hà Nội", issued),
            document_type=m.DocumentType(1, 0, "Công văn"),
            subject=subject,
            signer_info=m.SignerInfo("Thủ tướng", "Chủ nhiệm", "Nguyễn Văn A"),
            document_id=doc_id,
        )
        package = m.DocumentPackage(
            header=header,
            trace_headers=list(trace)
            if trace is not None
            else [m.TraceHeader(sender, self._vn_now())],
            business=business or m.Business(),
            attachments=[attachment_from_bytes("vanban.pdf", attachment, content_id="1")],
        )
        return self.sign(package_to_bytes(package), signer or self.pki.agency(sender))

    def status(
        self,
        reporter: str,
        document_id: str,
        code: str,
        *,
        description: str = "",
        at: datetime | None = None,
        signer: SigningIdentity | None = None,
    ) -> bytes:
        """A signed status package about ``document_id``."""
        from lienthong.edxml.compose import status_package

        when = (at or self.clock.now()).astimezone(VN_TZ).replace(tzinfo=None, microsecond=0)
        package = status_package(
            from_organ_id=reporter,
            document_id=document_id,
            code=code,
            now=when,
            description=description or f"trạng thái {code}",
        )
        return self.sign(package_to_bytes(package), signer or self.pki.agency(reporter))

    @staticmethod
    def sign(data: bytes, identity: SigningIdentity) -> bytes:
        return sign_package(data, identity)

    def _vn_now(self) -> datetime:
        return self.clock.now().astimezone(VN_TZ).replace(tzinfo=None, microsecond=0)

    # -- acting -----------------------------------------------------------------------------

    def send(self, system_id: str, data: bytes) -> IntakeResult:
        return self.hub.intake.send(system_id, data)

    def count(self, table: str) -> int:
        with self.uow() as uow:
            return int(
                uow.session.execute(
                    select(func.count()).select_from(metadata.tables[table])
                ).scalar_one()
            )

    def counts(self) -> dict[str, int]:
        return {t: self.count(t) for t in HUB_TABLES}

    def blob_count(self) -> int:
        return sum(1 for p in self.blobs.root.rglob("*") if p.is_file() and len(p.name) == 64)

    def advance(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))


def build_world(
    uow: Callable[[], UnitOfWork],
    blob_dir: Path,
    *,
    clock: FixedClock | None = None,
    config: HubConfig | None = None,
    with_identity: bool = True,
    **hub_options: Any,
) -> HubWorld:
    """A hub over ``uow`` with the directory and systems of this module registered."""
    pki = shared_pki()
    clock = clock or FixedClock(T0)
    blobs = FileBlobStore(blob_dir)
    directory = DirectoryService(uow)
    # The directory as it stood before the hub (its changes from now on are audited).
    for code, name in AGENCIES.items():
        directory.register(AgencyDraft(name=name, qcvn_id=code))
    hub = HubService(
        uow,
        blobs=blobs,
        clock=clock,
        directory=directory,
        trust=lambda: pki.trust_store,
        identity=(lambda: pki.system) if with_identity else (lambda: None),
        box=lambda: SecretBox(MASTER_KEY),
        config=config or HubConfig(checkpoint_every=0),
        **hub_options,
    )
    world = HubWorld(hub=hub, pki=pki, clock=clock, blobs=blobs, uow=uow)
    for system_id, hosted in SYSTEMS.items():
        issued = hub.systems.register(system_id, f"Hệ thống {system_id}", hosted)
        world.secrets[system_id] = issued.secret
    return world


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def today() -> date:
    return T0.astimezone(VN_TZ).date()


@contextlib.contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run an ASGI app with uvicorn (lifespan on) in a thread; yields its base URL.

    uvicorn binds the port itself (port 0: any free one): a socket bound beforehand and
    handed over costs every response a 40 ms delayed-ACK stall.
    """
    import threading

    import uvicorn

    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the test hub did not start")
            threading.Event().wait(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def admin_token(world: HubWorld) -> str:
    """A fresh operator token for ``world``'s hub."""
    return world.hub.systems.create_admin_token("test operator")
