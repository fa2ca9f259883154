"""Cheap PKI fixtures for tests: a whole demo hierarchy in a temporary directory.

Usage in a test (pytest's ``tmp_path``)::

    from lienthong.pki.testing import demo_pki

    pki = demo_pki(tmp_path)
    identity = pki.signer("000.00.00.H41")   # SigningIdentity: key, cert, chain, agency_id
    trust = pki.trust_store                  # TrustStore: demo root, issuing CA, CRLs

Keys are stored with few PBKDF2 rounds (tests only) and RSA keys come from a small pool
reused within the test process, so building a hierarchy costs milliseconds.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from lienthong.clock import Clock, SystemClock
from lienthong.pki.ca import DemoPki, build_demo_hierarchy
from lienthong.pki.profiles import KeyType, generate_key

#: Passphrase of every test hierarchy (never use it for anything real).
TEST_PASSPHRASE = "lienthong-test-passphrase"  # noqa: S105 - test-only by design
TEST_KDF_ROUNDS = 1_000

_rsa_pool: list[CertificateIssuerPrivateKeyTypes] = []


class _PooledKeys:
    """Fresh EC keys; RSA keys drawn in turn from a pool kept for the process."""

    def __init__(self) -> None:
        self._next_rsa = 0

    def __call__(self, key_type: KeyType) -> CertificateIssuerPrivateKeyTypes:
        if key_type != "rsa":
            return generate_key(key_type)
        if self._next_rsa >= len(_rsa_pool):
            _rsa_pool.append(generate_key("rsa"))
        key = _rsa_pool[self._next_rsa]
        self._next_rsa += 1
        return key


def demo_pki(
    tmp_dir: Path,
    agencies: Iterable[tuple[str, str]] | None = None,
    key_type: KeyType = "ec",
    *,
    clock: Clock | None = None,
    base_url: str | None = None,
) -> DemoPki:
    """Build a demo hierarchy in ``tmp_dir / "pki"`` for a test.

    ``agencies`` is a list of ``(agency id, agency name)``; the default is
    ``lienthong.pki.ca.DEFAULT_AGENCIES``. ``clock`` sets the issuance time (certificates
    are valid from 10 minutes before it); ``base_url`` puts CRL/OCSP/CA-issuer URLs in the
    certificates (e.g. the URL of a test server started with ``pki.server``).
    """
    return build_demo_hierarchy(
        tmp_dir / "pki",
        TEST_PASSPHRASE,
        agencies=agencies,
        key_type=key_type,
        base_url=base_url,
        clock=clock,
        key_factory=_PooledKeys(),
        kdf_rounds=TEST_KDF_ROUNDS,
    )


def bound_socket() -> socket.socket:
    """A listening TCP socket on 127.0.0.1 with a free port (its URL is known before serving)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def socket_url(sock: socket.socket) -> str:
    """``http://127.0.0.1:<port>`` for a socket from :func:`bound_socket`."""
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


@contextmanager
def serve_in_thread(app: Any, sock: socket.socket) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on ``sock``; yields its base URL."""
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the test server did not start")
            threading.Event().wait(0.01)
        yield socket_url(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def serving_demo_pki(
    tmp_dir: Path,
    agencies: Iterable[tuple[str, str]] | None = None,
    key_type: KeyType = "ec",
    *,
    clock: Clock | None = None,
) -> Iterator[tuple[DemoPki, str]]:
    """A demo hierarchy whose certificates name a live local server (TSA, CRLs, OCSP).

    Yields ``(pki, base_url)``; the TSA is at ``base_url + "/tsa"``, the CRLs and the OCSP
    responder at the URLs the certificates carry. The server uses ``clock`` too.
    """
    from lienthong.pki.ca import ISSUING_CA
    from lienthong.pki.ocsp import OcspResponder
    from lienthong.pki.server import PkiServices, create_app
    from lienthong.pki.tsa import TimestampAuthority

    the_clock = clock or SystemClock()
    sock = bound_socket()
    pki = demo_pki(tmp_dir, agencies, key_type, clock=the_clock, base_url=socket_url(sock))
    services = PkiServices(
        local=pki.local,
        tsa=TimestampAuthority(pki.tsa, the_clock),
        ocsp=OcspResponder(
            pki.ocsp, pki.issuing_ca.certificate, ISSUING_CA, pki.local.entries(), the_clock
        ),
    )
    with serve_in_thread(create_app(services), sock) as url:
        yield pki, url
