"""Reading edXML packages: lenient in what is accepted, hardened against hostile input.

``read_package`` parses a package that fits ``EdxmlLimits.fast_parse_max_bytes`` in one
hardened lxml call (:mod:`lienthong.edxml.fastparse`) and streams any other through
:mod:`lienthong.edxml.xmlstream` (attachments decoded to spools, never held whole as text);
whatever the fast path cannot read exactly (and every error) goes the streaming way, so
both give the same packages and the same errors. The tree is then mapped to the model
(:mod:`lienthong.edxml.header`, :mod:`lienthong.edxml.manifest`).

Attachments are decoded, unzipped and hashed during the read (``attachments="eager"``),
or only when first opened (``"lazy"``: see :mod:`lienthong.edxml.lazytext`).

Repairs of damaged-but-unambiguous input are recorded as ``ReadWarning``\\ s on the
package; anything else raises :class:`~lienthong.errors.PackageError` (or
:class:`~lienthong.errors.LimitExceeded`) with a stable code and the line. Nothing else
escapes: unexpected failures become ``package.internal``. See docs/formats.md.
"""

from __future__ import annotations

import io
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Literal

from lienthong.edxml import header
from lienthong.edxml.fastparse import parse_fast
from lienthong.edxml.fields import Element, Fields, Node, local_name
from lienthong.edxml.manifest import AttachmentContext, read_attachments
from lienthong.edxml.model import DSIG_NS, DocumentPackage, SignatureInfo, StatusPackage
from lienthong.edxml.spool import SpoolFactory
from lienthong.edxml.tree import E, FastPathUnfit, ParsedXml
from lienthong.edxml.xmlstream import FEED_CHUNK, parse_stream
from lienthong.errors import LienthongError, LimitExceeded, PackageError
from lienthong.settings import EdxmlLimits

__all__ = ["AttachmentMode", "read_package"]

AttachmentMode = Literal["eager", "lazy"]
_SIGNATURE_TAGS = (E + "Signature", f"{{{DSIG_NS}}}Signature")
#: What the reader notes of a signature, in any namespace (lxml filters them in C).
_SIGNATURE_PARTS = ("{*}SignatureMethod", "{*}DigestMethod", "{*}X509Certificate")


def read_package(
    source: bytes | Path | BinaryIO,
    *,
    limits: EdxmlLimits | None = None,
    spool_dir: Path | None = None,
    attachments: AttachmentMode = "eager",
) -> DocumentPackage | StatusPackage:
    """Read an edXML package from bytes, a file path or a binary stream.

    Attachment payloads are unzipped when the sender zipped them and reached through
    ``Attachment.open()``; large ones live in temporary files under ``spool_dir``.
    ``attachments="lazy"`` leaves them undecoded until first opened (``Attachment.size``
    is ``None`` until then; decoding errors are raised by ``open()``/``load()``).
    Raises :class:`PackageError` / :class:`LimitExceeded` (and nothing else).
    """
    if attachments not in ("eager", "lazy"):
        raise ValueError(f"attachments must be 'eager' or 'lazy', not {attachments!r}")
    limits = limits or EdxmlLimits()
    lazy = attachments == "lazy"
    spools = SpoolFactory(spool_dir)
    try:
        with _source(source, limits) as (data, chunks):
            if data is not None:
                package = _read_fast(data, limits, spools, spool_dir, lazy=lazy)
                if package is not None:
                    return package
            parsed = parse_stream(
                chunks if data is None else _split(data), limits, spools, lazy=lazy
            )
        return _build(parsed, limits, spools, spool_dir)
    except LienthongError:
        spools.discard_all()
        raise
    except Exception as exc:
        spools.discard_all()
        raise PackageError(
            f"the package could not be read: {type(exc).__name__}: {exc}",
            code="package.internal",
        ) from exc


def _read_fast(
    data: bytes, limits: EdxmlLimits, spools: SpoolFactory, spool_dir: Path | None, *, lazy: bool
) -> DocumentPackage | StatusPackage | None:
    """The package read by the fast path, or None: then the streaming path reads it."""
    try:
        parsed = parse_fast(data, limits, spools, lazy=lazy)
        return None if parsed is None else _build(parsed, limits, spools, spool_dir)
    except (PackageError, FastPathUnfit):
        spools.discard_all()
        return None


def _split(data: bytes) -> Iterator[bytes]:
    return (data[at : at + FEED_CHUNK] for at in range(0, len(data), FEED_CHUNK))


@contextmanager
def _source(
    source: bytes | Path | BinaryIO, limits: EdxmlLimits
) -> Iterator[tuple[bytes | None, Iterator[bytes]]]:
    """``(data, chunks)``: all the bytes when they fit the fast path, else chunks to stream."""
    fast_max = min(limits.fast_parse_max_bytes, limits.max_package_bytes)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        yield (data, iter(())) if 0 < len(data) <= fast_max else (None, _split(data))
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
            yield _start(fh, fast_max if size <= fast_max else 0)
        return
    yield _start(source, fast_max)


def _start(fh: BinaryIO | io.BufferedReader, fast_max: int) -> tuple[bytes | None, Iterator[bytes]]:
    """Read up to ``fast_max + 1`` bytes: all of a package that fits, else the start of one.

    One ``read`` call (a buffered stream or a file returns all it can), so that the bytes
    are not held twice, as joining chunks would.
    """
    if fast_max <= 0:
        return None, _read_stream(fh)
    try:
        data = fh.read(fast_max + 1)
        while data and len(data) <= fast_max and (more := fh.read(fast_max + 1 - len(data))):
            data += more  # a raw stream that returned less than asked
    except OSError as exc:
        raise PackageError(f"cannot read the package: {exc}", code="package.io") from None
    if len(data) > fast_max:
        return None, itertools.chain(_split(data), _read_stream(fh))
    return (data, iter(())) if data else (None, iter(()))


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
    parsed: ParsedXml, limits: EdxmlLimits, spools: SpoolFactory, spool_dir: Path | None
) -> DocumentPackage | StatusPackage:
    f = Fields(line_offset=parsed.line_offset, fast=parsed.fast)
    root = Node(parsed.root)
    f.check_single(root, ("edXMLEnvelope", "AttachmentEncoded"))
    envelope = f.require(root, "edXMLEnvelope")
    f.check_single(envelope, ("edXMLHeader", "edXMLBody"))
    head = f.require(envelope, "edXMLHeader")
    f.check_single(head, ("MessageHeader", "TraceHeaderList"))
    mh = f.require(head, "MessageHeader")
    signature = _signature(f, root.el, head)
    if mh.get("StatusCode") is not None:
        if envelope.get("edXMLBody") is not None or root.get("AttachmentEncoded") is not None:
            f.warn("status.extra_parts", "status package carries a body or attachments; ignored")
        status = header.status_package(f, mh)
        status.signature = signature
        status.warnings = parsed.warnings + f.warnings
        return status
    trace_list = head.node("TraceHeaderList")
    context = AttachmentContext(f, parsed, limits, spools, spool_dir)
    package = DocumentPackage(
        header=header.message_header(f, mh),
        trace_headers=header.trace_headers(f, trace_list),
        business=header.business(f, trace_list.node("Bussiness"))
        if trace_list is not None
        else None,
        attachments=read_attachments(context, root, envelope),
        signature=signature,
    )
    package.warnings = parsed.warnings + f.warnings
    return package


def _signature(f: Fields, root: Element, head: Node) -> SignatureInfo:
    el = next((c for c in head.el if c.tag in _SIGNATURE_TAGS), None)
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
    for child in el.iter(*_SIGNATURE_PARTS):
        name = local_name(child)
        if name == "SignatureMethod" and not info.signature_method:
            info.signature_method = (child.get("Algorithm") or "").strip()
        elif name == "DigestMethod" and not info.digest_method:
            info.digest_method = (child.get("Algorithm") or "").strip()
        elif name == "X509Certificate" and (cert := "".join((child.text or "").split())):
            info.certificates_b64.append(cert)
    return info
