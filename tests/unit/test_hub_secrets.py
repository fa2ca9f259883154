"""System secrets at rest: AES-256-GCM sealing, wrong keys, tampering, the master key."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from pydantic import SecretStr

from lienthong.errors import ConfigError
from lienthong.hub.secrets import (
    FORMAT_VERSION,
    MASTER_KEY_FILE,
    SecretBox,
    generate_master_key,
    key_id,
    load_master_key,
    new_system_secret,
    parse_master_key,
    secret_box_from_settings,
)
from lienthong.settings import Settings

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def settings(tmp_path: Path, master_key: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        hub_master_key=SecretStr(master_key) if master_key is not None else None,
    )


def test_encrypt_then_decrypt_gives_the_secret_back() -> None:
    box = SecretBox(KEY)
    secret = new_system_secret()

    sealed = box.encrypt(secret, context="sys-a")

    assert box.decrypt(sealed, context="sys-a") == secret.encode()
    assert secret.encode() not in sealed
    assert sealed[0] == FORMAT_VERSION
    assert sealed[1:5] == key_id(KEY)
    assert len(sealed) == 1 + 4 + 12 + len(secret) + 16


def test_each_encryption_uses_a_fresh_nonce() -> None:
    box = SecretBox(KEY)

    first, second = box.encrypt("s", context="c"), box.encrypt("s", context="c")

    assert first[5:17] != second[5:17]
    assert first != second


def test_wrong_master_key_is_a_clear_error() -> None:
    sealed = SecretBox(KEY).encrypt("secret", context="sys-a")

    with pytest.raises(ConfigError) as excinfo:
        SecretBox(OTHER_KEY).decrypt(sealed, context="sys-a")
    assert excinfo.value.code == "config.hub_master_key_mismatch"
    assert key_id(KEY).hex() in excinfo.value.message


def test_secret_moved_to_another_record_does_not_open() -> None:
    box = SecretBox(KEY)
    sealed = box.encrypt("secret", context="sys-a")

    with pytest.raises(ConfigError) as excinfo:
        box.decrypt(sealed, context="sys-b")
    assert excinfo.value.code == "config.hub_secret_corrupt"


@pytest.mark.parametrize("position", [0, 3, 7, 20, -1])
def test_any_altered_byte_is_refused(position: int) -> None:
    box = SecretBox(KEY)
    sealed = bytearray(box.encrypt("secret", context="sys-a"))
    sealed[position] ^= 0x01

    with pytest.raises(ConfigError) as excinfo:
        box.decrypt(bytes(sealed), context="sys-a")
    assert excinfo.value.code in {"config.hub_secret_corrupt", "config.hub_master_key_mismatch"}


def test_truncated_value_is_refused() -> None:
    with pytest.raises(ConfigError) as excinfo:
        SecretBox(KEY).decrypt(b"\x01abc")
    assert excinfo.value.code == "config.hub_secret_corrupt"


def test_previous_master_key_still_opens_old_secrets() -> None:
    old_sealed = SecretBox(KEY).encrypt("old", context="sys-a")
    box = SecretBox(OTHER_KEY, previous_keys=[KEY])

    assert box.decrypt(old_sealed, context="sys-a") == b"old"
    assert box.needs_reencrypt(old_sealed)
    assert not box.needs_reencrypt(box.encrypt("new", context="sys-a"))


@pytest.mark.parametrize("length", [0, 16, 31, 33])
def test_master_key_must_be_32_bytes(length: int) -> None:
    with pytest.raises(ConfigError) as excinfo:
        SecretBox(b"k" * length)
    assert excinfo.value.code == "config.hub_master_key"


def test_system_secrets_are_long_and_random() -> None:
    first, second = new_system_secret(), new_system_secret()

    assert first != second
    assert len(first) == 43


def test_parse_master_key_accepts_both_base64_alphabets() -> None:
    key = bytes([0xFB, 0xFF] * 16)
    standard = base64.b64encode(key).decode()
    urlsafe = base64.urlsafe_b64encode(key).decode()

    assert "/" in standard
    assert parse_master_key(standard) == key
    assert parse_master_key(urlsafe) == key
    assert parse_master_key(f"  {standard}\n") == key
    assert len(parse_master_key(generate_master_key())) == 32


@pytest.mark.parametrize("text", ["not base64!", base64.b64encode(b"short").decode(), ""])
def test_parse_master_key_refuses_bad_values(text: str) -> None:
    with pytest.raises(ConfigError) as excinfo:
        parse_master_key(text)
    assert excinfo.value.code == "config.hub_master_key"


def test_configured_master_key_wins(tmp_path: Path) -> None:
    configured = settings(tmp_path, base64.b64encode(KEY).decode())

    assert load_master_key(configured, create=True) == KEY
    assert not (tmp_path / "data" / MASTER_KEY_FILE).exists()


def test_no_key_and_no_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_master_key(settings(tmp_path))
    assert excinfo.value.code == "config.hub_master_key"
    assert "LIENTHONG_HUB_MASTER_KEY" in excinfo.value.message


def test_demo_key_file_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    demo = settings(tmp_path)

    key = load_master_key(demo, create=True)

    path = tmp_path / "data" / MASTER_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert parse_master_key(path.read_text()) == key
    assert load_master_key(demo) == key
    assert load_master_key(demo, create=True) == key
    sealed = secret_box_from_settings(demo).encrypt("s", context="sys-a")
    assert SecretBox(key).decrypt(sealed, context="sys-a") == b"s"


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_key_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    demo = settings(tmp_path)
    load_master_key(demo, create=True)
    (tmp_path / "data" / MASTER_KEY_FILE).chmod(0o644)

    with pytest.raises(ConfigError) as excinfo:
        load_master_key(demo)
    assert "chmod 600" in excinfo.value.message


def test_environment_variable_feeds_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_HUB_MASTER_KEY", base64.b64encode(OTHER_KEY).decode())

    from_env = Settings(data_dir=tmp_path)

    assert load_master_key(from_env) == OTHER_KEY
    assert base64.b64encode(OTHER_KEY).decode() not in repr(from_env)
