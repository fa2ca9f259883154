"""The local PKI: hierarchy, agency binding, key storage, revocation, trust."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from lienthong.clock import FixedClock
from lienthong.errors import ConfigError, Conflict, NotFound, PkiError
from lienthong.pki import names
from lienthong.pki.ca import LocalPki
from lienthong.pki.identity import load_identity
from lienthong.pki.model import CertificateKind
from lienthong.pki.profiles import EKU_DOCUMENT_SIGNING, issuer_public_key
from lienthong.pki.revocation import RevocationStatus, check_revocation, is_revoked
from lienthong.pki.testing import TEST_PASSPHRASE, demo_pki
from lienthong.pki.trust import load_trust_dir, load_trust_store, verify_certificate

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
AGENCIES = [("000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An"), ("000.01.01.G12", "Vụ Ngân sách")]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def _eku(cert: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def _client_verify(
    cert: x509.Certificate,
    pki_root: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
    at: datetime,
) -> list[x509.Certificate]:
    """Chain building the way signxml does it (cryptography's verifier, Web PKI CA rules)."""
    ee = verification.ExtensionPolicy.permit_all()
    builder = (
        verification.PolicyBuilder()
        .store(verification.Store([pki_root]))
        .time(at)
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee
        )
    )
    return builder.build_client_verifier().verify(cert, list(chain)).chain


def test_hierarchy_is_named_as_demo_and_every_chain_verifies(
    tmp_path: Path, clock: FixedClock
) -> None:
    pki = demo_pki(tmp_path, AGENCIES, clock=clock)
    root_cn = pki.root.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert root_cn == "lienthong DEMO Root CA — NOT FOR PRODUCTION"
    assert pki.root.certificate.subject == pki.root.certificate.issuer
    assert pki.issuing_ca.certificate.issuer == pki.root.certificate.subject
    at = T0 + timedelta(days=30)
    leaves = [*pki.agencies.values(), *pki.signers.values(), pki.system, pki.tsa, pki.ocsp]
    for identity in leaves:
        assert identity.chain == (pki.issuing_ca.certificate,)
        chain = _client_verify(identity.certificate, pki.root.certificate, identity.chain, at)
        assert chain == [identity.certificate, pki.issuing_ca.certificate, pki.root.certificate]
        assert isinstance(identity.private_key, ec.EllipticCurvePrivateKey)
        assert identity.private_key.curve.name == "secp256r1"
    assert set(pki.agencies) == {"000.00.00.H41", "000.01.01.G12"}


def test_rsa_hierarchy(tmp_path: Path, clock: FixedClock) -> None:
    pki = demo_pki(tmp_path, AGENCIES[:1], "rsa", clock=clock)
    key = pki.signer("000.00.00.H41").private_key
    assert isinstance(key, rsa.RSAPrivateKey)
    assert key.key_size == 2048
    report = verify_certificate(pki.signer("000.00.00.H41").certificate, pki.trust_store, at=T0)
    assert report.ok, report.problems


def test_agency_id_is_bound_in_agency_and_signer_certificates(
    tmp_path: Path, clock: FixedClock
) -> None:
    pki = demo_pki(tmp_path, AGENCIES, clock=clock)
    agency = pki.agency("000.00.00.H41").certificate
    signer = pki.signer("000.00.00.h41").certificate
    assert names.agency_id_of(agency) == "000.00.00.H41"
    assert names.agency_id_of(signer) == "000.00.00.H41"
    assert names.agency_id_of(pki.signer("000.01.01.G12").certificate) == "000.01.01.G12"
    org_id = agency.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value
    assert org_id == "MDDVN-000.00.00.H41"
    assert (
        agency.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        == "Ủy ban nhân dân tỉnh Nghệ An"
    )
    assert (
        signer.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        == "Ủy ban nhân dân tỉnh Nghệ An"
    )
    assert signer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Văn An"
    assert signer.subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Chánh Văn phòng"
    assert pki.signer("000.00.00.H41").agency_id == "000.00.00.H41"
    assert names.agency_id_of(pki.root.certificate) is None
    assert names.agency_id_of(pki.system.certificate) is None


def test_agency_id_of_ignores_other_semantic_identifiers(tmp_path: Path, clock: FixedClock) -> None:
    pki = demo_pki(tmp_path, [], clock=clock)
    key = ec.generate_private_key(ec.SECP256R1())

    def cert_with(*values: str) -> x509.Certificate:
        subject = x509.Name(
            [x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, v) for v in values]
            + [x509.NameAttribute(NameOID.COMMON_NAME, "x")]
        )
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(T0)
            .not_valid_after(T0 + timedelta(days=1))
            .sign(key, hashes.SHA256())
        )

    assert names.agency_id_of(cert_with("VATVN-0101234567")) is None
    assert names.agency_id_of(cert_with("MDDVN-000.00.00.H08", "VATVN-1")) == "000.00.00.H08"
    assert names.agency_id_of(cert_with("MDDVN-000.00.00.H08", "MDDVN-000.00.00.H41")) is None
    assert names.agency_id_of(cert_with("MDDVN-<script>")) is None
    assert pki.agencies == {}


def test_key_usages_and_ekus(tmp_path: Path, clock: FixedClock) -> None:
    pki = demo_pki(tmp_path, AGENCIES[:1], clock=clock)
    tsa_eku = pki.tsa.certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert tsa_eku.critical
    assert list(tsa_eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert _eku(pki.ocsp.certificate) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    pki.ocsp.certificate.extensions.get_extension_for_class(x509.OCSPNoCheck)
    for identity in (pki.agency("000.00.00.H41"), pki.signer("000.00.00.H41")):
        assert EKU_DOCUMENT_SIGNING in _eku(identity.certificate)
        ku = identity.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        assert ku.digital_signature
        assert ku.content_commitment
        assert not ku.key_cert_sign
    assert EKU_DOCUMENT_SIGNING in _eku(pki.system.certificate)
    for ca in (pki.root, pki.issuing_ca):
        bc = ca.certificate.extensions.get_extension_for_class(x509.BasicConstraints)
        assert bc.critical
        assert bc.value.ca
        ku = ca.certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        assert ku.key_cert_sign
        assert ku.crl_sign
    path_len = pki.issuing_ca.certificate.extensions.get_extension_for_class(
        x509.BasicConstraints
    ).value.path_length
    assert path_len == 0


def test_urls_only_when_a_base_url_is_configured(tmp_path: Path, clock: FixedClock) -> None:
    plain = demo_pki(tmp_path / "a", AGENCIES[:1], clock=clock)
    with pytest.raises(x509.ExtensionNotFound):
        plain.signer("000.00.00.H41").certificate.extensions.get_extension_for_class(
            x509.CRLDistributionPoints
        )
    pki = demo_pki(tmp_path / "b", AGENCIES[:1], clock=clock, base_url="http://127.0.0.1:8118/")
    cert = pki.signer("000.00.00.H41").certificate
    dp = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert [n.value for n in dp[0].full_name or []] == ["http://127.0.0.1:8118/crl/issuing-ca.crl"]
    aia = {
        a.access_method.dotted_string: a.access_location.value
        for a in cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    }
    assert aia == {
        "1.3.6.1.5.5.7.48.1": "http://127.0.0.1:8118/ocsp",
        "1.3.6.1.5.5.7.48.2": "http://127.0.0.1:8118/ca/issuing-ca.crt",
    }
    issuing_dp = pki.issuing_ca.certificate.extensions.get_extension_for_class(
        x509.CRLDistributionPoints
    ).value
    assert [n.value for n in issuing_dp[0].full_name or []] == [
        "http://127.0.0.1:8118/crl/root.crl"
    ]


def test_keys_are_encrypted_on_disk(tmp_path: Path, clock: FixedClock) -> None:
    pki = demo_pki(tmp_path, AGENCIES[:1], clock=clock)
    key_file = pki.pki_dir / "keys" / "tsa.p12"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" not in key_file.read_bytes()
    with pytest.raises(PkiError) as info:
        load_identity(pki.pki_dir, "tsa", "wrong passphrase")
    assert info.value.code == "pki.passphrase"
    assert TEST_PASSPHRASE not in str(info.value)
    loaded = load_identity(pki.pki_dir, "tsa", TEST_PASSPHRASE)
    assert loaded.certificate == pki.tsa.certificate
    assert loaded.kind is CertificateKind.TSA
    assert loaded.chain == (pki.issuing_ca.certificate,)
    with pytest.raises(NotFound):
        load_identity(pki.pki_dir, "nobody", TEST_PASSPHRASE)


def test_revoke_lists_the_certificate_in_a_new_crl(tmp_path: Path, clock: FixedClock) -> None:
    pki = demo_pki(tmp_path, AGENCIES, clock=clock)
    signer = pki.signer("000.00.00.H41")
    assert is_revoked(signer.certificate, pki.trust_store) is False
    clock.advance(timedelta(hours=2))
    entry = pki.local.revoke(signer.name, "key-compromise")
    assert entry.status == "revoked"
    assert entry.revoked_at == T0 + timedelta(hours=2)
    trust = pki.refreshed_trust_store()
    crl = trust.crls[0]
    assert crl.is_signature_valid(issuer_public_key(pki.issuing_ca.certificate))
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 2
    listed = crl.get_revoked_certificate_by_serial_number(signer.certificate.serial_number)
    assert listed is not None
    assert is_revoked(signer.certificate, trust) is True
    check = check_revocation(signer.certificate, trust)
    assert check.status is RevocationStatus.REVOKED
    assert check.reason == "key_compromise"
    assert is_revoked(pki.signer("000.01.01.G12").certificate, trust) is False
    # A chain check before the revocation time is fine, after it is not.
    assert verify_certificate(signer.certificate, trust, at=T0 + timedelta(hours=1)).ok
    after = verify_certificate(signer.certificate, trust, at=T0 + timedelta(hours=3))
    assert after.trusted
    assert after.revoked
    assert not after.ok
    # The same as read from disk without the passphrase.
    assert is_revoked(signer.certificate, load_trust_store(pki_dir=pki.pki_dir)) is True
    with pytest.raises(Conflict):
        pki.local.revoke(signer.name)
    # Revoke by serial, and the root cannot be revoked.
    pki.local.revoke(format(pki.system.certificate.serial_number, "x"))
    assert is_revoked(pki.system.certificate, pki.refreshed_trust_store())
    with pytest.raises(PkiError):
        pki.local.revoke("root")
    with pytest.raises(PkiError):
        pki.local.revoke("tsa", "because")


def test_is_revoked_without_a_crl_cannot_evaluate(tmp_path: Path, clock: FixedClock) -> None:
    pki = demo_pki(tmp_path, AGENCIES[:1], clock=clock)
    bare = type(pki.trust_store)(
        roots=pki.trust_store.roots, intermediates=pki.trust_store.intermediates
    )
    with pytest.raises(PkiError) as info:
        is_revoked(pki.tsa.certificate, bare)
    assert info.value.code == "pki.revocation_unknown"
    assert is_revoked(pki.root.certificate, bare) is False


def test_a_foreign_crl_does_not_count(tmp_path: Path, clock: FixedClock) -> None:
    ours = demo_pki(tmp_path / "ours", AGENCIES[:1], clock=clock)
    other = demo_pki(tmp_path / "other", AGENCIES[:1], clock=clock)
    mixed = type(ours.trust_store)(
        roots=ours.trust_store.roots,
        intermediates=ours.trust_store.intermediates,
        crls=other.trust_store.crls,
    )
    # Same subject names, different keys: the other CA's CRL is not ours.
    assert check_revocation(ours.tsa.certificate, mixed).status is RevocationStatus.UNKNOWN


def test_chain_from_another_root_is_not_trusted(tmp_path: Path, clock: FixedClock) -> None:
    ours = demo_pki(tmp_path / "ours", AGENCIES[:1], clock=clock)
    other = demo_pki(tmp_path / "other", AGENCIES[:1], clock=clock)
    report = verify_certificate(
        other.signer("000.00.00.H41").certificate,
        ours.trust_store,
        at=T0,
        intermediates=other.signer("000.00.00.H41").chain,
    )
    assert not report.trusted
    assert not report.ok
    assert report.problems
    assert report.agency_id == "000.00.00.H41"
    expired = verify_certificate(
        ours.signer("000.00.00.H41").certificate, ours.trust_store, at=T0 + timedelta(days=4 * 365)
    )
    assert not expired.trusted


def test_issue_more_and_reissue_after_revocation(tmp_path: Path, clock: FixedClock) -> None:
    pki = demo_pki(tmp_path, AGENCIES[:1], clock=clock)
    local = LocalPki(pki.pki_dir, TEST_PASSPHRASE, clock=clock, kdf_rounds=1000)
    person = local.issue_signer("000.00.00.H41", "Hoàng Văn Em", "Phó Chánh Văn phòng")
    assert person.name == "signer-000.00.00.h41-hoang-van-em"
    assert person.agency_id == "000.00.00.H41"
    with pytest.raises(Conflict):
        local.issue_signer("000.00.00.H41", "Hoàng Văn Em")
    with pytest.raises(PkiError) as info:
        local.issue_signer("000.00.00.H99", "Ai Đó")
    assert info.value.code == "pki.agency_unknown"
    with pytest.raises(PkiError):
        local.issue_agency("bad id!", "X")
    local.revoke(person.name, "superseded")
    again = local.issue_signer("000.00.00.H41", "Hoàng Văn Em")
    assert again.name == "signer-000.00.00.h41-hoang-van-em-2"
    kinds = [e.kind for e in local.entries()]
    assert kinds.count(CertificateKind.SIGNER) == 3
    with pytest.raises(Conflict):
        local.create()


def test_trust_dir_of_government_roots(tmp_path: Path, clock: FixedClock) -> None:
    pki = demo_pki(tmp_path, AGENCIES[:1], clock=clock)
    trust_dir = tmp_path / "trust"
    trust_dir.mkdir()
    (trust_dir / "root.der").write_bytes(pki.root.certificate.public_bytes(Encoding.DER))
    (trust_dir / "sub.pem").write_bytes(pki.issuing_ca.certificate.public_bytes(Encoding.PEM))
    (trust_dir / "issuing.crl").write_bytes(pki.crl.public_bytes(Encoding.DER))
    (trust_dir / "README.txt").write_text("ignored")
    store = load_trust_dir(trust_dir)
    assert store.roots == (pki.root.certificate,)
    assert store.intermediates == (pki.issuing_ca.certificate,)
    assert len(store.crls) == 1
    assert verify_certificate(pki.agency("000.00.00.H41").certificate, store, at=T0).ok
    (trust_dir / "bad.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"
    )
    with pytest.raises(PkiError):
        load_trust_dir(trust_dir)
    with pytest.raises(ConfigError):
        load_trust_dir(tmp_path / "missing")
