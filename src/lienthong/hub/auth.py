"""Request signing between systems and the hub (HMAC-SHA256), and admin tokens.

Pure functions, no web framework: the client signs with :func:`sign_headers`, the hub
checks with :func:`verify_request`, and the same pair signs and checks the hub's webhook
calls (:func:`sign_webhook`, :func:`verify_webhook`). See ``docs/hub-api.md``.

The signed text (:func:`canonical_request`) is the UTF-8 of six lines joined by ``\\n``::

    METHOD
    /canonical/path
    canonical=query&sorted=pairs
    1700000000
    nonce
    hex sha-256 of the body

Both sides canonicalise the path and query from whatever form they hold (decoded or
raw, ``+`` or ``%20`` for spaces, any pair order), so client and server always agree:

* path: percent-decoded to bytes, then re-encoded keeping only RFC 3986 unreserved
  characters and ``/``;
* query: split on ``&`` (empty parts dropped), each part on its first ``=`` (a part
  without one has an empty value), ``+`` read as a space, percent-decoded to bytes,
  re-encoded like the path but with ``/`` encoded too, then the pairs sorted by key and
  then value (comparing the encoded forms) and joined with ``&``.

The HMAC key is the secret's bytes (the ASCII text the operator was shown, for system
secrets).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote_to_bytes, urlsplit

from lienthong.clock import Clock
from lienthong.errors import AuthError

HEADER_SYSTEM = "X-Lienthong-System"
HEADER_TIMESTAMP = "X-Lienthong-Timestamp"
HEADER_NONCE = "X-Lienthong-Nonce"
HEADER_CONTENT_SHA256 = "X-Lienthong-Content-SHA256"
HEADER_AUTHORIZATION = "Authorization"
SCHEME = "LIENTHONG-HMAC-SHA256"
#: How far (seconds) a request's timestamp may be from the verifier's clock.
DEFAULT_WINDOW_S = 300
#: SHA-256 of the empty body.
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

_NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")
_SYSTEM_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HEX64_RE = re.compile(r"[0-9a-fA-F]{64}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_AUTH_RE = re.compile(rf"{SCHEME}\s+Signature=([0-9a-fA-F]{{64}})", re.IGNORECASE)
_REQUIRED = (
    HEADER_SYSTEM,
    HEADER_TIMESTAMP,
    HEADER_NONCE,
    HEADER_CONTENT_SHA256,
    HEADER_AUTHORIZATION,
)

QueryValue = str | int
#: A query as a mapping: a value, a list of values (repeated key), or ``None`` (omitted).
QueryMapping = Mapping[str, QueryValue | Sequence[QueryValue] | None]


# -- canonical form ------------------------------------------------------------------------


def canonical_path(path: str) -> str:
    """The path in its canonical percent-encoding (decoded or raw input give the same)."""
    return quote(unquote_to_bytes(path), safe="/")


def _encode_component(value: str | bytes) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return quote(raw, safe="")


def _value_text(value: QueryValue) -> str:
    if isinstance(value, bool):  # bool is an int: spell it the way FastAPI parses it
        return "true" if value else "false"
    return str(value)


def query_pairs(query: str | QueryMapping) -> list[tuple[str, str]]:
    """The query's (key, value) pairs, each canonically percent-encoded, sorted."""
    pairs: list[tuple[str, str]] = []
    if isinstance(query, str):
        for part in query.removeprefix("?").split("&"):
            if not part:
                continue
            key, _, value = part.partition("=")
            pairs.append(
                (
                    _encode_component(unquote_to_bytes(key.replace("+", " "))),
                    _encode_component(unquote_to_bytes(value.replace("+", " "))),
                )
            )
    else:
        for key, item in query.items():
            if item is None:
                continue
            values = [item] if isinstance(item, str | int) else list(item)
            pairs.extend(
                (_encode_component(key), _encode_component(_value_text(v))) for v in values
            )
    pairs.sort()
    return pairs


def canonical_query(query: str | QueryMapping) -> str:
    """The canonical query string (see the module docstring)."""
    return "&".join(f"{key}={value}" for key, value in query_pairs(query))


def encode_query(query: QueryMapping) -> str:
    """A query string to send, already canonical (so what is signed is what is sent)."""
    return canonical_query(query)


def canonical_request(  # noqa: PLR0917 - the six lines it signs, in their order
    method: str,
    path: str,
    query: str | QueryMapping,
    timestamp: int,
    nonce: str,
    body_sha256: str,
) -> bytes:
    """The bytes the HMAC covers."""
    lines = (
        method.upper(),
        canonical_path(path),
        canonical_query(query),
        str(int(timestamp)),
        nonce,
        body_sha256.lower(),
    )
    return "\n".join(lines).encode("utf-8")


def _signature(secret: bytes, canonical: bytes) -> str:
    return hmac.new(secret, canonical, hashlib.sha256).hexdigest()


# -- signing ------------------------------------------------------------------------------


def new_nonce() -> str:
    """A fresh nonce: 32 characters of ``[A-Za-z0-9_-]`` (192 random bits)."""
    return secrets.token_urlsafe(24)


def sign_headers(  # noqa: PLR0917 - mirrors canonical_request's order
    system_id: str,
    secret: bytes,
    method: str,
    path: str,
    query: str | QueryMapping,
    body: bytes,
    *,
    clock: Clock,
    nonce: str | None = None,
) -> dict[str, str]:
    """The five authentication headers of a request (a new nonce unless one is given)."""
    timestamp = int(clock.now().timestamp())
    nonce = nonce if nonce is not None else new_nonce()
    body_sha256 = hashlib.sha256(body).hexdigest()
    canonical = canonical_request(method, path, query, timestamp, nonce, body_sha256)
    return {
        HEADER_SYSTEM: system_id,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_NONCE: nonce,
        HEADER_CONTENT_SHA256: body_sha256,
        HEADER_AUTHORIZATION: f"{SCHEME} Signature={_signature(secret, canonical)}",
    }


# -- verifying ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthenticatedSystem:
    """Who signed a request that verified, and with what."""

    system_id: str
    timestamp: int
    nonce: str
    #: The body hash the request declared (and signed).
    body_sha256: str
    #: True when the previous secret (rotation grace period) matched, not the current one.
    used_previous_secret: bool

    def check_body(self, actual_sha256: str) -> None:
        """Raise ``auth.body_hash`` unless the body read matches the declared hash.

        For a verifier that checked the signature before reading a large body
        (``verify_request(..., body_sha256=None)``).
        """
        if not hmac.compare_digest(actual_sha256.lower().encode(), self.body_sha256.encode()):
            raise AuthError(
                "the body does not match X-Lienthong-Content-SHA256", code="auth.body_hash"
            )


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def check_headers(headers: Mapping[str, str]) -> None:
    """Refuse (``auth.missing``/``auth.malformed``) a request that does not even carry a
    well-formed signature: the check that needs no secret, no clock and no database."""
    _parsed_headers(headers)


def _parsed_headers(headers: Mapping[str, str]) -> tuple[str, int, str, str, str]:
    found = _lower_keys(headers)
    for name in _REQUIRED:
        if not found.get(name.lower(), "").strip():
            raise AuthError(f"missing header {name}", code="auth.missing", header=name)
    system_id = found[HEADER_SYSTEM.lower()].strip()
    timestamp = found[HEADER_TIMESTAMP.lower()].strip()
    nonce = found[HEADER_NONCE.lower()].strip()
    body_sha256 = found[HEADER_CONTENT_SHA256.lower()].strip()
    authorization = found[HEADER_AUTHORIZATION.lower()].strip()
    checks = (
        (HEADER_SYSTEM, _SYSTEM_RE, system_id),
        (HEADER_TIMESTAMP, _TIMESTAMP_RE, timestamp),
        (HEADER_NONCE, _NONCE_RE, nonce),
        (HEADER_CONTENT_SHA256, _HEX64_RE, body_sha256),
    )
    for name, pattern, value in checks:
        if not pattern.fullmatch(value):
            raise AuthError(f"header {name} is malformed", code="auth.malformed", header=name)
    match = _AUTH_RE.fullmatch(authorization)
    if match is None:
        raise AuthError(
            f"Authorization must be '{SCHEME} Signature=<64 hex digits>'",
            code="auth.malformed",
            header=HEADER_AUTHORIZATION,
        )
    return system_id, int(timestamp), nonce, body_sha256.lower(), match.group(1).lower()


def verify_request(
    headers: Mapping[str, str],
    method: str,
    path: str,
    query: str | QueryMapping,
    body_sha256: str | None,
    *,
    lookup_secrets: Callable[[str], Sequence[bytes]],
    nonce_seen: Callable[[str, str, int], bool],
    clock: Clock,
    window_s: int = DEFAULT_WINDOW_S,
) -> AuthenticatedSystem:
    """Check a signed request; raise :class:`AuthError` (``auth.*``) if it does not verify.

    ``lookup_secrets(system_id)`` gives the system's current secret first, then the
    previous one during a rotation's grace period; empty means unknown system (it may
    also raise its own ``AuthError``, e.g. ``auth.system_locked``). ``nonce_seen`` records
    the nonce and says whether it was already seen within the window; it is called only
    once the signature verified, so forged requests cannot fill the nonce store.
    ``body_sha256`` is the hash of the body received; ``None`` defers that check to
    :meth:`AuthenticatedSystem.check_body` (for a body streamed after authentication).

    Checks run in this order: headers present and well formed, timestamp within
    ``window_s`` of ``clock`` (either side), system known, body hash, signature, nonce.
    """
    system_id, timestamp, nonce, declared_sha256, signature = _parsed_headers(headers)
    now = int(clock.now().timestamp())
    if abs(now - timestamp) > window_s:
        raise AuthError(
            f"the request's timestamp is more than {window_s} s from the hub's clock",
            code="auth.expired",
            skew_s=timestamp - now,
        )
    candidates = list(lookup_secrets(system_id))
    if not candidates:
        raise AuthError(f"unknown system {system_id!r}", code="auth.unknown_system")
    if body_sha256 is not None and not hmac.compare_digest(
        body_sha256.lower().encode(), declared_sha256.encode()
    ):
        raise AuthError("the body does not match X-Lienthong-Content-SHA256", code="auth.body_hash")
    canonical = canonical_request(method, path, query, timestamp, nonce, declared_sha256)
    matched: int | None = None
    for index, secret in enumerate(candidates):
        # Every candidate is tried (no early exit), so timing does not tell which matched.
        if hmac.compare_digest(_signature(secret, canonical), signature) and matched is None:
            matched = index
    if matched is None:
        raise AuthError("the request's signature does not verify", code="auth.signature")
    if nonce_seen(system_id, nonce, timestamp):
        raise replay_error()
    return AuthenticatedSystem(
        system_id=system_id,
        timestamp=timestamp,
        nonce=nonce,
        body_sha256=declared_sha256,
        used_previous_secret=matched > 0,
    )


def replay_error() -> AuthError:
    """``auth.replay``: the request's nonce was used before."""
    return AuthError("this nonce was already used (replayed request)", code="auth.replay")


# -- webhooks -----------------------------------------------------------------------------


def split_url(url: str) -> tuple[str, str]:
    """The (path, query) of an absolute URL, as signed."""
    parts = urlsplit(url)
    return parts.path or "/", parts.query


def sign_webhook(
    system_id: str, secret: bytes, url: str, body: bytes, *, clock: Clock
) -> dict[str, str]:
    """The headers of the hub's ``POST`` to a system's webhook ``url`` (signed with that
    system's secret, ``X-Lienthong-System`` naming the system itself)."""
    path, query = split_url(url)
    return sign_headers(system_id, secret, "POST", path, query, body, clock=clock)


def verify_webhook(
    headers: Mapping[str, str],
    url: str,
    body: bytes,
    *,
    system_id: str,
    system_secrets: Sequence[bytes],
    nonce_seen: Callable[[str, str, int], bool],
    clock: Clock,
    window_s: int = DEFAULT_WINDOW_S,
) -> AuthenticatedSystem:
    """Check a webhook call on the system's side.

    ``url`` is the webhook URL as registered at the hub (not the path a reverse proxy
    forwarded), ``system_secrets`` the system's current (and previous) secret.
    """
    path, query = split_url(url)

    def lookup(claimed: str) -> Sequence[bytes]:
        return system_secrets if claimed == system_id else ()

    return verify_request(
        headers,
        "POST",
        path,
        query,
        hashlib.sha256(body).hexdigest(),
        lookup_secrets=lookup,
        nonce_seen=nonce_seen,
        clock=clock,
        window_s=window_s,
    )


# -- admin tokens -------------------------------------------------------------------------

ADMIN_TOKEN_PREFIX = "lta_"  # noqa: S105 - a public marker, not a secret


def new_admin_token() -> str:
    """A new operator token (shown once; only its hash is stored)."""
    # The prefix lets secret scanners and humans recognise a leaked token.
    return ADMIN_TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_admin_token(token: str) -> str:
    """The stored form of an admin token: hex SHA-256.

    A plain hash suffices (no salt, no slow KDF): the tokens carry 256 random bits, so
    neither dictionaries nor brute force apply, and a fast hash lets the hub look a token
    up by its hash on every request.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_admin_token(token: str, stored_hash: str) -> bool:
    """Whether ``token`` is the one ``stored_hash`` was made from (constant time)."""
    return hmac.compare_digest(
        hash_admin_token(token).encode("ascii"), stored_hash.lower().encode("utf-8")
    )


def bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; ``auth.missing`` or
    ``auth.malformed`` otherwise."""
    if authorization is None or not authorization.strip():
        raise AuthError("missing Authorization header", code="auth.missing")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise AuthError("Authorization must be 'Bearer <token>'", code="auth.malformed")
    return token
