"""The local certificate authority: a demo hierarchy for the demo and the tests.

:class:`LocalPki` creates the hierarchy in a pki directory, issues, revokes and keeps the
CRLs current. :func:`build_demo_hierarchy` makes a complete one in one call and returns
every identity loaded (see :mod:`lienthong.pki.testing` for the pytest helper).

Production does not use this CA: it trusts the government CA's roots (see
:mod:`lienthong.pki.trust`) and signs with keys issued by that CA.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509

from lienthong.clock import Clock, SystemClock
from lienthong.errors import Conflict, PkiError
from lienthong.pki import names
from lienthong.pki.model import CertificateKind, SigningIdentity, TrustStore
from lienthong.pki.profiles import (
    Issuer,
    KeyFactory,
    KeyType,
    Urls,
    build_certificate,
    generate_key,
)
from lienthong.pki.revocation import build_crl, reason_flag
from lienthong.pki.store import DEFAULT_KDF_ROUNDS, IndexEntry, PkiDir, PkiIndex, revoked_entry

ROOT = "root"
ISSUING_CA = "issuing-ca"
TSA = "tsa"
OCSP = "ocsp"
SYSTEM = "system"

#: Agencies of the demo when none are given: (agency id, name).
DEFAULT_AGENCIES: tuple[tuple[str, str], ...] = (
    ("000.00.00.G22", "Văn phòng Chính phủ"),
    ("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An"),
    ("000.00.00.H08", "Ủy ban nhân dân tỉnh Bình Dương"),
)
#: Demo signers, given to the agencies in turn: (person, title).
DEMO_SIGNERS: tuple[tuple[str, str], ...] = (
    ("Nguyễn Văn An", "Chánh Văn phòng"),
    ("Trần Thị Bình", "Chủ tịch"),
    ("Lê Văn Cường", "Phó Chủ tịch"),
    ("Phạm Thị Dung", "Giám đốc"),
)
DEMO_SYSTEM_NAME = "lienthong demo document system"


def agency_entry_name(agency_id: str) -> str:
    """Name in the pki directory of an agency's organisation certificate."""
    return f"agency-{names.slug(names.check_agency_id(agency_id))}"


def signer_entry_name(agency_id: str, person: str) -> str:
    """Name in the pki directory of a person's certificate."""
    return f"signer-{names.slug(names.check_agency_id(agency_id))}-{names.slug(person)}"


class LocalPki:
    """One pki directory, opened with its passphrase; issues, revokes and signs CRLs."""

    def __init__(
        self,
        pki_dir: Path,
        passphrase: str,
        *,
        clock: Clock | None = None,
        key_factory: KeyFactory = generate_key,
        kdf_rounds: int = DEFAULT_KDF_ROUNDS,
    ) -> None:
        self.dir = PkiDir(pki_dir, kdf_rounds=kdf_rounds)
        self._passphrase = passphrase
        self.clock: Clock = clock or SystemClock()
        self._key_factory = key_factory
        self._issuers: dict[str, Issuer] = {}

    def __repr__(self) -> str:  # never show the passphrase
        return f"LocalPki({str(self.dir.path)!r})"

    # -- reading -----------------------------------------------------------------------

    def index(self) -> PkiIndex:
        return self.dir.load_index()

    def entries(self) -> list[IndexEntry]:
        return self.index().entries

    def load_identity(self, name: str) -> SigningIdentity:
        """The key, certificate and chain of ``name``, decrypted with the passphrase."""
        entry = self.index().find(name)
        key, cert, chain = self.dir.read_key(entry.name, self._passphrase)
        return SigningIdentity(
            name=entry.name,
            kind=entry.kind,
            private_key=key,
            certificate=cert,
            chain=tuple(chain),
            agency_id=entry.agency_id,
        )

    def trust_store(self) -> TrustStore:
        """The demo root as anchor, the issuing CA, and both current CRLs."""
        return TrustStore(
            roots=(self.dir.read_certificate(ROOT),),
            intermediates=(self.dir.read_certificate(ISSUING_CA),),
            crls=(self.crl(ISSUING_CA), self.crl(ROOT)),
        )

    def crl(self, ca_name: str = ISSUING_CA) -> x509.CertificateRevocationList:
        """The current CRL of ``ca_name``, re-signed first if it is past its nextUpdate."""
        crl = self.dir.read_crl(ca_name)
        next_update = crl.next_update_utc
        if next_update is not None and next_update <= self.clock.now():
            crl = self._sign_crl(self.index(), ca_name)
        return crl

    # -- creating ----------------------------------------------------------------------

    def create(
        self, *, key_type: KeyType = "ec", base_url: str | None = None
    ) -> dict[str, SigningIdentity]:
        """Create the directory, the root, the issuing CA, the TSA, the OCSP responder, CRLs.

        Returns the four identities by name (``root``, ``issuing-ca``, ``tsa``, ``ocsp``).
        """
        if self.dir.exists():
            raise Conflict(f"a pki already exists in {self.dir.path}", code="pki.exists")
        if key_type not in ("ec", "rsa"):
            raise PkiError(f"unknown key type {key_type!r} (ec or rsa)", code="pki.key_type")
        self.dir.create()
        index = PkiIndex(key_type=key_type, base_url=base_url or None)
        root = self._issue(index, CertificateKind.ROOT, ROOT, names.ca_name(names.DEMO_ROOT_CN))
        issuing = self._issue(
            index,
            CertificateKind.ISSUING_CA,
            ISSUING_CA,
            names.ca_name(names.DEMO_ISSUING_CN),
            issuer=root,
        )
        tsa = self._issue(index, CertificateKind.TSA, TSA, names.ca_name(names.DEMO_TSA_CN))
        ocsp = self._issue(index, CertificateKind.OCSP, OCSP, names.ca_name(names.DEMO_OCSP_CN))
        self._sign_crl(index, ROOT)
        self._sign_crl(index, ISSUING_CA)
        return {ROOT: root, ISSUING_CA: issuing, TSA: tsa, OCSP: ocsp}

    def issue_agency(self, agency_id: str, agency_name: str) -> SigningIdentity:
        """Issue an agency's organisation (seal) certificate."""
        agency_id = names.check_agency_id(agency_id)
        index = self.index()
        index.agencies[agency_id] = agency_name
        return self._issue(
            index,
            CertificateKind.AGENCY,
            agency_entry_name(agency_id),
            names.agency_name(agency_id, agency_name),
        )

    def issue_signer(
        self,
        agency_id: str,
        person: str,
        title: str | None = None,
        *,
        agency_name: str | None = None,
    ) -> SigningIdentity:
        """Issue a person's certificate bound to ``agency_id`` (its name comes from the index)."""
        agency_id = names.check_agency_id(agency_id)
        index = self.index()
        agency = agency_name or index.agencies.get(agency_id)
        if not agency:
            raise PkiError(
                f"unknown agency {agency_id}: issue its agency certificate first or give its name",
                code="pki.agency_unknown",
            )
        index.agencies.setdefault(agency_id, agency)
        return self._issue(
            index,
            CertificateKind.SIGNER,
            signer_entry_name(agency_id, person),
            names.signer_name(agency_id, agency, person, title),
        )

    def issue_system(
        self, system: str, *, operator: str = names.DEMO_ORG, agency_id: str | None = None
    ) -> SigningIdentity:
        """Issue a document system's certificate (signs edXML packages)."""
        name = SYSTEM if system == DEMO_SYSTEM_NAME else f"system-{names.slug(system)}"
        return self._issue(
            self.index(),
            CertificateKind.SYSTEM,
            name,
            names.system_name(system, operator, agency_id),
        )

    def revoke(self, name_or_serial: str, reason: str | None = None) -> IndexEntry:
        """Revoke a certificate and re-sign its issuer's CRL."""
        reason_flag(reason)  # reject unknown reasons before changing anything
        index = self.index()
        entry = index.find(name_or_serial)
        if entry.kind is CertificateKind.ROOT:
            raise PkiError("the root is a trust anchor; it cannot be revoked", code="pki.revoke")
        if entry.status == "revoked":
            raise Conflict(f"{entry.name} is already revoked", code="pki.revoked")
        new = revoked_entry(entry, self.clock.now().replace(microsecond=0), reason)
        index.replace_entry(new)
        self._sign_crl(index, entry.issuer)
        return new

    # -- internals ---------------------------------------------------------------------

    def _issuer(self, name: str) -> Issuer:
        if name not in self._issuers:
            identity = self.load_identity(name)
            self._issuers[name] = Issuer(name, identity.private_key, identity.certificate)
        return self._issuers[name]

    def _free_name(self, index: PkiIndex, name: str) -> str:
        taken = {e.name: e for e in index.entries}
        if name in taken and taken[name].status == "valid":
            raise Conflict(f"{name} already has a valid certificate", code="pki.exists")
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name}-{n}"
        return candidate

    def _issue(
        self,
        index: PkiIndex,
        kind: CertificateKind,
        name: str,
        subject: x509.Name,
        *,
        issuer: SigningIdentity | None = None,
    ) -> SigningIdentity:
        name = self._free_name(index, name)
        key = self._key_factory("rsa" if index.key_type == "rsa" else "ec")
        urls = Urls(index.base_url) if index.base_url else None
        if kind is CertificateKind.ROOT:
            signer: Issuer | None = None
            chain: tuple[x509.Certificate, ...] = ()
        elif issuer is not None:
            signer = Issuer(issuer.name, issuer.private_key, issuer.certificate)
            chain = issuer.chain if issuer.kind is not CertificateKind.ROOT else ()
        else:
            signer = self._issuer(ISSUING_CA)
            chain = (signer.certificate,)
        cert = build_certificate(
            kind=kind,
            subject=subject,
            public_key=key.public_key(),
            issuer=signer,
            self_key=key,
            now=self.clock.now(),
            urls=urls,
        )
        identity = SigningIdentity(
            name=name,
            kind=kind,
            private_key=key,
            certificate=cert,
            chain=chain,
            agency_id=names.agency_id_of(cert),
        )
        self.dir.write_key(identity, self._passphrase)
        self.dir.write_certificate(name, cert)
        if kind in (CertificateKind.ROOT, CertificateKind.ISSUING_CA):
            self._issuers[name] = Issuer(name, key, cert)
        index.entries.append(
            IndexEntry.for_certificate(name, kind, cert, signer.name if signer else "")
        )
        self.dir.save_index(index)
        return identity

    def _sign_crl(self, index: PkiIndex, ca_name: str) -> x509.CertificateRevocationList:
        number = index.crl_numbers.get(ca_name, 0) + 1
        index.crl_numbers[ca_name] = number
        crl = build_crl(
            self._issuer(ca_name), index.revoked_by(ca_name), number=number, now=self.clock.now()
        )
        self.dir.write_crl(ca_name, crl)
        self.dir.save_index(index)
        return crl


@dataclass(frozen=True)
class DemoPki:
    """A complete demo hierarchy with every identity loaded (keys in memory)."""

    pki_dir: Path
    passphrase: str
    root: SigningIdentity
    issuing_ca: SigningIdentity
    #: agency id → the agency's organisation (seal) identity
    agencies: Mapping[str, SigningIdentity]
    #: agency id → a competent person's identity in that agency
    signers: Mapping[str, SigningIdentity]
    system: SigningIdentity
    tsa: SigningIdentity
    ocsp: SigningIdentity
    trust_store: TrustStore
    #: the issuing CA's current CRL (the root's is in ``trust_store.crls`` too)
    crl: x509.CertificateRevocationList
    base_url: str | None
    local: LocalPki

    def __repr__(self) -> str:
        return f"DemoPki({str(self.pki_dir)!r}, agencies={sorted(self.agencies)})"

    def agency(self, agency_id: str) -> SigningIdentity:
        """The organisation identity of ``agency_id``."""
        return self.agencies[names.check_agency_id(agency_id)]

    def signer(self, agency_id: str) -> SigningIdentity:
        """The personal identity issued for ``agency_id``."""
        return self.signers[names.check_agency_id(agency_id)]

    def refreshed_trust_store(self) -> TrustStore:
        """The trust store with the CRLs as they are now on disk (after revocations)."""
        return self.local.trust_store()


def build_demo_hierarchy(
    pki_dir: Path,
    passphrase: str,
    *,
    agencies: Iterable[tuple[str, str]] | None = None,
    key_type: KeyType = "ec",
    base_url: str | None = None,
    clock: Clock | None = None,
    key_factory: KeyFactory = generate_key,
    kdf_rounds: int = DEFAULT_KDF_ROUNDS,
) -> DemoPki:
    """Create a whole demo hierarchy in ``pki_dir`` and return it loaded.

    Root, issuing CA, TSA, OCSP responder, one organisation and one signer certificate per
    agency (``DEFAULT_AGENCIES`` when ``agencies`` is None), a system certificate, CRLs.
    """
    local = LocalPki(
        pki_dir, passphrase, clock=clock, key_factory=key_factory, kdf_rounds=kdf_rounds
    )
    made = local.create(key_type=key_type, base_url=base_url)
    org: dict[str, SigningIdentity] = {}
    people: dict[str, SigningIdentity] = {}
    for i, (agency_id, agency_name) in enumerate(
        DEFAULT_AGENCIES if agencies is None else agencies
    ):
        identity = local.issue_agency(agency_id, agency_name)
        assert identity.agency_id is not None  # noqa: S101 - issue_agency binds it
        org[identity.agency_id] = identity
        person, title = DEMO_SIGNERS[i % len(DEMO_SIGNERS)]
        people[identity.agency_id] = local.issue_signer(identity.agency_id, person, title)
    system = local.issue_system(DEMO_SYSTEM_NAME)
    trust = local.trust_store()
    return DemoPki(
        pki_dir=pki_dir,
        passphrase=passphrase,
        root=made[ROOT],
        issuing_ca=made[ISSUING_CA],
        agencies=org,
        signers=people,
        system=system,
        tsa=made[TSA],
        ocsp=made[OCSP],
        trust_store=trust,
        crl=trust.crls[0],
        base_url=base_url or None,
        local=local,
    )
