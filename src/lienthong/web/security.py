"""Sessions, CSRF tokens and who is asking.

- **Sessions.** Logging in opens an office session (``TokenKind.SESSION``, 12 h); its
  opaque token lives only in the ``lt_session`` cookie (HttpOnly, SameSite=Lax, Secure
  behind HTTPS). Every request turns it back into an :class:`~lienthong.office.model.Actor`
  with the roles the membership has now (``UserService.authenticate``), so a role change
  or a disabled account takes effect at once. Hub operators log in with an admin token,
  kept the same way in ``lt_hub``.
- **CSRF.** Every visitor gets a random ``lt_pre`` cookie. A form's token is
  ``HMAC-SHA256(key, lt_pre | lt_session | lt_hub)``: tied to the browser and to its
  current sessions, checked on every POST (:func:`check_csrf`), and useless to a page of
  another site, which can neither read the cookies nor compute the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request

SESSION_COOKIE = "lt_session"
HUB_COOKIE = "lt_hub"
PRE_COOKIE = "lt_pre"
CSRF_FIELD = "csrf_token"


class LoginRequired(Exception):
    """No valid office session: the answer is a redirect to the login page."""

    def __init__(self, next_path: str = "/", *, hub: bool = False) -> None:
        super().__init__(next_path)
        self.next_path = next_path
        self.hub = hub


class CsrfRejected(Exception):
    """A POST without the right CSRF token."""


@dataclass(frozen=True, slots=True)
class Cookies:
    """The cookies that identify a browser and its sessions."""

    pre: str
    session: str
    hub: str

    @property
    def basis(self) -> str:
        return f"{self.pre}|{self.session}|{self.hub}"


def cookies_of(request: Request) -> Cookies:
    """The request's cookies (the ``lt_pre`` value made for this response if it had none)."""
    pre = request.cookies.get(PRE_COOKIE) or getattr(request.state, "new_pre", "")
    return Cookies(
        pre=str(pre or ""),
        session=request.cookies.get(SESSION_COOKIE, ""),
        hub=request.cookies.get(HUB_COOKIE, ""),
    )


def new_pre_token() -> str:
    """A fresh value for the ``lt_pre`` cookie."""
    return secrets.token_urlsafe(24)


def csrf_token(key: bytes, cookies: Cookies) -> str:
    """The form token of a browser with ``cookies``."""
    return hmac.new(key, cookies.basis.encode("utf-8"), hashlib.sha256).hexdigest()


def check_csrf(key: bytes, cookies: Cookies, form: FormData) -> None:
    """Refuse a form whose token is missing or not this browser's."""
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not cookies.pre:
        raise CsrfRejected
    if not hmac.compare_digest(given, csrf_token(key, cookies)):
        raise CsrfRejected


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go back to after logging in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def login_url(next_path: str, *, hub: bool = False) -> str:
    base = "/hub/login" if hub else "/login"
    return f"{base}?next={quote(next_path, safe='/')}"


def path_with_query(request: Request) -> str:
    """The request's path and query, to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
