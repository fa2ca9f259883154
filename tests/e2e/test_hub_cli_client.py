"""``lienthong hub send|inbox|fetch|ack|track`` as a clerk types them, against a real hub."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hubprocs import G22, H41, HubNode, package_maker, run

pytestmark = pytest.mark.slow


def test_a_clerk_sends_lists_fetches_acknowledges_and_tracks(
    sqlite_hub: tuple[HubNode, dict[str, str]], tmp_path: Path
) -> None:
    node, secrets = sqlite_hub
    make = package_maker()
    document = make.document(G22, [H41])
    (tmp_path / "cong-van.xml").write_bytes(document)
    (tmp_path / "gui-lai.xml").write_bytes(document)
    (tmp_path / "sai.xml").write_bytes(make.document(G22, ["000.00.09.H99"]))
    as_a = dict(
        node.env,
        LIENTHONG_HUB_URL=node.url,
        LIENTHONG_HUB_SYSTEM="sys-a",
        LIENTHONG_HUB_SECRET=secrets["sys-a"],
    )
    # sys-b gives URL and system id as options, the secret in the environment.
    as_b = dict(node.env, LIENTHONG_HUB_SECRET=secrets["sys-b"])
    b_opts = ("--url", node.url, "--system", "sys-b")

    sent = run("hub", "send", "cong-van.xml", "gui-lai.xml", "sai.xml", env=as_a, cwd=tmp_path)
    listed = run(
        "hub", "inbox", "--agency", H41, "--kind", "document", "--wait", "5", *b_opts,
        env=as_b, cwd=tmp_path,
    )  # fmt: skip
    delivery_id = _ulid(next(line for line in listed.stdout.splitlines() if G22 in line))
    fetched = run("hub", "fetch", delivery_id, "-o", "nhan.xml", *b_opts, env=as_b, cwd=tmp_path)
    done = run("hub", "ack", delivery_id, "done", *b_opts, env=as_b, cwd=tmp_path)
    again = run("hub", "ack", delivery_id, "done", *b_opts, env=as_b, cwd=tmp_path)
    conflicting = run(
        "hub", "ack", delivery_id, "fail", "--reason", "nhầm", *b_opts, env=as_b, cwd=tmp_path
    )
    package_id = _ulid(sent.stdout.split("→ package", 1)[1])
    tracked = run("hub", "track", package_id, env=as_a, cwd=tmp_path)
    wrong = run("hub", "inbox", *b_opts, "--secret", "not-the-secret", env=as_b, cwd=tmp_path)

    assert sent.returncode == 2, sent.stderr
    assert "Sent 2 package(s) (1 already known to the hub), 1 refused." in sent.stdout
    assert "duplicate" in sent.stdout
    assert "recipient.unknown" in sent.stderr
    assert listed.returncode == 0, listed.stderr
    assert "1 delivery." in listed.stdout
    assert fetched.returncode == 0, fetched.stderr
    assert (tmp_path / "nhan.xml").read_bytes() == document
    assert "SHA-256:" in fetched.stdout
    assert "lienthong-hub" in fetched.stdout
    assert (done.returncode, again.returncode) == (0, 0), done.stderr + again.stderr
    assert f"Delivery {delivery_id}: done" in done.stdout
    assert f"Delivery {delivery_id}: done" in again.stdout
    assert conflicting.returncode == 2
    assert "delivery.already_acknowledged" in conflicting.stderr
    assert "HTTP 409" in conflicting.stderr
    assert tracked.returncode == 0, tracked.stderr
    recipient_row = next(line for line in tracked.stdout.splitlines() if H41 in line)
    assert "done" in recipient_row
    assert wrong.returncode == 2
    assert "auth.signature" in wrong.stderr
    outputs = [sent, listed, fetched, done, again, conflicting, tracked, wrong]
    for result in outputs:
        for secret in (*secrets.values(), "not-the-secret"):
            assert secret not in result.stdout + result.stderr


def _ulid(text: str) -> str:
    """The first hub id (26 characters of Crockford base32) in ``text``."""
    found = re.search(r"\b[0-9A-HJKMNP-TV-Z]{26}\b", text)
    assert found is not None, text
    return found.group(0)
