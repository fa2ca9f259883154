"""Structured logs: one JSON object per line (stdlib logging).

Records carry ``ts``, ``level``, ``logger``, ``message`` and whatever the caller put in
``extra={"fields": {...}}``. Never log secrets, tokens, signatures or package bytes: the
request log records method, path, status, duration and the caller's id only.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

_CONFIGURED = "_lienthong_json"


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update({str(k): v for k, v in fields.items()})
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send the ``lienthong`` loggers to stderr as JSON lines (idempotent)."""
    root = logging.getLogger("lienthong")
    root.setLevel(level.upper())
    if any(getattr(h, _CONFIGURED, False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    setattr(handler, _CONFIGURED, True)
    root.addHandler(handler)
    root.propagate = False
