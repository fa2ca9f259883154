"""The PKI's HTTP face: RFC 3161 timestamps, CRLs, CA certificates and OCSP.

``create_app(services)`` returns an ASGI app (FastAPI) served by ``lienthong tsa serve``:

- ``POST /tsa``            application/timestamp-query → application/timestamp-reply
- ``GET  /crl/<ca>.crl``   the CA's current CRL, DER (re-signed when stale)
- ``GET  /ca/<ca>.crt``    the CA certificate, DER (for AIA caIssuers)
- ``POST /ocsp``, ``GET /ocsp/<base64>``  RFC 6960 OCSP (application/ocsp-response)

The routes translate HTTP to the pure :class:`TimestampAuthority` and
:class:`OcspResponder`; bodies are read with a size limit.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import APIRouter, FastAPI, Request, Response

from lienthong.clock import Clock
from lienthong.errors import NotFound
from lienthong.pki.ca import ISSUING_CA, OCSP, ROOT, TSA, LocalPki
from lienthong.pki.ocsp import OcspResponder
from lienthong.pki.tsa import TimestampAuthority

TSQ = "application/timestamp-query"
TSR = "application/timestamp-reply"
OCSP_REQ = "application/ocsp-request"
OCSP_RESP = "application/ocsp-response"
MAX_BODY = 64 * 1024
CA_NAMES = (ROOT, ISSUING_CA)


@dataclass
class PkiServices:
    """What the HTTP app serves from: the local pki and its TSA and OCSP responder."""

    local: LocalPki
    tsa: TimestampAuthority
    ocsp: OcspResponder


def open_services(pki_dir: Path, passphrase: str, clock: Clock) -> PkiServices:
    """Load the TSA and OCSP identities of a pki directory (the passphrase opens them)."""
    local = LocalPki(pki_dir, passphrase, clock=clock)
    issuing = local.load_identity(ISSUING_CA)
    return PkiServices(
        local=local,
        tsa=TimestampAuthority(local.load_identity(TSA), clock),
        ocsp=OcspResponder(
            local.load_identity(OCSP), issuing.certificate, ISSUING_CA, local.entries(), clock
        ),
    )


class _TooLarge(Exception):
    pass


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(status: int, message: str) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")


def router(services: PkiServices) -> APIRouter:
    """The PKI routes, to mount in any FastAPI app."""
    api = APIRouter()

    @api.post("/tsa")
    async def timestamp(request: Request) -> Response:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != TSQ:
            return _problem(415, f"expected {TSQ}")
        try:
            body = await _body(request)
        except _TooLarge:
            return _problem(413, "request too large")
        return Response(services.tsa.respond(body), media_type=TSR)

    @api.get("/crl/{ca}.crl")
    def crl(ca: str) -> Response:
        if ca not in CA_NAMES:
            return _problem(404, "no such CRL")
        der = services.local.crl(ca).public_bytes(Encoding.DER)
        return Response(der, media_type="application/pkix-crl")

    @api.get("/ca/{ca}.crt")
    def ca_cert(ca: str) -> Response:
        if ca not in CA_NAMES:
            return _problem(404, "no such CA")
        try:
            cert = services.local.dir.read_certificate(ca)
        except NotFound:
            return _problem(404, "no such CA")
        return Response(cert.public_bytes(Encoding.DER), media_type="application/pkix-cert")

    def _ocsp(body: bytes) -> Response:
        services.ocsp.update(services.local.entries())
        return Response(services.ocsp.respond(body), media_type=OCSP_RESP)

    @api.post("/ocsp")
    async def ocsp_post(request: Request) -> Response:
        try:
            body = await _body(request)
        except _TooLarge:
            return _problem(413, "request too large")
        return _ocsp(body)

    @api.get("/ocsp/{encoded:path}")
    def ocsp_get(encoded: str) -> Response:
        if len(encoded) > MAX_BODY:
            return _problem(413, "request too large")
        try:
            body = base64.b64decode(unquote(encoded), validate=True)
        except (binascii.Error, ValueError):
            return _problem(400, "not base64")
        return _ocsp(body)

    return api


def create_app(services: PkiServices) -> FastAPI:
    """The standalone PKI app (``lienthong tsa serve``)."""
    app = FastAPI(title="lienthong PKI", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(router(services))
    return app
