"""One aiohttp session per signing or validation run, for the TSA and CRL/OCSP fetching.

aiohttp builds a TLS context (loading the system's CA bundle, ~80 ms) for every session
it makes on its own; this session reuses one context built once per process.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

#: Seconds for one TSA, CRL or OCSP request.
HTTP_TIMEOUT = 10


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


@asynccontextmanager
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    """A client session for one run (sessions belong to one event loop)."""
    connector = aiohttp.TCPConnector(ssl=_tls_context())
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        yield session
