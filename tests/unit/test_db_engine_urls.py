"""Database URLs: what lienthong accepts, how it normalises them, and how it shows them."""

from __future__ import annotations

import pytest

from lienthong.db.engine import display_url, parse_database_url
from lienthong.errors import ConfigError


def test_plain_postgresql_url_means_psycopg3() -> None:
    url = parse_database_url("postgresql://app:pw@db.local:5433/lienthong")

    assert url.drivername == "postgresql+psycopg"
    assert url.host == "db.local"
    assert url.port == 5433
    assert url.database == "lienthong"


def test_sqlite_url_is_kept() -> None:
    assert parse_database_url("sqlite:////srv/lienthong/db.sqlite3").database == (
        "/srv/lienthong/db.sqlite3"
    )


def test_display_hides_the_password() -> None:
    shown = display_url("postgresql+psycopg://app:s3cret@db.local/lienthong")

    assert "s3cret" not in shown
    assert shown == "postgresql+psycopg://app:***@db.local/lienthong"


@pytest.mark.parametrize(
    "url", ["mysql://u@h/db", "oracle://u@h/db", "postgresql+psycopg2://u@h/d"]
)
def test_other_databases_are_refused(url: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_database_url(url)
    assert caught.value.code == "config.database_url"


def test_garbage_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_database_url("not a url")
    assert caught.value.code == "config.database_url"
