"""Typed settings: LIENTHONG_* environment variables, an optional TOML file, defaults.

Built by :func:`load_settings`, never held in a global: whoever needs settings gets them
passed in (see ``bootstrap.py``).

Precedence, highest first: keyword overrides, environment (``LIENTHONG_*``), the TOML
file named by ``LIENTHONG_CONFIG`` (or ``lienthong.toml`` in the data directory), defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.errors import ConfigError

MiB = 1024 * 1024


class EdxmlLimits(BaseModel):
    """Limits the edXML reader enforces on hostile input."""

    max_package_bytes: int = Field(default=512 * MiB, gt=0)
    max_depth: int = Field(default=64, gt=0)
    max_attachments: int = Field(default=200, ge=0)
    max_attachment_bytes: int = Field(default=256 * MiB, gt=0)
    max_elements: int = Field(default=200_000, gt=0)
    max_text_bytes: int = Field(default=1 * MiB, gt=0)
    #: Packages up to this size are parsed in one hardened lxml call (the fast path);
    #: larger ones are streamed. 0 streams every package. See docs/formats.md.
    fast_parse_max_bytes: int = Field(default=32 * MiB, ge=0)


class MonitorSettings(BaseModel):
    """The compliance monitor (``docs/monitor.md``); env ``LIENTHONG_MONITOR__*``."""

    #: The agency statistics reports are sent to, whose reports the hub's monitor reads.
    agency: str = "000.00.00.G22"
    #: Agencies that stand for the Government / Prime Minister (dossiers submitted to them).
    government: list[str] = Field(default_factory=lambda: ["000.00.00.G22"])
    #: TOML file of targets merged over the defaults of targets.md (empty: the defaults).
    targets_file: Path | None = None
    # ``lienthong report send`` reaches the hub with ``hub_url``/``hub_system``/``hub_secret``.


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = Field(default=Path("lienthong-data"))
    #: SQLAlchemy URL; empty means SQLite inside the data directory.
    database_url: str = ""
    blob_store: Literal["fs", "db"] = "fs"
    #: The file blob store writes and reads blob bytes past the page cache (``O_DIRECT``;
    #: LIENTHONG_BLOB_DIRECT_IO). Off: ordinary buffered I/O. See docs/storage.md.
    blob_direct_io: bool = True
    log_level: str = "INFO"
    edxml: EdxmlLimits = Field(default_factory=EdxmlLimits)
    #: Local demo PKI directory; empty means ``<data_dir>/pki``.
    pki_dir: Path | None = None
    #: Passphrase of the local PKI's keys (LIENTHONG_PKI_PASSPHRASE); never logged.
    pki_passphrase: SecretStr | None = None
    #: Base URL put in certificates for CRLs, OCSP and CA certificates (e.g. the TSA server).
    pki_base_url: str = ""
    #: Directory of trusted roots/intermediates (PEM/DER) and CRLs; production sets it to
    #: the government CA's certificates. Empty: trust the local demo root.
    trust_dir: Path | None = None
    #: RFC 3161 timestamp authority URL used when signing (empty: none).
    tsa_url: str = ""
    #: The hub's master key (LIENTHONG_HUB_MASTER_KEY): base64 of 32 bytes; it encrypts the
    #: systems' secrets at rest. Unset: ``<data_dir>/hub-master.key`` (the demo makes one).
    hub_master_key: SecretStr | None = None
    #: The pki identity (name in the pki directory, e.g. ``system``) whose key signs the
    #: hub's audit checkpoints; empty: checkpoints are not signed (a warning is logged).
    hub_identity: str = ""
    #: ``OrganId`` the hub writes in its trace entries (TraceHeader) of each delivery.
    hub_organ_id: str = "lienthong-hub"
    #: How ``lienthong hub send|inbox|fetch|ack|track`` reach a hub: its base URL
    #: (LIENTHONG_HUB_URL), the calling system's id (LIENTHONG_HUB_SYSTEM) and secret
    #: (LIENTHONG_HUB_SECRET; never logged nor shown).
    hub_url: str = ""
    hub_system: str = ""
    hub_secret: SecretStr | None = None
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    #: The web UI's cookies get the ``Secure`` flag (LIENTHONG_SECURE_COOKIES): set it
    #: when the UI is served over HTTPS (behind a TLS proxy), as in production.
    secure_cookies: bool = False

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lienthong.sqlite3').resolve()}"

    @property
    def effective_pki_dir(self) -> Path:
        return self.pki_dir if self.pki_dir is not None else self.data_dir / "pki"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", code="config.missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid TOML: {exc}", code="config.toml"
        ) from exc
    section = data.get("lienthong", data)
    if not isinstance(section, dict):
        raise ConfigError(f"config file {path}: [lienthong] must be a table", code="config.toml")
    return section


def _drop_path(values: dict[str, Any], path: list[str]) -> None:
    """Remove ``values[path[0]][path[1]]…`` if present (empty tables stay)."""
    head, rest = path[0], path[1:]
    if head not in values:
        return
    if not rest:
        del values[head]
    elif isinstance(values[head], dict):
        values[head] = dict(values[head])
        _drop_path(values[head], rest)


def _deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` updated with ``extra``, merging nested tables instead of replacing them."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build settings from overrides, the environment, the config file and defaults."""
    env = os.environ
    path = config_file
    if path is None and env.get("LIENTHONG_CONFIG"):
        path = Path(env["LIENTHONG_CONFIG"])
    if path is None:
        data_dir = Path(
            overrides.get("data_dir") or env.get("LIENTHONG_DATA_DIR", "lienthong-data")
        )
        candidate = data_dir / "lienthong.toml"
        if candidate.is_file():
            path = candidate
    file_values = _read_config_file(path) if path is not None else {}
    # The environment beats the file key by key, nested keys included
    # (LIENTHONG_EDXML__MAX_DEPTH replaces edxml.max_depth only): drop what it sets.
    merged = dict(file_values)
    for key in env:
        if key.startswith("LIENTHONG_"):
            _drop_path(merged, key.removeprefix("LIENTHONG_").lower().split("__"))
    merged = _deep_merge(merged, overrides)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {exc}", code="config.invalid") from exc
