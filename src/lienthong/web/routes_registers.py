"""The outgoing and incoming registers (sổ đăng ký) on screen, and their XLSX and PDF
exports (:mod:`lienthong.office.exports`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lienthong.clock import VN_TZ
from lienthong.office.exports import ExportFormat, export_register, file_name
from lienthong.office.model import Actor
from lienthong.office.registers import RegisterKind
from lienthong.web.context import WebContext
from lienthong.web.documents import download
from lienthong.web.pages import Ctx, Me, render, translator

router = APIRouter(prefix="/registers")


def _choice(request: Request, ctx: WebContext) -> tuple[RegisterKind, int, bool, str]:
    params = request.query_params
    kind = RegisterKind.OUTGOING if params.get("kind") == "out" else RegisterKind.INCOMING
    this_year = ctx.clock.now().astimezone(VN_TZ).year
    year_text = params.get("year", "")
    year = int(year_text) if year_text.isdigit() and 2000 <= int(year_text) <= 2100 else this_year
    return kind, year, params.get("secret") == "1", params.get("q", "").strip()[:200]


@router.get("")
def register(request: Request, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """A register as a table, with links to its exports."""
    kind, year, secret, q = _choice(request, ctx)
    t = translator(request)
    book = ctx.office.registers.register(me, kind, year, secret=secret, text=q or None)
    this_year = ctx.clock.now().astimezone(VN_TZ).year
    return render(
        request,
        "registers.html",
        title=t("registers.title"),
        book=book,
        kind=kind.value,
        year=year,
        secret=secret,
        q=q,
        years=list(range(this_year, this_year - 6, -1)),
    )


@router.get("/export")
def export(request: Request, ctx: WebContext = Ctx, me: Actor = Me) -> Response:
    """The register as XLSX or as a PDF book to print and bind."""
    kind, year, secret, _q = _choice(request, ctx)
    fmt = ExportFormat.PDF if request.query_params.get("format") == "pdf" else ExportFormat.XLSX
    book = ctx.office.registers.register(me, kind, year, secret=secret)
    return download(export_register(book, fmt), fmt.media_type, file_name(book, fmt))
