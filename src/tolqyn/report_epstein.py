"""Figures of an Epstein (2002) run beside the paper's: the lattice at the largest outburst
(as the paper's Figs. 3-4 show it), the waiting-time histogram with the paper's values marked,
and a flag where the run's outburst statistics fall outside the published ones.

The lattice is not stored in a run directory: it is rebuilt by replaying the run (same
scenario, parameters and seed; the model is deterministic, and the replay is checked against
the recorded active count of that step). Published values: Epstein (2002), PNAS 99 suppl. 3,
Run 2, Figs. 5-7 (mean wait ≈ 60, s.d. ≈ 55; activation per outburst ≈ 708, s.d. ≈ 230).
How far the presets are from them, and why, is in docs/results/epstein-2002/README.md."""

from __future__ import annotations

import html

import numpy as np

from tolqyn.analysis.outbursts import outburst_spans, total_activation, waiting_times
from tolqyn.core.errors import TolqynError

PAPER = {"wait_mean": 60.0, "wait_sd": 55.0, "activation_mean": 708.0, "activation_sd": 230.0}
TOLERANCE = 0.20  # the replication bar of docs/results/epstein-2002: within 20 %
MAX_REPLAY_SITES = 250_000  # replay lattices up to 500 x 500
MAX_REPLAY_STEPS = 20_000


def largest_outburst_peak(active, threshold: float = 50.0) -> int | None:
    """The step of the highest actives count inside the largest (by total activation)
    outburst; None without an outburst."""
    a = np.nan_to_num(np.asarray(active, dtype=np.float64))
    spans = outburst_spans(a, threshold)
    if not spans:
        return None
    k = int(np.argmax(total_activation(a, threshold)))
    s, e = spans[k]
    return s + int(np.argmax(a[s:e]))


def lattice_at(run, step: int):
    """(cell codes as a height x width array, width, height) at `step`, by replaying the run;
    None if the run cannot be replayed (a scenario file that moved, a lattice too large) or the
    replay disagrees with the record."""
    from tolqyn.core.sim import Sim
    from tolqyn.scenarios.loader import load_scenario

    m = run.manifest
    p = m.get("parameters", {})
    W, H = int(p.get("width", 0)), int(p.get("height", 0))
    if W * H > MAX_REPLAY_SITES or step > MAX_REPLAY_STEPS:
        return None
    try:
        sc = load_scenario(m["scenario"], overrides=p)
        sim = Sim(sc, seed=int(m["seed"]), steps=step)
        sim.init()
        for _ in range(step):
            sim.step()
    except (TolqynError, OSError, KeyError):
        return None
    if sim.modules[0]._summary[1] != run.series("active")[step]:
        return None
    return sim.space.cell.reshape(H, W).copy(), W, H


def _snapshot(run, step, groups: bool = False) -> str:
    """The lattice at `step` as the paper draws it: quiet citizens blue (Model II: blue or
    green by group), actives red, cops black."""
    from tolqyn.models.epstein import kernels as K
    from tolqyn.report import _mpl, _png

    got = lattice_at(run, step)
    if got is None:
        return "<p>(The lattice could not be rebuilt for this run, so no snapshot is shown.)</p>"
    cell, W, H = got
    kind = cell & K.KIND_MASK
    img = np.ones((H, W, 3))
    colours = {
        K.C_QUIET: (0.55, 0.75, 0.95),
        K.C_ACTIVE: (0.85, 0.1, 0.1),
        K.COP: (0.1, 0.1, 0.1),
        K.C_JAILED: (0.6, 0.6, 0.6),
    }
    for code, rgb in colours.items():
        img[kind == code] = rgb
    if groups:
        img[(kind == K.C_QUIET) & ((cell >> K.GROUP_SHIFT) == 1)] = (0.45, 0.8, 0.45)
    plt = _mpl()
    fig, ax = plt.subplots(figsize=(4.2, 4.2))
    ax.imshow(img, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    n_act = int(np.count_nonzero(kind == K.C_ACTIVE))
    quiet = "quiet blue / green" if groups else "quiet (blue)"
    ax.set_title(f"step {step}: {n_act} active (red), {quiet}, cops (black)", fontsize=9)
    return _png(fig)


def _histogram(w) -> str:
    from tolqyn.report import _mpl, _png

    plt = _mpl()
    fig, ax = plt.subplots(figsize=(6, 3.4))
    if w.size:
        ax.hist(w, bins=np.arange(0, max(200, int(w.max()) + 6), 5), color="#6a8", label="this run")
        ax.axvline(w.mean(), color="#284", lw=2, label=f"this run: mean {w.mean():.0f}")
        # the paper's sd (55) close to its mean (60) suggests near-memoryless waits: the
        # counts an exponential with the paper's mean would give for this many waits
        x = np.arange(0, max(200, int(w.max()) + 6), 5)
        ax.plot(
            x + 2.5,
            w.size * (np.exp(-x / PAPER["wait_mean"]) - np.exp(-(x + 5) / PAPER["wait_mean"])),
            "k:",
            lw=1.5,
            label="exponential with the paper's mean, same number of waits",
        )
    ax.axvline(PAPER["wait_mean"], color="k", ls="--", lw=2, label="Epstein (2002): mean 60")
    ax.axvspan(
        PAPER["wait_mean"] * (1 - TOLERANCE),
        PAPER["wait_mean"] * (1 + TOLERANCE),
        color="0.85",
        zorder=0,
        label="paper ± 20 %",
    )
    ax.set_xlabel("waiting time between outbursts (periods, end → start)")
    ax.set_ylabel("count")
    ax.legend(fontsize=7, loc="upper right", framealpha=0.85)
    return _png(fig)


def gaps(active, threshold: float = 50.0) -> list[list]:
    """Rows (statistic, this run, paper, verdict) of the comparison with Run 2."""
    a = np.nan_to_num(np.asarray(active, dtype=np.float64))
    w = waiting_times(a, threshold)
    act = total_activation(a, threshold)
    rows = []
    for label, x, key in (
        ("mean waiting time", w.mean() if w.size else np.nan, "wait_mean"),
        ("s.d. of waiting times", w.std(ddof=1) if w.size > 1 else np.nan, "wait_sd"),
        ("mean activation per outburst", act.mean() if act.size else np.nan, "activation_mean"),
        ("s.d. of activation", act.std(ddof=1) if act.size > 1 else np.nan, "activation_sd"),
    ):
        ref = PAPER[key]
        if not np.isfinite(x):
            verdict = "not measurable (too few outbursts)"
        elif abs(x - ref) <= TOLERANCE * ref:
            verdict = "within 20 %"
        else:
            verdict = f"GAP: {100 * (x - ref) / ref:+.0f} %"
        rows.append([label, f"{x:.1f}" if np.isfinite(x) else "-", f"{ref:g}", verdict])
    return rows


def extinction_step(blue, green) -> int | None:
    """First step at which one group has no living member; None while both live."""
    b, g = np.nan_to_num(np.asarray(blue)), np.nan_to_num(np.asarray(green))
    dead = np.flatnonzero((b == 0) | (g == 0))
    return int(dead[0]) if dead.size else None


def model2_expectation(legitimacy: float, cop_density: float) -> tuple[str, bool] | None:
    """What Epstein (2002) reports for Model II at these settings, as (text, coexistence?);
    None between the published settings (there Figs. 15-17 give a time to extinction that
    rises with cop density, not a yes or no)."""
    if cop_density == 0 and legitimacy >= 0.9:
        return "peaceful coexistence (Run 6, Fig. 12)", True
    if cop_density == 0:
        return "genocide, in 30 of 30 runs, the victor random (Run 7, Fig. 13)", False
    if cop_density >= 0.04:
        return "coexistence under cops: 'a stable, but nasty, regime' (Run 8)", True
    return None


def model2_rows(run) -> list[list]:
    """Rows (statistic, this run, paper, verdict) of a Model II run against the paper."""
    p = run.manifest.get("parameters", {})
    L, cops = float(p.get("legitimacy", 0.8)), float(p.get("cop_density", 0.0))
    ext = extinction_step(run.series("blue"), run.series("green"))
    n = run.n_rows - 1
    this = f"group extinct at step {ext}" if ext is not None else f"both groups alive at step {n}"
    want = model2_expectation(L, cops)
    if want is None:
        verdict = "no yes/no figure in the paper at this cop density (Figs. 15-17)"
        ref = "time to extinction rising with cop density"
    else:
        ref, coexist = want
        verdict = "as in the paper" if (ext is None) == coexist else "GAP"
        if ext is None and not coexist:
            verdict = f"GAP (or not yet: the paper's runs were capped at 15,000; this one {n})"
    return [["outcome", this, ref, verdict]]


def model2_section(run) -> str:
    """Model II: the lattice at the end (or at the extinction), groups coloured, and the
    outcome against the paper's Runs 6-8."""
    from tolqyn.report import _table

    rows = model2_rows(run)
    ext = extinction_step(run.series("blue"), run.series("green"))
    step = ext if ext is not None else run.n_rows - 1
    gap = rows[0][3].startswith("GAP")
    when = "the extinction of a group" if ext is not None else "the end of the run"
    note = (
        "<p><b>Gap with the paper:</b> the outcome differs from what Epstein (2002) reports "
        "for these settings. Readings of the model that close or keep this gap are compared in "
        "docs/results/epstein-2002/README.md (Run 8).</p>"
        if gap
        else ""
    )
    return (
        "<h2>Beside Epstein (2002)</h2>"
        + f"<p>The lattice at step {step} ({when}), drawn as the paper's Figs. 12-14.</p>"
        + _snapshot(run, step, groups=True)
        + note
        + _table(rows, ["statistic", "this run", "Epstein (2002)", "verdict"], num_cols=())
    )


def epstein_section(run, threshold: float = 50.0) -> str:
    """The report section: snapshot at the largest outburst, wait histogram, gap table (Model
    II: the lattice and the outcome against Runs 6-8)."""
    from tolqyn.report import _table

    if run.has("blue") and run.manifest.get("parameters", {}).get("variant") == "II":
        return model2_section(run)
    a = run.series("active")
    peak = largest_outburst_peak(a, threshold)
    if peak is None:
        return ""
    rows = gaps(a, threshold)
    flagged = [r[0] for r in rows if r[3].startswith("GAP")]
    note = (
        "<p><b>Gap with the paper:</b> "
        + html.escape(", ".join(flagged))
        + " outside 20 % of Epstein's Run 2 figures in this run. One run's statistics scatter "
        "widely (docs/results/epstein-2002/README.md gives their spread over 24 runs of 3,000 "
        "periods): judge a reading on several seeds pooled. The reading that reproduces the "
        "paper's means (epstein-2002/paper-run-2) and the study of the others (grievance form, "
        "definition of a wait, jail and cop handling) are in that README.</p>"
        if flagged
        else "<p>The run's outburst statistics are within 20 % of Epstein's Run 2 figures.</p>"
    )
    w = waiting_times(np.nan_to_num(a), threshold)
    return (
        "<h2>Beside Epstein (2002)</h2>"
        + f"<p>The lattice at the peak of the largest outburst (step {peak}), as in the "
        "paper's Figs. 3-4; the waiting times with the paper's mean (Fig. 5).</p>"
        + _snapshot(run, peak)
        + _histogram(w)
        + note
        + _table(rows, ["statistic", "this run", "Epstein (2002)", "verdict"], num_cols=(1, 2))
    )
