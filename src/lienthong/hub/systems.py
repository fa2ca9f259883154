"""Systems, their secrets and agencies, organisation certificates, admin tokens, and the
authentication of requests (HMAC for systems, bearer tokens for operators).

Secrets are generated here, shown once (:class:`IssuedSecret`) and stored sealed under the
hub's master key (:class:`lienthong.hub.secrets.SecretBox`, bound to the system id). A
rotation keeps the previous secret valid for a grace period.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from cryptography import x509

from lienthong.clock import Clock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import AuthError, NotFound, ValidationError
from lienthong.hub import auth
from lienthong.hub.audit import AuditLog
from lienthong.hub.audit_chain import fingerprint
from lienthong.hub.model import SystemState
from lienthong.hub.nonce_claims import NonceClaim, StaleCredentials
from lienthong.hub.records import AgencyCertificate, IssuedSecret, System
from lienthong.hub.repository_systems import Credentials
from lienthong.hub.secrets import SecretBox, new_system_secret
from lienthong.text import nfc

_SYSTEM_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
MAX_PEM = 64 * 1024
#: Systems whose credentials a hub process keeps in memory (the cache is emptied when
#: full: a directory has a few thousand systems at most).
MAX_CACHED_SYSTEMS = 4096
#: Refusals the cached copy of the credentials could be wrong about (a secret rotated, a
#: system registered or locked since it was cached), or that a lock must take precedence
#: over (a body hash is checked after the system): the database decides these.
_CREDENTIAL_ERRORS = frozenset(
    {"auth.signature", "auth.unknown_system", "auth.system_locked", "auth.body_hash"}
)
SignedRequest = tuple[Mapping[str, str], str, str, str]


@dataclass(frozen=True, slots=True)
class _Unsealed:
    """A system's credentials as stored, and its secrets unsealed."""

    credentials: Credentials
    secret: bytes
    previous: bytes | None

    def secrets(self, now: datetime) -> list[bytes]:
        """The secrets that sign now: the current one, and the previous one during its
        rotation's grace period."""
        expires = self.credentials.previous_expires_at
        if self.previous is not None and expires is not None and expires > now:
            return [self.secret, self.previous]
        return [self.secret]


@dataclass(frozen=True, slots=True)
class Admin:
    """An authenticated operator."""

    token_id: int
    name: str

    @property
    def actor(self) -> str:
        return f"admin:{self.token_id}"


@dataclass(frozen=True, slots=True)
class RotatedSecret:
    system_id: str
    secret: str
    previous_valid_until: datetime


class SystemService:
    """Operators' use cases on systems, certificates and tokens; request authentication."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        clock: Clock,
        box: Callable[[], SecretBox],
        audit: AuditLog,
        auth_window_s: int = auth.DEFAULT_WINDOW_S,
        rotation_grace_s: int = 86_400,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._box = box
        self._audit = audit
        self._window = auth_window_s
        self._grace = rotation_grace_s
        #: system id → credentials (PostgreSQL only, see :mod:`.nonce_claims`).
        self._cache: dict[str, _Unsealed] = {}
        #: Set once the database is found to be SQLite (no credentials are cached there).
        self._no_claims = False

    # -- systems --------------------------------------------------------------------------

    def register(
        self, system_id: str, name: str, agencies: Sequence[str], *, actor: str = "cli"
    ) -> IssuedSecret:
        """Register a system hosting ``agencies``; its secret is returned once."""
        system_id = _clean_system_id(system_id)
        clean_name = _clean_name(name)
        secret = new_system_secret()
        sealed = self._box().encrypt(secret, context=system_id)
        now = self._clock.now()
        with self._uow() as uow:
            uow.hub.take_write_lock()
            ids = _resolve(uow, agencies)
            uow.hub_systems.add(system_id, clean_name, sealed, now)
            uow.hub_systems.set_agencies(system_id, ids)
            data = {"name": clean_name, "agencies": list(agencies)}
            self._audit.append(uow, [("system.add", actor, system_id, data)], now)
            uow.commit()
        return IssuedSecret(system_id=system_id, secret=secret)

    def rotate(
        self, system_id: str, *, grace_s: int | None = None, actor: str = "cli"
    ) -> RotatedSecret:
        """Issue a new secret; the current one stays valid for ``grace_s`` seconds."""
        secret = new_system_secret()
        sealed = self._box().encrypt(secret, context=system_id)
        now = self._clock.now()
        until = now + timedelta(seconds=self._grace if grace_s is None else max(grace_s, 0))
        with self._uow() as uow:
            uow.hub.take_write_lock()
            row = uow.hub_systems.row(system_id)
            values = {"secret": sealed, "previous_secret": row.secret, "previous_expires_at": until}
            uow.hub_systems.update(system_id, values, now)
            entry = {"previous_valid_until": until.isoformat()}
            self._audit.append(uow, [("system.rotate", actor, system_id, entry)], now)
            uow.commit()
        self.forget(system_id)
        return RotatedSecret(system_id, secret, until)

    def set_agencies(
        self, system_id: str, agencies: Sequence[str], *, actor: str = "cli"
    ) -> System:
        """Replace the agencies a system hosts."""
        return self._change(
            system_id, actor, "system.agencies", {"agencies": list(agencies)}, agencies=agencies
        )

    def set_webhook(self, system_id: str, url: str | None, *, actor: str = "cli") -> System:
        """Set or (``None``) remove the system's webhook URL."""
        clean = _clean_url(url)
        return self._change(
            system_id, actor, "system.webhook", {"url": clean}, values={"webhook_url": clean}
        )

    def lock(self, system_id: str, *, actor: str = "cli") -> System:
        """Lock a system: its requests are refused (``auth.system_locked``)."""
        values = {"state": SystemState.LOCKED.value}
        return self._change(system_id, actor, "system.lock", {}, values=values)

    def unlock(self, system_id: str, *, actor: str = "cli") -> System:
        values = {"state": SystemState.ACTIVE.value}
        return self._change(system_id, actor, "system.unlock", {}, values=values)

    def _change(
        self,
        system_id: str,
        actor: str,
        action: str,
        data: dict[str, object],
        *,
        values: Mapping[str, object] | None = None,
        agencies: Sequence[str] | None = None,
    ) -> System:
        now = self._clock.now()
        with self._uow() as uow:
            uow.hub.take_write_lock()
            uow.hub_systems.row(system_id)
            if agencies is not None:
                uow.hub_systems.set_agencies(system_id, _resolve(uow, agencies))
            uow.hub_systems.update(system_id, dict(values or {}), now)
            self._audit.append(uow, [(action, actor, system_id, data)], now)
            system = uow.hub_systems.get(system_id)
            uow.commit()
        self.forget(system_id)  # other processes find out in their next claim
        return system

    def get(self, system_id: str) -> System:
        with self._uow() as uow:
            return uow.hub_systems.get(system_id)

    def all(self) -> list[System]:
        """Every system, by id."""
        with self._uow() as uow:
            return uow.hub_systems.all()

    # -- certificates ---------------------------------------------------------------------

    def add_certificate(self, agency: str, pem: str, *, actor: str = "cli") -> AgencyCertificate:
        """Allow an organisation certificate (PEM) to sign packages for ``agency``."""
        cert = _parse_pem(pem)
        now = self._clock.now()
        values = {
            "fingerprint": fingerprint(cert),
            "subject": cert.subject.rfc4514_string()[:2000],
            "not_before": cert.not_valid_before_utc,
            "not_after": cert.not_valid_after_utc,
            "pem": pem.strip(),
            "created_at": now,
        }
        with self._uow() as uow:
            uow.hub.take_write_lock()
            target = uow.agencies.lookup(agency)
            if target is None:
                raise NotFound(f"no agency {agency}", code="not_found.agency", agency=agency)
            if uow.hub_systems.add_certificate(target.id, values):
                data = {"agency": target.code, "fingerprint": values["fingerprint"]}
                self._audit.append(uow, [("certificate.add", actor, target.code, data)], now)
            uow.commit()
        return AgencyCertificate(
            target.code,
            str(values["fingerprint"]),
            cert.subject.rfc4514_string(),
            cert.not_valid_before_utc,
            cert.not_valid_after_utc,
        )

    def certificates(self, agency: str) -> list[AgencyCertificate]:
        with self._uow() as uow:
            target = uow.agencies.resolve(agency)
            return uow.hub_systems.certificates(target.id, target.code)

    # -- admin tokens ---------------------------------------------------------------------

    def create_admin_token(self, name: str, *, actor: str = "cli") -> str:
        """A new operator token (returned once; stored hashed)."""
        token = auth.new_admin_token()
        now = self._clock.now()
        with self._uow() as uow:
            uow.hub.take_write_lock()
            token_id = uow.hub_systems.add_token(
                auth.hash_admin_token(token), _clean_name(name), now
            )
            self._audit.append(uow, [("token.create", actor, str(token_id), {"name": name})], now)
            uow.commit()
        return token

    # -- authentication -------------------------------------------------------------------

    def authenticate_admin(self, authorization: str | None) -> Admin:
        """The operator an ``Authorization: Bearer`` header names; ``auth.*`` otherwise."""
        token = auth.bearer_token(authorization)
        with self._uow() as uow:
            row = uow.hub_systems.token(auth.hash_admin_token(token))
        if row is None:
            raise AuthError("unknown or revoked admin token", code="auth.token")
        return Admin(int(row.id), row.name)

    def authenticate_system(
        self,
        headers: Mapping[str, str],
        method: str,
        path: str,
        query: str,
        body_sha256: str | None,
    ) -> auth.AuthenticatedSystem:
        """Verify a system's signed request (records its nonce); ``auth.*`` otherwise."""
        with self._uow() as uow:
            # Two single statements (read the secrets; record the nonce, durably): no
            # transaction around them is needed, and none saves two round trips.
            uow.autocommit()
            # It reads the system, then writes the nonce: on SQLite, take the write lock
            # first, or a concurrent commit makes the read snapshot stale ("database is
            # locked" at once, not after the busy timeout).
            uow.hub.take_write_lock()

            def lookup(system_id: str) -> Sequence[bytes]:
                return self._secrets(uow, system_id)

            def seen(system_id: str, nonce: str, timestamp: int) -> bool:
                expires = self._nonce_expiry(timestamp)
                return uow.hub_systems.record_nonce(system_id, nonce, expires)

            result = self._verify((headers, method, path, query), body_sha256, lookup, seen)
            uow.commit()
        return result

    def _verify(
        self,
        request: SignedRequest,
        body_sha256: str | None,
        lookup: Callable[[str], Sequence[bytes]],
        seen: Callable[[str, str, int], bool],
    ) -> auth.AuthenticatedSystem:
        headers, method, path, query = request
        return auth.verify_request(
            headers,
            method,
            path,
            query,
            body_sha256,
            lookup_secrets=lookup,
            nonce_seen=seen,
            clock=self._clock,
            window_s=self._window,
        )

    # -- authentication with the nonce recorded in the work's transaction ------------------

    def authenticate_cached(
        self, request: SignedRequest, body_sha256: str | None
    ) -> tuple[auth.AuthenticatedSystem, NonceClaim] | None:
        """Check a signed request against the system's cached credentials, without the
        database (so on the event loop too); the nonce is left for the work's
        transaction to record (:class:`NonceClaim`). ``None`` when the cache cannot
        tell: the system is not cached (nor anything on SQLite), or the signature does
        not verify with the cached secrets — :meth:`authenticate_deferred` decides then.
        Errors that do not depend on the credentials (``auth.missing``, ``auth.malformed``,
        ``auth.expired``, ``auth.body_hash``) are raised at once."""
        if not self._cache:
            return None
        seen: list[_Unsealed] = []

        def lookup(system_id: str) -> Sequence[bytes]:
            found = self._cache.get(system_id)
            if found is None:
                return []
            seen.append(found)
            return found.secrets(self._clock.now())

        try:
            verified = self._verify(
                request,
                body_sha256,
                lookup,
                lambda _system, _nonce, _timestamp: False,  # claimed by the work
            )
        except AuthError as exc:
            if exc.code in _CREDENTIAL_ERRORS:
                return None
            raise
        claim = NonceClaim(
            verified.system_id,
            verified.nonce,
            self._nonce_expiry(verified.timestamp),
            seen[0].credentials,
        )
        return verified, claim

    def authenticate_deferred(
        self, request: SignedRequest, body_sha256: str | None
    ) -> tuple[auth.AuthenticatedSystem, NonceClaim | None]:
        """:meth:`authenticate_cached`; when that cannot tell, the system's credentials
        are read (and cached, on PostgreSQL) and the request checked again; failing that,
        the full check of :meth:`authenticate_system`, which records the nonce at once
        (no claim then) or raises the ``auth.*`` error."""
        found = self.authenticate_cached(request, body_sha256)
        if found is not None:
            return found
        system_id = request[0].get(auth.HEADER_SYSTEM.lower(), "").strip()
        if system_id and self._load(system_id):
            found = self.authenticate_cached(request, body_sha256)
            if found is not None:
                return found
        headers, method, path, query = request
        return self.authenticate_system(headers, method, path, query, body_sha256), None

    def settle(self, claim: NonceClaim, reauthenticate: Callable[[], object]) -> None:
        """Record the nonce of a claim its work did not make durable (the work failed
        before claiming it, or rolled back, or only read): ``auth.replay`` if it was used
        before. If the credentials changed meanwhile, the request is authenticated
        afresh (``reauthenticate``: its ``auth.*`` error, or the nonce recorded)."""
        if claim.durable:
            return
        try:
            with self._uow() as uow:
                uow.autocommit()
                uow.claim_nonce(claim)  # auth.replay
                uow.commit()
        except StaleCredentials:
            self.forget(claim.system_id)
            reauthenticate()
        claim.durable = True

    def forget(self, system_id: str) -> None:
        """Drop a system's cached credentials (they changed, or may have)."""
        self._cache.pop(system_id, None)

    def _load(self, system_id: str) -> bool:
        """Cache an active system's credentials (PostgreSQL); whether it was."""
        if self._no_claims:
            return False
        with self._uow() as uow:
            if uow.hub.dialect != "postgresql":
                self._no_claims = True  # SQLite: nothing is cached, ever
                return False
            uow.autocommit()
            credentials = uow.hub_systems.credentials(system_id)
        if credentials is None or credentials.state != SystemState.ACTIVE.value:
            return False
        if len(self._cache) >= MAX_CACHED_SYSTEMS:
            self._cache.clear()
        self._cache[system_id] = self._unseal(system_id, credentials)
        return True

    def _unseal(self, system_id: str, credentials: Credentials) -> _Unsealed:
        box = self._box()
        previous = None
        if credentials.previous_secret is not None:
            previous = box.decrypt(credentials.previous_secret, context=system_id)
        return _Unsealed(credentials, box.decrypt(credentials.secret, context=system_id), previous)

    def _nonce_expiry(self, timestamp: int) -> datetime:
        # Accepted while the clock's whole seconds are within the window, so up to (not
        # including) timestamp + window + 1: kept until then at least.
        return datetime.fromtimestamp(timestamp + self._window + 1, UTC)

    def system_secret(self, system_id: str) -> bytes:
        """The system's current secret in clear (to sign webhook calls)."""
        with self._uow() as uow:
            row = uow.hub_systems.row(system_id)
        return self._box().decrypt(row.secret, context=system_id)

    def _secrets(self, uow: UnitOfWork, system_id: str) -> list[bytes]:
        row = uow.hub_systems.credentials(system_id)
        if row is None:
            return []
        if row.state != SystemState.ACTIVE.value:
            raise AuthError(f"system {system_id} is locked", code="auth.system_locked")
        return self._unseal(system_id, row).secrets(self._clock.now())

    def purge_nonces(self) -> int:
        """Forget nonces whose window has passed."""
        with self._uow() as uow:
            count = uow.hub_systems.purge_nonces(self._clock.now())
            uow.commit()
        return count


def _resolve(uow: UnitOfWork, agencies: Sequence[str]) -> list[int]:
    found = uow.hub.resolve_agencies(agencies)
    ids: list[int] = []
    for code in agencies:
        agency = found.get(code.strip().upper())
        if agency is None:
            raise NotFound(f"no agency {code}", code="not_found.agency", agency=code)
        ids.append(agency.agency_id)
    return ids


def _clean_system_id(value: str) -> str:
    value = value.strip()
    if not _SYSTEM_ID.fullmatch(value):
        raise ValidationError(
            "a system id is 1–128 characters of A-Z, a-z, 0-9 and . _ : -",
            code="validation.system_id",
            field="system_id",
        )
    return value


def _clean_name(value: str) -> str:
    text = " ".join(nfc(value).split())
    if not text or len(text) > 500:
        raise ValidationError("a name of 1–500 characters is needed", code="validation.name")
    return text


def _clean_url(url: str | None) -> str | None:
    if url is None or not url.strip():
        return None
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > 2000:
        raise ValidationError(
            "a webhook URL is an absolute http(s) URL", code="validation.webhook_url"
        )
    return url.strip()


def _parse_pem(pem: str) -> x509.Certificate:
    if len(pem) > MAX_PEM:
        raise ValidationError("the certificate is too large", code="validation.certificate")
    try:
        return x509.load_pem_x509_certificate(pem.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise ValidationError(
            "not a PEM X.509 certificate", code="validation.certificate"
        ) from None
