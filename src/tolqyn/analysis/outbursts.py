"""Outbursts in an `active` series (Epstein 2002, Figs. 5-7).

An outburst is a maximal run of consecutive steps with more than `threshold` actives
(Epstein's threshold is 50). The waiting time between two outbursts is the number of steps
from the end of one to the start of the next; the total activation of an outburst is the sum
of actives over its steps."""

from __future__ import annotations

import numpy as np


def outburst_spans(active, threshold: float = 50) -> list[tuple[int, int]]:
    """(start, stop) index pairs (stop exclusive) of the runs with active > threshold."""
    a = np.asarray(active, dtype=np.float64)
    above = np.concatenate(([False], a > threshold, [False]))
    d = np.diff(above.astype(np.int8))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist()))


def waiting_times(active, threshold: float = 50) -> np.ndarray:
    """Steps between the end of each outburst and the start of the next one."""
    spans = outburst_spans(active, threshold)
    return np.array([s2 - e1 for (_, e1), (s2, _) in zip(spans[:-1], spans[1:])], dtype=np.int64)


def total_activation(active, threshold: float = 50) -> np.ndarray:
    """Sum of actives over the steps of each outburst."""
    a = np.asarray(active, dtype=np.float64)
    return np.array([a[s:e].sum() for s, e in outburst_spans(a, threshold)], dtype=np.float64)


def summarize(active: np.ndarray, threshold=50) -> dict:
    """Count of outbursts, waiting times (mean, sd, n) and total activation per outburst
    (mean, sd), peak actives. NaN where undefined (too few outbursts)."""
    a = np.asarray(active, dtype=np.float64)
    spans = outburst_spans(a, threshold)
    w = waiting_times(a, threshold)
    tot = total_activation(a, threshold)
    nan = float("nan")
    return {
        "threshold": float(threshold),
        "steps": int(a.size),
        "outbursts": len(spans),
        "waiting_mean": float(w.mean()) if w.size else nan,
        "waiting_sd": float(w.std(ddof=1)) if w.size > 1 else nan,
        "waiting_n": int(w.size),
        "activation_mean": float(tot.mean()) if tot.size else nan,
        "activation_sd": float(tot.std(ddof=1)) if tot.size > 1 else nan,
        "peak_active": float(a.max()) if a.size else nan,
        "share_of_steps_in_outburst": float(sum(e - s for s, e in spans) / a.size)
        if a.size
        else nan,
    }


def tension(grievance_mean, quiet_share, risk_mean):
    """Epstein's tension: mean grievance × quiet share / mean risk aversion (of the
    non-jailed). The simulation records it as the `tension` series."""
    return np.asarray(grievance_mean) * np.asarray(quiet_share) / np.asarray(risk_mean)
