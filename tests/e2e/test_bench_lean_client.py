"""The load generator of ``bench/hub_load.py`` (``bench/_lean_client.py``) against a real hub.

The bench's figures are only worth something if its lean client does what ``HubClient``
does: the hub must take its signed requests as real ones (packages stored and delivered,
the bytes fetched intact, acknowledgements recorded) and refuse what it would refuse
from anyone.
"""

from __future__ import annotations

import hashlib
import time

import pytest

import _lean_client
from _lean_client import LeanClient
from hubprocs import G12, G22, H41, HubNode, package_maker
from lienthong.errors import HubError
from lienthong.hub.client import HubClient

pytestmark = pytest.mark.slow


def test_lean_client_sends_receives_fetches_and_acknowledges_like_hubclient(
    sqlite_hub: tuple[HubNode, dict[str, str]],
) -> None:
    node, secrets = sqlite_hub
    make = package_maker()
    data = make.document(G22, [H41, G12])
    with (
        LeanClient(node.url, "sys-a", secrets["sys-a"]) as a,
        LeanClient(node.url, "sys-b", secrets["sys-b"]) as b,
        HubClient(node.url, "sys-a", secrets["sys-a"]) as real_a,
    ):
        sent = a.send(data)
        assert sent["sha256"] == hashlib.sha256(data).hexdigest()
        assert sorted(d["recipient"] for d in sent["deliveries"]) == sorted([H41, G12])

        items = b.receive(max=10, wait=5, visibility=60)
        assert sorted(i.delivery_id for i in items) == sorted(
            d["delivery_id"] for d in sent["deliveries"]
        )
        for item in items:
            assert item.document_id == sent["document_id"]
            assert b.fetch(item.delivery_id) == data
            assert b.ack(item.delivery_id, "done")["state"] == "done"

        # What the real client sees of the same send: both deliveries acknowledged.
        tracked = real_a.tracking(sent["package_id"])
        assert sorted((r.recipient, r.state) for r in tracked.recipients) == sorted(
            [(H41, "done"), (G12, "done")]
        )


def test_lean_client_errors_carry_the_hubs_codes(
    sqlite_hub: tuple[HubNode, dict[str, str]],
) -> None:
    node, secrets = sqlite_hub
    data = package_maker().document(G22, [H41])
    with (
        LeanClient(node.url, "sys-a", "not-the-secret-of-sys-a") as forged,
        pytest.raises(HubError) as refused,
    ):
        forged.send(data)
    assert (refused.value.code, refused.value.http_status) == ("auth.signature", 401)
    with LeanClient(node.url, "sys-b", secrets["sys-b"]) as b:
        with pytest.raises(HubError) as not_hosted:
            b.send(data)  # sys-b does not host G22
        assert not_hosted.value.code == "forbidden.sender_not_hosted"
        with pytest.raises(HubError) as unknown:
            b.fetch("01NOSUCHDELIVERY0000000000")
        assert unknown.value.http_status == 404


def test_lean_client_replaces_a_connection_the_hub_closed(
    sqlite_hub: tuple[HubNode, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    node, secrets = sqlite_hub
    # Never replace an idle connection up front: the hub's close must be met as it comes.
    monkeypatch.setattr(_lean_client, "_IDLE_S", 3600.0)
    make = package_maker()
    with LeanClient(node.url, "sys-a", secrets["sys-a"]) as a:
        first = a.send(make.document(G22, [H41]))
        time.sleep(6)  # uvicorn closes keep-alive connections idle for 5 s
        make.advance(60)
        second = a.send(make.document(G22, [H41]))
    assert first["document_id"] != second["document_id"]
    assert not second["duplicate"]
