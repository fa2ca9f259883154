"""Where the office gets its signers: the competent person's key and the agency's seal key.

The outgoing workflow signs twice (PAdES, :class:`lienthong.pdfsign.signer.PdfSigner`):
the competent person with their personal certificate, then the clerk with the agency's
organisation certificate. :class:`SigningKeys` is the seam: the office asks it for a
ready :class:`PdfSigner` by the user's ``signing_key`` name or the agency's code.

- :class:`PkiDirKeys` loads identities from a pki directory (the local demo CA, or a
  directory of production keys with the same layout) with its passphrase;
- :class:`StaticKeys` serves identities already loaded (tests, or keys from PKCS#12 files
  loaded by the caller with :func:`lienthong.pki.identity.load_pkcs12_identity`).

A hardware token (the usual production case) is another implementation of the protocol.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from lienthong.clock import Clock
from lienthong.errors import ConfigError, NotFound, SignatureError
from lienthong.pdfsign.signer import Level, PdfSigner
from lienthong.pki.identity import load_identity
from lienthong.pki.model import SigningIdentity, TrustStore


@runtime_checkable
class SigningKeys(Protocol):
    """Signers for people and agencies."""

    def person(self, signing_key: str) -> PdfSigner:
        """The signer of a person's key (the user's ``signing_key``)."""
        ...

    def agency(self, agency_code: str) -> PdfSigner:
        """The signer of an agency's organisation certificate (by its QCVN 102 / QĐ 20 id)."""
        ...


class _SignerCache:
    """Builds one :class:`PdfSigner` per identity and keeps it (keys load once)."""

    def __init__(
        self,
        *,
        clock: Clock | None,
        level: Level,
        tsa_url: str | None,
        trust: TrustStore | None,
    ) -> None:
        self._clock = clock
        self._level: Level = level
        self._tsa_url = tsa_url or None
        self._trust = trust
        self._signers: dict[str, PdfSigner] = {}
        self._lock = threading.Lock()

    def signer(self, key: str, load: SigningIdentity | None = None) -> PdfSigner | None:
        with self._lock:
            found = self._signers.get(key)
            if found is None and load is not None:
                found = PdfSigner(
                    load,
                    level=self._level,
                    tsa_url=self._tsa_url,
                    trust=self._trust,
                    clock=self._clock,
                )
                self._signers[key] = found
            return found


class StaticKeys:
    """Signers over identities given up front: ``people`` by signing-key name, ``agencies``
    by agency code."""

    def __init__(
        self,
        people: Mapping[str, SigningIdentity],
        agencies: Mapping[str, SigningIdentity],
        *,
        clock: Clock | None = None,
        level: Level = "B-B",
        tsa_url: str | None = None,
        trust: TrustStore | None = None,
    ) -> None:
        self._people = dict(people)
        self._agencies = {code.upper(): identity for code, identity in agencies.items()}
        self._cache = _SignerCache(clock=clock, level=level, tsa_url=tsa_url, trust=trust)

    def person(self, signing_key: str) -> PdfSigner:
        identity = self._people.get(signing_key)
        if identity is None:
            raise NotFound(f"no signing key {signing_key!r}", code="office.key_unknown")
        signer = self._cache.signer(f"person:{signing_key}", identity)
        assert signer is not None  # noqa: S101 - built just above
        return signer

    def agency(self, agency_code: str) -> PdfSigner:
        identity = self._agencies.get(agency_code.upper())
        if identity is None:
            raise NotFound(f"no seal key for agency {agency_code}", code="office.key_unknown")
        signer = self._cache.signer(f"agency:{agency_code.upper()}", identity)
        assert signer is not None  # noqa: S101 - built just above
        return signer


class PkiDirKeys:
    """Signers loaded from a pki directory: a person's ``signing_key`` is the entry name
    (``signer-…``), an agency's key the entry ``agency-<code>``."""

    def __init__(
        self,
        pki_dir: Path,
        passphrase: str,
        *,
        clock: Clock | None = None,
        level: Level = "B-B",
        tsa_url: str | None = None,
        trust: TrustStore | None = None,
    ) -> None:
        self._dir = pki_dir
        self._passphrase = passphrase
        self._cache = _SignerCache(clock=clock, level=level, tsa_url=tsa_url, trust=trust)

    def __repr__(self) -> str:  # never show the passphrase
        return f"PkiDirKeys({str(self._dir)!r})"

    def _load(self, cache_key: str, entry: str) -> PdfSigner:
        found = self._cache.signer(cache_key)
        if found is not None:
            return found
        try:
            identity = load_identity(self._dir, entry, self._passphrase)
        except NotFound:
            raise NotFound(f"no signing key {entry!r}", code="office.key_unknown") from None
        signer = self._cache.signer(cache_key, identity)
        if signer is None:  # pragma: no cover - built just above
            raise SignatureError(f"cannot load the key {entry!r}", code="office.key_unknown")
        return signer

    def person(self, signing_key: str) -> PdfSigner:
        return self._load(f"person:{signing_key}", signing_key)

    def agency(self, agency_code: str) -> PdfSigner:
        from lienthong.pki.ca import agency_entry_name

        return self._load(f"agency:{agency_code.upper()}", agency_entry_name(agency_code))


class UnconfiguredKeys:
    """The key source when none is configured: every signature is refused, clearly."""

    def _refuse(self) -> PdfSigner:
        raise ConfigError(
            "no signing keys are configured: set LIENTHONG_PKI_PASSPHRASE (and pki_dir)",
            code="office.keys_unconfigured",
        )

    def person(self, signing_key: str) -> PdfSigner:
        return self._refuse()

    def agency(self, agency_code: str) -> PdfSigner:
        return self._refuse()
