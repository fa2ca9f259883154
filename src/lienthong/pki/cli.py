"""``lienthong pki`` (the local demo CA) and ``lienthong tsa`` (the PKI HTTP server).

The passphrase that protects the keys comes from ``LIENTHONG_PKI_PASSPHRASE`` (settings
``pki_passphrase``) or, in a terminal, from a hidden prompt. It is never printed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from lienthong.clock import SystemClock
from lienthong.errors import PkiError
from lienthong.settings import Settings, load_settings

if TYPE_CHECKING:
    from lienthong.pki.store import IndexEntry

app = typer.Typer(
    help="The local demo PKI: issue, revoke, list certificates.", no_args_is_help=True
)
tsa_app = typer.Typer(help="Timestamp authority, CRL and OCSP server.", no_args_is_help=True)
console = Console()

KINDS = ("signer", "agency", "system")


def _settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj or {}
    return load_settings(obj.get("config"))


def _passphrase(settings: Settings, *, confirm: bool = False) -> str:
    if settings.pki_passphrase is not None:
        value = settings.pki_passphrase.get_secret_value()
    elif sys.stdin.isatty():
        value = typer.prompt("PKI passphrase", hide_input=True, confirmation_prompt=confirm)
    else:
        raise PkiError(
            "no passphrase: set LIENTHONG_PKI_PASSPHRASE or run in a terminal",
            code="pki.passphrase",
        )
    if not value:
        raise PkiError("the passphrase must not be empty", code="pki.passphrase")
    return value


def _parse_agency(value: str) -> tuple[str, str]:
    agency_id, sep, name = value.partition("=")
    if not sep or not agency_id.strip() or not name.strip():
        raise typer.BadParameter(f"expected ID=Name, got {value!r}")
    return agency_id.strip(), name.strip()


@app.command()
def init(
    ctx: typer.Context,
    agency: Annotated[
        list[str] | None,
        typer.Option("--agency", help="An agency as ID=Name (repeat); default: demo agencies."),
    ] = None,
    key_type: Annotated[str, typer.Option("--key-type", help="ec (P-256) or rsa (2048).")] = "ec",
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="URL of `lienthong tsa serve` put in certificates."),
    ] = None,
) -> None:
    """Create the demo hierarchy: root, issuing CA, TSA, OCSP, agencies, signers, system."""
    from lienthong.pki.ca import build_demo_hierarchy

    settings = _settings(ctx)
    if key_type not in ("ec", "rsa"):
        raise typer.BadParameter("--key-type must be ec or rsa")
    agencies = [_parse_agency(a) for a in agency] if agency else None
    pki = build_demo_hierarchy(
        settings.effective_pki_dir,
        _passphrase(settings, confirm=True),
        agencies=agencies,
        key_type="rsa" if key_type == "rsa" else "ec",
        base_url=base_url if base_url is not None else settings.pki_base_url or None,
        clock=SystemClock(),
    )
    console.print(f"Created the demo PKI in [bold]{pki.pki_dir}[/] (NOT FOR PRODUCTION).")
    _print_table(pki.local.entries())


@app.command()
def issue(
    ctx: typer.Context,
    *,
    kind: Annotated[str, typer.Option("--kind", help="signer, agency or system.")],
    name: Annotated[str, typer.Option("--name", help="Person, agency or system name.")],
    agency: Annotated[str | None, typer.Option("--agency", help="Agency id.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="A signer's position.")] = None,
    agency_name: Annotated[
        str | None, typer.Option("--agency-name", help="Agency name, if not yet in the PKI.")
    ] = None,
) -> None:
    """Issue a certificate (and its encrypted key) from the demo issuing CA."""
    from lienthong.pki.ca import LocalPki

    if kind not in KINDS:
        raise typer.BadParameter(f"--kind must be one of {', '.join(KINDS)}")
    if kind in ("signer", "agency") and not agency:
        raise typer.BadParameter(f"--agency is required for --kind {kind}")
    settings = _settings(ctx)
    local = LocalPki(settings.effective_pki_dir, _passphrase(settings), clock=SystemClock())
    if kind == "agency" and agency:
        identity = local.issue_agency(agency, name)
    elif kind == "signer" and agency:
        identity = local.issue_signer(agency, name, title, agency_name=agency_name)
    else:
        identity = local.issue_system(name, agency_id=agency)
    console.print(
        f"Issued [bold]{identity.name}[/] serial {identity.certificate.serial_number:x}: "
        f"{identity.certificate.subject.rfc4514_string()}"
    )


@app.command()
def revoke(
    ctx: typer.Context,
    which: Annotated[str, typer.Argument(help="Certificate name or serial (hex).")],
    reason: Annotated[
        str | None, typer.Option("--reason", help="e.g. key-compromise, superseded.")
    ] = None,
) -> None:
    """Revoke a certificate and re-sign its issuer's CRL."""
    from lienthong.pki.ca import LocalPki

    settings = _settings(ctx)
    local = LocalPki(settings.effective_pki_dir, _passphrase(settings), clock=SystemClock())
    entry = local.revoke(which, reason)
    console.print(f"Revoked [bold]{entry.name}[/] (serial {entry.serial_hex}); CRL re-signed.")


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """List every issued certificate (no passphrase needed)."""
    from lienthong.pki.store import PkiDir

    settings = _settings(ctx)
    _print_table(PkiDir(settings.effective_pki_dir).load_index().entries)


@app.command("export-root")
def export_root(
    ctx: typer.Context,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (else stdout).")] = None,
) -> None:
    """Print the demo root certificate (PEM), to give to verifiers that trust it."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from lienthong.pki.store import PkiDir

    settings = _settings(ctx)
    pem = PkiDir(settings.effective_pki_dir).read_certificate("root").public_bytes(Encoding.PEM)
    if out is None:
        sys.stdout.write(pem.decode("ascii"))
    else:
        out.write_bytes(pem)
        console.print(f"Wrote the demo root to {out}")


def _print_table(entries: list[IndexEntry]) -> None:
    from cryptography import x509

    from lienthong.pki.names import common_name_of

    table = Table(title="lienthong PKI")
    for column in ("name", "kind", "serial", "subject CN", "agency", "valid from", "until"):
        table.add_column(column)
    table.add_column("status")
    for entry in entries:
        cn = common_name_of(x509.Name.from_rfc4514_string(entry.subject))
        status = "[red]revoked[/]" if entry.status == "revoked" else "valid"
        table.add_row(
            entry.name,
            entry.kind.value,
            entry.serial_hex,
            cn,
            entry.agency_id or "",
            entry.not_before.date().isoformat(),
            entry.not_after.date().isoformat(),
            status,
        )
    console.print(table)


@tsa_app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8118,
) -> None:
    """Serve RFC 3161 timestamps (/tsa), CRLs (/crl/<ca>.crl), CA certs and OCSP (/ocsp)."""
    import uvicorn

    from lienthong.pki.server import create_app, open_services

    settings = _settings(ctx)
    services = open_services(settings.effective_pki_dir, _passphrase(settings), SystemClock())
    console.print(f"lienthong PKI server on http://{host}:{port} (TSA at /tsa)")
    uvicorn.run(create_app(services), host=host, port=port, log_level="info", ws="none")
