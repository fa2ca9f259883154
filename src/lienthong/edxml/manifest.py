"""Attachments of a parsed package: manifest references matched to ``Attachment`` elements.

Each attachment's payload is what the parse left for it (see :class:`ParsedXml`): decoded
bytes (:class:`~lienthong.edxml.payload.Decoded`, an eager read), which are unzipped and
measured now; or its kept base64 text (:mod:`lienthong.edxml.lazytext`, a lazy read),
which is only classified now and decoded when the attachment is first loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lienthong.edxml.fields import Element, Fields, Node
from lienthong.edxml.lazytext import LazyContent, PayloadText, decode_text
from lienthong.edxml.model import Attachment
from lienthong.edxml.payload import Decoded, finish_payload, is_zip_type
from lienthong.edxml.peek import classify
from lienthong.edxml.spool import SpoolFactory
from lienthong.edxml.tree import PAYLOAD_ATTR, E, ParsedXml
from lienthong.edxml.values import clean
from lienthong.settings import EdxmlLimits

__all__ = ["AttachmentContext", "read_attachments"]

_REFERENCE = E + "Reference"


@dataclass(slots=True)
class AttachmentContext:
    f: Fields
    parsed: ParsedXml
    limits: EdxmlLimits
    spools: SpoolFactory
    spool_dir: Path | None


def _content_key(content_id: str) -> str:
    """Content ids compared loosely: ``<cid:209>``, ``cid:209`` and ``209`` are one id."""
    key = content_id.strip().strip("<>").strip()
    return key[4:] if key.lower().startswith("cid:") else key


def read_attachments(ctx: AttachmentContext, root: Node, envelope: Node) -> list[Attachment]:
    """The attachments of ``AttachmentEncoded``, described by the manifest where it can."""
    f, parsed = ctx.f, ctx.parsed
    references: dict[str, Node] = {}
    for manifest in envelope.grandchildren("edXMLBody", "edXMLManifest"):
        for ref in manifest:
            if ref.tag != _REFERENCE:
                continue
            node = Node(ref)
            key = _content_key(f.text(node, "ContentId"))
            if key in references:
                f.warn("manifest.duplicate_id", f"manifest lists content id {key!r} twice", ref)
            references.setdefault(key, node)
    result: list[Attachment] = []
    used: set[int] = set()
    for att in root.grandchildren("AttachmentEncoded", "Attachment"):
        node = Node(att)
        ctes = node.all("ContentTransferEncoded")
        if not ctes:
            f.warn(
                "attachment.no_content", "Attachment without ContentTransferEncoded dropped", att
            )
            continue
        if len(ctes) > 1:
            f.warn("element.duplicate", "Attachment has several contents; the first is used", att)
        index = int(ctes[0].get(PAYLOAD_ATTR))
        used.add(index)
        result.append(_attachment(ctx, node, ctes[0], references, index))
    for key, ref in references.items():
        f.warn(
            "manifest.missing_attachment",
            f"manifest entry {f.text(ref, 'ContentId') or key!r} has no attachment",
            ref.el,
        )
    if len(used) < len(parsed.payloads):
        f.warn("attachment.stray_content", "ContentTransferEncoded outside an Attachment ignored")
        for index, payload in enumerate(parsed.payloads):
            if index not in used:
                _release(payload)
    ids = [a.content_id for a in result]
    if len(set(ids)) < len(ids):
        f.warn("attachment.duplicate_id", "several attachments share a content id")
    return result


def _release(payload: Decoded | PayloadText) -> None:
    if isinstance(payload, Decoded):
        payload.decoder.spool.discard()
    else:
        payload.release()


@dataclass(slots=True)
class _Described:
    """An attachment's description, from its element and its manifest reference."""

    content_id: str
    name: str
    content_type: str
    description: str
    label: str
    line: int | None


def _attachment(
    ctx: AttachmentContext, att: Node, cte: Element, references: dict[str, Node], index: int
) -> Attachment:
    f = ctx.f
    content_id = f.text(att, "ContentId")
    ref = references.pop(_content_key(content_id), None)
    if ref is None:
        f.warn(
            "manifest.unlisted_attachment",
            f"attachment {content_id!r} is not listed in the manifest",
            att.el,
        )

    def value(name: str) -> str:
        return f.text(att, name) or f.text(ref, name)

    name = value("AttachmentName")
    if not content_id:
        f.warn("attachment.no_id", "attachment without ContentId", att.el)
    if not name:
        f.warn("attachment.no_name", f"attachment {content_id!r} has no AttachmentName", att.el)
    about = _Described(
        content_id,
        name,
        value("ContentType"),
        value("Description"),
        label=repr(content_id or f"#{index + 1}"),
        line=f.line(cte),
    )
    payload = ctx.parsed.payloads[index]
    if isinstance(payload, Decoded):
        return _decoded(ctx, about, payload, cte)
    return _lazy(ctx, about, payload, cte)


def _decoded(
    ctx: AttachmentContext, about: _Described, decoded: Decoded, cte: Element
) -> Attachment:
    f = ctx.f
    if decoded.decoder.repaired_padding:
        f.warn("repair.base64_padding", f"attachment {about.label}: base64 padding added", cte)
    final = finish_payload(
        decoded.decoder.spool,
        decoded.sha256,
        content_type=about.content_type,
        name=about.name,
        limit=ctx.limits.max_attachment_bytes,
        factory=ctx.spools,
        label=about.label,
        line=about.line,
    )
    if final.warning is not None:
        f.warn(final.warning[0], final.warning[1], cte)
    return Attachment(
        content_id=about.content_id,
        attachment_name=about.name,
        content_type=_model_type(about.content_type, zipped=final.zipped),
        description=about.description,
        size=final.size,
        sha256=final.sha256,
        zipped=final.zipped,
        opener=final.spool.opener(),
    )


def _lazy(ctx: AttachmentContext, about: _Described, text: PayloadText, cte: Element) -> Attachment:
    f = ctx.f
    decision = classify(
        text.inspect(), content_type=about.content_type, name=about.name, label=about.label
    )
    if decision.now:
        decoded = decode_text(
            text,
            ctx.spools,
            limit=ctx.limits.max_attachment_bytes,
            label=about.label,
            line=about.line,
            hash_now=not is_zip_type(about.content_type),
        )
        text.release()
        return _decoded(ctx, about, decoded, cte)
    if decision.padded:
        f.warn("repair.base64_padding", f"attachment {about.label}: base64 padding added", cte)
    if decision.warning is not None:
        f.warn(decision.warning[0], decision.warning[1], cte)
    content = LazyContent(
        text,
        spool_dir=ctx.spool_dir,
        zipped=decision.zipped,
        content_type=about.content_type,
        name=about.name,
        limit=ctx.limits.max_attachment_bytes,
        label=about.label,
        line=about.line,
    )
    return Attachment(
        content_id=about.content_id,
        attachment_name=about.name,
        content_type=_model_type(about.content_type, zipped=decision.zipped),
        description=about.description,
        size=None,
        sha256="",
        zipped=decision.zipped,
        opener=content.open,
        loader=content.load,
    )


def _model_type(content_type: str, *, zipped: bool) -> str:
    return "application/zip" if zipped else clean(content_type) or "application/octet-stream"
