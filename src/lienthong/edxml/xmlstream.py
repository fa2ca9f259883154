"""The hardened, streaming XML layer of the edXML reader (packages of any size).

Bytes are fed in chunks to an lxml parser whose *target* builds an element tree for
everything except the text of ``ContentTransferEncoded``, which goes straight to a
:class:`~lienthong.edxml.payload.Base64Decoder` (or, for a lazy read, to a
:class:`~lienthong.edxml.lazytext.SpooledText`). Memory therefore holds the tree of the
envelope (small), one feed chunk and one decode buffer, whatever the attachment sizes.

The tree follows :mod:`lienthong.edxml.tree`: edXML elements (and the repaired or
namespace-less ones) are tagged in the edXML namespace, other namespaces keep theirs. Each
element records its start line (``sourceline``, or :data:`LINE_ATTR` past 65535); lines are
counted from the newlines the parser reports in text, comments and processing instructions,
which is exact for every layout seen in practice (newlines *inside* a start tag are not seen).

Byte-level repairs before parsing (junk before the declaration, undeclared prefixes) are
in :mod:`lienthong.edxml.prelude`.

Hardening: any DOCTYPE is refused (so no DTD, no entity declarations, no external
subset), entities are not resolved, the network is off, and the configured limits (total
size, depth, element count, attachment count, per-attachment decoded size, text size) raise
:class:`~lienthong.errors.LimitExceeded` as soon as they are crossed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from lxml import etree

from lienthong.edxml.hardening import parser_message
from lienthong.edxml.lazytext import SpooledText
from lienthong.edxml.model import NS, ReadWarning
from lienthong.edxml.payload import Base64Decoder, Decoded, is_zip_type
from lienthong.edxml.prelude import (
    UNDECLARED_EDXML,
    UNDECLARED_XLINK,
    Prelude,
    read_prelude,
    xml_error,
)
from lienthong.edxml.spool import SpoolFactory
from lienthong.edxml.tree import (
    ATTACHMENT,
    CTE,
    LINE_ATTR,
    MAX_LINE,
    PAYLOAD_ATTR,
    RESERVED_ATTR_PREFIX,
    E,
    ParsedXml,
)
from lienthong.errors import LimitExceeded, PackageError
from lienthong.settings import EdxmlLimits

UNDECLARED_ATTR_PREFIXES = (f"{{{UNDECLARED_XLINK}}}", f"{{{UNDECLARED_EDXML}}}")
FEED_CHUNK = 1 << 20
HEAD_BYTES = 1 << 16


class _Target:
    """lxml parser target: a tree for the envelope, base64 decoding for the payloads."""

    def __init__(
        self, limits: EdxmlLimits, spools: SpoolFactory, prelude: Prelude, *, lazy: bool
    ) -> None:
        self.limits = limits
        self.spools = spools
        self.lazy = lazy
        self.tb: Any = etree.TreeBuilder()
        self.line = 1 + prelude.line_offset + prelude.root_newlines[0]
        self.root_tag_newlines = prelude.root_newlines[1]
        self.depth = 0
        self.count = 0
        self.attachments = 0
        self.text_size = 0
        self.names: list[str] = []
        self.elements: list[Any] = []
        self.decoder: Base64Decoder | SpooledText | None = None
        self.payloads: list[Decoded | SpooledText] = []
        self.warnings: list[ReadWarning] = []
        self._warned: set[str] = set()
        #: The first error raised from a callback; later callbacks do nothing (lxml may
        #: deliver a few more events after a callback failed, and report a different error).
        self.error: Exception | None = None

    def _warn_once(self, code: str, message: str) -> None:
        if code not in self._warned:
            self._warned.add(code)
            self.warnings.append(ReadWarning(code, message, line=self.line))

    def _limit(self, what: str, code: str, limit: int) -> LimitExceeded:
        return LimitExceeded(
            f"{what} exceeds the limit of {limit} (line {self.line})",
            code=code,
            line=self.line,
            limit=limit,
        )

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        if self.error is None:
            try:
                self._start(tag, attrib)
            except Exception as exc:
                self.error = exc
                raise

    def _start(self, tag: str, attrib: dict[str, str]) -> None:
        self._count_element(tag)
        name = self._tree_name(tag)
        attrs = self._attributes(attrib) if attrib else {}
        try:
            el = self.tb.start(name, attrs)
        except ValueError as exc:  # a name lxml refuses, e.g. "cid:1" (prefix + non-name)
            raise xml_error(
                f"invalid element or attribute name in <{tag}>: {exc}",
                code="package.xml_syntax",
                line=self.line,
            ) from None
        if self.line <= MAX_LINE:
            el.sourceline = self.line
        else:
            el.set(LINE_ATTR, str(self.line))
        if self.depth == 1:
            self.line += self.root_tag_newlines
        self.names.append(name)
        self.elements.append(el)
        self.text_size = 0
        if name == CTE:
            self._start_payload(el)
        elif name == ATTACHMENT:
            self.attachments += 1
            if self.attachments > self.limits.max_attachments:
                raise self._limit(
                    "attachment count", "package.limit.attachments", self.limits.max_attachments
                )

    def _count_element(self, tag: str) -> None:
        self.count += 1
        if self.count > self.limits.max_elements:
            raise self._limit("element count", "package.limit.elements", self.limits.max_elements)
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise self._limit("nesting depth", "package.limit.depth", self.limits.max_depth)
        if self.decoder is not None:
            raise xml_error(
                f"unexpected element {tag} inside ContentTransferEncoded",
                code="package.structure",
                line=self.line,
            )

    def _tree_name(self, tag: str) -> str:
        """The tag in the tree: edXML-namespaced for edXML elements and repaired ones."""
        ns, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
        if self.depth == 1 and not (local == "edXML" and ns in (NS, UNDECLARED_EDXML)):
            if local == "edXML":
                raise xml_error(
                    f"root element is in namespace {ns or '(none)'!r}, not {NS}",
                    code="package.namespace",
                    line=self.line,
                )
            shown = f"{{{ns}}}{local}" if ns else local
            raise xml_error(
                f"root element is {shown}, not edXML", code="package.not_edxml", line=self.line
            )
        if ns == NS:
            return tag
        if ns == UNDECLARED_EDXML:
            self._warn_once(
                "repair.undeclared_prefix",
                f"prefix edXML used outside its declaration (first on {local}); "
                "read as the edXML namespace",
            )
            return E + local
        if not ns:
            self._warn_once(
                "namespace.none", f"element {local} has no namespace; read as an edXML element"
            )
            return E + local
        return tag

    def _attributes(self, attrib: dict[str, str]) -> dict[str, str]:
        attrs: dict[str, str] = {}
        for key, value in attrib.items():
            if len(value) > self.limits.max_text_bytes:
                raise self._limit(
                    "attribute size", "package.limit.text", self.limits.max_text_bytes
                )
            if key.startswith(UNDECLARED_ATTR_PREFIXES):
                self._warn_once(
                    "repair.undeclared_attribute_prefix",
                    f"attribute {key.rpartition('}')[2]} uses an undeclared prefix; ignored",
                )
                continue
            if key.startswith(RESERVED_ATTR_PREFIX):
                self._warn_once(
                    "namespace.reserved",
                    f"attribute {key} uses the reader's own namespace; ignored",
                )
                continue
            attrs[key] = value
        return attrs

    def _start_payload(self, el: Any) -> None:
        parent = self.elements[-2] if len(self.elements) > 1 else None
        content_type = label = ""
        if parent is not None:
            content_type = (parent.findtext(E + "ContentType") or "").strip()
            label = (parent.findtext(E + "ContentId") or "").strip()
        el.set(PAYLOAD_ATTR, str(len(self.payloads)))
        if self.lazy:
            self.decoder = SpooledText(self.spools.new())
            self.payloads.append(self.decoder)
            return
        self.decoder = Base64Decoder(
            self.spools.new(),
            limit=self.limits.max_attachment_bytes,
            label=repr(label or f"#{len(self.payloads) + 1}"),
            line=self.line,
            hash_now=not is_zip_type(content_type),
        )
        self.payloads.append(Decoded(self.decoder))

    def data(self, text: str) -> None:
        if self.error is None:
            try:
                self._data(text)
            except Exception as exc:
                self.error = exc
                raise

    def _data(self, text: str) -> None:
        self.line += text.count("\n")
        if self.decoder is not None:
            self.decoder.feed(text)
            return
        self.text_size += len(text)
        if self.text_size > self.limits.max_text_bytes:
            raise self._limit("text size", "package.limit.text", self.limits.max_text_bytes)
        self.tb.data(text)

    def end(self, tag: str) -> None:
        if self.error is None:
            try:
                self._end()
            except Exception as exc:
                self.error = exc
                raise

    def _end(self) -> None:
        if self.decoder is not None:
            sha256 = self.decoder.finish()
            last = self.payloads[-1]
            if isinstance(last, Decoded):
                last.sha256 = sha256
            self.decoder = None
        self.depth -= 1
        self.text_size = 0
        self.elements.pop()
        self.tb.end(self.names.pop())

    def comment(self, text: str) -> None:
        if self.depth:  # the prolog's newlines are counted by the prelude
            self.line += text.count("\n")

    def pi(self, target: str, data: str | None = None) -> None:
        if self.depth:
            self.line += (data or "").count("\n")

    def doctype(self, *_: object) -> None:
        if self.error is None:
            self.error = xml_error(
                "DOCTYPE is not allowed in a package", code="package.dtd", line=self.line
            )
        raise self.error

    def close(self) -> Any:
        if self.error is not None:
            raise self.error
        if self.depth or not self.count:
            return None  # unbalanced: lxml reports the syntax error itself
        return self.tb.close()


def _make_parser(target: _Target) -> etree.XMLParser:
    return etree.XMLParser(
        target=cast(Any, target),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )


def _read_head(chunks: Iterator[bytes]) -> bytes:
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= HEAD_BYTES:
            break
    return head


def parse_stream(
    chunks: Iterator[bytes], limits: EdxmlLimits, spools: SpoolFactory, *, lazy: bool = False
) -> ParsedXml:
    """Parse a package given as byte chunks; see the module docstring.

    ``lazy``: keep each payload's base64 text undecoded (:class:`SpooledText`) instead of
    decoding it (:class:`~lienthong.edxml.payload.Decoded`).
    """
    head = _read_head(chunks)
    total = len(head)
    if total > limits.max_package_bytes:
        raise _size_limit(limits)
    prelude = read_prelude(head)
    target = _Target(limits, spools, prelude, lazy=lazy)
    parser = _make_parser(target)
    try:
        for at in range(0, len(prelude.data), FEED_CHUNK):
            parser.feed(prelude.data[at : at + FEED_CHUNK])
        for chunk in chunks:
            total += len(chunk)
            if total > limits.max_package_bytes:
                raise _size_limit(limits)
            for at in range(0, len(chunk), FEED_CHUNK):
                parser.feed(chunk[at : at + FEED_CHUNK])
    except etree.XMLSyntaxError as exc:
        if target.error is not None:
            raise target.error from None
        raise _syntax_error(exc, target, prelude.line_offset) from None
    root = _close(parser, target, prelude.line_offset)
    return ParsedXml(root, list(target.payloads), prelude.warnings + target.warnings)


def _close(parser: etree.XMLParser, target: _Target, line_offset: int) -> Any:
    try:
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        if target.error is not None:
            raise target.error from None
        if target.count == 0:
            raise PackageError("the package has no root element", code="package.empty") from None
        if target.depth > 0:
            raise xml_error(
                "the package ends before its elements are closed (truncated?): "
                + parser_message(exc),
                code="package.truncated",
                line=target.line,
            ) from None
        raise _syntax_error(exc, target, line_offset) from None
    if root is None:
        raise PackageError("the package has no root element", code="package.empty")
    return root


def _size_limit(limits: EdxmlLimits) -> LimitExceeded:
    return LimitExceeded(
        f"package size exceeds the limit of {limits.max_package_bytes} bytes",
        code="package.limit.size",
        limit=limits.max_package_bytes,
    )


def _syntax_error(exc: etree.XMLSyntaxError, target: _Target, line_offset: int) -> PackageError:
    line = exc.lineno + line_offset if exc.lineno else target.line
    message = parser_message(exc)
    if "Entity" in message and "not defined" in message:
        return xml_error(f"undefined entity: {message}", code="package.entity", line=line)
    return xml_error(f"not well-formed XML: {message}", code="package.xml_syntax", line=line)
