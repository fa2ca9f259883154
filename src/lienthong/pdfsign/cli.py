"""The ``pdf`` commands of ``lienthong sign`` and ``lienthong verify``.

- ``lienthong sign pdf IN OUT --as signer|agency|attachment --identity NAME``: the identity
  comes from the pki directory (``LIENTHONG_PKI_DIR`` / ``--pki-dir``), its key opened
  with ``LIENTHONG_PKI_PASSPHRASE``.
- ``lienthong verify pdf FILE [--json]``: a table per signature; exit 1 unless valid.

The group modules are :mod:`lienthong.cli.sign` and :mod:`lienthong.cli.verify`.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lienthong.clock import VN_TZ
from lienthong.errors import PkiError, SignatureError
from lienthong.pdfsign.report import PdfValidationReport, SignatureReport, Verdict
from lienthong.settings import Settings, load_settings

console = Console(soft_wrap=True, highlight=False)
ROLES = ("signer", "agency", "attachment")
_COLOURS = {Verdict.VALID: "green", Verdict.INVALID: "red", Verdict.INDETERMINATE: "yellow"}


def _settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return load_settings(obj.get("config") if isinstance(obj, dict) else None)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SignatureError(f"cannot read {path}: {exc.strerror}", code="pdfsign.io") from exc


def sign_pdf(  # noqa: PLR0917 - typer maps each parameter to an argument or option
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="The PDF to sign.")],
    target: Annotated[Path, typer.Argument(help="Where to write the signed PDF.")],
    role: Annotated[
        str,
        typer.Option("--as", help="signer (the competent person), agency (seal) or attachment."),
    ],
    identity: Annotated[str, typer.Option("--identity", help="Entry name in the pki directory.")],
    level: Annotated[str, typer.Option("--level", help="B-B, B-T or B-LT.")] = "B-B",
    tsa: Annotated[
        str | None, typer.Option("--tsa", help="TSA URL (default: <pki_base_url>/tsa).")
    ] = None,
    number: Annotated[
        str | None, typer.Option("--number", help="Number/notation (attachments), e.g. 12/QĐ-UBND.")
    ] = None,
    title: Annotated[str | None, typer.Option("--title", help="The signer's title.")] = None,
    fetch: Annotated[
        bool, typer.Option("--fetch/--no-fetch", help="B-LT: fetch CRL/OCSP from certificate URLs.")
    ] = False,
    pki_dir: Annotated[
        Path | None, typer.Option("--pki-dir", help="pki directory (else settings).")
    ] = None,
) -> None:
    """Sign a PDF (PAdES) with the Decree 30 appearance, as an incremental update."""
    from lienthong.pdfsign.signer import LEVELS, PdfSigner
    from lienthong.pki.identity import load_identity
    from lienthong.pki.trust import trust_store_from_settings

    if role not in ROLES:
        raise typer.BadParameter(f"--as must be one of {', '.join(ROLES)}")
    if level not in LEVELS:
        raise typer.BadParameter(f"--level must be one of {', '.join(LEVELS)}")
    if role == "attachment" and not number:
        raise typer.BadParameter("--as attachment needs --number")
    settings = _settings(ctx)
    if pki_dir is not None:
        settings = settings.model_copy(update={"pki_dir": pki_dir})
    if settings.pki_passphrase is None:
        raise PkiError("set LIENTHONG_PKI_PASSPHRASE to open the key", code="pki.passphrase")
    if level != "B-B" and not tsa and settings.pki_base_url:
        tsa = settings.pki_base_url.rstrip("/") + "/tsa"
    who = load_identity(
        settings.effective_pki_dir, identity, settings.pki_passphrase.get_secret_value()
    )
    trust = trust_store_from_settings(settings) if level == "B-LT" else None
    signer = PdfSigner(
        who,
        level=level,  # type: ignore[arg-type]  # checked against LEVELS above
        tsa_url=tsa,
        trust=trust,
        allow_fetching=fetch,
    )
    pdf = _read(source)
    if role == "signer":
        signed = signer.sign_as_signer(pdf, title=title)
    elif role == "agency":
        signed = signer.sign_as_agency(pdf)
    else:
        signed = signer.stamp_attachment(pdf, number_notation=number or "")
    target.write_bytes(signed)
    console.print(
        f"[green]Signed[/] {escape(str(target))} as {escape(role)} "
        f"({escape(signer.display_name)}, PAdES {level})"
    )


def _vn(moment: datetime | None) -> str:
    return moment.astimezone(VN_TZ).isoformat() if moment else "—"


def _yes(value: bool | None) -> str:
    return "—" if value is None else ("yes" if value else "[red]no[/]")


def _signature_table(sig: SignatureReport) -> Table:
    colour = _COLOURS[sig.verdict]
    table = Table(
        title=f"{escape(sig.field_name)}: [{colour}]{sig.verdict.value}[/]",
        show_header=False,
        title_justify="left",
    )
    table.add_column("check", style="bold")
    table.add_column("result")
    rev = sig.revocation
    ts = sig.timestamp
    cov = sig.coverage
    rows = [
        ("Signer", escape(sig.signer)),
        ("Agency id", escape(sig.agency_id or "—")),
        ("Intact (digest)", _yes(sig.intact)),
        ("Signature value", _yes(sig.signature_valid)),
        (
            "Chain to trusted root",
            _yes(sig.chain.trusted)
            + ("" if sig.chain.trusted else f" ({escape(sig.chain.reason or '')})"),
        ),
        (
            "Revocation",
            f"{rev.status.value}"
            + (f" ({rev.source}{', embedded' if rev.embedded else ''})" if rev.source else ""),
        ),
        ("Signing time (claimed)", _vn(sig.signing_time)),
        (
            "Timestamp",
            "none"
            if not ts.present
            else f"{_vn(ts.time)} by {escape(ts.tsa or '?')}, valid: {_yes(ts.valid)}",
        ),
        ("Covers whole document", "yes" if cov.whole_document else "no (later revisions)"),
        (
            "Changes after signing",
            f"{cov.modification_level or 'not analysed'}, allowed: {_yes(cov.changes_allowed)}",
        ),
        ("PAdES level", sig.level),
    ]
    for name, value in rows:
        table.add_row(name, value)
    for finding in sig.reasons:
        table.add_row("[red]reason[/]", f"{finding.code}: {escape(finding.message)}")
    return table


def print_report(report: PdfValidationReport, file_name: str) -> None:
    """The report as Rich tables, one per signature, then the document's verdict."""
    for sig in report.signatures:
        console.print(_signature_table(sig))
    colour = _COLOURS[report.verdict]
    console.print(
        f"{escape(file_name)}: [bold {colour}]{report.verdict.value}[/] "
        f"({len(report.signatures)} signature(s))"
    )
    for finding in report.reasons:
        console.print(f"  {finding.code}: {escape(finding.message)}")


def verify_pdf(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The signed PDF.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    fetch: Annotated[
        bool, typer.Option("--fetch/--no-fetch", help="Fetch CRL/OCSP from certificate URLs.")
    ] = False,
    pki_dir: Annotated[
        Path | None, typer.Option("--pki-dir", help="pki directory whose root to trust.")
    ] = None,
) -> None:
    """Validate a PDF's signatures against the trust store; exit 1 unless all are valid."""
    from lienthong.pdfsign.validate import validate_pdf
    from lienthong.pki.trust import trust_store_from_settings

    settings = _settings(ctx)
    if pki_dir is not None:
        settings = settings.model_copy(update={"pki_dir": pki_dir})
    report = validate_pdf(_read(file), trust_store_from_settings(settings), allow_fetching=fetch)
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report, str(file))
    if not report.valid:
        raise typer.Exit(1)
