"""CSRF tokens, safe redirects, and the path dispatcher that joins the apps."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.datastructures import FormData

from lienthong.web.compose import PathDispatch
from lienthong.web.security import Cookies, CsrfRejected, check_csrf, csrf_token, safe_next

KEY = b"k" * 32


def test_csrf_token_is_tied_to_the_browser_and_its_sessions() -> None:
    browser = Cookies(pre="p1", session="", hub="")
    token = csrf_token(KEY, browser)
    check_csrf(KEY, browser, FormData({"csrf_token": token}))
    for other in (Cookies("p2", "", ""), Cookies("p1", "s", ""), Cookies("p1", "", "h")):
        with pytest.raises(CsrfRejected):
            check_csrf(KEY, other, FormData({"csrf_token": token}))
    with pytest.raises(CsrfRejected):
        check_csrf(b"x" * 32, browser, FormData({"csrf_token": token}))
    with pytest.raises(CsrfRejected):
        check_csrf(KEY, browser, FormData({}))
    with pytest.raises(CsrfRejected):  # no browser cookie at all: never accepted
        check_csrf(
            KEY, Cookies("", "", ""), FormData({"csrf_token": csrf_token(KEY, Cookies("", "", ""))})
        )


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/incoming?x=1", "/incoming?x=1"),
        (None, "/"),
        ("", "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil", "/"),
        ("incoming", "/"),
    ],
)
def test_safe_next(given: str | None, expected: str) -> None:
    assert safe_next(given) == expected


def _app(name: str, seen: list[tuple[str, str]]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((name, scope["path"]))

    return app


def test_path_dispatch_keeps_paths_and_matches_whole_segments() -> None:
    seen: list[tuple[str, str]] = []
    dispatch = PathDispatch(
        _app("ui", seen), [("/api", _app("hub", seen)), ("/office/api", _app("office", seen))]
    )
    for path in ("/api", "/api/v1/packages", "/apiary", "/office/api/v1/me", "/office", "/"):
        asyncio.run(dispatch({"type": "http", "path": path}, None, None))
    assert seen == [
        ("hub", "/api"),
        ("hub", "/api/v1/packages"),
        ("ui", "/apiary"),
        ("office", "/office/api/v1/me"),
        ("ui", "/office"),
        ("ui", "/"),
    ]
