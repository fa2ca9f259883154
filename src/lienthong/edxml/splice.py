"""Where the base64 texts are in a package's bytes, so that libxml2 need not parse them.

For the fast path: :func:`text_regions` finds the text of every ``ContentTransferEncoded``
start tag in the bytes, and :func:`assemble` gives the package with those texts cut out
(their newlines kept, so lines do not move); the parsed tree then holds the envelope
only, and each payload is a slice of the original bytes.

This is exact only when every ``<`` after the root's start is a tag — no comment, CDATA
section or PI (``<!``, ``<?``) — so that the ``ContentTransferEncoded`` start tags found
are the elements of that name in document order (the fast path checks their number), and
the package is UTF-8 (or ASCII), so that a ``<`` byte is a ``<``. A text must be plain
character data: ended by an end tag, without references (``&``) or carriage returns
(which the parser would turn into other characters). Otherwise there is no cut at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lienthong.edxml.prelude import Prelude

__all__ = ["Region", "assemble", "text_regions"]

_CTE_START = re.compile(rb"<(?:[^\s<>/!?:=\"']+:)?ContentTransferEncoded(?=[\s/>])")
#: The rest of a start tag up to its ">" (quoted values may hold ">"), without backtracking.
_TAG_REST = re.compile(rb"""(?:[^>"']++|"[^"]*+"|'[^']*+')*+>""")
_DECLARED_ENCODING = re.compile(rb"<\?xml\s[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_UTF8 = frozenset({b"utf-8", b"utf8", b"us-ascii", b"ascii"})
_SLASH = 0x2F


@dataclass(frozen=True, slots=True)
class Region:
    """``data[start:end]`` is the text of one ``ContentTransferEncoded``."""

    start: int
    end: int
    #: Newlines in the text, kept in the cut package so that lines stay true.
    newlines: int


def _odd_markup(data: bytes, start: int, end: int) -> bool:
    """Whether a comment, CDATA section or PI (``<!``, ``<?``) starts in ``[start, end)``."""
    return data.find(b"<!", start, end) >= 0 or data.find(b"<?", start, end) >= 0


def _region(data: bytes, tag_name_end: int) -> Region | None:
    """The text after the start tag whose name ends at ``tag_name_end``, if plain."""
    rest = _TAG_REST.match(data, tag_name_end)
    if rest is None:
        return None
    gt = rest.end() - 1
    start = gt + 1
    if data[gt - 1] == _SLASH:  # <ContentTransferEncoded/>
        return Region(start, start, 0)
    end = data.find(b"<", start)
    if end < 0 or data[end + 1 : end + 2] != b"/":
        return None
    if data.find(b"&", start, end) >= 0 or data.find(b"\r", start, end) >= 0:
        return None
    newlines = data.count(b"\n", start, end) if data.find(b"\n", start, end) >= 0 else 0
    return Region(start, end, newlines)


def text_regions(data: bytes, prelude: Prelude) -> list[Region] | None:
    """The texts of the ``ContentTransferEncoded`` elements in document order, or None
    when they cannot be cut out exactly (see the module docstring)."""
    if prelude.root_at < 0:
        return None
    root = prelude.skip + prelude.root_at
    declared = _DECLARED_ENCODING.search(data, prelude.skip, root)
    if declared is not None and declared.group(1).lower() not in _UTF8:
        return None
    regions: list[Region] = []
    pos = root
    # A text holds no "<": only the markup between texts is looked at for <! and <?.
    while (found := _CTE_START.search(data, pos)) is not None:
        if _odd_markup(data, pos, found.start()):
            return None
        region = _region(data, found.end())
        if region is None:
            return None
        regions.append(region)
        pos = region.end
    return None if _odd_markup(data, pos, len(data)) else regions


def assemble(data: bytes, prelude: Prelude, regions: list[Region], *, declare: bool) -> bytes:
    """The bytes to parse: ``data`` from ``prelude.skip``, the regions' texts cut out, and
    with ``declare`` the prelude's declarations added to the root tag."""
    cuts = [(r.start, r.end, b"\n" * r.newlines) for r in regions]
    if declare and prelude.added:
        at = prelude.skip + prelude.insert_at
        cuts.insert(0, (at, at, prelude.added))
    if not cuts and not prelude.skip:
        return data
    pieces: list[bytes] = []
    pos = prelude.skip
    for start, end, filler in cuts:
        pieces.append(data[pos:start])
        pieces.append(filler)
        pos = end
    pieces.append(data[pos:])
    return b"".join(pieces)
