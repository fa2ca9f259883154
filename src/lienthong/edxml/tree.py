"""The parsed tree both reader paths hand to the model builder, and its conventions.

Whether a package was parsed in one lxml call (:mod:`lienthong.edxml.fastparse`) or
streamed through a parser target (:mod:`lienthong.edxml.xmlstream`), the tree looks the
same: edXML elements (and the repaired namespace-less or undeclared-prefix ones) are
tagged ``{edXML namespace}name`` (:data:`E` + name), other namespaces keep their own
``{uri}name``; each ``ContentTransferEncoded`` carries :data:`PAYLOAD_ATTR`, the index of
its payload in :attr:`ParsedXml.payloads`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lienthong.edxml.model import NS, ReadWarning

#: Tag prefix of edXML elements in the parsed tree.
E = f"{{{NS}}}"
CTE = E + "ContentTransferEncoded"
ATTACHMENT = E + "Attachment"
READER_NS = "urn:lienthong:reader"
#: The reader marks its tree with attributes in its own namespace; input may not use it.
RESERVED_ATTR_PREFIX = f"{{{READER_NS}}}"
LINE_ATTR = f"{{{READER_NS}}}line"
PAYLOAD_ATTR = f"{{{READER_NS}}}payload"
#: libxml2 keeps exact element lines only below this; the streaming path records larger
#: ones in :data:`LINE_ATTR`, the fast path hands such packages to the streaming path.
MAX_LINE = 65535


class FastPathUnfit(Exception):
    """The fast path cannot read this package exactly; the streaming path must."""


@dataclass(slots=True)
class ParsedXml:
    root: Any  # lxml _Element (kept loose: lxml-stubs types the tree builder poorly)
    #: One entry per ``ContentTransferEncoded``, in document order (see the reader).
    payloads: list[Any]
    warnings: list[ReadWarning] = field(default_factory=list)
    #: Lines dropped before the parsed bytes (junk before the declaration).
    line_offset: int = 0
    #: True for the fast path: element lines come from libxml2 (``sourceline``).
    fast: bool = False


def local_name(el: Any) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""
