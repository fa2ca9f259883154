"""``lienthong hub send|inbox|fetch|ack|track``: what they refuse before any request."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lienthong.cli.main import app
from lienthong.errors import ConfigError


@pytest.fixture(autouse=True)
def _no_hub_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LIENTHONG_HUB_URL", "LIENTHONG_HUB_SYSTEM", "LIENTHONG_HUB_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("LIENTHONG_CONFIG", raising=False)
    monkeypatch.setenv("LIENTHONG_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)


def test_missing_credentials_name_what_to_set_and_never_echo_the_secret() -> None:
    result = CliRunner().invoke(app, ["hub", "inbox", "--secret", "s3cr3t-value"])

    assert isinstance(result.exception, ConfigError)
    assert result.exception.code == "config.hub_client"
    assert "--url / LIENTHONG_HUB_URL" in result.exception.message
    assert "--system / LIENTHONG_HUB_SYSTEM" in result.exception.message
    assert "LIENTHONG_HUB_SECRET" not in result.exception.message
    assert "s3cr3t-value" not in result.output + result.exception.message


def test_credentials_come_from_the_environment_when_no_option_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIENTHONG_HUB_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("LIENTHONG_HUB_SYSTEM", "sys-a")

    result = CliRunner().invoke(app, ["hub", "ack", "01HXD1", "done"])

    assert isinstance(result.exception, ConfigError)
    assert result.exception.message == "the hub client needs --secret / LIENTHONG_HUB_SECRET"


def test_track_takes_a_package_or_a_document_not_both() -> None:
    both = CliRunner().invoke(app, ["hub", "track", "01HXPKG", "--document-id", "x"])
    neither = CliRunner().invoke(app, ["hub", "track"])

    assert (both.exit_code, neither.exit_code) == (2, 2)
    assert "one of them" in both.output
