"""The pki directory on disk: certificates in PEM, keys in encrypted PKCS#12, a JSON index.

Layout of ``<data_dir>/pki/``::

    index.json          what was issued: name, serial, kind, subject, agency id, validity, status
    certs/<name>.pem    each certificate
    keys/<name>.p12     each private key with its certificate and chain, encrypted (mode 0600)
    crl/<ca>.crl        the current CRL of each CA (DER)

Keys are encrypted with PBES2 (PBKDF2-SHA256, AES-256-CBC) under the passphrase; the
passphrase is never stored, logged or put in an error message.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12

from lienthong.errors import NotFound, PkiError
from lienthong.pki.model import CertificateKind, SigningIdentity
from lienthong.pki.names import agency_id_of
from lienthong.pki.profiles import SIGNING_KEY_CLASSES

INDEX_VERSION = 1
#: PBKDF2 iterations for keys at rest (OWASP 2023 figure for PBKDF2-SHA256).
DEFAULT_KDF_ROUNDS = 600_000
Status = Literal["valid", "revoked"]


@dataclass(frozen=True)
class IndexEntry:
    """One issued certificate, as ``index.json`` lists it."""

    name: str
    kind: CertificateKind
    serial: int
    subject: str
    issuer: str  # name of the issuing entry ("" for the root)
    agency_id: str | None
    not_before: datetime
    not_after: datetime
    status: Status = "valid"
    revoked_at: datetime | None = None
    reason: str | None = None

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "x")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["kind"] = self.kind.value
        data["serial"] = self.serial_hex
        for key in ("not_before", "not_after", "revoked_at"):
            value = data[key]
            data[key] = value.isoformat() if value is not None else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexEntry:
        try:
            revoked = data.get("revoked_at")
            return cls(
                name=str(data["name"]),
                kind=CertificateKind(data["kind"]),
                serial=int(data["serial"], 16),
                subject=str(data["subject"]),
                issuer=str(data["issuer"]),
                agency_id=data.get("agency_id"),
                not_before=datetime.fromisoformat(data["not_before"]),
                not_after=datetime.fromisoformat(data["not_after"]),
                status="revoked" if data.get("status") == "revoked" else "valid",
                revoked_at=datetime.fromisoformat(revoked) if revoked else None,
                reason=data.get("reason"),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise PkiError(f"bad entry in index.json: {exc}", code="pki.index") from exc

    @classmethod
    def for_certificate(
        cls, name: str, kind: CertificateKind, cert: x509.Certificate, issuer: str
    ) -> IndexEntry:
        return cls(
            name=name,
            kind=kind,
            serial=cert.serial_number,
            subject=cert.subject.rfc4514_string(),
            issuer=issuer,
            agency_id=agency_id_of(cert),
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
        )


@dataclass
class PkiIndex:
    """The whole ``index.json``: settings of the hierarchy and its entries."""

    key_type: str = "ec"
    base_url: str | None = None
    #: agency id → agency name, so signer certificates can name their agency.
    agencies: dict[str, str] = field(default_factory=dict)
    #: CA name → number of the last CRL it signed.
    crl_numbers: dict[str, int] = field(default_factory=dict)
    entries: list[IndexEntry] = field(default_factory=list)

    def find(self, name_or_serial: str) -> IndexEntry:
        """The entry named ``name_or_serial``, else the one with that hex serial."""
        for entry in self.entries:
            if entry.name == name_or_serial:
                return entry
        wanted = name_or_serial.lower().removeprefix("0x").replace(":", "")
        for entry in self.entries:
            if entry.serial_hex == wanted:
                return entry
        raise NotFound(f"no certificate named or numbered {name_or_serial!r}", code="pki.unknown")

    def replace_entry(self, new: IndexEntry) -> None:
        self.entries = [new if e.name == new.name else e for e in self.entries]

    def revoked_by(self, issuer: str) -> list[IndexEntry]:
        return [e for e in self.entries if e.issuer == issuer and e.status == "revoked"]


class PkiDir:
    """Reads and writes one pki directory."""

    def __init__(self, path: Path, *, kdf_rounds: int = DEFAULT_KDF_ROUNDS) -> None:
        self.path = path
        self.kdf_rounds = kdf_rounds

    @property
    def index_path(self) -> Path:
        return self.path / "index.json"

    def cert_path(self, name: str) -> Path:
        return self.path / "certs" / f"{name}.pem"

    def key_path(self, name: str) -> Path:
        return self.path / "keys" / f"{name}.p12"

    def crl_path(self, ca_name: str) -> Path:
        return self.path / "crl" / f"{ca_name}.crl"

    def exists(self) -> bool:
        return self.index_path.is_file()

    def create(self) -> None:
        for sub in ("certs", "keys", "crl"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        (self.path / "keys").chmod(0o700)

    def load_index(self) -> PkiIndex:
        try:
            raw = json.loads(self.index_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise PkiError(
                f"no pki in {self.path} (run `lienthong pki init`)", code="pki.missing"
            ) from None
        except json.JSONDecodeError as exc:
            raise PkiError(f"{self.index_path} is not JSON: {exc}", code="pki.index") from exc
        if raw.get("version") != INDEX_VERSION:
            raise PkiError(f"unknown index.json version {raw.get('version')!r}", code="pki.index")
        return PkiIndex(
            key_type=str(raw.get("key_type", "ec")),
            base_url=raw.get("base_url"),
            agencies=dict(raw.get("agencies", {})),
            crl_numbers={k: int(v) for k, v in raw.get("crl_numbers", {}).items()},
            entries=[IndexEntry.from_json(e) for e in raw.get("entries", [])],
        )

    def save_index(self, index: PkiIndex) -> None:
        data = {
            "version": INDEX_VERSION,
            "key_type": index.key_type,
            "base_url": index.base_url,
            "agencies": index.agencies,
            "crl_numbers": index.crl_numbers,
            "entries": [e.to_json() for e in index.entries],
        }
        _atomic_write(
            self.index_path, json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        )

    def write_certificate(self, name: str, cert: x509.Certificate) -> None:
        _atomic_write(self.cert_path(name), cert.public_bytes(serialization.Encoding.PEM))

    def read_certificate(self, name: str) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate(self.cert_path(name).read_bytes())
        except FileNotFoundError:
            raise NotFound(f"no certificate file for {name!r}", code="pki.unknown") from None

    def write_key(
        self,
        identity: SigningIdentity,
        passphrase: str,
    ) -> None:
        """Store the key, certificate and chain as PKCS#12 encrypted under ``passphrase``."""
        if not passphrase:
            raise PkiError("an empty passphrase cannot protect a key", code="pki.passphrase")
        encryption = (
            serialization.PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(self.kdf_rounds)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(passphrase.encode("utf-8"))
        )
        key = identity.private_key
        if not isinstance(key, SIGNING_KEY_CLASSES):  # pragma: no cover
            raise PkiError(f"cannot store a key of type {type(key).__name__}", code="pki.key")
        data = pkcs12.serialize_key_and_certificates(
            identity.name.encode("utf-8"),
            key,
            identity.certificate,
            list(identity.chain) or None,
            encryption,
        )
        _atomic_write(self.key_path(identity.name), data, mode=0o600)

    def read_key(
        self, name: str, passphrase: str
    ) -> tuple[CertificateIssuerPrivateKeyTypes, x509.Certificate, list[x509.Certificate]]:
        """The key, certificate and chain stored for ``name``; PkiError on a wrong passphrase."""
        try:
            data = self.key_path(name).read_bytes()
        except FileNotFoundError:
            raise NotFound(f"no key stored for {name!r}", code="pki.unknown") from None
        try:
            key, cert, chain = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8"))
        except ValueError:
            raise PkiError(
                f"cannot open the key of {name!r}: wrong passphrase or damaged file",
                code="pki.passphrase",
            ) from None
        if key is None or cert is None:
            raise PkiError(f"the key file of {name!r} holds no key", code="pki.key")
        if not isinstance(key, SIGNING_KEY_CLASSES):  # pragma: no cover
            raise PkiError(f"the key of {name!r} is of an unsupported type", code="pki.key")
        return key, cert, chain

    def write_crl(self, ca_name: str, crl: x509.CertificateRevocationList) -> None:
        _atomic_write(self.crl_path(ca_name), crl.public_bytes(serialization.Encoding.DER))

    def read_crl(self, ca_name: str) -> x509.CertificateRevocationList:
        try:
            return x509.load_der_x509_crl(self.crl_path(ca_name).read_bytes())
        except FileNotFoundError:
            raise NotFound(f"no CRL for {ca_name!r}", code="pki.unknown") from None


def revoked_entry(entry: IndexEntry, at: datetime, reason: str | None) -> IndexEntry:
    """``entry`` marked revoked at ``at``."""
    return replace(entry, status="revoked", revoked_at=at, reason=reason)


def _atomic_write(path: Path, data: bytes, *, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.chmod(mode)
    tmp.replace(path)
