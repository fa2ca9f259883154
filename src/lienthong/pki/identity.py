"""Loading signing identities: from the local pki directory or from any PKCS#12 file.

Production keys come from the government CA as PKCS#12 files (or tokens reached through
another path); :func:`load_pkcs12_identity` reads such a file into the same
:class:`SigningIdentity` the demo uses.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from lienthong.errors import NotFound, PkiError
from lienthong.pki.model import CertificateKind, SigningIdentity
from lienthong.pki.names import agency_id_of
from lienthong.pki.profiles import SIGNING_KEY_CLASSES
from lienthong.pki.store import PkiDir


def load_identity(pki_dir: Path, name: str, passphrase: str) -> SigningIdentity:
    """The identity ``name`` (e.g. ``"tsa"``, ``"agency-000.00.00.h41"``) of a pki directory.

    ``name`` may also be a certificate's serial in hex. Raises :class:`PkiError`
    (``pki.passphrase``) on a wrong passphrase, :class:`NotFound` for an unknown name.
    """
    directory = PkiDir(pki_dir)
    entry = directory.load_index().find(name)
    key, cert, chain = directory.read_key(entry.name, passphrase)
    return SigningIdentity(
        name=entry.name,
        kind=entry.kind,
        private_key=key,
        certificate=cert,
        chain=tuple(chain),
        agency_id=entry.agency_id,
    )


def load_pkcs12_identity(
    path: Path, passphrase: str, *, kind: CertificateKind, name: str | None = None
) -> SigningIdentity:
    """A key, certificate and chain from any PKCS#12 file (e.g. issued by the government CA).

    Self-signed certificates in the file (roots) are left out of the chain.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"no such PKCS#12 file: {path}", code="pki.unknown") from None
    try:
        key, cert, extra = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8"))
    except ValueError:
        raise PkiError(
            f"cannot open {path.name}: wrong passphrase or not PKCS#12", code="pki.passphrase"
        ) from None
    if key is None or cert is None:
        raise PkiError(f"{path.name} holds no key and certificate", code="pki.key")
    if not isinstance(key, SIGNING_KEY_CLASSES):  # pragma: no cover
        raise PkiError(f"{path.name}: unsupported key type", code="pki.key")
    chain = tuple(c for c in extra if c.subject != c.issuer)
    return SigningIdentity(
        name=name or path.stem,
        kind=kind,
        private_key=key,
        certificate=cert,
        chain=_ordered_chain(cert, chain),
        agency_id=agency_id_of(cert),
    )


def _ordered_chain(
    leaf: x509.Certificate, certs: tuple[x509.Certificate, ...]
) -> tuple[x509.Certificate, ...]:
    """``certs`` ordered from the leaf's issuer upward (unrelated ones appended)."""
    ordered: list[x509.Certificate] = []
    remaining = list(certs)
    current = leaf
    while True:
        nxt = next((c for c in remaining if c.subject == current.issuer), None)
        if nxt is None:
            break
        ordered.append(nxt)
        remaining.remove(nxt)
        current = nxt
    return (*ordered, *remaining)
