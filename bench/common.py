"""Small timing helpers shared by the benchmarks (median and percentiles, pinned to one core)."""

from __future__ import annotations

import os
import statistics


def pin_one_core() -> None:
    """Run on one CPU so figures mean 'per core' (best effort; Linux only)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def summary(values: list[float]) -> str:
    """'median X, p95 Y, p99 Z' for values."""
    return (f"median {statistics.median(values):.3f}, p95 {percentile(values, 95):.3f}, "
            f"p99 {percentile(values, 99):.3f}")
