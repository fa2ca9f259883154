"""Test helpers for the agency office: two hosted agencies with their people and keys.

Importable from any tier (pytest puts tests/ on the path). Nothing here fakes the office:
it builds the real services over the given units of work, a real blob store and real
signing identities from a demo PKI.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher

from lienthong.clock import Clock, FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.directory.model import AgencyDraft
from lienthong.directory.services import DirectoryService
from lienthong.office.documents import OutgoingDraft, RecipientInput
from lienthong.office.model import Actor, OfficeAgency
from lienthong.office.services import OfficeServices, build_office_services
from lienthong.office.signing import StaticKeys
from lienthong.pki.ca import DemoPki
from lienthong.pki.testing import demo_pki
from lienthong.storage import BlobStore

A_CODE = "000.00.00.H41"
A_NAME = "Ủy ban nhân dân tỉnh Nghệ An"
B_CODE = "000.00.00.H08"
B_NAME = "Ủy ban nhân dân tỉnh Bình Dương"
#: A third directory agency that is not hosted here (a recipient on the hub).
C_CODE = "000.00.00.G22"
C_NAME = "Văn phòng Chính phủ"
PASSWORD = "mật-khẩu-thử-1"
#: argon2 with the cheapest parameters: tests hash many passwords.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=256, parallelism=1)
#: When the test PKI is made: the integration tests' fixed clock.
PKI_TIME = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)

#: (key, username, full name, roles, unit, title, signing key) of each agency's people.
PEOPLE = (
    ("clerk", "vanthu", "Nguyễn Thị Vân", ("clerk",), "VP", "Văn thư", None),
    ("leader", "lanhdao", "Trần Văn Lãnh", ("leader",), None, "Chủ tịch", "signer"),
    ("deputy", "phochutich", "Lê Thị Phượng", ("leader",), None, "Phó Chủ tịch", None),
    ("specialist", "chuyenvien", "Phạm Văn Chuyên", ("specialist",), "TTĐT", "Chuyên viên", None),
    ("specialist2", "chuyenvien2", "Hoàng Thị Hà", ("specialist",), "VP", "Chuyên viên", None),
    ("admin", "quantri", "Đỗ Văn Quản", ("admin",), None, None, None),
)


def make_pki(tmp_dir: Path) -> DemoPki:
    """A demo PKI for the two hosted agencies, issued at :data:`PKI_TIME`."""
    return demo_pki(tmp_dir, [(A_CODE, A_NAME), (B_CODE, B_NAME)], clock=FixedClock(PKI_TIME))


@dataclass
class OfficeWorld:
    """Two hosted agencies (``a`` and ``b``), their people as actors, the services."""

    services: OfficeServices
    directory: DirectoryService
    a: OfficeAgency
    b: OfficeAgency
    actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        """``a.clerk``, ``b.leader``…"""
        return self.actors[name]

    def draft(self, **changes: object) -> OutgoingDraft:
        """A công văn from agency A to agency B (and the Government Office), signed by A's
        leader."""
        values: dict[str, object] = {
            "doctype": "cong_van",
            "subject": "V/v triển khai chuyển đổi số năm 2026",
            "signer": "a.lanhdao",
            "recipients": (RecipientInput(agency=B_CODE), RecipientInput(agency=C_CODE)),
            "unit": "TTĐT",
        }
        values.update(changes)
        return OutgoingDraft(**values)  # type: ignore[arg-type]


def build_world(
    make_uow: Callable[[], UnitOfWork],
    blobs: BlobStore,
    pki: DemoPki,
    clock: Clock,
) -> OfficeWorld:
    """Register the agencies, host A and B, add their units and people."""
    directory = DirectoryService(make_uow)
    for code, name in ((A_CODE, A_NAME), (B_CODE, B_NAME), (C_CODE, C_NAME)):
        directory.register(AgencyDraft(name=name, qcvn_id=code))
    people = {f"{p}.signer": pki.signer(code) for p, code in (("a", A_CODE), ("b", B_CODE))}
    keys = StaticKeys(people, {A_CODE: pki.agency(A_CODE), B_CODE: pki.agency(B_CODE)}, clock=clock)
    services = build_office_services(make_uow, blobs, keys, hasher=FAST_HASHER)
    operator = Actor.operator()
    agencies = {
        "a": services.users.add_agency(operator, A_CODE, "UBND"),
        "b": services.users.add_agency(operator, B_CODE, "UBND"),
    }
    world = OfficeWorld(services, directory, agencies["a"], agencies["b"])
    for prefix, agency in agencies.items():
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
            world.actors[f"{prefix}.{key}"] = services.users.actor_for(
                f"{prefix}.{username}", agency.agency_id
            )
    return world
