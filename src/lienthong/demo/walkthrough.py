"""A guided tour of what lienthong can do today, on a fresh data directory.

Each step calls the same library functions the CLI and services use, and prints what a
person would want to see: the package that was built, the signatures and their reports,
and what the reader makes of packages produced by other systems.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from lienthong.clock import VN_TZ, Clock, SystemClock
from lienthong.edxml.attachments import attachment_from_bytes, with_content_ids
from lienthong.edxml.cli_render import render_summary
from lienthong.edxml.compose import document_from_spec
from lienthong.edxml.model import StatusPackage
from lienthong.edxml.reader import read_package
from lienthong.edxml.spec import load_spec
from lienthong.edxml.summary import summarize
from lienthong.edxml.validate import validate_package
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.edxml.xmldsig_cli import report_table
from lienthong.errors import LienthongError
from lienthong.pdfsign.cli import print_report
from lienthong.pdfsign.sample import decision_pdf
from lienthong.pdfsign.signer import PdfSigner
from lienthong.pdfsign.validate import validate_pdf
from lienthong.pki.ca import DemoPki, build_demo_hierarchy

#: The agencies of the demo: the Government Office, a ministry and two provinces.
DEMO_AGENCIES: tuple[tuple[str, str], ...] = (
    ("000.00.00.G22", "Văn phòng Chính phủ"),
    ("000.00.00.G12", "Bộ Tài chính"),
    ("000.00.00.H41", "UBND tỉnh Nghệ An"),
    ("000.00.00.H08", "UBND tỉnh Bình Dương"),
)

EXAMPLE_SPEC = Path(__file__).resolve().parents[3] / "docs" / "examples" / "edoc-spec.json"


@dataclass(frozen=True)
class DemoPaths:
    root: Path

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def passphrase_file(self) -> Path:
        return self.root / "pki-passphrase.txt"


def demo_passphrase(paths: DemoPaths) -> str:
    """LIENTHONG_PKI_PASSPHRASE if set, else a random one kept (0600) in the data dir."""
    from_env = os.environ.get("LIENTHONG_PKI_PASSPHRASE")
    if from_env:
        return from_env
    paths.root.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(18)
    paths.passphrase_file.write_text(value + "\n", encoding="utf-8")
    paths.passphrase_file.chmod(0o600)
    return value


def _step(console: Console, number: int, title: str) -> None:
    console.rule(f"[bold cyan]{number}. {title}")


def make_pki(console: Console, paths: DemoPaths, clock: Clock) -> DemoPki:
    with console.status("Creating the demo PKI (root, issuing CA, agencies, signers, TSA)…"):
        pki = build_demo_hierarchy(
            paths.pki, demo_passphrase(paths), agencies=DEMO_AGENCIES, clock=clock
        )
    table = Table("certificate", "subject", "agency id", title="Demo PKI (NOT FOR PRODUCTION)")
    for ident in (pki.root, pki.issuing_ca, *pki.agencies.values(), *pki.signers.values()):
        table.add_row(
            ident.kind.value, ident.certificate.subject.rfc4514_string(), ident.agency_id or ""
        )
    console.print(table)
    return pki


def sign_document(console: Console, paths: DemoPaths, pki: DemoPki, clock: Clock) -> bytes:
    sender = DEMO_AGENCIES[0][0]
    unsigned = decision_pdf()
    signer = PdfSigner(pki.signer(sender), trust=pki.trust_store, clock=clock)
    agency = PdfSigner(pki.agency(sender), trust=pki.trust_store, clock=clock)
    signed = agency.sign_as_agency(signer.sign_as_signer(unsigned))
    paths.out.mkdir(parents=True, exist_ok=True)
    target = paths.out / "quyet-dinh-da-ky.pdf"
    target.write_bytes(signed)
    console.print(f"Signed as the competent person, then as the agency → [green]{target}[/]")
    print_report(validate_pdf(signed, pki.trust_store, clock=clock), target.name)
    return signed


def build_and_sign_package(
    console: Console, paths: DemoPaths, pki: DemoPki, pdf: bytes, clock: Clock
) -> None:
    spec = load_spec(EXAMPLE_SPEC.read_bytes(), source=str(EXAMPLE_SPEC))
    now = clock.now().astimezone(VN_TZ).replace(tzinfo=None)
    attachment = attachment_from_bytes("quyet-dinh.pdf", pdf, content_type="application/pdf")
    package = document_from_spec(spec, now=now, attachments=with_content_ids([attachment]))
    report = validate_package(package)
    unsigned = package_to_bytes(package)
    signed = sign_package(unsigned, pki.agency(package.header.from_.organ_id))
    target = paths.out / "cong-van.edxml"
    target.write_bytes(signed)
    render_summary(console, summarize(read_package(signed)), str(target))
    console.print(
        f"validation: [green]{len(report.errors)} errors[/], {len(report.warnings)} warnings"
    )
    console.print(report_table(verify_package(signed, pki.trust_store), target.name))


def read_samples(console: Console, samples: Path, pki: DemoPki) -> None:
    files = sorted(samples.glob("*.edxml"))
    if not files:
        console.print(f"[yellow]no samples found in {samples}[/]")
        return
    table = Table("file", "kind", "sender", "code / status", "warnings", "signature")
    for path in files:
        data = path.read_bytes()
        try:
            pkg = read_package(data)
        except LienthongError as exc:
            table.add_row(path.name, "[red]rejected[/]", "", str(exc), "", "")
            continue
        sig = verify_package(data, pki.trust_store)
        if isinstance(pkg, StatusPackage):
            what = f"{pkg.status_code.value} {pkg.status_code.meaning_vi}"
            sender = pkg.from_.organ_id
        else:
            what = str(pkg.header.code)
            sender = pkg.header.from_.organ_id
        warnings = ", ".join(sorted({w.code for w in pkg.warnings})) or "—"
        table.add_row(path.name, pkg.kind, sender, what, warnings, sig.verdict.value)
    console.print(table)


def run_walkthrough(
    data_dir: Path, *, samples: Path | None, console: Console, clock: Clock | None = None
) -> None:
    """Run the tour on a fresh ``data_dir`` (removed first if it exists)."""
    clock = clock or SystemClock()
    paths = DemoPaths(data_dir)
    if paths.root.exists():
        shutil.rmtree(paths.root)
    console.print(
        Panel.fit(
            "lienthong — văn bản điện tử liên thông\n"
            f"data directory: {paths.root.resolve()}\n"
            f"started {datetime.now(VN_TZ):%Y-%m-%d %H:%M:%S} (giờ Việt Nam)",
            title="demo",
        )
    )
    _step(console, 1, "A local PKI for the demo agencies")
    pki = make_pki(console, paths, clock)
    _step(console, 2, "A decision signed by the competent person and the agency (PAdES)")
    pdf = sign_document(console, paths, pki, clock)
    _step(console, 3, "An edXML package built, validated and signed (XML-DSig)")
    build_and_sign_package(console, paths, pki, pdf, clock)
    if samples is not None:
        _step(console, 4, f"Packages made by other systems ({samples})")
        read_samples(console, samples, pki)
    console.rule("[bold green]done")
    console.print(f"Files are in {paths.out.resolve()}; try `lienthong verify pdf` on them.")
