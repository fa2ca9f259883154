"""Canonical XML of a package into a hash, and a signed package back to bytes, in little memory.

lxml (libxml2) canonicalizes or serializes a text node by making an escaped copy of it,
appending that copy whole to its output buffer and handing the buffer to Python as one
more ``bytes``: three copies of a 20 MB attachment on top of the parsed tree. Here the
large texts are first taken out of the tree (:class:`DetachedTexts` puts a random marker
in their place), lxml renders the small document that is left, and the texts are escaped
and fed to the hash, or to the output, in chunks where their markers stand. The bytes are
exactly those lxml would produce (the escaping rules are C14N 1.0's and libxml2's), so
signatures stay interoperable (xmlsec1 verifies what we sign and the other way round).
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from lxml import etree

from lienthong.errors import SignatureError

#: Element texts of at least this many characters are detached before rendering.
LARGE_TEXT = 64 * 1024
#: Characters escaped and encoded at a time.
_CHUNK = 1 << 20
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


#: How a text node is escaped: (character, replacement) pairs, ``&`` first.
Escapes = tuple[tuple[str, str], ...]
#: Text nodes as C14N 1.0 writes them.
C14N_TEXT: Escapes = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#xD;"))
#: Text nodes as libxml2 serializes them.
XML_TEXT: Escapes = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;"))
Writer = Callable[[bytes | memoryview], object]


def _escaped_chunks(text: str | bytes, escapes: Escapes) -> Iterator[bytes | memoryview]:
    """``text`` escaped and UTF-8 encoded, a chunk at a time (views of it when nothing to escape)."""
    if isinstance(text, bytes):
        table = [(a.encode("ascii"), b.encode("ascii")) for a, b in escapes]
        plain = not any(char in text for char, _ in table)
        view = memoryview(text)
        for start in range(0, len(text), _CHUNK):
            chunk = view[start : start + _CHUNK]
            if plain:
                yield chunk
                continue
            out = bytes(chunk)
            for char, escaped in table:
                out = out.replace(char, escaped)
            yield out
        return
    for start in range(0, len(text), _CHUNK):
        part = text[start : start + _CHUNK]
        for special, replacement in escapes:
            part = part.replace(special, replacement)
        yield part.encode("utf-8")


def _escaped_size(text: str | bytes, escapes: Escapes) -> int:
    if isinstance(text, bytes):  # ASCII: count what the escaping adds
        return len(text) + sum(
            (len(replacement) - 1) * text.count(special.encode("ascii"))
            for special, replacement in escapes
        )
    return sum(len(chunk) for chunk in _escaped_chunks(text, escapes))


class DetachedTexts:
    """The large element texts of a tree, replaced by a marker until :meth:`restore`.

    Taking a text out costs one Python copy of it while libxml2's is freed; ASCII texts
    (base64) are then kept as ``bytes``, which lxml takes back without another copy. So
    the tree and its texts together stay about the size of the document, plus one copy
    of the largest text on the way in and out. The marker is random per instance: a
    document cannot contain it by design.
    """

    def __init__(self, root: etree._Element, threshold: int = LARGE_TEXT) -> None:
        self.marker = f"lienthong-detached-{secrets.token_hex(16)}"
        self._nodes: list[etree._Element] = []
        self._texts: list[str | bytes] = []
        for node in root.iter(etree.Element):  # elements only: comments and PIs are not escaped
            text = node.text
            if text is not None and len(text) >= threshold:
                node.text = self.marker
                self._nodes.append(node)
                self._texts.append(text.encode("ascii") if text.isascii() else text)
            del text

    def __len__(self) -> int:
        return len(self._texts)

    def restore(self) -> None:
        """Put every text back in its element, one at a time."""
        while self._nodes:
            # lxml takes ASCII bytes as they are (the stubs only know str)
            self._nodes.pop().text = self._texts.pop()  # type: ignore[assignment]

    def splice(self, rendered: bytes, write: Writer, escapes: Escapes) -> None:
        """Feed ``rendered`` to ``write`` with each marker replaced by its escaped text.

        ``rendered`` is the document (or the part of it holding every detached node) as lxml
        wrote it with the markers in place; the texts come in document order.
        """
        pieces = rendered.split(self.marker.encode("ascii"))
        if len(pieces) != len(self._texts) + 1:
            raise SignatureError(
                f"{len(pieces) - 1} text markers rendered for {len(self._texts)} detached texts",
                code="signature.c14n",
            )
        write(pieces[0])
        for text, piece in zip(self._texts, pieces[1:], strict=True):
            for chunk in _escaped_chunks(text, escapes):
                write(chunk)
            write(piece)

    def escaped_size(self, escapes: Escapes) -> int:
        """Bytes the texts take once escaped and encoded (for an exact output buffer)."""
        return sum(_escaped_size(text, escapes) for text in self._texts)


@contextmanager
def enveloped(sig: etree._Element) -> Iterator[None]:
    """The tree as the enveloped-signature transform sees it: ``sig`` out, its tail kept.

    The signature is put back, with its tail, when the block ends.
    """
    parent = sig.getparent()
    if parent is None:
        raise SignatureError("the signature is the document itself", code="signature.misplaced")
    index = parent.index(sig)
    tail = sig.tail
    previous = sig.getprevious()
    saved = previous.tail if previous is not None else parent.text
    if previous is not None:
        previous.tail = (previous.tail or "") + (tail or "")
    else:
        parent.text = (parent.text or "") + (tail or "")
    parent.remove(sig)
    try:
        yield
    finally:
        if previous is not None:
            previous.tail = saved
        else:
            parent.text = saved
        parent.insert(index, sig)
        sig.tail = tail


def canonical_digest(
    node: etree._Element | etree._ElementTree,
    hash_name: str,
    *,
    exclusive: bool,
    with_comments: bool,
    prefixes: Sequence[str] | None = None,
    texts: DetachedTexts | None = None,
) -> bytes:
    """The hash of the canonical form of ``node``: a whole document (an ElementTree, with
    the processing instructions around the root) or one element's subtree.

    ``prefixes`` is exclusive C14N's InclusiveNamespaces PrefixList. Large texts are
    detached for the time of the call unless ``texts`` already detached them.
    """
    root = node.getroot() if isinstance(node, etree._ElementTree) else node
    own = texts is None
    detached = DetachedTexts(root) if texts is None else texts
    try:
        rendered = etree.tostring(
            node,
            method="c14n",
            exclusive=exclusive,
            with_comments=with_comments,
            inclusive_ns_prefixes=list(prefixes) if exclusive and prefixes else None,
        )
        digest = hashlib.new(hash_name)
        detached.splice(rendered, digest.update, C14N_TEXT)
        return digest.digest()
    finally:
        if own:
            detached.restore()


def serialize_package(root: etree._Element, texts: DetachedTexts) -> bytes:
    """``<?xml …?>``, the document element (UTF-8) and a newline, with ``texts`` spliced in.

    The output buffer is sized exactly first, so it is never grown (and copied) on the way.
    """
    rendered = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    size = (
        len(XML_DECLARATION)
        + len(rendered)
        - len(texts) * len(texts.marker)
        + texts.escaped_size(XML_TEXT)
        + 1
    )
    out = io.BytesIO()
    out.seek(size - 1)
    out.write(b"\n")  # allocates the whole buffer once
    out.seek(0)
    out.write(XML_DECLARATION)
    texts.splice(rendered, out.write, XML_TEXT)
    if out.tell() != size - 1:  # pragma: no cover - the size computation is exact
        raise SignatureError("the signed package was not written whole", code="signature.c14n")
    return out.getvalue()
