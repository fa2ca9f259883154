"""The shapes of check results: :class:`Issue` (what is wrong with one value),
:class:`Problem` (an issue at a place in a package) and :class:`ValidationReport`.

Checks return these; exceptions mean "could not evaluate", never "invalid".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Issue", "Problem", "ProblemCollector", "Severity", "ValidationReport"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One thing wrong with a single value (an agency id, a document id, a number)."""

    code: str
    message: str
    severity: Severity = "error"


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding in a package: where (``MessageHeader/To[2]/OrganId``, 1-based), what
    (a stable ``code`` such as ``agency_id.invalid``), a human message, and how bad."""

    path: str
    code: str
    message: str
    severity: Severity = "error"

    def to_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }


@dataclass(slots=True)
class ValidationReport:
    """The result of validating a package: ``ok`` when there is no error."""

    kind: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def ok(self) -> bool:
        return all(p.severity != "error" for p in self.problems)

    @property
    def codes(self) -> set[str]:
        """The distinct problem codes (handy for tests and filters)."""
        return {p.code for p in self.problems}

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [p.to_dict() for p in self.problems],
        }


class ProblemCollector:
    """Accumulates problems while checks run."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def error(self, path: str, code: str, message: str) -> None:
        self.problems.append(Problem(path, code, message, "error"))

    def warn(self, path: str, code: str, message: str) -> None:
        self.problems.append(Problem(path, code, message, "warning"))

    def add(self, path: str, issues: Iterable[Issue]) -> None:
        """Place value-level issues at ``path``."""
        for issue in issues:
            self.problems.append(Problem(path, issue.code, issue.message, issue.severity))
