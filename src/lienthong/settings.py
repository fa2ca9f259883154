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

from pydantic import BaseModel, Field, ValidationError
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
    log_level: str = "INFO"
    edxml: EdxmlLimits = Field(default_factory=EdxmlLimits)

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'lienthong.sqlite3').resolve()}"

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
    # The environment beats the file: drop the file's keys that the environment sets.
    env_keys = {
        key.removeprefix("LIENTHONG_").split("__")[0].lower()
        for key in env
        if key.startswith("LIENTHONG_")
    }
    merged = {k: v for k, v in file_values.items() if k not in env_keys}
    merged.update(overrides)
    try:
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {exc}", code="config.invalid") from exc
