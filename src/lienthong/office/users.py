"""People and access: office agencies (tenants), units, users, roles, login, tokens.

- Passwords are hashed with argon2id (argon2-cffi); a login for an unknown user still
  spends the time of one verification, so timing does not tell which usernames exist.
- A login gives an opaque random token (256 bits, URL-safe); only its SHA-256 is stored
  (``office_sessions``), with its kind (browser ``session`` or ``api`` token), the agency
  it works in and its expiry. :meth:`UserService.authenticate` turns a token back into an
  :class:`~lienthong.office.model.Actor` with the roles the membership has *now*.
- Changing a password ends every session and token of the user.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from lienthong.db.uow import UnitOfWork
from lienthong.errors import AuthError, NotFound, ValidationError
from lienthong.office.access import require_admin_of, require_member_of
from lienthong.office.catalogue_rules import DEFAULT_CATALOGUE
from lienthong.office.model import (
    Actor,
    LoginResult,
    Member,
    OfficeAgency,
    Role,
    TokenKind,
    Unit,
    User,
    UserState,
    parse_roles,
)
from lienthong.office.throttle import LoginThrottle
from lienthong.text import nfc

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
_ABBREVIATION = re.compile(r"[^\s/\-,]{1,32}")
MIN_PASSWORD = 8
SESSION_TTL = timedelta(hours=12)
API_TOKEN_TTL = timedelta(days=30)


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh opaque token (32 random bytes, URL-safe base64)."""
    return secrets.token_urlsafe(32)


def clean_username(value: str) -> str:
    username = value.strip().lower()
    if not _USERNAME.fullmatch(username):
        raise ValidationError(
            f"username {value!r}: 2–64 characters, lower-case letters, digits, '.', '_', '-'",
            code="office.invalid_username",
        )
    return username


def clean_abbreviation(value: str, *, what: str) -> str:
    text = nfc(value.strip())
    if not _ABBREVIATION.fullmatch(text) or text.upper() == "CV":
        raise ValidationError(
            f"{what} {value!r}: up to 32 characters without spaces, '/', '-' or ','",
            code="office.invalid_abbreviation",
        )
    return text


def clean_name(value: str, *, what: str, max_length: int = 200) -> str:
    text = " ".join(nfc(value).split())
    if not text or len(text) > max_length:
        raise ValidationError(
            f"{what} must have 1–{max_length} characters", code="office.invalid_name"
        )
    return text


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"a password needs at least {MIN_PASSWORD} characters", code="office.weak_password"
        )


class UserService:
    """Tenants, units, users, roles and authentication, over a unit-of-work factory."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        hasher: PasswordHasher | None = None,
        session_ttl: timedelta = SESSION_TTL,
        api_token_ttl: timedelta = API_TOKEN_TTL,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self._uow = uow_factory
        self._hasher = hasher or PasswordHasher()
        #: Failed logins per username and per client (see :mod:`.throttle`).
        self.throttle = throttle or LoginThrottle()
        self._ttl = {TokenKind.SESSION: session_ttl, TokenKind.API: api_token_ttl}
        self._dummy_hash: str | None = None

    # -- tenants and units ---------------------------------------------------------------

    def add_agency(
        self, actor: Actor, identifier: str, abbreviation: str, *, seed_catalogue: bool = True
    ) -> OfficeAgency:
        """Host a directory agency (any of its identifiers); seeds the default catalogue."""
        if not actor.has(Role.OPERATOR):
            raise AuthError("only the operator adds agencies", code="office.operator_only")
        abbr = clean_abbreviation(abbreviation, what="agency abbreviation")
        with self._uow() as uow:
            agency = uow.agencies.resolve(identifier)
            office = uow.office.people.add_agency(agency.id, abbr)
            if seed_catalogue:
                for position, entry in enumerate(DEFAULT_CATALOGUE, start=1):
                    uow.office.catalogue.add(agency.id, entry, position)
            uow.commit()
            return office

    def agencies(self) -> Sequence[OfficeAgency]:
        """Every agency hosted here."""
        with self._uow() as uow:
            return uow.office.people.list_agencies()

    def agency(self, identifier: str | int) -> OfficeAgency:
        """A hosted agency by directory identifier or internal id."""
        with self._uow() as uow:
            if isinstance(identifier, int):
                return uow.office.people.agency(identifier)
            return uow.office.people.agency(uow.agencies.resolve(identifier).id)

    def add_unit(self, actor: Actor, agency_id: int, name: str, abbreviation: str) -> Unit:
        require_admin_of(actor, agency_id, action="add a unit")
        clean = clean_name(name, what="unit name", max_length=500)
        abbr = clean_abbreviation(abbreviation, what="unit abbreviation")
        with self._uow() as uow:
            uow.office.people.agency(agency_id)
            unit = uow.office.people.add_unit(agency_id, clean, abbr)
            uow.commit()
            return unit

    def units(self, actor: Actor, agency_id: int) -> Sequence[Unit]:
        require_member_of(actor, agency_id)
        with self._uow() as uow:
            return uow.office.people.units(agency_id)

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        actor: Actor,
        agency_id: int,
        *,
        username: str,
        full_name: str,
        password: str,
        roles: Iterable[str | Role],
        unit: str | None = None,
        title: str | None = None,
        email: str | None = None,
        signing_key: str | None = None,
    ) -> Member:
        """Create a user with roles (and a unit, by abbreviation) in an agency."""
        require_admin_of(actor, agency_id, action="add a user")
        name = clean_username(username)
        role_set = parse_roles(roles)
        check_password(password)
        password_hash = self._hasher.hash(password)
        with self._uow() as uow:
            people = uow.office.people
            people.agency(agency_id)
            unit_id = people.unit_by_abbreviation(agency_id, unit).id if unit else None
            user = people.add_user(
                username=name,
                full_name=clean_name(full_name, what="full name"),
                password_hash=password_hash,
                title=clean_name(title, what="title") if title else None,
                email=email.strip() if email else None,
                signing_key=signing_key.strip() if signing_key else None,
            )
            membership = people.set_membership(user.id, agency_id, role_set, unit_id)
            uow.commit()
            return Member(user, membership, people.unit(unit_id) if unit_id else None)

    def set_roles(
        self,
        actor: Actor,
        agency_id: int,
        username: str,
        roles: Iterable[str | Role],
        unit: str | None = None,
    ) -> Member:
        """Give an existing user roles in ``agency_id``. An agency's administrator does so
        for the agency's own people; bringing in a user of another agency is the
        operator's (else that agency's administrator lost control of the account: reset
        its password, disable it)."""
        require_admin_of(actor, agency_id, action="change roles")
        role_set = parse_roles(roles)
        with self._uow() as uow:
            people = uow.office.people
            user = self._user(uow, username)
            self._require_own(uow, actor, user, agency_id, joining=True)
            unit_id = people.unit_by_abbreviation(agency_id, unit).id if unit else None
            membership = people.set_membership(user.id, agency_id, role_set, unit_id)
            uow.commit()
            return Member(user, membership, people.unit(unit_id) if unit_id else None)

    def members(self, actor: Actor, agency_id: int) -> Sequence[Member]:
        require_member_of(actor, agency_id)
        with self._uow() as uow:
            return uow.office.people.members(agency_id)

    def change_password(
        self, actor: Actor, username: str, new_password: str, *, old_password: str | None = None
    ) -> None:
        """A user changes their own password (``old_password`` needed); an administrator of
        one of the user's agencies, or the operator, resets it. Ends the user's sessions."""
        check_password(new_password)
        with self._uow() as uow:
            user = self._user(uow, username)
            if actor.user_id == user.id:
                if old_password is None or not self._verify(
                    uow.office.people.password_hash(user.id), old_password
                ):
                    raise AuthError("the current password is wrong", code="auth.password")
            elif not actor.has(Role.OPERATOR):
                if not actor.has(Role.ADMIN) or actor.agency_id is None:
                    raise NotFound(f"no user {username!r}", code="office.user_unknown")
                self._require_own(uow, actor, user, actor.agency_id)
            uow.office.people.update_user(user.id, password_hash=self._hasher.hash(new_password))
            uow.office.people.revoke_tokens_of(user.id)
            uow.commit()

    def set_state(self, actor: Actor, username: str, state: UserState) -> User:
        """Disable (or enable again) a user; disabling ends their sessions."""
        with self._uow() as uow:
            user = self._user(uow, username)
            if not actor.has(Role.OPERATOR):
                if actor.agency_id is None:
                    raise NotFound(f"no user {username!r}", code="office.user_unknown")
                self._require_own(uow, actor, user, actor.agency_id)
                require_admin_of(actor, actor.agency_id, action="disable a user")
            changed = uow.office.people.update_user(user.id, state=state.value)
            if state is UserState.DISABLED:
                uow.office.people.revoke_tokens_of(user.id)
            uow.commit()
            return changed

    @staticmethod
    def _require_own(
        uow: UnitOfWork, actor: Actor, user: User, agency_id: int, *, joining: bool = False
    ) -> None:
        """Unless ``actor`` is the operator: ``user`` belongs to ``agency_id`` and to no
        other agency (an account shared with another agency is that agency's too) —
        or, when ``joining``, to no agency yet. Otherwise the user is "unknown" to this
        administrator."""
        if actor.has(Role.OPERATOR):
            return
        agencies = {m.agency_id for m in uow.office.people.memberships_of(user.id)}
        if agencies - {agency_id} or (not agencies and not joining):
            raise NotFound(f"no user {user.username!r}", code="office.user_unknown")

    # -- authentication ------------------------------------------------------------------

    def login(
        self,
        username: str,
        password: str,
        *,
        agency: str | int | None = None,
        kind: TokenKind = TokenKind.API,
        name: str | None = None,
        client: str | None = None,
    ) -> LoginResult:
        """Check the password and open a session (or issue an API token) in one agency.

        ``agency`` (identifier or internal id) is needed when the user works in several.
        Any failure is the same :class:`AuthError` ``auth.login``; after too many for the
        username or the ``client`` (its address), :class:`~.throttle.Throttled` (429)
        before the password is even checked.
        """
        failure = AuthError("wrong username or password", code="auth.login")
        key = username.strip().lower()
        self.throttle.check(key, client)
        # The (slow) password check runs between two units of work, never inside one: a
        # read transaction held across it would, on SQLite, be refused its upgrade to a
        # write as soon as anyone else wrote meanwhile.
        with self._uow() as uow:
            user = uow.office.people.find_user(key)
            stored = uow.office.people.password_hash(user.id) if user is not None else None
        if user is None or stored is None:
            self._verify(self._dummy(), password)
            self.throttle.failed(key, client)
            raise failure
        if not self._verify(stored, password):
            self.throttle.failed(key, client)
            raise failure
        with self._uow() as uow:
            people = uow.office.people
            user = people.user(user.id)
            if user.state is not UserState.ACTIVE:
                self.throttle.failed(key, client)
                raise failure
            agency_id = self._login_agency(uow, user, agency)
            actor = self._actor(uow, user, agency_id)
            token = new_token()
            expires_at = uow.clock.now() + self._ttl[kind]
            people.add_token(
                token_hash=hash_token(token),
                kind=kind,
                user_id=user.id,
                agency_id=agency_id,
                expires_at=expires_at,
                name=name,
            )
            uow.commit()
        self.throttle.succeeded(key)
        return LoginResult(token, kind, expires_at, actor)

    def authenticate(self, token: str, *, kind: TokenKind | None = None) -> Actor:
        """The actor a token stands for; :class:`AuthError` ``auth.token`` if it is
        unknown, expired, revoked, of another kind, or its user lost access."""
        failure = AuthError("the token is invalid or has expired", code="auth.token")
        with self._uow() as uow:
            row = uow.office.people.find_token(hash_token(token.strip()))
            if row is None or row.revoked_at is not None or row.expires_at <= uow.clock.now():
                raise failure
            if kind is not None and row.kind != kind.value:
                raise failure
            user = uow.office.people.user(row.user_id)
            if user.state is not UserState.ACTIVE:
                raise failure
            try:
                return self._actor(uow, user, row.agency_id)
            except NotFound:
                raise failure from None

    def logout(self, token: str) -> bool:
        """End a session or revoke a token; False if it was not active."""
        with self._uow() as uow:
            done = uow.office.people.revoke_token(hash_token(token.strip()))
            uow.commit()
            return done

    def actor_for(self, username: str, agency: str | int) -> Actor:
        """The actor of a user in an agency, without a password (for the trusted local CLI)."""
        with self._uow() as uow:
            user = self._user(uow, username)
            agency_id = self._login_agency(uow, user, agency)
            return self._actor(uow, user, agency_id)

    # -- helpers -------------------------------------------------------------------------

    def _dummy(self) -> str:
        """A hash to verify against when the user is unknown (made on first need)."""
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_hex(16))
        return self._dummy_hash

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return bool(self._hasher.verify(password_hash, password))
        except (VerificationError, InvalidHashError):
            return False

    @staticmethod
    def _user(uow: UnitOfWork, username: str) -> User:
        user = uow.office.people.find_user(username.strip().lower())
        if user is None:
            raise NotFound(f"no user {username!r}", code="office.user_unknown")
        return user

    @staticmethod
    def _login_agency(uow: UnitOfWork, user: User, agency: str | int | None) -> int:
        memberships = uow.office.people.memberships_of(user.id)
        if agency is None:
            if len(memberships) != 1:
                raise AuthError(
                    "this user works in several agencies (or none): name the agency",
                    code="auth.agency_required",
                )
            return memberships[0].agency_id
        agency_id = agency if isinstance(agency, int) else uow.agencies.resolve(agency).id
        if all(m.agency_id != agency_id for m in memberships):
            raise AuthError("wrong username or password", code="auth.login")
        return agency_id

    @staticmethod
    def _actor(uow: UnitOfWork, user: User, agency_id: int) -> Actor:
        membership = uow.office.people.membership(user.id, agency_id)
        if membership is None:
            raise NotFound(
                f"{user.username} does not work in agency {agency_id}", code="office.not_member"
            )
        return Actor(
            user_id=user.id,
            agency_id=agency_id,
            roles=membership.roles,
            username=user.username,
            full_name=user.full_name,
            unit_id=membership.unit_id,
            title=user.title,
        )
