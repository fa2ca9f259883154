"""Package signatures: algorithms, trust, revocation, the agency a certificate signs for."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from dsigkit import G22, H41, T0, make_package, to_bytes, tree
from lienthong.clock import FixedClock
from lienthong.edxml.model import DSIG_NS, NS
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.edxml.xmldsig_report import Verdict
from lienthong.errors import SignatureError
from lienthong.pki.ca import DemoPki
from lienthong.pki.model import SigningIdentity
from lienthong.pki.testing import demo_pki

# -- algorithms, trust, revocation, agency -----------------------------------------------


class _Sha1Signer(XMLSigner):
    """signxml refuses SHA-1 by default; the test makes a legacy package on purpose."""

    def check_deprecated_methods(self) -> None:
        return None


def _legacy_sha1_package(identity: SigningIdentity) -> bytes:
    root = tree(make_package())
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert header is not None
    etree.SubElement(
        header, f"{{{DSIG_NS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DSIG_NS}
    )
    signer = _Sha1Signer(
        signature_algorithm=SignatureMethod.ECDSA_SHA1,
        digest_algorithm=DigestAlgorithm.SHA1,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    out = signer.sign(root, key=identity.private_key, cert=[identity.certificate, *identity.chain])
    return to_bytes(out)


def test_sha1_is_accepted_but_flagged_weak(pki: DemoPki, clock: FixedClock) -> None:
    report = verify_package(_legacy_sha1_package(pki.agency(H41)), pki.trust_store, clock=clock)
    assert report.valid, report.reasons
    assert report.intact is True
    assert report.weak_algorithm is True
    assert (report.signature_algorithm, report.digest_algorithm) == ("ecdsa-sha1", "sha1")
    assert report.canonicalization == "c14n"
    assert report.has("signature.weak_algorithm")


def test_wrong_agency_is_a_mismatch(pki: DemoPki, clock: FixedClock) -> None:
    data = sign_package(make_package(sender=H41), pki.agency(G22))
    report = verify_package(data, pki.trust_store, clock=clock)
    assert report.intact is True
    assert report.trusted is True
    assert report.agency_matches is False
    assert (report.certificate_agency_id, report.from_organ_id) == (G22, H41)
    assert report.has("signature.agency_mismatch")
    assert report.verdict is Verdict.INVALID


def test_personal_certificate_of_the_agency_matches(pki: DemoPki, clock: FixedClock) -> None:
    report = verify_package(
        sign_package(make_package(), pki.signer(H41)), pki.trust_store, clock=clock
    )
    assert report.valid
    assert report.agency_matches is True


def test_system_certificate_needs_the_agencies_it_hosts(pki: DemoPki, clock: FixedClock) -> None:
    data = sign_package(make_package(sender=H41), pki.system)
    alone = verify_package(data, pki.trust_store, clock=clock)
    assert alone.certificate_agency_id is None
    assert alone.agency_matches is False
    assert not alone.valid
    hosted = verify_package(data, pki.trust_store, clock=clock, allowed_agencies={H41, G22})
    assert hosted.valid
    assert hosted.agency_matches is True
    assert hosted.has("signature.signed_for_hosted_agency")
    other = verify_package(data, pki.trust_store, clock=clock, allowed_agencies={G22})
    assert other.agency_matches is False

    def lookup(cert: x509.Certificate) -> set[str]:
        return {H41} if cert == pki.system.certificate else set()

    assert verify_package(data, pki.trust_store, clock=clock, allowed_agencies=lookup).valid


def test_untrusted_root_is_reported(
    pki: DemoPki, signed: bytes, clock: FixedClock, tmp_path: Path
) -> None:
    stranger = demo_pki(tmp_path, clock=FixedClock(T0))
    report = verify_package(signed, stranger.trust_store, clock=clock)
    assert report.intact is True
    assert report.trusted is False
    assert report.has("signature.untrusted")
    assert report.chain == []
    assert not report.valid


def test_revoked_certificate_is_reported(tmp_path: Path) -> None:
    own = demo_pki(tmp_path, clock=FixedClock(T0))
    data = sign_package(make_package(), own.agency(H41))
    own.local.clock = FixedClock(T0 + timedelta(hours=1))
    own.local.revoke(own.agency(H41).name, reason="key-compromise")
    later = FixedClock(T0 + timedelta(days=1))
    report = verify_package(data, own.refreshed_trust_store(), clock=later)
    assert report.intact is True
    assert report.trusted is True
    assert report.revoked is True
    assert report.has("signature.revoked")
    assert not report.valid
    assert verify_package(data, own.trust_store, clock=later).revoked is False


def test_missing_crl_is_a_warning_not_a_failure(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    from dataclasses import replace

    report = verify_package(signed, replace(pki.trust_store, crls=()), clock=clock)
    assert report.valid
    assert report.revoked is None
    assert report.has("signature.revocation_unknown")


def test_expired_certificate_is_trusted_but_invalid(pki: DemoPki, signed: bytes) -> None:
    after = FixedClock(pki.agency(H41).certificate.not_valid_after_utc + timedelta(days=1))
    report = verify_package(signed, pki.trust_store, clock=after)
    assert report.intact is True
    assert report.trusted is True
    assert report.time_valid is False
    assert report.has("signature.certificate_expired")
    assert not report.valid


def test_empty_trust_store_cannot_evaluate(pki: DemoPki, signed: bytes, clock: FixedClock) -> None:
    from lienthong.pki.model import TrustStore

    with pytest.raises(SignatureError) as err:
        verify_package(signed, TrustStore(roots=()), clock=clock)
    assert err.value.code == "signature.trust_store"
