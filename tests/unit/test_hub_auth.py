"""Request signing between systems and the hub: canonical form, sign → verify, each
failure code, rotation, webhooks, admin tokens."""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.clock import FixedClock
from lienthong.errors import AuthError
from lienthong.hub.auth import (
    EMPTY_SHA256,
    HEADER_AUTHORIZATION,
    HEADER_CONTENT_SHA256,
    HEADER_NONCE,
    HEADER_SYSTEM,
    HEADER_TIMESTAMP,
    AuthenticatedSystem,
    bearer_token,
    canonical_path,
    canonical_query,
    canonical_request,
    check_admin_token,
    encode_query,
    hash_admin_token,
    new_admin_token,
    sign_headers,
    sign_webhook,
    verify_request,
    verify_webhook,
)

T0 = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)
SECRET = b"current-secret-of-sys-a"
PREVIOUS = b"previous-secret-of-sys-a"
PATH = "/api/v1/inbox/receive"
QUERY = "agency=000.00.00.G22&max=10&wait=20"
BODY = b"<edXMLEnvelope/>"


class NonceStore:
    """What a hub keeps: nonces seen per system."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, system_id: str, nonce: str, timestamp: int) -> bool:
        key = (system_id, nonce)
        if key in self.seen:
            return True
        self.seen.add(key)
        return False


def secrets_of(table: dict[str, Sequence[bytes]]) -> Callable[[str], Sequence[bytes]]:
    return lambda system_id: table.get(system_id, ())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


def signed(
    clock: FixedClock, *, secret: bytes = SECRET, nonce: str | None = None
) -> dict[str, str]:
    return sign_headers("sys-a", secret, "POST", PATH, QUERY, BODY, clock=clock, nonce=nonce)


def verify(
    headers: dict[str, str],
    clock: FixedClock,
    *,
    method: str = "POST",
    path: str = PATH,
    query: str = QUERY,
    body: bytes = BODY,
    table: dict[str, Sequence[bytes]] | None = None,
    nonces: NonceStore | None = None,
) -> AuthenticatedSystem:
    return verify_request(
        headers,
        method,
        path,
        query,
        hashlib.sha256(body).hexdigest(),
        lookup_secrets=secrets_of(table if table is not None else {"sys-a": [SECRET]}),
        nonce_seen=nonces if nonces is not None else NonceStore(),
        clock=clock,
    )


def code_of(excinfo: pytest.ExceptionInfo[AuthError]) -> str:
    return excinfo.value.code


# -- canonical form ------------------------------------------------------------------------


def test_canonical_request_is_the_six_lines() -> None:
    canonical = canonical_request(
        "post", "/api/v1/packages", "b=2&a=1", 1714532400, "n" * 16, EMPTY_SHA256
    )

    assert (
        canonical
        == (f"POST\n/api/v1/packages\na=1&b=2\n1714532400\n{'n' * 16}\n{EMPTY_SHA256}").encode()
    )


def test_headers_carry_the_documented_names_and_an_hmac_of_the_canonical_form(
    clock: FixedClock,
) -> None:
    headers = signed(clock, nonce="abcdefghijklmnop")

    assert headers[HEADER_SYSTEM] == "sys-a"
    assert headers[HEADER_TIMESTAMP] == str(int(T0.timestamp()))
    assert headers[HEADER_NONCE] == "abcdefghijklmnop"
    assert headers[HEADER_CONTENT_SHA256] == hashlib.sha256(BODY).hexdigest()
    canonical = canonical_request(
        "POST",
        PATH,
        QUERY,
        int(T0.timestamp()),
        "abcdefghijklmnop",
        hashlib.sha256(BODY).hexdigest(),
    )
    expected = hmac.new(SECRET, canonical, hashlib.sha256).hexdigest()
    assert headers[HEADER_AUTHORIZATION] == f"LIENTHONG-HMAC-SHA256 Signature={expected}"


def test_generated_nonces_are_valid_and_fresh(clock: FixedClock) -> None:
    first, second = signed(clock)[HEADER_NONCE], signed(clock)[HEADER_NONCE]

    assert first != second
    assert 16 <= len(first) <= 64
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ""),
        ("?", ""),
        ("b=2&a=1", "a=1&b=2"),
        ("a=2&a=1&a=10", "a=1&a=10&a=2"),
        ("a=x+y", "a=x%20y"),
        ("a=x%20y", "a=x%20y"),
        ("a=%2B", "a=%2B"),
        ("flag&x=", "flag=&x="),
        ("a=&&b=1&", "a=&b=1"),
        ("q=c%C3%B4ng+v%C4%83n", "q=c%C3%B4ng%20v%C4%83n"),
        ("q=công văn", "q=c%C3%B4ng%20v%C4%83n"),
        ("p=a/b&r=~._-", "p=a%2Fb&r=~._-"),
        ("x=%zz", "x=%25zz"),
        ("k=a=b", "k=a%3Db"),
    ],
)
def test_canonical_query_of_tricky_strings(query: str, expected: str) -> None:
    assert canonical_query(query) == expected


def test_canonical_query_of_mappings() -> None:
    assert canonical_query({"b": "x y", "a": ["2", "1"], "c": None, "d": 5, "e": True}) == (
        "a=1&a=2&b=x%20y&d=5&e=true"
    )
    assert canonical_query({"since": ""}) == canonical_query("since=") == "since="
    assert canonical_query({"q": "Hỏa tốc"}) == canonical_query("q=H%E1%BB%8Fa+t%E1%BB%91c")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/deliveries/01HX/ack", "/api/v1/deliveries/01HX/ack"),
        ("/api/v1/agencies/000.00.00.G22", "/api/v1/agencies/000.00.00.G22"),
        ("/a b/ô", "/a%20b/%C3%B4"),
        ("/a%20b/%C3%B4", "/a%20b/%C3%B4"),
        ("/a%7eb", "/a~b"),
    ],
)
def test_canonical_path_is_the_same_decoded_or_raw(path: str, expected: str) -> None:
    assert canonical_path(path) == expected


_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
_values = st.one_of(_text, st.integers(-1000, 10**9), st.lists(_text, min_size=1, max_size=3))


@given(st.dictionaries(_text, _values, max_size=6))
def test_client_and_server_canonicalise_any_query_alike(
    params: dict[str, str | int | list[str]],
) -> None:
    client_side = canonical_query(params)

    # The server sees the raw query string: ours, or another client's encoding of it.
    assert canonical_query(encode_query(params)) == client_side
    assert canonical_query(urllib.parse.urlencode(params, doseq=True)) == client_side
    assert canonical_query(str(httpx.QueryParams(params))) == client_side
    quoted = urllib.parse.urlencode(params, doseq=True, quote_via=urllib.parse.quote)
    assert canonical_query(quoted) == client_side


@given(st.dictionaries(_text, _text, max_size=6))
def test_pair_order_does_not_matter(params: dict[str, str]) -> None:
    reversed_params = dict(reversed(list(params.items())))

    assert canonical_query(reversed_params) == canonical_query(params)


# -- sign → verify -------------------------------------------------------------------------


def test_a_signed_request_verifies(clock: FixedClock) -> None:
    headers = signed(clock, nonce="nonce-0123456789")

    result = verify(headers, clock)

    assert result == AuthenticatedSystem(
        system_id="sys-a",
        timestamp=int(T0.timestamp()),
        nonce="nonce-0123456789",
        body_sha256=hashlib.sha256(BODY).hexdigest(),
        used_previous_secret=False,
    )


def test_header_names_are_case_insensitive_and_query_form_is_free(clock: FixedClock) -> None:
    headers = {key.lower(): value for key, value in signed(clock).items()}

    result = verify(headers, clock, query="wait=20&max=10&agency=000.00.00.G22")

    assert result.system_id == "sys-a"


@pytest.mark.parametrize(
    "missing",
    [HEADER_SYSTEM, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_CONTENT_SHA256, HEADER_AUTHORIZATION],
)
def test_each_missing_header_is_auth_missing(clock: FixedClock, missing: str) -> None:
    headers = signed(clock)
    del headers[missing]

    with pytest.raises(AuthError) as excinfo:
        verify(headers, clock)
    assert code_of(excinfo) == "auth.missing"
    assert excinfo.value.details["header"] == missing


@pytest.mark.parametrize(
    ("header", "value"),
    [
        (HEADER_TIMESTAMP, "yesterday"),
        (HEADER_NONCE, "short"),
        (HEADER_NONCE, "has spaces in it!!"),
        (HEADER_CONTENT_SHA256, "abc"),
        (HEADER_AUTHORIZATION, "Bearer abc"),
        (HEADER_AUTHORIZATION, "LIENTHONG-HMAC-SHA256 Signature=xyz"),
        (HEADER_SYSTEM, "sys a"),
    ],
)
def test_malformed_headers(clock: FixedClock, header: str, value: str) -> None:
    headers = signed(clock)
    headers[header] = value

    with pytest.raises(AuthError) as excinfo:
        verify(headers, clock)
    assert code_of(excinfo) == "auth.malformed"


def test_tampered_body_is_auth_body_hash(clock: FixedClock) -> None:
    with pytest.raises(AuthError) as excinfo:
        verify(signed(clock), clock, body=BODY + b" ")
    assert code_of(excinfo) == "auth.body_hash"


def test_body_hash_may_be_checked_after_the_signature(clock: FixedClock) -> None:
    result = verify_request(
        signed(clock),
        "POST",
        PATH,
        QUERY,
        None,
        lookup_secrets=secrets_of({"sys-a": [SECRET]}),
        nonce_seen=NonceStore(),
        clock=clock,
    )

    result.check_body(hashlib.sha256(BODY).hexdigest())
    with pytest.raises(AuthError) as excinfo:
        result.check_body(hashlib.sha256(b"other").hexdigest())
    assert code_of(excinfo) == "auth.body_hash"


@pytest.mark.parametrize(
    "change",
    [
        {"method": "PUT"},
        {"path": "/api/v1/inbox"},
        {"path": "/api/v1/inbox/receive/"},
        {"query": "agency=000.00.00.G22&max=100&wait=20"},
        {"query": "agency=000.00.00.G22&max=10"},
        {"query": "agency=000.00.00.G22&max=10&wait=20&wait=20"},
    ],
)
def test_tampered_method_path_or_query_is_auth_signature(
    clock: FixedClock, change: dict[str, str]
) -> None:
    with pytest.raises(AuthError) as excinfo:
        verify(signed(clock), clock, **change)  # type: ignore[arg-type]
    assert code_of(excinfo) == "auth.signature"


def test_tampered_declared_hash_with_matching_body_is_auth_signature(clock: FixedClock) -> None:
    headers = signed(clock)
    headers[HEADER_CONTENT_SHA256] = hashlib.sha256(b"swapped").hexdigest()

    with pytest.raises(AuthError) as excinfo:
        verify(headers, clock, body=b"swapped")
    assert code_of(excinfo) == "auth.signature"


def test_wrong_secret_is_auth_signature(clock: FixedClock) -> None:
    with pytest.raises(AuthError) as excinfo:
        verify(signed(clock, secret=b"guessed"), clock)
    assert code_of(excinfo) == "auth.signature"


@pytest.mark.parametrize("offset_s", [-301, 301, -3600, 86_400])
def test_timestamp_outside_the_window_is_auth_expired(clock: FixedClock, offset_s: int) -> None:
    headers = signed(clock)
    clock.advance(timedelta(seconds=-offset_s))  # the request is offset_s away from "now"

    with pytest.raises(AuthError) as excinfo:
        verify(headers, clock)
    assert code_of(excinfo) == "auth.expired"
    assert excinfo.value.details["skew_s"] == offset_s


@pytest.mark.parametrize("offset_s", [-300, 300])
def test_timestamp_at_the_edge_of_the_window_is_accepted(clock: FixedClock, offset_s: int) -> None:
    headers = signed(clock)
    clock.advance(timedelta(seconds=-offset_s))

    assert verify(headers, clock).system_id == "sys-a"


def test_replayed_nonce_is_auth_replay(clock: FixedClock) -> None:
    nonces = NonceStore()
    headers = signed(clock)
    verify(headers, clock, nonces=nonces)

    with pytest.raises(AuthError) as excinfo:
        verify(headers, clock, nonces=nonces)
    assert code_of(excinfo) == "auth.replay"


def test_a_forged_request_does_not_record_its_nonce(clock: FixedClock) -> None:
    nonces = NonceStore()
    forged = signed(clock, secret=b"guessed", nonce="same-nonce-123456")
    with pytest.raises(AuthError):
        verify(forged, clock, nonces=nonces)

    genuine = signed(clock, nonce="same-nonce-123456")
    assert verify(genuine, clock, nonces=nonces).nonce == "same-nonce-123456"


def test_previous_secret_is_accepted_during_rotation(clock: FixedClock) -> None:
    table: dict[str, Sequence[bytes]] = {"sys-a": [SECRET, PREVIOUS]}

    old = verify(signed(clock, secret=PREVIOUS), clock, table=table)
    new = verify(signed(clock, secret=SECRET), clock, table=table)

    assert old.used_previous_secret is True
    assert new.used_previous_secret is False


def test_unknown_system(clock: FixedClock) -> None:
    with pytest.raises(AuthError) as excinfo:
        verify(signed(clock), clock, table={"sys-b": [SECRET]})
    assert code_of(excinfo) == "auth.unknown_system"


def test_lookup_may_refuse_a_locked_system(clock: FixedClock) -> None:
    def locked(system_id: str) -> Sequence[bytes]:
        raise AuthError("system sys-a is locked", code="auth.system_locked")

    with pytest.raises(AuthError) as excinfo:
        verify_request(
            signed(clock),
            "POST",
            PATH,
            QUERY,
            hashlib.sha256(BODY).hexdigest(),
            lookup_secrets=locked,
            nonce_seen=NonceStore(),
            clock=clock,
        )
    assert code_of(excinfo) == "auth.system_locked"


# -- webhooks ------------------------------------------------------------------------------


def test_webhook_signed_by_the_hub_verifies_on_the_system(clock: FixedClock) -> None:
    url = "https://office.example.vn/hooks/lienthong?tenant=h37"
    body = b'{"delivery_id": "01HX"}'
    headers = sign_webhook("sys-a", SECRET, url, body, clock=clock)

    result = verify_webhook(
        headers,
        url,
        body,
        system_id="sys-a",
        system_secrets=[SECRET],
        nonce_seen=NonceStore(),
        clock=clock,
    )

    assert result.system_id == "sys-a"
    with pytest.raises(AuthError) as excinfo:
        verify_webhook(
            headers,
            url,
            body + b" ",
            system_id="sys-a",
            system_secrets=[SECRET],
            nonce_seen=NonceStore(),
            clock=clock,
        )
    assert code_of(excinfo) == "auth.body_hash"
    with pytest.raises(AuthError) as excinfo:
        verify_webhook(
            headers,
            url,
            body,
            system_id="sys-b",
            system_secrets=[SECRET],
            nonce_seen=NonceStore(),
            clock=clock,
        )
    assert code_of(excinfo) == "auth.unknown_system"


# -- admin tokens --------------------------------------------------------------------------


def test_admin_tokens_are_random_and_checked_against_their_hash() -> None:
    token = new_admin_token()
    stored = hash_admin_token(token)

    assert token != new_admin_token()
    assert len(token) >= 40
    assert stored == hashlib.sha256(token.encode()).hexdigest()
    assert check_admin_token(token, stored)
    assert not check_admin_token(token + "x", stored)
    assert not check_admin_token(token, "é" * 64)


def test_bearer_token() -> None:
    assert bearer_token("Bearer lta_abc") == "lta_abc"
    assert bearer_token("bearer   lta_abc ") == "lta_abc"
    for value, code in [
        (None, "auth.missing"),
        ("", "auth.missing"),
        ("Basic x", "auth.malformed"),
        ("Bearer", "auth.malformed"),
    ]:
        with pytest.raises(AuthError) as excinfo:
            bearer_token(value)
        assert code_of(excinfo) == code
