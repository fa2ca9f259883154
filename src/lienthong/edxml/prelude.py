"""Before the parser sees a package: repairs at the byte level, found in the first bytes.

- junk bytes before the XML declaration (``1212<?xml`` in real traffic) are dropped, with a
  ``repair.leading_junk`` warning, when what follows is clearly an edXML package;
- the ``edXML`` and ``xlink`` prefixes, if the root element does not declare them, are
  declared on it with placeholder namespaces (:data:`UNDECLARED_EDXML`,
  :data:`UNDECLARED_XLINK`). Well-formed packages are unaffected (their own declarations
  win); a package that uses a prefix outside its declaration now parses, and the parser
  target recognises the placeholder, maps it back and records a warning with the line;
- a DOCTYPE is refused at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lienthong.edxml.model import ReadWarning
from lienthong.errors import PackageError

#: Namespaces given to the ``edXML`` / ``xlink`` prefixes when a package uses them undeclared.
UNDECLARED_EDXML = "urn:lienthong:undeclared-prefix:edXML"
UNDECLARED_XLINK = "urn:lienthong:undeclared-prefix:xlink"
_MAX_JUNK = 1024
_UTF8_BOM = b"\xef\xbb\xbf"
_OTHER_BOMS = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")
_EXPECTED_START = re.compile(rb"<(\?xml|edXML[\s:>/]|!--)")
_ROOT_TAG = re.compile(
    rb"<(?P<name>[^\s/>!?]+)(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>"
)


def xml_error(message: str, *, code: str, line: int | None) -> PackageError:
    where = f" (line {line})" if line is not None else ""
    return PackageError(f"{message}{where}", code=code, line=line)


@dataclass(slots=True)
class Prelude:
    #: The head given, repaired: BOM and junk dropped, declarations added to the root tag.
    data: bytes
    #: Lines removed with leading junk (added to the parser's line numbers).
    line_offset: int
    warnings: list[ReadWarning]
    #: Newlines before the root start tag, and inside it (the parser reports neither).
    root_newlines: tuple[int, int] = (0, 0)
    #: Bytes dropped from the start of the input (a UTF-8 BOM, junk): ``data`` without
    #: its additions is ``input[skip:]``.
    skip: int = 0
    #: Where the root start tag is in ``input[skip:]``; -1 if not found preceded only by
    #: the declaration, comments and PIs (found: the package has no DOCTYPE, since one
    #: after the root is not well-formed).
    root_at: int = -1
    #: Declarations added for undeclared prefixes (empty: none), and where in
    #: ``input[skip:]`` they were put (at the end of the root tag's name).
    added: bytes = b""
    insert_at: int = 0


def _skip_prolog(head: bytes, pos: int) -> int:
    """Position of the root start tag: past the declaration, comments and PIs."""
    while True:
        while pos < len(head) and head[pos] in b" \t\r\n":
            pos += 1
        if head.startswith(b"<?", pos):
            end = head.find(b"?>", pos)
        elif head.startswith(b"<!--", pos):
            end = head.find(b"-->", pos)
        else:
            return pos
        if end < 0:
            return -1
        pos = end + 2


def read_prelude(head: bytes) -> Prelude:
    """Repair what is unambiguous before the root tag: junk bytes, undeclared prefixes."""
    warnings: list[ReadWarning] = []
    if head.startswith(_OTHER_BOMS):
        return Prelude(head, 0, warnings)  # UTF-16/32: left to the parser as it is
    body = head.removeprefix(_UTF8_BOM)
    skip = len(head) - len(body)
    start = body.find(b"<")
    if start < 0:
        if not body.strip():
            raise PackageError("the package is empty", code="package.empty")
        raise PackageError(f"not XML: starts with {body[:16]!r}", code="package.not_xml")
    junk = body[:start]
    offset = 0
    if junk.strip() or (junk and body.startswith(b"<?xml", start)):
        if len(junk) > _MAX_JUNK or not _EXPECTED_START.match(body, start):
            raise PackageError(f"not XML: starts with {body[:16]!r}", code="package.not_xml")
        warnings.append(
            ReadWarning(
                "repair.leading_junk",
                f"ignored {len(junk)} byte(s) before the XML declaration: {junk[:32]!r}",
                line=1,
            )
        )
        body = body[start:]
        offset = junk.count(b"\n")
        skip += start
    root_at = _skip_prolog(body, 0)
    if root_at < 0 or body.startswith(b"<!", root_at):
        if body.startswith(b"<!DOCTYPE", root_at):
            line = offset + body.count(b"\n", 0, root_at) + 1
            raise xml_error("DOCTYPE is not allowed in a package", code="package.dtd", line=line)
        return Prelude(body, offset, warnings, skip=skip)
    match = _ROOT_TAG.match(body, root_at)
    if match is None:
        return Prelude(body, offset, warnings, (body.count(b"\n", 0, root_at), 0), skip=skip)
    newlines = (body.count(b"\n", 0, root_at), body.count(b"\n", root_at, match.end()))
    attrs = match.group("attrs")
    extra = b""
    if not re.search(rb"\sxmlns:edXML\s*=", attrs):
        extra += b' xmlns:edXML="' + UNDECLARED_EDXML.encode() + b'"'
    if not re.search(rb"\sxmlns:xlink\s*=", attrs):
        extra += b' xmlns:xlink="' + UNDECLARED_XLINK.encode() + b'"'
    at = match.end("name")
    return Prelude(
        body[:at] + extra + body[at:],
        offset,
        warnings,
        newlines,
        skip=skip,
        root_at=root_at,
        added=extra,
        insert_at=at,
    )
