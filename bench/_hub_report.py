"""The tables ``bench/hub_load.py`` prints: figures against the goals, and where the CPU went.

Not a benchmark itself (``make bench`` runs it and nothing happens).
"""

from __future__ import annotations

import math
from typing import Any

from _common import print_table

GOAL_ACCEPTED = 250.0
GOAL_BASELINE_RATIO = 0.5
GOAL_P99_MS = 50.0
GOAL_BROADCAST_MS = 50.0
GOAL_RSS_MIB = 300.0


def _ms(figures: dict[str, Any], name: str) -> str:
    p50, p99 = figures.get(f"{name}_ms_p50", math.nan), figures.get(f"{name}_ms_p99", math.nan)
    return f"{p50:.1f} / {p99:.1f}"


def alone_per_s(cpu: dict[str, Any], cores: int) -> float:
    """Packages/s the machine's cores would give if only this benchmark ran on them."""
    used = sum(cpu[f"{k}_ms_per_package"] for k in ("hub", "senders", "receivers", "postgres"))
    return cores * 1000 / used if used else math.nan


def goals(out: dict[str, Any]) -> dict[str, bool]:
    """Each goal of the issue, met or not."""
    phases = out["phases"]
    intake = phases["intake"].get("accepted_per_s", 0.0)
    return {
        "accepted": intake >= GOAL_ACCEPTED,
        "baseline_ratio": intake / out["baseline"]["rows_per_s"] >= GOAL_BASELINE_RATIO,
        "p99": phases["paced"].get("available_ms_p99", math.inf) < GOAL_P99_MS,
        "broadcast": out["broadcast"]["ms_p50"] < GOAL_BROADCAST_MS,
        "stored_once": bool(out["broadcast"]["stored_once"]),
        "rss": out["hub_memory"]["peak_rss_mib"] < GOAL_RSS_MIB,
    }


def report(out: dict[str, Any]) -> None:
    """Print both tables."""
    options = out["options"]
    phases = out["phases"]
    intake, drain, mixed, paced = (phases[p] for p in ("intake", "drain", "mixed", "paced"))
    base = out["baseline"]["rows_per_s"]
    cast, mem = out["broadcast"], out["hub_memory"]
    met = goals(out)
    ratio = intake.get("accepted_per_s", 0.0) / base
    rate = options["rate"]
    rows: list[tuple[object, ...]] = [
        (
            "intake only: accepted/s",
            intake.get("accepted_per_s"),
            f"≥ {GOAL_ACCEPTED:.0f}",
            met["accepted"],
        ),
        (
            "intake only: accepted / baseline",
            ratio,
            f"≥ {GOAL_BASELINE_RATIO}",
            met["baseline_ratio"],
        ),
        ("intake only: send ms p50 / p99", _ms(intake, "send"), "—", None),
        ("delivery only (backlog): delivered/s", drain.get("delivered_per_s"), "—", None),
        ("mixed: accepted/s", mixed.get("accepted_per_s"), "—", None),
        ("mixed: delivered/s", mixed.get("delivered_per_s"), "—", None),
        ("mixed: send ms p50 / p99", _ms(mixed, "send"), "—", None),
        ("mixed: send→available ms p50 / p99", _ms(mixed, "available"), "—", None),
        (f"paced {rate:.0f}/s: accepted/s", paced.get("accepted_per_s"), "—", None),
        ("paced: send ms p50 / p99", _ms(paced, "send"), "—", None),
        ("paced: send→available ms p50", paced.get("available_ms_p50"), "—", None),
        (
            "paced: send→available ms p99",
            paced.get("available_ms_p99"),
            f"< {GOAL_P99_MS:.0f}",
            met["p99"],
        ),
        (
            "broadcast to 63: send ms p50 (max)",
            f"{cast['ms_p50']:.1f} ({cast['ms_max']:.1f})",
            f"< {GOAL_BROADCAST_MS:.0f}",
            met["broadcast"],
        ),
        (
            "broadcast: 1 package row + 63 deliveries, 1 blob",
            cast["stored_once"],
            "yes",
            met["stored_once"],
        ),
        (
            f"hub peak RSS MiB, sum of {mem['processes']} processes (PSS)",
            f"{mem['peak_rss_mib']:.0f} ({mem['peak_pss_mib']:.0f})",
            f"< {GOAL_RSS_MIB:.0f}",
            met["rss"],
        ),
        ("baseline: raw inserts/s, 8 connections", base, "—", None),
    ]
    print_table(
        f"Hub under load: {options['clients']} senders + {options['clients']} receivers "
        f"(processes), {options['workers']} hub workers, {out['package_bytes'] / 1000:.0f} KB packages",
        ["figure", "value", "goal", "met?"],
        rows,
    )
    cores = out["machine"]["nproc"]
    cpu_rows = [
        (
            phase,
            c["hub_ms_per_package"],
            c["senders_ms_per_package"],
            c["receivers_ms_per_package"],
            c["postgres_ms_per_package"],
            c["other_ms_per_package"],
            c["machine_busy_cores"],
            alone_per_s(c, cores),
        )
        for phase, c in out["cpu"].items()
    ]
    b = out["baseline"]
    cpu_rows.append(
        (
            "baseline (per row)",
            None,
            None,
            None,
            b["postgres_ms_per_row"],
            None,
            b["machine_busy_cores"],
            cores * 1000 / b["postgres_ms_per_row"],
        )
    )
    print_table(
        f"CPU per package (ms) by who used it; cores busy (of {cores}); 'other' = the rest "
        "of the machine; 'alone/s' = cores ÷ (hub + clients + postgres), the rate with "
        "nothing else running (an estimate: CPU-bound)",
        ["phase", "hub", "senders", "receivers", "postgres", "other", "busy cores", "alone/s"],
        cpu_rows,
    )
    errors = {p: f["errors"] for p, f in phases.items() if f.get("errors")}
    if errors or out["receive_errors"]:
        print(f"errors: sends {errors}, receives {out['receive_errors']}")
