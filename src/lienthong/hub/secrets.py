"""The systems' shared secrets at rest: AES-256-GCM under the hub's master key.

A sealed secret is ``version (1 byte) ‖ key id (4 bytes) ‖ nonce (12 bytes) ‖ ciphertext
and tag``. The key id (the first bytes of an HMAC of a fixed label under the key, which
tells nothing about the key) lets the hub say "sealed under another master key" instead of
failing obscurely, and lets a new master key be introduced while the previous one still
opens the old rows (:attr:`SecretBox.previous_keys`). The version byte, the key id and a
caller-chosen *context* (the system id) are authenticated data: a sealed secret copied to
another system's row does not open.

The master key comes from ``LIENTHONG_HUB_MASTER_KEY`` (base64 of 32 bytes) or, for the
demo, from ``<data_dir>/hub-master.key`` (created with mode 0600 when asked to).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lienthong.errors import ConfigError
from lienthong.settings import Settings

FORMAT_VERSION = 1
KEY_BYTES = 32
MASTER_KEY_FILE = "hub-master.key"
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
_TAG_BYTES = 16
_HEADER_BYTES = 1 + _KEY_ID_BYTES
_KEY_ID_LABEL = b"lienthong hub master key id"


def new_system_secret() -> str:
    """A new system secret: 43 URL-safe characters (256 random bits), shown once."""
    return secrets.token_urlsafe(32)


def key_id(master_key: bytes) -> bytes:
    """The 4-byte identifier of a master key (reveals nothing about the key)."""
    return hmac.new(master_key, _KEY_ID_LABEL, hashlib.sha256).digest()[:_KEY_ID_BYTES]


def _check_key(master_key: bytes) -> bytes:
    if len(master_key) != KEY_BYTES:
        raise ConfigError(
            f"the hub master key must be {KEY_BYTES} bytes, not {len(master_key)}",
            code="config.hub_master_key",
        )
    return master_key


class SecretBox:
    """Seals and opens system secrets with AES-256-GCM under the hub's master key."""

    def __init__(self, master_key: bytes, *, previous_keys: Sequence[bytes] = ()) -> None:
        self._key = _check_key(master_key)
        self._key_id = key_id(self._key)
        self._keys = {key_id(k): k for k in (_check_key(k) for k in previous_keys)}
        self._keys[self._key_id] = self._key

    @property
    def key_id(self) -> str:
        """The current master key's id, in hex (for logs and operators)."""
        return self._key_id.hex()

    def encrypt(self, plaintext: str | bytes, *, context: str = "") -> bytes:
        """Encrypt ``plaintext`` (a str is taken as UTF-8) bound to ``context``."""
        data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
        header = bytes([FORMAT_VERSION]) + self._key_id
        nonce = os.urandom(_NONCE_BYTES)
        ciphertext = AESGCM(self._key).encrypt(nonce, data, header + context.encode("utf-8"))
        return header + nonce + ciphertext

    def decrypt(self, sealed: bytes, *, context: str = "") -> bytes:
        """Decrypt what :meth:`encrypt` made; :class:`ConfigError` if it cannot, never garbage."""
        if len(sealed) < _HEADER_BYTES + _NONCE_BYTES + _TAG_BYTES:
            raise ConfigError("a sealed hub secret is truncated", code="config.hub_secret_corrupt")
        if sealed[0] != FORMAT_VERSION:
            raise ConfigError(
                f"a sealed hub secret has unknown format version {sealed[0]}",
                code="config.hub_secret_corrupt",
            )
        header = sealed[:_HEADER_BYTES]
        key = self._keys.get(header[1:])
        if key is None:
            raise ConfigError(
                f"a hub secret is sealed under master key {header[1:].hex()}, but the "
                f"configured key is {self.key_id}: LIENTHONG_HUB_MASTER_KEY is not the key "
                "the secrets were stored with",
                code="config.hub_master_key_mismatch",
            )
        nonce = sealed[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
        try:
            return AESGCM(key).decrypt(
                nonce, sealed[_HEADER_BYTES + _NONCE_BYTES :], header + context.encode("utf-8")
            )
        except InvalidTag:
            raise ConfigError(
                "a sealed hub secret does not authenticate: it was altered, or belongs to "
                "another record",
                code="config.hub_secret_corrupt",
            ) from None

    def needs_reencrypt(self, sealed: bytes) -> bool:
        """Whether ``sealed`` was made under a previous master key (re-encrypt it)."""
        return sealed[1:_HEADER_BYTES] != self._key_id


# -- the master key ------------------------------------------------------------------------


def generate_master_key() -> str:
    """A new master key, as LIENTHONG_HUB_MASTER_KEY takes it (base64 of 32 bytes)."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_master_key(text: str) -> bytes:
    """The 32 bytes of a base64 master key (standard or URL-safe alphabet)."""
    cleaned = "".join(text.split())
    try:
        key = base64.b64decode(cleaned.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(
            "the hub master key is not valid base64", code="config.hub_master_key"
        ) from None
    return _check_key(key)


def master_key_path(settings: Settings) -> Path:
    """Where the demo keeps its generated master key."""
    return settings.data_dir / MASTER_KEY_FILE


def _read_key_file(path: Path) -> bytes:
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise ConfigError(
            f"{path} is readable by other users; chmod 600 it",
            code="config.hub_master_key",
        )
    return parse_master_key(path.read_text(encoding="ascii", errors="replace"))


def _create_key_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = generate_master_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return _read_key_file(path)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return parse_master_key(text)


def load_master_key(settings: Settings, *, create: bool = False) -> bytes:
    """The hub's master key: ``settings.hub_master_key``, else the key file.

    With ``create`` (the demo), a missing key file is generated; otherwise a missing key
    is a :class:`ConfigError`.
    """
    if settings.hub_master_key is not None:
        return parse_master_key(settings.hub_master_key.get_secret_value())
    path = master_key_path(settings)
    if path.is_file():
        return _read_key_file(path)
    if create:
        return _create_key_file(path)
    raise ConfigError(
        f"no hub master key: set LIENTHONG_HUB_MASTER_KEY (base64 of 32 bytes) or create {path}",
        code="config.hub_master_key",
    )


def secret_box_from_settings(settings: Settings, *, create: bool = False) -> SecretBox:
    """A :class:`SecretBox` under the configured master key (see :func:`load_master_key`)."""
    return SecretBox(load_master_key(settings, create=create))
