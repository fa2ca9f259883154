"""``lienthong demo --no-serve`` and ``lienthong serve`` as a newcomer runs them: the demo
directory is built and printed, then a real server process answers on the port with the
hub, the office API and the pages, and a demo user logs in."""

from __future__ import annotations

import re
import signal
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from lienthong.web.serve import free_port
from support import LIENTHONG, clean_env

pytestmark = pytest.mark.slow


def _wait_until_up(url: str, process: subprocess.Popen[str], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            if httpx.get(f"{url}/healthz", timeout=2).text == "ok":
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")


def test_demo_builds_then_serve_runs_it(tmp_path: Path) -> None:
    data, port = tmp_path / "demo", free_port()
    built = subprocess.run(
        [LIENTHONG, "demo", "--no-serve", "--data-dir", str(data), "--port", str(port)],
        env=clean_env(LIENTHONG_PKI_PASSPHRASE="demo passphrase"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    out = built.stdout
    for username in ("vpcp.vanthu", "btc.lanhdao", "nghean.chuyenvien", "binhduong.quantri"):
        assert username in out
    assert "lienthong2026" in out
    token = re.search(r"lta_[A-Za-z0-9_-]+", out)
    assert token is not None
    config = data / "lienthong.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert f'hub_url = "http://127.0.0.1:{port}"' in config.read_text("utf-8")
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [LIENTHONG, "serve", "--data-dir", str(data), "--port", str(port)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_until_up(url, server)
        with httpx.Client(base_url=url) as client:
            page = client.get("/login")
            assert page.status_code == 200
            assert "Đăng nhập" in page.text
            csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
            assert csrf is not None
            answer = client.post(
                "/login",
                data={
                    "csrf_token": csrf.group(1),
                    "username": "nghean.vanthu",
                    "password": "lienthong2026",
                },
            )
            assert answer.status_code == 303
            home = client.get("/")
            assert "UBND tỉnh Nghệ An" in home.text
            assert client.get("/office/healthz").json() == {"status": "ok"}
            me = client.get(
                "/api/v1/admin/queues", headers={"Authorization": f"Bearer {token.group(0)}"}
            )
            assert me.status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)
    assert server.returncode == 0


def test_serve_on_a_fresh_directory(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [LIENTHONG, "serve", "--data-dir", str(tmp_path / "fresh"), "--port", str(port)],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server)
        first = httpx.get(f"{url}/incoming", follow_redirects=False)
        assert (first.status_code, first.headers["location"]) == (303, "/login?next=/incoming")
        assert httpx.get(f"{url}/login").status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)
    assert server.returncode == 0
