"""The hardened lxml parser of the fast path, and libxml2's messages without positions."""

from __future__ import annotations

import re

from lxml import etree

__all__ = ["hardened_parser", "parser_message"]

_POSITION = re.compile(r",\s*line \d+, column \d+$")


def hardened_parser() -> etree.XMLParser:
    """A new parser that loads no DTD, resolves no entity and uses no network.

    ``huge_tree`` stays off (libxml2's own limits hold); comments and PIs are dropped (the
    model never reads them; text around them is joined, as the streaming path joins it).
    A new one per parse: parsers are not shared between threads.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )


def parser_message(exc: etree.XMLSyntaxError) -> str:
    """libxml2's message without its ", line N, column M" (the line is given apart, and
    the column may be shifted by what the reader added to or cut from the bytes)."""
    return _POSITION.sub("", (exc.msg or str(exc)).strip())
