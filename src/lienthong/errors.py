"""The error families of lienthong.

Every error carries a stable machine ``code`` (for APIs, logs and tests) and a human
``message``. Only the edges (HTTP, CLI) translate them into status codes or exit codes.
"""

from __future__ import annotations

from typing import Any


class LienthongError(Exception):
    """Base of every error lienthong raises on purpose."""

    code: str = "error"
    #: HTTP status the API edge uses for this family.
    http_status: int = 400

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return f"[{self.code}] {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class ConfigError(LienthongError):
    code = "config"
    http_status = 500


class PackageError(LienthongError):
    """An edXML package could not be read or written."""

    code = "package"
    http_status = 422


class LimitExceeded(PackageError):
    code = "package.limit"
    http_status = 413


class ValidationError(LienthongError):
    code = "validation"
    http_status = 422


class StorageError(LienthongError):
    code = "storage"
    http_status = 503


class NotFound(LienthongError):
    code = "not_found"
    http_status = 404


class Conflict(LienthongError):
    code = "conflict"
    http_status = 409


class SignatureError(LienthongError):
    """A signature could not be made or evaluated (an invalid one is a report, not this)."""

    code = "signature"
    http_status = 422


class PkiError(LienthongError):
    code = "pki"
    http_status = 500


class RoutingError(LienthongError):
    code = "routing"
    http_status = 422


class AuthError(LienthongError):
    code = "auth"
    http_status = 401


class PermissionDenied(LienthongError):
    code = "forbidden"
    http_status = 403


class WorkflowError(LienthongError):
    """An illegal transition in a document workflow."""

    code = "workflow"
    http_status = 409
