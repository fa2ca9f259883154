"""The ``edxml`` commands of ``lienthong sign`` and ``lienthong verify``.

- ``lienthong sign edxml IN OUT --identity NAME``: sign a whole package with an identity
  of the pki directory (``LIENTHONG_PKI_DIR`` / ``--pki-dir``), its key opened with
  ``LIENTHONG_PKI_PASSPHRASE``.
- ``lienthong verify edxml FILE [--json]``: a table of the checks; exit 1 unless valid.

The group modules are :mod:`lienthong.cli.sign` and :mod:`lienthong.cli.verify`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lienthong.edxml.xmldsig_report import PackageSignatureReport, Severity, Verdict
from lienthong.errors import PkiError, SignatureError
from lienthong.settings import Settings, load_settings

console = Console(soft_wrap=True, highlight=False)
_COLOURS = {Verdict.VALID: "green", Verdict.INVALID: "red", Verdict.UNSIGNED: "yellow"}
_SEVERITY = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def _settings(ctx: typer.Context, pki_dir: Path | None) -> Settings:
    obj = ctx.find_root().obj
    settings = load_settings(obj.get("config") if isinstance(obj, dict) else None)
    if pki_dir is not None:
        settings = settings.model_copy(update={"pki_dir": pki_dir})
    return settings


def _read(path: Path, settings: Settings) -> bytes:
    try:
        if path.stat().st_size > settings.edxml.max_package_bytes:
            raise SignatureError(
                f"{path} is larger than the package limit ({settings.edxml.max_package_bytes} bytes)",
                code="signature.limit",
            )
        return path.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read {path}: {exc.strerror}", code="signature.io") from exc


def sign_edxml(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="The edXML package to sign.")],
    target: Annotated[Path, typer.Argument(help="Where to write the signed package.")],
    *,
    identity: Annotated[str, typer.Option("--identity", help="Entry name in the pki directory.")],
    algorithm: Annotated[
        str | None,
        typer.Option("--algorithm", help="ecdsa-sha256 (EC keys) or rsa-sha256 (RSA keys), …"),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a signature the package already has.")
    ] = False,
    pki_dir: Annotated[
        Path | None, typer.Option("--pki-dir", help="pki directory (else settings).")
    ] = None,
) -> None:
    """Sign a whole edXML package (enveloped XML-DSig in edXMLHeader)."""
    from lienthong.edxml.xmldsig import sign_package
    from lienthong.pki.identity import load_identity

    settings = _settings(ctx, pki_dir)
    if settings.pki_passphrase is None:
        raise PkiError("set LIENTHONG_PKI_PASSPHRASE to open the key", code="pki.passphrase")
    who = load_identity(
        settings.effective_pki_dir, identity, settings.pki_passphrase.get_secret_value()
    )
    signed = sign_package(
        _read(source, settings),
        who,
        algorithm=algorithm,
        replace=replace,
        limits=settings.edxml,
    )
    target.write_bytes(signed)
    console.print(
        f"[green]Signed[/] {escape(str(target))} with {escape(who.name)} "
        f"({escape(who.certificate.subject.rfc4514_string())})"
    )


def _yes(value: bool | None, *, good: bool = True) -> str:
    if value is None:
        return "—"
    ok = value is good
    text = "yes" if value else "no"
    return text if ok else f"[red]{text}[/]"


def report_table(report: PackageSignatureReport, file_name: str) -> Table:
    """The report as one Rich table."""
    colour = _COLOURS[report.verdict]
    table = Table(
        title=f"{escape(file_name)}: [bold {colour}]{report.verdict.value}[/]",
        show_header=False,
        title_justify="left",
    )
    table.add_column("check", style="bold")
    table.add_column("result")
    cert = report.certificate
    names = [report.signature_algorithm, report.digest_algorithm, report.canonicalization]
    algorithm = escape(" / ".join(n for n in names if n) or "—")
    if report.weak_algorithm:
        algorithm += " [yellow](weak)[/]"
    rows = [
        ("Signature present", _yes(report.present)),
        ("Intact", _yes(report.intact)),
        ("  digest", _yes(report.digest_ok)),
        ("  signature value", _yes(report.signature_value_ok)),
        ("Algorithm", algorithm),
        ("Signer", escape(cert.subject) if cert else "—"),
        ("Serial", cert.serial if cert else "—"),
        ("Issuer", escape(cert.issuer) if cert else "—"),
        (
            "Valid from / to",
            f"{cert.not_before.isoformat()} / {cert.not_after.isoformat()}" if cert else "—",
        ),
        ("In validity now", _yes(report.time_valid)),
        ("Chain to trusted root", _yes(report.trusted)),
        ("Revoked", _yes(report.revoked, good=False)),
        ("Certificate agency", escape(report.certificate_agency_id or "—")),
        ("Package sender (From)", escape(report.from_organ_id or "—")),
        ("Signer may sign for sender", _yes(report.agency_matches)),
    ]
    for name, value in rows:
        table.add_row(name, value)
    for finding in report.findings:
        style = _SEVERITY[finding.severity]
        table.add_row(
            f"[{style}]{finding.severity.value}[/]", f"{finding.code}: {escape(finding.message)}"
        )
    return table


def verify_edxml(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The signed edXML package.")],
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    allow_agency: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-agency",
            help="An agency the signer may sign for (a system certificate); repeatable.",
        ),
    ] = None,
    pki_dir: Annotated[
        Path | None, typer.Option("--pki-dir", help="pki directory whose root to trust.")
    ] = None,
) -> None:
    """Verify a package's XML signature against the trust store; exit 1 unless valid."""
    from lienthong.edxml.xmldsig import verify_package
    from lienthong.pki.trust import trust_store_from_settings

    settings = _settings(ctx, pki_dir)
    report = verify_package(
        _read(file, settings),
        trust_store_from_settings(settings),
        allowed_agencies=set(allow_agency) if allow_agency else None,
        limits=settings.edxml,
    )
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        console.print(report_table(report, str(file)))
    if not report.valid:
        raise typer.Exit(1)
