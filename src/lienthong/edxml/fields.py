"""Lenient field access on the parsed edXML tree, recording warnings as it repairs.

The tree (see :mod:`lienthong.edxml.xmlstream`) uses local names for edXML elements, so
lookups are plain ``find`` calls done by lxml. Text is NFC and stripped; an unreadable
number, flag or date is left at its default and recorded as a :class:`ReadWarning`;
missing required parts raise :class:`PackageError` naming the element and its line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from lienthong.edxml.model import ReadWarning
from lienthong.edxml.values import BadValue, clean, parse_date, parse_timestamp
from lienthong.edxml.xmlstream import element_line
from lienthong.errors import PackageError

Element = Any  # an lxml element of the parsed tree

_TRUE = {"1", "true", "yes"}
_FALSE = {"", "0", "false", "no"}


def local_name(el: Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


class Fields:
    """Reads typed values from elements and collects the warnings of the repairs."""

    def __init__(self) -> None:
        self.warnings: list[ReadWarning] = []

    def warn(self, code: str, message: str, el: Element | None = None) -> None:
        line = element_line(el) if el is not None else None
        where = f" (line {line})" if line is not None else ""
        self.warnings.append(ReadWarning(code, message + where, line=line))

    def missing(self, parent: Element, name: str) -> PackageError:
        line = element_line(parent)
        return PackageError(
            f"{local_name(parent)} has no {name} (line {line})",
            code="package.missing",
            line=line,
            element=name,
        )

    def check_single(self, parent: Element, names: Iterable[str]) -> None:
        """Warn when an element that may occur once occurs several times (first one wins)."""
        counts = Counter(local_name(child) for child in parent)
        for name in names:
            if counts[name] > 1:
                self.warn(
                    "element.duplicate",
                    f"{local_name(parent)} has {counts[name]} {name} elements; the first is used",
                    parent.find(name),
                )

    def require(self, parent: Element, name: str) -> Element:
        el = parent.find(name)
        if el is None:
            raise self.missing(parent, name)
        return el

    def text(self, parent: Element, name: str) -> str:
        el = parent.find(name)
        return clean(el.text) if el is not None else ""

    def texts(self, parent: Element, path: str) -> list[str]:
        return [value for el in parent.iterfind(path) if (value := clean(el.text))]

    def integer(self, parent: Element, name: str, default: int) -> int:
        value = self.optional_int(parent, name)
        return default if value is None else value

    def optional_int(self, parent: Element, name: str) -> int | None:
        el = parent.find(name)
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

    def flag(self, parent: Element, name: str) -> bool:
        el = parent.find(name)
        if el is None:
            return False
        raw = clean(el.text).lower()
        if raw in _TRUE:
            return True
        if raw not in _FALSE:
            self.warn("value.flag", f"{name} {raw!r} is not 0/1; read as 0", el)
        return False

    def date(self, parent: Element, name: str) -> date | None:
        el = parent.find(name)
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

    def timestamp(self, parent: Element, name: str) -> datetime | None:
        el = parent.find(name)
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
