"""The government's targets for each measure, and the year each applies from.

:data:`DEFAULT_TARGETS` is ``targets.md`` (directive 15/CT-TTg of 2012 and its follow-ups).
A target applies from the first year it names until a later target for the same measure
takes over: ``internal_electronic`` is ≥ 55 % for 2014 and ≥ 80 % from 2015 on ("by the
end of 2015" is read as the goal of the year 2015). An agency may configure its own
table (``monitor.targets_file``, TOML)::

    [[target]]
    measure = "internal_electronic"
    comparison = ">="          # or "<"
    percent = 90
    from_year = 2026
    note = "Kế hoạch của Bộ năm 2026"

Entries of the file replace the default entries of the same measure and year; the other
defaults stay.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from lienthong.errors import ConfigError


class Comparison(enum.StrEnum):
    """How a share must compare with its target."""

    AT_LEAST = ">="
    BELOW = "<"

    @property
    def symbol(self) -> str:
        return "≥" if self is Comparison.AT_LEAST else "<"


@dataclass(frozen=True, slots=True)
class Target:
    """``measure`` must be ``comparison`` ``percent`` from ``from_year`` on."""

    measure: str
    comparison: Comparison
    percent: Fraction
    from_year: int
    note: str = ""

    @property
    def text(self) -> str:
        """``≥ 55%``."""
        return f"{self.comparison.symbol} {_percent_text(self.percent)}%"

    def met_by(self, numerator: int, denominator: int) -> bool:
        """Whether ``numerator / denominator`` meets the target (exact arithmetic)."""
        share = Fraction(100 * numerator, denominator)
        if self.comparison is Comparison.AT_LEAST:
            return share >= self.percent
        return share < self.percent

    def gap(self, numerator: int, denominator: int) -> Fraction:
        """How far the share is on the good side of the target, in percentage points:
        negative means short of it (below a ≥ target, at or above a < target)."""
        share = Fraction(100 * numerator, denominator)
        if self.comparison is Comparison.AT_LEAST:
            return share - self.percent
        return self.percent - share


def _percent_text(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


def _t(measure: str, comparison: str, percent: int, from_year: int, note: str) -> Target:
    return Target(measure, Comparison(comparison), Fraction(percent), from_year, note)


DEFAULT_TARGETS: tuple[Target, ...] = (
    _t("internal_electronic", ">=", 55, 2014, "CT 15/CT-TTg: từ năm 2014"),
    _t("internal_electronic", ">=", 80, 2015, "CT 15/CT-TTg: đến hết năm 2015"),
    _t("internal_scanned", "<", 50, 2014, "Văn bản scan dưới 50% văn bản điện tử nội bộ"),
    _t("scanned", "<", 50, 2014, "Văn bản scan dưới 50% văn bản điện tử"),
    _t("government_dossiers", ">=", 100, 2014, "Hồ sơ trình Chính phủ, Thủ tướng: từ quý I/2014"),
    _t("between_agencies_copy", ">=", 50, 2014, "Văn bản giữa các bộ, tỉnh: từ quý I/2014"),
    _t("subordinate_electronic", ">=", 30, 2014, "Văn bản giữa các đơn vị trực thuộc: năm 2014"),
    _t("subordinate_mixed", ">=", 35, 2014, "Hình thức điện tử và giấy: năm 2014"),
    _t("subordinate_mixed", ">=", 50, 2015, "Hình thức điện tử và giấy: đến hết năm 2015"),
)


@dataclass(frozen=True, slots=True)
class TargetTable:
    """Every target; :meth:`for_year` picks the one in force."""

    targets: tuple[Target, ...] = DEFAULT_TARGETS

    def for_year(self, measure: str, year: int) -> Target | None:
        """The target of ``measure`` in force in ``year``: the latest one starting in or
        before it; ``None`` when the measure has none (yet)."""
        candidates = [t for t in self.targets if t.measure == measure and t.from_year <= year]
        return max(candidates, key=lambda t: t.from_year) if candidates else None

    def merged(self, extra: Iterable[Target]) -> TargetTable:
        """This table with ``extra`` replacing entries of the same measure and year."""
        added = list(extra)
        keys = {(t.measure, t.from_year) for t in added}
        kept = [t for t in self.targets if (t.measure, t.from_year) not in keys]
        return TargetTable(tuple(kept + added))


def _entry(raw: Mapping[str, Any], where: str) -> Target:
    try:
        measure = str(raw["measure"]).strip()
        comparison = Comparison(str(raw.get("comparison", ">=")).strip())
        percent = Fraction(str(raw["percent"]))
        from_year = int(raw["from_year"])
    except (KeyError, ValueError, TypeError, ZeroDivisionError) as exc:
        raise ConfigError(
            f"{where}: a target needs measure, percent, from_year and comparison >= or < "
            f"({type(exc).__name__}: {exc})",
            code="config.targets",
        ) from None
    if not measure or not 0 <= percent <= 100:
        raise ConfigError(f"{where}: percent must be within 0–100", code="config.targets")
    return Target(measure, comparison, percent, from_year, str(raw.get("note", "")))


def load_targets(path: Path | None, base: TargetTable | None = None) -> TargetTable:
    """The default targets, with those of the TOML file at ``path`` (if any) merged in."""
    table = base or TargetTable()
    if path is None:
        return table
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"targets file not found: {path}", code="config.targets") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"targets file {path}: {exc}", code="config.targets") from None
    entries = data.get("target", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: [[target]] must be a list", code="config.targets")
    return table.merged(_entry(e, f"{path} target {i}") for i, e in enumerate(entries, 1))
