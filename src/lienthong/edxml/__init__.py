"""The edXML wire format (QCVN 102:2016): pure, bytes in and out, no database.

The main functions are importable from here; they load lazily so that importing the
package (e.g. for the CLI) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lienthong.edxml.attachments import (
        attachment_from_bytes,
        attachment_from_path,
        with_content_ids,
    )
    from lienthong.edxml.reader import read_package
    from lienthong.edxml.writer import package_to_bytes, write_package

__all__ = [
    "attachment_from_bytes",
    "attachment_from_path",
    "package_to_bytes",
    "read_package",
    "with_content_ids",
    "write_package",
]

_HOMES = {
    "attachment_from_bytes": "lienthong.edxml.attachments",
    "attachment_from_path": "lienthong.edxml.attachments",
    "with_content_ids": "lienthong.edxml.attachments",
    "read_package": "lienthong.edxml.reader",
    "package_to_bytes": "lienthong.edxml.writer",
    "write_package": "lienthong.edxml.writer",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
