"""The HTTP core of the hub clients: one request with retries, and error translation.

Retries, with exponential backoff and jitter, happen on:

* a connection that could not be made (the request was never sent): always;
* ``503`` (the hub did not take the request; ``Retry-After`` is honoured): always;
* other transport errors (reset, read timeout) and ``502``/``504`` (a proxy's answer):
  only for calls that are safe to repeat (``idempotent``).

A ``4xx`` is never retried. Each attempt is built and authorised afresh, so a signed
request gets a new nonce and timestamp (the hub refuses replayed nonces).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from lienthong import __version__
from lienthong.clock import Clock, SystemClock
from lienthong.errors import HubError
from lienthong.hub.auth import QueryMapping, encode_query
from lienthong.hub.schemas import Problem

_M = TypeVar("_M", bound=BaseModel)

#: Statuses retried for every call / only for idempotent calls.
RETRY_ALWAYS = frozenset({503})
RETRY_IDEMPOTENT = frozenset({502, 503, 504})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def segment(value: str) -> str:
    """A path segment, percent-encoded (ids may contain anything)."""
    return quote(value, safe="")


def parse_reply(model: type[_M], response: httpx.Response) -> _M:
    """The hub's JSON answer as ``model``; ``hub.bad_response`` if it does not fit."""
    try:
        return model.model_validate_json(response.content)
    except PydanticValidationError as exc:
        raise HubError(
            f"the hub's answer to {response.request.method} {response.request.url.path} "
            f"is not a valid {model.__name__}: {exc.error_count()} problem(s)",
            code="hub.bad_response",
            http_status=response.status_code,
        ) from exc


def problem_error(response: httpx.Response) -> HubError:
    """The :class:`HubError` for an error answer (its JSON problem body if it has one)."""
    try:
        problem = Problem.model_validate_json(response.content)
    except PydanticValidationError:
        return HubError(
            f"the hub answered HTTP {response.status_code} without a problem body",
            code="hub.http_error",
            http_status=response.status_code,
        )
    error = HubError(
        problem.message,
        code=problem.code,
        axis_code=problem.axis_code,
        http_status=response.status_code,
    )
    error.details = dict(problem.details)
    return error


class HttpCore:
    """Sends requests to a hub with retries; ``authorize`` adds the credentials."""

    def __init__(
        self,
        base_url: str,
        *,
        authorize: Callable[[httpx.Request], None],
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        max_retry_after: float = 60.0,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.clock: Clock = clock if clock is not None else SystemClock()
        self._authorize = authorize
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._jitter = jitter
        self._client = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"User-Agent": f"lienthong-hub-client/{__version__}"},
            follow_redirects=False,
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def url(self, path: str, query: QueryMapping | None = None) -> str:
        """The absolute URL of ``path`` with ``query`` encoded canonically."""
        encoded = encode_query(query) if query else ""
        return f"{self.base_url}{path}" + (f"?{encoded}" if encoded else "")

    def request(
        self,
        method: str,
        path: str,
        *,
        query: QueryMapping | None = None,
        body: bytes = b"",
        content_type: str | None = None,
        idempotent: bool = True,
        read_timeout: float | None = None,
    ) -> httpx.Response:
        """Send with retries; the final error answer becomes a :class:`HubError`."""
        timeout = httpx.Timeout(
            self.timeout, read=read_timeout if read_timeout is not None else self.timeout
        )
        headers = {"Accept": "application/json"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        url = self.url(path, query)
        retry_statuses = RETRY_IDEMPOTENT if idempotent else RETRY_ALWAYS
        attempt = 0
        while True:
            request = self._client.build_request(
                method, url, content=body, headers=headers, timeout=timeout
            )
            self._authorize(request)
            try:
                response = self._client.send(request)
            except httpx.TransportError as exc:
                if attempt >= self.retries or not (idempotent or isinstance(exc, _NOT_SENT)):
                    raise HubError(
                        f"the hub at {self.base_url} could not be reached: "
                        f"{type(exc).__name__}: {exc}",
                        code="hub.unavailable",
                        http_status=503,
                        attempts=attempt + 1,
                    ) from exc
                self._sleep(self.backoff_delay(attempt))
                attempt += 1
                continue
            if response.status_code in retry_statuses and attempt < self.retries:
                delay = self.retry_after(response.headers.get("Retry-After"))
                self._sleep(delay if delay is not None else self.backoff_delay(attempt))
                attempt += 1
                continue
            if response.is_error:
                raise problem_error(response)
            return response

    def backoff_delay(self, attempt: int) -> float:
        """Seconds to wait before retry ``attempt + 1``: exponential, "equal jitter"
        (between half and all of ``backoff * 2**attempt``, capped at ``max_backoff``)."""
        ceiling = min(self._max_backoff, self._backoff * 2.0**attempt)
        return ceiling / 2 + ceiling / 2 * self._jitter()

    def retry_after(self, value: str | None) -> float | None:
        """Seconds a ``Retry-After`` header asks for (delta or HTTP date), capped."""
        if value is None or not value.strip():
            return None
        text = value.strip()
        if text.isdigit():
            seconds = float(text)
        else:
            try:
                when = parsedate_to_datetime(text)
            except (TypeError, ValueError):
                return None
            if when.tzinfo is None:  # "-0000": UTC by RFC 5322
                when = when.replace(tzinfo=UTC)
            seconds = (when - self.clock.now()).total_seconds()
        return min(max(seconds, 0.0), self._max_retry_after)
