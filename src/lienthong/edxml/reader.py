"""Reading edXML packages: lenient in what is accepted, hardened against hostile input.

``read_package`` streams the input through :mod:`lienthong.edxml.xmlstream` (attachments
are decoded to spools, never held whole as text), then maps the small envelope tree to the
model. Repairs of damaged-but-unambiguous input are recorded as ``ReadWarning``\\ s on the
package; anything else raises :class:`~lienthong.errors.PackageError` (or
:class:`~lienthong.errors.LimitExceeded`) with a stable code and the line. Nothing else
escapes: unexpected failures become ``package.internal``. See docs/formats.md.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lienthong.edxml import header
from lienthong.edxml.fields import Element, Fields, local_name
from lienthong.edxml.model import (
    DSIG_NS,
    Attachment,
    DocumentPackage,
    SignatureInfo,
    StatusPackage,
)
from lienthong.edxml.payload import finish_payload
from lienthong.edxml.spool import SpoolFactory
from lienthong.edxml.values import clean
from lienthong.edxml.xmlstream import (
    CTE,
    FEED_CHUNK,
    PAYLOAD_ATTR,
    ParsedXml,
    element_line,
    parse_stream,
)
from lienthong.errors import LienthongError, LimitExceeded, PackageError
from lienthong.settings import EdxmlLimits

__all__ = ["read_package"]

_SIGNATURE_TAGS = ("Signature", f"{{{DSIG_NS}}}Signature")


def read_package(
    source: bytes | Path | BinaryIO,
    *,
    limits: EdxmlLimits | None = None,
    spool_dir: Path | None = None,
) -> DocumentPackage | StatusPackage:
    """Read an edXML package from bytes, a file path or a binary stream.

    Attachment payloads are unzipped when the sender zipped them and reached through
    ``Attachment.open()``; large ones live in temporary files under ``spool_dir``.
    Raises :class:`PackageError` / :class:`LimitExceeded` (and nothing else).
    """
    limits = limits or EdxmlLimits()
    spools = SpoolFactory(spool_dir)
    try:
        with _chunks(source, limits) as chunks:
            parsed = parse_stream(chunks, limits, spools)
        return _build(parsed, limits, spools)
    except LienthongError:
        spools.discard_all()
        raise
    except Exception as exc:
        spools.discard_all()
        raise PackageError(
            f"the package could not be read: {type(exc).__name__}: {exc}",
            code="package.internal",
        ) from exc


@contextmanager
def _chunks(source: bytes | Path | BinaryIO, limits: EdxmlLimits) -> Iterator[Iterator[bytes]]:
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        yield (data[at : at + FEED_CHUNK] for at in range(0, len(data), FEED_CHUNK))
        return
    if isinstance(source, os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limits.max_package_bytes:
                raise LimitExceeded(
                    f"package size {size} exceeds the limit of {limits.max_package_bytes} bytes",
                    code="package.limit.size",
                    limit=limits.max_package_bytes,
                )
            fh = path.open("rb")
        except OSError as exc:
            raise PackageError(f"cannot open {path}: {exc}", code="package.io") from None
        with fh:
            yield _read_stream(fh)
        return
    yield _read_stream(source)


def _read_stream(fh: BinaryIO | io.BufferedReader) -> Iterator[bytes]:
    while True:
        try:
            chunk = fh.read(FEED_CHUNK)
        except OSError as exc:
            raise PackageError(f"cannot read the package: {exc}", code="package.io") from None
        if not chunk:
            return
        yield chunk


def _build(
    parsed: ParsedXml, limits: EdxmlLimits, spools: SpoolFactory
) -> DocumentPackage | StatusPackage:
    f = Fields()
    root = parsed.root
    f.check_single(root, ("edXMLEnvelope", "AttachmentEncoded"))
    envelope = f.require(root, "edXMLEnvelope")
    f.check_single(envelope, ("edXMLHeader", "edXMLBody"))
    head = f.require(envelope, "edXMLHeader")
    f.check_single(head, ("MessageHeader", "TraceHeaderList"))
    mh = f.require(head, "MessageHeader")
    signature = _signature(f, root, head)
    if mh.find("StatusCode") is not None:
        if envelope.find("edXMLBody") is not None or root.find("AttachmentEncoded") is not None:
            f.warn("status.extra_parts", "status package carries a body or attachments; ignored")
        status = header.status_package(f, mh)
        status.signature = signature
        status.warnings = parsed.warnings + f.warnings
        return status
    trace_list = head.find("TraceHeaderList")
    package = DocumentPackage(
        header=header.message_header(f, mh),
        trace_headers=header.trace_headers(f, trace_list),
        business=header.business(f, trace_list.find("Bussiness"))
        if trace_list is not None
        else None,
        attachments=_attachments(_Context(f, parsed, limits, spools), root, envelope),
        signature=signature,
    )
    package.warnings = parsed.warnings + f.warnings
    return package


def _signature(f: Fields, root: Element, head: Element) -> SignatureInfo:
    el = next((c for c in head if c.tag in _SIGNATURE_TAGS), None)
    if el is None:
        el = next(root.iter(*_SIGNATURE_TAGS), None)
        if el is None:
            return SignatureInfo()
        f.warn("signature.misplaced", "Signature found outside edXMLHeader", el)
    info = SignatureInfo(present=True, namespace_missing=el.tag != _SIGNATURE_TAGS[1])
    if info.namespace_missing:
        f.warn(
            "signature.namespace_missing",
            f"Signature element is not in the XML-DSig namespace {DSIG_NS}",
            el,
        )
    for child in el.iter():
        name = local_name(child)
        if name == "SignatureMethod" and not info.signature_method:
            info.signature_method = (child.get("Algorithm") or "").strip()
        elif name == "DigestMethod" and not info.digest_method:
            info.digest_method = (child.get("Algorithm") or "").strip()
        elif name == "X509Certificate" and (cert := "".join((child.text or "").split())):
            info.certificates_b64.append(cert)
    return info


def _content_key(content_id: str) -> str:
    """Content ids compared loosely: ``<cid:209>``, ``cid:209`` and ``209`` are one id."""
    key = content_id.strip().strip("<>").strip()
    return key[4:] if key.lower().startswith("cid:") else key


@dataclass(slots=True)
class _Context:
    f: Fields
    parsed: ParsedXml
    limits: EdxmlLimits
    spools: SpoolFactory


def _attachments(ctx: _Context, root: Element, envelope: Element) -> list[Attachment]:
    f, parsed = ctx.f, ctx.parsed
    references: dict[str, Element] = {}
    for ref in envelope.iterfind("edXMLBody/edXMLManifest/Reference"):
        key = _content_key(f.text(ref, "ContentId"))
        if key in references:
            f.warn("manifest.duplicate_id", f"manifest lists content id {key!r} twice", ref)
        references.setdefault(key, ref)
    result: list[Attachment] = []
    used: set[int] = set()
    for att in root.iterfind("AttachmentEncoded/Attachment"):
        ctes = att.findall(CTE)
        if not ctes:
            f.warn(
                "attachment.no_content", "Attachment without ContentTransferEncoded dropped", att
            )
            continue
        if len(ctes) > 1:
            f.warn("element.duplicate", "Attachment has several contents; the first is used", att)
        index = int(ctes[0].get(PAYLOAD_ATTR))
        used.add(index)
        result.append(_attachment(ctx, att, ctes[0], references, index))
    for key, ref in references.items():
        f.warn(
            "manifest.missing_attachment",
            f"manifest entry {f.text(ref, 'ContentId') or key!r} has no attachment",
            ref,
        )
    if len(used) < len(parsed.payloads):
        f.warn("attachment.stray_content", "ContentTransferEncoded outside an Attachment ignored")
        for index, decoded in enumerate(parsed.payloads):
            if index not in used:
                decoded.decoder.spool.discard()
    ids = [a.content_id for a in result]
    if len(set(ids)) < len(ids):
        f.warn("attachment.duplicate_id", "several attachments share a content id")
    return result


def _attachment(
    ctx: _Context, att: Element, cte: Element, references: dict[str, Element], index: int
) -> Attachment:
    f = ctx.f
    content_id = f.text(att, "ContentId")
    ref = references.pop(_content_key(content_id), None)
    if ref is None:
        f.warn(
            "manifest.unlisted_attachment",
            f"attachment {content_id!r} is not listed in the manifest",
            att,
        )

    def value(name: str) -> str:
        own = f.text(att, name)
        return own or (f.text(ref, name) if ref is not None else "")

    name, content_type = value("AttachmentName"), value("ContentType")
    if not content_id:
        f.warn("attachment.no_id", "attachment without ContentId", att)
    if not name:
        f.warn("attachment.no_name", f"attachment {content_id!r} has no AttachmentName", att)
    decoded = ctx.parsed.payloads[index]
    label = repr(content_id or f"#{index + 1}")
    if decoded.decoder.repaired_padding:
        f.warn("repair.base64_padding", f"attachment {label}: base64 padding added", cte)
    final = finish_payload(
        decoded.decoder.spool,
        decoded.sha256,
        content_type=content_type,
        name=name,
        limit=ctx.limits.max_attachment_bytes,
        factory=ctx.spools,
        label=label,
        line=element_line(cte),
    )
    if final.warning is not None:
        f.warn(final.warning[0], final.warning[1], cte)
    return Attachment(
        content_id=content_id,
        attachment_name=name,
        content_type="application/zip"
        if final.zipped
        else clean(content_type) or "application/octet-stream",
        description=value("Description"),
        size=final.size,
        sha256=final.sha256,
        zipped=final.zipped,
        opener=final.spool.opener(),
    )
