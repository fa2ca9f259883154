"""Package-signature test kit: a package in the standard's layout, tree helpers, constants.

Used by ``tests/unit/xmldsig/``; its fixtures (``pki``, ``clock``, ``signed``) are in that
folder's ``conftest.py``.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from lxml import etree

from lienthong.edxml.model import DSIG_NS, NS
from support import SAMPLES_DIR

SAMPLES = SAMPLES_DIR
H41 = "000.00.00.H41"
G22 = "000.00.00.G22"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
DS = {"ds": DSIG_NS, "e": NS}


def make_package(
    sender: str = H41,
    recipients: tuple[str, ...] = (G22, "000.00.00.H08"),
    payload: bytes = b"%PDF-1.7 demo",
) -> bytes:
    """A document package in the standard's layout (what the writer emits)."""
    to = "".join(
        f"<To><OrganId>{r}</OrganId><OrganName>Cơ quan {r}</OrganName></To>" for r in recipients
    )
    content = base64.b64encode(payload).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NS}">
  <edXMLEnvelope>
    <edXMLHeader>
      <MessageHeader>
        <From><OrganId>{sender}</OrganId><OrganName>Ủy ban nhân dân tỉnh Nghệ An</OrganName></From>
        {to}
        <Code><CodeNumber>12</CodeNumber><CodeNotation>UBND-VP</CodeNotation></Code>
        <Subject>V/v kết nối, liên thông phần mềm quản lý văn bản</Subject>
      </MessageHeader>
      <TraceHeaderList>
        <TraceHeader><OrganId>{sender}</OrganId><Timestamp>2025/03/01 08:00:00</Timestamp></TraceHeader>
      </TraceHeaderList>
    </edXMLHeader>
    <edXMLBody>
      <edXMLManifest version="1.0">
        <Reference><ContentId>cid:1</ContentId><ContentType>application/pdf</ContentType><AttachmentName>vb.pdf</AttachmentName></Reference>
      </edXMLManifest>
    </edXMLBody>
  </edXMLEnvelope>
  <AttachmentEncoded>
    <Attachment><ContentId>cid:1</ContentId><AttachmentName>vb.pdf</AttachmentName><ContentType>application/pdf</ContentType><ContentTransferEncoded>{content}</ContentTransferEncoded></Attachment>
  </AttachmentEncoded>
</edXML>
""".encode()


def tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
