"""Outbursts in an `active` series (Epstein 2002, Figs. 5-7).

An outburst is a maximal run of consecutive steps with more than `threshold` actives
(Epstein's threshold is 50). The waiting time between two outbursts is the number of steps
from the end of one to the start of the next; the total activation of an outburst is the sum
of actives over its steps.

Epstein (2002) does not say how a wait is measured; `waits` offers the readings compared in
docs/results/epstein-2002: end of one outburst to the start of the next (the default),
start to start, peak to peak, and any of them after merging outbursts separated by fewer
than `merge_below` quiet steps. Fig. 6 of the paper plots logged waiting times "truncated at
30"; `tail_fit` reads that as the waits of at least 30 periods and compares their excess over
30 with an exponential law (a memoryless process: a straight line of slope −1/mean on the
log scale)."""

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


WAIT_DEFINITIONS = ("end_start", "start_start", "peak_peak")


def merged_spans(active, threshold: float = 50, merge_below: int = 0) -> list[tuple[int, int]]:
    """Outburst spans with those separated by fewer than merge_below quiet steps merged."""
    spans = outburst_spans(active, threshold)
    if merge_below <= 0 or not spans:
        return spans
    out = [spans[0]]
    for s, e in spans[1:]:
        if s - out[-1][1] < merge_below:
            out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def waits(
    active, threshold: float = 50, definition: str = "end_start", merge_below: int = 0
) -> np.ndarray:
    """Waiting times between consecutive outbursts under one definition (WAIT_DEFINITIONS):
    end of one to start of the next, start to start, or peak step to peak step."""
    if definition not in WAIT_DEFINITIONS:
        raise ValueError(f"unknown wait definition {definition!r}; one of {WAIT_DEFINITIONS}")
    a = np.asarray(active, dtype=np.float64)
    spans = merged_spans(a, threshold, merge_below)
    if len(spans) < 2:
        return np.zeros(0, dtype=np.int64)
    if definition == "end_start":
        w = [s2 - e1 for (_, e1), (s2, _) in zip(spans[:-1], spans[1:])]
    elif definition == "start_start":
        w = [s2 - s1 for (s1, _), (s2, _) in zip(spans[:-1], spans[1:])]
    else:
        peaks = [s + int(np.argmax(a[s:e])) for s, e in spans]
        w = np.diff(peaks).tolist()
    return np.asarray(w, dtype=np.int64)


def tail_fit(w, cut: int = 30, bin_width: int = 5) -> dict:
    """The waits of at least `cut` periods: their number, the slope of log frequency against
    wait (least squares over bins of bin_width, empty bins left out), the exponential rate
    1/mean(w − cut) that a memoryless tail would have (its log-frequency slope is minus that),
    and a Kolmogorov-Smirnov test of w − cut against that exponential (the scale is estimated
    from the same data, so the p value is conservative: Lilliefors' correction would lower it)."""
    from scipy import stats

    w = np.asarray(w, dtype=np.float64)
    t = w[w >= cut] - cut
    nan = float("nan")
    out = {"cut": cut, "n_tail": int(t.size), "slope": nan, "exp_rate": nan, "ks_p": nan}
    if t.size < 5:
        return out
    edges = np.arange(0, t.max() + bin_width + 1, bin_width)
    counts, _ = np.histogram(t, bins=edges)
    mids = edges[:-1] + bin_width / 2 + cut
    keep = counts > 0
    if keep.sum() >= 2:
        out["slope"] = float(np.polyfit(mids[keep], np.log(counts[keep]), 1)[0])
    scale = float(t.mean()) if t.mean() > 0 else 1.0
    out["exp_rate"] = 1.0 / scale
    out["ks_p"] = float(stats.kstest(t, "expon", args=(0, scale)).pvalue)
    return out


def jailed_at_ends(active, jailed, threshold: float = 50) -> tuple[np.ndarray, np.ndarray]:
    """Jailed count at the last step of each outburst but the last, and the end→start wait
    that follows it: the recharge time of the next outburst against the jail it left."""
    spans = outburst_spans(active, threshold)
    j = np.asarray(jailed, dtype=np.float64)
    ends = np.array([j[e - 1] for _, e in spans[:-1]], dtype=np.float64)
    return ends, waiting_times(active, threshold).astype(np.float64)


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
