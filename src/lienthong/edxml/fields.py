"""Lenient field access on the parsed edXML tree, recording warnings as it repairs.

Each element the model needs is wrapped once in a :class:`Node`, which indexes its
children by tag in a single pass (a dict, not one lxml ``find`` per field). Text is NFC
and stripped; an unreadable number, flag or date is left at its default and recorded as
a :class:`ReadWarning`; missing required parts raise :class:`PackageError` naming the
element and its line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from unicodedata import normalize

from lienthong.edxml.model import ReadWarning
from lienthong.edxml.tree import LINE_ATTR, MAX_LINE, E, FastPathUnfit, local_name
from lienthong.edxml.values import BadValue, clean, parse_date, parse_timestamp
from lienthong.errors import PackageError

Element = Any  # an lxml element of the parsed tree

_TRUE = {"1", "true", "yes"}
_FALSE = {"", "0", "false", "no"}

__all__ = ["Element", "Fields", "Node", "local_name"]


class Node:
    """An element with its children indexed by tag (first one, and all when repeated)."""

    __slots__ = ("el", "first", "more")

    def __init__(self, el: Element) -> None:
        self.el = el
        first: dict[Any, Element] = {}
        more: dict[Any, list[Element]] | None = None
        for child in el:
            tag = child.tag
            if tag in first:
                if more is None:
                    more = {}
                repeated = more.get(tag)
                if repeated is None:
                    more[tag] = [first[tag], child]
                else:
                    repeated.append(child)
            else:
                first[tag] = child
        self.first = first
        self.more = more

    def get(self, name: str) -> Element | None:
        """The first edXML child called ``name``."""
        return self.first.get(E + name)

    def node(self, name: str) -> Node | None:
        el = self.first.get(E + name)
        return Node(el) if el is not None else None

    def all(self, name: str) -> list[Element]:
        """Every edXML child called ``name``, in document order."""
        tag = E + name
        if self.more is not None and tag in self.more:
            return self.more[tag]
        el = self.first.get(tag)
        return [el] if el is not None else []

    def grandchildren(self, outer: str, inner: str) -> list[Element]:
        """``outer/inner`` as ElementPath reads it: ``inner`` children of every ``outer``."""
        tag = E + inner
        return [el for parent in self.all(outer) for el in parent if el.tag == tag]


class Fields:
    """Reads typed values from nodes and collects the warnings of the repairs."""

    def __init__(self, *, line_offset: int = 0, fast: bool = False) -> None:
        self.warnings: list[ReadWarning] = []
        self.line_offset = line_offset
        self.fast = fast

    def line(self, el: Element) -> int | None:
        """The start line of an element of the parsed tree."""
        if self.fast:
            line: int | None = el.sourceline
            if line is None or line >= MAX_LINE:
                raise FastPathUnfit("line numbers past libxml2's exact range")
            return line + self.line_offset
        big = el.get(LINE_ATTR)
        return int(big) if big is not None else el.sourceline

    def warn(self, code: str, message: str, el: Element | None = None) -> None:
        line = self.line(el) if el is not None else None
        where = f" (line {line})" if line is not None else ""
        self.warnings.append(ReadWarning(code, message + where, line=line))

    def missing(self, parent: Node, name: str) -> PackageError:
        line = self.line(parent.el)
        return PackageError(
            f"{local_name(parent.el)} has no {name} (line {line})",
            code="package.missing",
            line=line,
            element=name,
        )

    def check_single(self, parent: Node, names: Iterable[str]) -> None:
        """Warn when an element that may occur once occurs several times (first one wins)."""
        if parent.more is None:
            return
        for name in names:
            repeated = parent.more.get(E + name)
            if repeated is not None:
                self.warn(
                    "element.duplicate",
                    f"{local_name(parent.el)} has {len(repeated)} {name} elements; "
                    "the first is used",
                    repeated[0],
                )

    def require(self, parent: Node, name: str) -> Node:
        el = parent.get(name)
        if el is None:
            raise self.missing(parent, name)
        return Node(el)

    def text(self, parent: Node | None, name: str) -> str:
        if parent is None:
            return ""
        el = parent.first.get(E + name)
        if el is None:
            return ""
        text = el.text
        return normalize("NFC", text).strip() if text else ""  # values.clean, inlined

    def texts(self, parent: Node, outer: str, inner: str) -> list[str]:
        return [value for el in parent.grandchildren(outer, inner) if (value := clean(el.text))]

    def integer(self, parent: Node, name: str, default: int) -> int:
        value = self.optional_int(parent, name)
        return default if value is None else value

    def optional_int(self, parent: Node, name: str) -> int | None:
        el = parent.get(name)
        if el is None:
            return None
        raw = clean(el.text)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            self.warn("value.integer", f"{name} {raw!r} is not a number; ignored", el)
            return None

    def flag(self, parent: Node, name: str) -> bool:
        el = parent.get(name)
        if el is None:
            return False
        raw = clean(el.text).lower()
        if raw in _TRUE:
            return True
        if raw not in _FALSE:
            self.warn("value.flag", f"{name} {raw!r} is not 0/1; read as 0", el)
        return False

    def date(self, parent: Node | None, name: str) -> date | None:
        el = parent.get(name) if parent is not None else None
        if el is None:
            return None
        raw = clean(el.text)
        if not raw:
            return None
        try:
            return parse_date(raw)
        except BadValue as exc:
            self.warn("value.date", f"{name} {raw!r} is an {exc.reason} date; left empty", el)
            return None

    def timestamp(self, parent: Node, name: str) -> datetime | None:
        el = parent.get(name)
        if el is None:
            return None
        raw = clean(el.text)
        if not raw:
            return None
        try:
            return parse_timestamp(raw)
        except BadValue as exc:
            self.warn(
                "value.timestamp", f"{name} {raw!r} is an {exc.reason} timestamp; left empty", el
            )
            return None
