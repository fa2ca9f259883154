"""Who works in the demo: four agencies, their units and one person per role.

The Government Office (Văn phòng Chính phủ), a ministry and two provinces — the agencies
of the walkthrough — each with a clerk, two leaders (the first holds the signing
certificate of the demo PKI, the second one of their own), two specialists and an
administrator. Every demo user has the same password, printed when the demo starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lienthong.office.model import Role

#: The password of every demo user (LIENTHONG_DEMO_PASSWORD overrides it).
DEFAULT_PASSWORD = "lienthong2026"  # noqa: S105 - a demo password, printed on purpose


def demo_password() -> str:
    """The demo users' password."""
    return os.environ.get("LIENTHONG_DEMO_PASSWORD") or DEFAULT_PASSWORD


@dataclass(frozen=True, slots=True)
class DemoAgency:
    """A hosted agency: directory id, name, notation abbreviation, login prefix, units."""

    code: str
    name: str
    abbreviation: str
    prefix: str
    units: tuple[tuple[str, str], ...]
    place: str
    #: How the demo's tables name it.
    short: str


@dataclass(frozen=True, slots=True)
class DemoPerson:
    """A person's place in every demo agency (the username gets the agency's prefix)."""

    key: str
    full_name: str
    role: Role
    title: str
    unit: int | None  # index into the agency's units
    signs: bool = False


AGENCIES: tuple[DemoAgency, ...] = (
    DemoAgency(
        "000.00.00.G22",
        "Văn phòng Chính phủ",
        "VPCP",
        "vpcp",
        (("Vụ Tổng hợp", "TH"), ("Cục Kiểm soát thủ tục hành chính", "KSTT")),
        "Hà Nội",
        "VPCP",
    ),
    DemoAgency(
        "000.00.00.G12",
        "Bộ Tài chính",
        "BTC",
        "btc",
        (("Văn phòng Bộ", "VP"), ("Cục Tin học và Thống kê tài chính", "THTK")),
        "Hà Nội",
        "Bộ TC",
    ),
    DemoAgency(
        "000.00.00.H41",
        "UBND tỉnh Nghệ An",
        "UBND",
        "nghean",
        (("Văn phòng UBND tỉnh", "VP"), ("Trung tâm Thông tin điện tử", "TTĐT")),
        "Nghệ An",
        "Nghệ An",
    ),
    DemoAgency(
        "000.00.00.H08",
        "UBND tỉnh Bình Dương",
        "UBND",
        "binhduong",
        (("Văn phòng UBND tỉnh", "VP"), ("Trung tâm Thông tin điện tử", "TTĐT")),
        "Bình Dương",
        "Bình Dương",
    ),
)

#: Agencies in the directory that this office does not host (recipients on the hub).
OTHER_AGENCIES: tuple[tuple[str, str], ...] = (
    ("000.00.00.G09", "Bộ Nội vụ"),
    ("000.00.00.H29", "UBND thành phố Hồ Chí Minh"),
)

PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson("vanthu", "Nguyễn Thị Vân", Role.CLERK, "Văn thư", 0),
    DemoPerson("lanhdao", "Trần Văn Lãnh", Role.LEADER, "Chủ tịch", None, signs=True),
    DemoPerson("phochutich", "Lê Thị Phượng", Role.LEADER, "Phó Chủ tịch", None, signs=True),
    DemoPerson("chuyenvien", "Phạm Văn Chuyên", Role.SPECIALIST, "Chuyên viên", 1),
    DemoPerson("chuyenvien2", "Hoàng Thị Hà", Role.SPECIALIST, "Chuyên viên", 0),
    DemoPerson("quantri", "Đỗ Văn Quản", Role.ADMIN, "Quản trị hệ thống", None),
)


def username(agency: DemoAgency, person: DemoPerson) -> str:
    """``nghean.vanthu``."""
    return f"{agency.prefix}.{person.key}"


def agency_by_prefix(prefix: str) -> DemoAgency:
    """The demo agency whose logins start with ``prefix``."""
    return next(a for a in AGENCIES if a.prefix == prefix)
