"""Percentiles that mean something: none from fewer than 1,000 samples.

At n = 200 a p99 is the third-largest sample and moves by a factor of several from
run to run; the bench reports a p99 only from :data:`MIN_P99` samples or more, and
says how many. Ratios between two ways of doing the same work come from samples taken
in pairs (interleaved, alternating order, in the same process): the per-pair median
ratio, and the ratio of the pooled p99s.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

#: The fewest samples a p99 is reported from.
MIN_P99 = 1000


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def p99(values: Sequence[float]) -> float | None:
    """The 99th percentile, or None below :data:`MIN_P99` samples."""
    return percentile(values, 99) if len(values) >= MIN_P99 else None


def summary(values: Sequence[float]) -> dict[str, Any]:
    """p50, p99 (None when too few samples), max and how many samples."""
    if not values:
        return {"p50": None, "p99": None, "max": None, "n": 0}
    return {
        "p50": statistics.median(values),
        "p99": p99(values),
        "max": max(values),
        "n": len(values),
    }


def paired(a: Sequence[float], b: Sequence[float]) -> dict[str, Any]:
    """How ``a`` compares with ``b`` sampled in pairs (``a[i]`` beside ``b[i]``)."""
    n = min(len(a), len(b))
    ratios = [x / y for x, y in zip(a[:n], b[:n], strict=True) if y > 0]
    pa, pb = p99(a[:n]), p99(b[:n])
    return {
        "median_ratio": statistics.median(ratios) if ratios else None,
        "p99_ratio": pa / pb if pa is not None and pb else None,
        "n": n,
    }
