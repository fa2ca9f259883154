"""Settings: defaults, LIENTHONG_* environment, the TOML file, precedence, bad values."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lienthong.errors import ConfigError
from lienthong.settings import load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No LIENTHONG_* variable from the caller's shell, and a cwd without lienthong-data/."""
    for key in list(os.environ):
        if key.startswith("LIENTHONG_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults() -> None:
    settings = load_settings()

    assert settings.data_dir == Path("lienthong-data")
    assert settings.database_url == ""
    assert settings.blob_store == "fs"
    assert settings.blob_direct_io is True
    assert settings.edxml.max_depth == 64
    assert settings.blob_dir == Path("lienthong-data/blobs")


def test_default_database_is_sqlite_inside_the_data_directory(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d")

    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'd' / 'lienthong.sqlite3'}"


def test_environment_sets_values_including_nested_ones(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "env-data"))
    monkeypatch.setenv("LIENTHONG_DATABASE_URL", "postgresql+psycopg://app@db/lienthong")
    monkeypatch.setenv("LIENTHONG_BLOB_STORE", "db")
    monkeypatch.setenv("LIENTHONG_BLOB_DIRECT_IO", "false")
    monkeypatch.setenv("LIENTHONG_EDXML__MAX_DEPTH", "12")

    settings = load_settings()
    assert settings.blob_direct_io is False

    assert settings.data_dir == tmp_path / "env-data"
    assert settings.effective_database_url == "postgresql+psycopg://app@db/lienthong"
    assert settings.blob_store == "db"
    assert settings.edxml.max_depth == 12


def test_toml_file_given_explicitly(tmp_path: Path) -> None:
    config = _write(
        tmp_path / "conf" / "lienthong.toml",
        '[lienthong]\nblob_store = "db"\nlog_level = "DEBUG"\n\n'
        "[lienthong.edxml]\nmax_attachments = 5\n",
    )

    settings = load_settings(config)

    assert settings.blob_store == "db"
    assert settings.log_level == "DEBUG"
    assert settings.edxml.max_attachments == 5
    assert settings.edxml.max_depth == 64


def test_toml_file_without_the_lienthong_table(tmp_path: Path) -> None:
    config = _write(tmp_path / "plain.toml", 'blob_store = "db"\n')

    assert load_settings(config).blob_store == "db"


def test_toml_file_named_by_lienthong_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _write(tmp_path / "x.toml", '[lienthong]\nlog_level = "WARNING"\n')
    monkeypatch.setenv("LIENTHONG_CONFIG", str(config))

    assert load_settings().log_level == "WARNING"


def test_toml_file_found_in_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    _write(data_dir / "lienthong.toml", '[lienthong]\nblob_store = "db"\n')
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(data_dir))

    assert load_settings().blob_store == "db"


def test_precedence_overrides_then_environment_then_file_then_defaults(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = _write(
        tmp_path / "p.toml",
        '[lienthong]\nlog_level = "DEBUG"\nblob_store = "db"\n'
        'database_url = "sqlite:////from/file.sqlite3"\n\n'
        "[lienthong.edxml]\nmax_depth = 10\nmax_attachments = 5\nmax_elements = 7\n",
    )
    monkeypatch.setenv("LIENTHONG_LOG_LEVEL", "ERROR")
    monkeypatch.setenv("LIENTHONG_BLOB_STORE", "fs")
    monkeypatch.setenv("LIENTHONG_EDXML__MAX_DEPTH", "20")
    monkeypatch.setenv("LIENTHONG_EDXML__MAX_ELEMENTS", "8")

    settings = load_settings(config, log_level="CRITICAL", edxml={"max_elements": 9})

    assert settings.log_level == "CRITICAL"  # override beats environment and file
    assert settings.blob_store == "fs"  # environment beats file
    assert settings.database_url == "sqlite:////from/file.sqlite3"  # file beats default
    assert settings.edxml.max_depth == 20  # nested: environment beats file, key by key
    assert settings.edxml.max_attachments == 5  # nested: file kept where env is silent
    assert settings.edxml.max_elements == 9  # nested override beats both
    assert settings.edxml.max_text_bytes == 1024 * 1024  # default


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LIENTHONG_BLOB_STORE", "s3"),
        ("LIENTHONG_EDXML__MAX_DEPTH", "0"),
        ("LIENTHONG_EDXML__MAX_DEPTH", "deep"),
    ],
)
def test_bad_environment_values_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.code == "config.invalid"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ('[lienthong]\nblob_store = "tape"\n', "config.invalid"),
        ("[lienthong]\nno_such_setting = 1\n", "config.invalid"),
        ("[lienthong\nbroken", "config.toml"),
        ('lienthong = "not a table"\n', "config.toml"),
    ],
)
def test_bad_files_are_config_errors(tmp_path: Path, text: str, code: str) -> None:
    config = _write(tmp_path / "bad.toml", text)

    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert caught.value.code == code


def test_missing_config_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "absent.toml")
    assert caught.value.code == "config.missing"
