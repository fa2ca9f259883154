"""Three agencies on two systems exchange documents and statuses through a real hub.

``lienthong hub serve`` runs as a process (on SQLite, and on PostgreSQL in a fresh
database); two systems talk to it over HTTP with :class:`HubClient`: sys-a hosts G22,
sys-b hosts H41 and G12. Beyond plain exchange, it covers section 5 of the hub's issue:
take-back requests (13) from the sender, agreements (15) and refusals (16) from the
receivers, and revocation, update and replacement documents (BussinessDocType 1/2/3)
whose links the hub keeps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from hubprocs import G12, G22, H41, HubNode, new_site, package_maker, register, run, running, take
from lienthong.edxml import model as m
from lienthong.edxml.reader import read_package
from lienthong.hub import schemas as s
from lienthong.hub.client import HubAdminClient, HubClient

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[HubNode, dict[str, str]]]:
    """A running hub process with the agencies and systems registered."""
    database_url = ""
    if request.param == "postgresql":
        database_url = request.getfixturevalue("pg_databases")().render_as_string(
            hide_password=False
        )
    node = new_site(tmp_path, database_url)
    with running(node):
        yield node, register(node.url, node.token)


def _receive_all(
    client: HubClient, count: int, sent: dict[str, bytes], *, kind: s.PackageKind
) -> list[s.DeliveryItem]:
    """Claim ``count`` deliveries, check each one's bytes are exactly what was sent, ack."""
    items = take(client, count, kind=kind)
    assert len(items) == count, [i.document_id for i in items]
    for item in items:
        fetched = client.fetch(item.delivery_id)
        assert fetched.content == sent[fetched.sha256]
        assert item.sha256 == hashlib.sha256(fetched.content).hexdigest()
        assert [t.organ_id for t in fetched.trace][-1] == "lienthong-hub"
        assert client.ack(item.delivery_id, "done").state == "done"
    return items


def test_documents_statuses_take_backs_and_links_flow_between_two_systems(
    hub: tuple[HubNode, dict[str, str]],
) -> None:
    node, secrets = hub
    make = package_maker()
    sent: dict[str, bytes] = {}

    def package(data: bytes) -> bytes:
        sent[hashlib.sha256(data).hexdigest()] = data
        make.advance(60)  # the next package is dated a minute later
        return data

    with (
        HubClient(node.url, "sys-a", secrets["sys-a"]) as a,
        HubClient(node.url, "sys-b", secrets["sys-b"]) as b,
    ):
        # A document from G22 to H41 and G12; a repeated send is the same send.
        original = package(make.document(G22, [H41, G12]))
        first = a.send(original)
        repeated = a.send(original)
        doc = first.document_id
        got = _receive_all(b, 2, sent, kind="document")

        # The receivers report 01 and 03; G22's system gets the statuses.
        for code in ("01", "03"):
            for agency in (H41, G12):
                b.send(package(make.status(agency, doc, code)))
        statuses = _receive_all(a, 4, sent, kind="status")

        # The other direction: H41 writes to G22 and to G12 (on its own system).
        reply = b.send(package(make.document(H41, [G22, G12])))
        to_a = _receive_all(a, 1, sent, kind="document")
        to_g12 = _receive_all(b, 1, sent, kind="document")
        a.send(package(make.status(G22, reply.document_id, "03")))
        _receive_all(b, 1, sent, kind="status")

        # Section 5: a take-back request, answered 15 by H41 and 16 by G12.
        take_back = a.send(package(make.status(G22, doc, "13", description="lấy lại để sửa")))
        asked = _receive_all(b, 2, sent, kind="status")
        b.send(package(make.status(H41, doc, "15", description="đồng ý")))
        b.send(package(make.status(G12, doc, "16", description="không đồng ý")))
        answers = _receive_all(a, 2, sent, kind="status")

        # Revocation, update and replacement of the document.
        revoke = a.send(
            package(
                make.document(
                    G22,
                    [H41, G12],
                    business=m.Business(m.BusinessDocType.REVOKE, "ban hành nhầm", document_id=doc),
                )
            )
        )
        update = a.send(
            package(
                make.document(
                    G22,
                    [H41, G12],
                    business=m.Business(
                        m.BusinessDocType.UPDATE,
                        "sửa trích yếu",
                        business_document_info=m.BusinessDocumentInfo(document_info=True),
                        document_id=doc,
                    ),
                )
            )
        )
        replace = a.send(
            package(
                make.document(
                    G22,
                    [H41, G12],
                    business=m.Business(
                        m.BusinessDocType.REPLACE,
                        "thay thế",
                        document_id=doc,
                        replacement_infos=[m.ReplacementInfo(doc, [H41, G12])],
                    ),
                )
            )
        )
        acting = _receive_all(b, 6, sent, kind="document")
        b.send(package(make.status(H41, update.document_id, "15", description="đồng ý cập nhật")))
        b.send(package(make.status(G12, update.document_id, "16", description="không cập nhật")))
        _receive_all(a, 2, sent, kind="status")

        tracking = a.tracking(first.package_id)
        update_tracking = a.tracking(update.package_id)
        by_document = a.tracking_by_document(doc)
        links_for_sender = a.links(doc)
        links_for_receiver = b.links(doc)
        replacing = a.links(replace.document_id)
        nothing_left = (a.receive(), b.receive())

    assert (repeated.duplicate, repeated.package_id) == (True, first.package_id)
    assert sorted((i.recipient, i.sender, i.document_id) for i in got) == [
        (G12, G22, doc),
        (H41, G22, doc),
    ]
    assert sorted((i.sender, i.status_code) for i in statuses) == [
        (G12, "01"),
        (G12, "03"),
        (H41, "01"),
        (H41, "03"),
    ]
    assert [(i.recipient, i.document_id) for i in to_a] == [(G22, reply.document_id)]
    assert [i.recipient for i in to_g12] == [G12]
    assert take_back.kind == "status"
    assert sorted(d.recipient for d in take_back.deliveries) == [G12, H41]
    assert sorted((i.recipient, i.status_code) for i in asked) == [(G12, "13"), (H41, "13")]
    assert sorted((i.sender, i.recipient, i.status_code) for i in answers) == [
        (G12, G22, "16"),
        (H41, G22, "15"),
    ]
    kinds = {}
    for item in acting:
        package_read = read_package(sent[item.sha256])
        assert isinstance(package_read, m.DocumentPackage)
        assert package_read.business is not None
        assert package_read.business.document_id == doc
        kinds[(item.recipient, item.document_id)] = package_read.business.business_doc_type
    assert kinds == {
        (agency, sent_.document_id): kind
        for agency in (H41, G12)
        for sent_, kind in (
            (revoke, m.BusinessDocType.REVOKE),
            (update, m.BusinessDocType.UPDATE),
            (replace, m.BusinessDocType.REPLACE),
        )
    }

    recipients = {r.recipient: r for r in tracking.recipients}
    assert {r: t.state for r, t in recipients.items()} == {H41: "done", G12: "done"}
    assert all(
        t.claimed_at is not None and t.acknowledged_at is not None for t in recipients.values()
    )
    assert [e.code for e in recipients[H41].history] == ["01", "03", "13", "15"]
    assert [e.code for e in recipients[G12].history] == ["01", "03", "13", "16"]
    latest = {
        r: (t.latest_status.code, t.latest_status.description)
        for r, t in recipients.items()
        if t.latest_status
    }
    assert latest == {H41: ("15", "đồng ý"), G12: ("16", "không đồng ý")}
    assert recipients[H41].history[2].description == "lấy lại để sửa"
    assert {
        r.recipient: r.latest_status.code if r.latest_status else None
        for r in update_tracking.recipients
    } == {H41: "15", G12: "16"}
    assert first.package_id in [p.package_id for p in by_document.packages]

    expected_links = {
        ("revoked_by", revoke.document_id, revoke.package_id),
        ("updated_by", update.document_id, update.package_id),
        ("replaced_by", replace.document_id, replace.package_id),
    }
    assert {(x.relation, x.document_id, x.package_id) for x in links_for_sender.links} == (
        expected_links
    )
    assert {(x.relation, x.document_id, x.package_id) for x in links_for_receiver.links} == (
        expected_links
    )
    assert [(x.relation, x.document_id) for x in replacing.links] == [("replaces", doc)]
    assert nothing_left == ([], [])

    with HubAdminClient(node.url, node.token) as admin:
        audit = admin.audit_verify()
        queues = admin.queues()
    assert audit.ok
    assert all(q.pending == 0 and q.leased == 0 and q.failed == 0 for q in queues.queues)

    # The operator's view of the same document, with the CLI.
    env = dict(
        node.env,
        LIENTHONG_HUB_URL=node.url,
        LIENTHONG_HUB_SYSTEM="sys-a",
        LIENTHONG_HUB_SECRET=secrets["sys-a"],
    )
    shown = run("hub", "track", "--document-id", doc, env=env, cwd=node.cwd)
    assert shown.returncode == 0, shown.stderr
    assert first.package_id in shown.stdout
    for text in ("15", "16", "đồng ý", "không đồng ý", "revoked_by", "updated_by", "replaced_by"):
        assert text in shown.stdout
    assert secrets["sys-a"] not in shown.stdout + shown.stderr
