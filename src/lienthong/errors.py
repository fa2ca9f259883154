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


class HubError(LienthongError):
    """The exchange hub refused a request or could not be reached (seen from a client).

    ``code`` is the hub's own code (``recipient.unknown``, ``auth.signature``…) or a
    ``hub.*`` code for what the client saw (``hub.unavailable``, ``hub.bad_response``,
    ``hub.integrity``); ``axis_code`` is the hub's axis code, if any; ``http_status`` the
    hub's HTTP status (502 when no answer came).
    """

    code = "hub"
    http_status = 502

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        axis_code: int | None = None,
        http_status: int | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message, code=code, **details)
        self.axis_code = axis_code
        if http_status is not None:
            self.http_status = http_status

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "axis_code": self.axis_code}
