"""The fast path of the edXML reader: one hardened lxml call for packages held in memory.

For a package of at most ``EdxmlLimits.fast_parse_max_bytes``, libxml2 builds the tree in
one C call (``etree.fromstring`` with a hardened parser) and the reader then does, in
Python, only what bare parsing does not: a few checks run by libxml2 itself (XPath,
tag-filtered iteration), and nothing per attachment but noting where its text is. Where
:mod:`lienthong.edxml.splice` can tell exactly, the base64 texts are cut out of the bytes
before parsing (libxml2 then parses the envelope only) and payloads are slices of the
package's bytes; otherwise they stay in the tree.

It reads exactly what the streaming path (:mod:`lienthong.edxml.xmlstream`) reads, or
gives up (``None`` / :class:`~lienthong.edxml.tree.FastPathUnfit`) and lets the streaming
path read the package, which then also reports any error. Hardening is the same:

- **no DTD, no entities**: the prelude must find the root start tag preceded only by the
  XML declaration, comments and PIs, so there is no DOCTYPE (one after the root is not
  well-formed); the parser resolves no entity, loads no DTD, uses no network, and
  ``huge_tree`` stays off (libxml2's own limits, e.g. 10 MB per text node, send what
  exceeds them to the streaming path);
- **element count**: bounded *before* parsing — a package of ``n`` bytes holds at most
  ``n // 4`` elements, and past ``max_elements`` that bound is replaced by counting ``<``;
- **depth, attachment count, text and attribute sizes, elements inside
  ContentTransferEncoded**: checked on the tree; any excess goes to the streaming path,
  which raises the limit error with its line;
- the prelude's **repairs** (junk before the declaration, undeclared ``edXML:``/``xlink:``
  prefixes) and the **namespace** repairs of the parser target are made here too, with
  the same warnings.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lxml import etree

from lienthong.edxml.hardening import hardened_parser
from lienthong.edxml.lazytext import ElementText, PayloadText, SourceText, decode_text
from lienthong.edxml.model import ReadWarning
from lienthong.edxml.payload import Decoded, is_zip_type
from lienthong.edxml.prelude import UNDECLARED_EDXML, UNDECLARED_XLINK, Prelude, read_prelude
from lienthong.edxml.splice import Region, assemble, text_regions
from lienthong.edxml.spool import SpoolFactory
from lienthong.edxml.tree import (
    ATTACHMENT,
    CTE,
    MAX_LINE,
    PAYLOAD_ATTR,
    READER_NS,
    RESERVED_ATTR_PREFIX,
    E,
    FastPathUnfit,
    ParsedXml,
)
from lienthong.edxml.xmlstream import HEAD_BYTES, UNDECLARED_ATTR_PREFIXES
from lienthong.settings import EdxmlLimits

__all__ = ["parse_fast"]

_UNDECLARED_E = f"{{{UNDECLARED_EDXML}}}"
_ROOT_TAGS = (E + "edXML", _UNDECLARED_E + "edXML")
_CTE_NAMES = (CTE, "ContentTransferEncoded", _UNDECLARED_E + "ContentTransferEncoded")
_ANY_CTE = "{*}ContentTransferEncoded"
_SHORT_HEAD = 4096
_UNDECLARED_PREFIX_ERROR = re.compile(r"Namespace prefix (?:edXML|xlink) ")
# Compiled XPath objects lock themselves while evaluating: safe to share between threads.
_ODD_ATTRIBUTES = etree.XPath(
    "boolean(descendant-or-self::*/@*[namespace-uri()='"
    + "' or namespace-uri()='".join((READER_NS, UNDECLARED_EDXML, UNDECLARED_XLINK))
    + "'])"
)


@lru_cache(maxsize=8)
def _deeper_than(depth: int) -> etree.XPath:
    """XPath: is there an element below ``depth`` levels (the root being level 1)?"""
    return etree.XPath("boolean(" + "/*" * (depth + 1) + ")")


def _few_elements(data: bytes, cap: int) -> bool:
    """Whether ``data`` surely holds at most ``cap`` elements (each needs ``<`` and 4 bytes)."""
    if len(data) // 4 <= cap:
        return True
    count = 0
    at = data.find(b"<")
    while at >= 0:
        count += 1
        if count > cap:
            return False
        at = data.find(b"<", at + 1)
    return True


def _parse(data: bytes, prelude: Prelude, regions: list[Region], max_elements: int) -> Any:
    """The tree, or None if libxml2 refuses it (the streaming path will say why) or it
    may hold more than ``max_elements`` elements (decided before parsing).

    Parsed without the prelude's added declarations first; only if the package uses an
    undeclared ``edXML:``/``xlink:`` prefix is it parsed again with them.
    """
    plain = assemble(data, prelude, regions, declare=False)
    if not _few_elements(plain, max_elements):  # cut texts hold no "<"
        return None
    parser = hardened_parser()
    try:
        root = etree.fromstring(plain, parser)
    except etree.XMLSyntaxError as exc:
        if not prelude.added or not _UNDECLARED_PREFIX_ERROR.search(str(exc)):
            return None
        parser = hardened_parser()
        try:
            root = etree.fromstring(assemble(data, prelude, regions, declare=True), parser)
        except etree.XMLSyntaxError:
            return None
    if parser.error_log.filter_from_errors():
        return None
    docinfo: Any = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # pragma: no cover - prelude
        return None
    return root


def _texts_within(root: Any, cap: int) -> bool:
    """Every text and attribute outside ContentTransferEncoded has at most ``cap`` chars."""
    for el in root.iter():
        text = None if el.tag in _CTE_NAMES else el.text
        if (text is not None and len(text) > cap) or (el.tail and len(el.tail) > cap):
            return False
        if el.attrib and any(len(value) > cap for value in el.attrib.values()):
            return False
    return True


class _Repairs:
    """The namespace repairs of the streaming parser target, on a finished tree."""

    def __init__(self, line_offset: int) -> None:
        self.line_offset = line_offset
        self.warnings: list[ReadWarning] = []
        self._warned: set[str] = set()

    def _warn_once(self, code: str, message: str, el: Any) -> None:
        if code in self._warned:
            return
        line = el.sourceline
        if line is None or line >= MAX_LINE:
            raise FastPathUnfit("line numbers past libxml2's exact range")
        self._warned.add(code)
        self.warnings.append(ReadWarning(code, message, line=line + self.line_offset))

    def run(self, root: Any) -> None:
        for el in root.iter():
            tag = el.tag
            if not isinstance(tag, str):  # pragma: no cover - comments and PIs are removed
                continue
            ns, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
            if ns == UNDECLARED_EDXML:
                self._warn_once(
                    "repair.undeclared_prefix",
                    f"prefix edXML used outside its declaration (first on {local}); "
                    "read as the edXML namespace",
                    el,
                )
                el.tag = E + local
            elif not ns:
                self._warn_once(
                    "namespace.none",
                    f"element {local} has no namespace; read as an edXML element",
                    el,
                )
                el.tag = E + local
            if el.attrib:
                self._attributes(el)

    def _attributes(self, el: Any) -> None:
        for key in list(el.attrib):
            if key.startswith(UNDECLARED_ATTR_PREFIXES):
                self._warn_once(
                    "repair.undeclared_attribute_prefix",
                    f"attribute {key.rpartition('}')[2]} uses an undeclared prefix; ignored",
                    el,
                )
                del el.attrib[key]
            elif key.startswith(RESERVED_ATTR_PREFIX):
                self._warn_once(
                    "namespace.reserved",
                    f"attribute {key} uses the reader's own namespace; ignored",
                    el,
                )
                del el.attrib[key]


def _checked_tree(data: bytes, limits: EdxmlLimits, prelude: Prelude, regions: list[Region]) -> Any:
    """The parsed and repaired tree, or None when the streaming path must read it."""
    root = _parse(data, prelude, regions, limits.max_elements)
    if root is None or root.tag not in _ROOT_TAGS or _deeper_than(limits.max_depth)(root):
        return None
    if len(data) > limits.max_text_bytes and not _texts_within(root, limits.max_text_bytes):
        return None
    repairs = _Repairs(prelude.line_offset)
    if next(root.iter("{}*", _UNDECLARED_E + "*"), None) is not None or _ODD_ATTRIBUTES(root):
        repairs.run(root)
    prelude.warnings.extend(repairs.warnings)
    # libxml2 puts an element on the line where its start tag ends; the streaming path
    # (and the reader's messages) use the line where it starts: the same but for the root.
    root.sourceline = 1 + prelude.root_newlines[0]
    return root


def _prelude(data: bytes) -> Prelude | None:
    """The prelude of ``data`` (from its first KiBs: a prolog is short), None if not for
    the byte-level work here (UTF-16/32)."""
    for size in (_SHORT_HEAD, HEAD_BYTES):
        head = data[:size]
        if b"\0" in head:
            return None
        prelude = read_prelude(head)
        if prelude.root_at >= 0 or len(data) <= size:
            return prelude
    return prelude


def parse_fast(
    data: bytes, limits: EdxmlLimits, spools: SpoolFactory, *, lazy: bool
) -> ParsedXml | None:
    """Parse a whole package held in memory; None if the streaming path must read it.

    Raises the prelude's errors (the streaming path would raise the same), the eager
    decoder's errors, and :class:`FastPathUnfit`.
    """
    prelude = _prelude(data)
    if prelude is None or prelude.root_at < 0:
        return None
    regions = text_regions(data, prelude)
    root = _checked_tree(data, limits, prelude, regions or [])
    if root is None or sum(1 for _ in root.iter(ATTACHMENT)) > limits.max_attachments:
        return None
    named = list(root.iter(_ANY_CTE))
    if regions is not None and len(named) != len(regions):  # pragma: no cover - see splice
        return None
    payloads: list[Decoded | PayloadText] = []
    for position, cte in enumerate(named):
        if cte.tag != CTE:
            continue  # another namespace's element of that name
        if len(cte):
            return None  # an element inside ContentTransferEncoded
        text: PayloadText
        if regions is None:
            text = ElementText(cte)
        else:
            region = regions[position]
            text = SourceText(data, region.start, region.end, newlines=region.newlines)
        cte.set(PAYLOAD_ATTR, str(len(payloads)))
        payloads.append(text if lazy else _decode(text, cte, len(payloads), limits, spools))
    return ParsedXml(root, payloads, prelude.warnings, prelude.line_offset, fast=True)


def _decode(
    text: PayloadText, cte: Any, index: int, limits: EdxmlLimits, spools: SpoolFactory
) -> Decoded:
    """Decode one payload at once (an eager read); then drop the text."""
    parent = cte.getparent()
    content_type = (parent.findtext(E + "ContentType") or "").strip()
    label = (parent.findtext(E + "ContentId") or "").strip()
    decoded = decode_text(
        text,
        spools,
        limit=limits.max_attachment_bytes,
        label=repr(label or f"#{index + 1}"),
        line=cte.sourceline,
        hash_now=not is_zip_type(content_type),
    )
    text.release()
    cte.text = None
    return decoded
