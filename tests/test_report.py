"""Reports (tolqyn.report) read as a user reads them: region names where codes stood, dates with
the year on every time axis, one event timeline per figure, plain numbers, legends outside the
data, what 'dead' counts, a comparison's maps on the same days, the exit scenario's fitted and
checked tables (tolqyn.observe) — and a screenshot of every report page in headless Chromium,
kept in test-artifacts/reports/ (the CI's clean clone keeps the folder; git ignores it)."""

from __future__ import annotations

import ast
import base64
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tolqyn import figures, run_one  # noqa: E402
from tolqyn.core.results import RunResult  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src" / "tolqyn"
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "reports"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Small real runs: January 2022 and its no-shutdown counterfactual (same seed), the exit
    decade, and an Epstein lattice (long enough for the outburst section)."""
    root = tmp_path_factory.mktemp("report-runs")
    out = {}
    for key, name, kw in (
        ("kz", "kazakhstan-2022", {"overrides": {"scale": 4000}}),
        ("kz-alt", "kazakhstan-2022/no-shutdown", {"overrides": {"scale": 4000}}),
        ("exit", "kazakhstan-exit", {"overrides": {"scale": 5000}}),
        ("lattice", "epstein-2002/run-2", {"steps": 80, "overrides": {"width": 40, "height": 40}}),
    ):
        run_one(name, 3, **kw).write(root / key)
        out[key] = root / key
    return out


def _load(path):
    return RunResult.from_dir(path)


# ------------------------------------------------------------------ the package
def test_no_bare_except_in_the_package():
    """A bare `except:` once hid a failing import and left the region names empty."""
    offenders = []
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ExceptHandler) and node.type is None:
                offenders.append(f"{path.relative_to(SRC)}:{node.lineno}")
    assert offenders == []


def test_the_bare_except_check_sees_one():
    tree = ast.parse("try:\n    pass\nexcept:\n    pass\n")
    assert any(isinstance(n, ast.ExceptHandler) and n.type is None for n in ast.walk(tree))


# ------------------------------------------------------------------ figure conventions
def _drawn(fig):
    fig.canvas.draw()
    return fig


def test_time_axes_carry_the_year_and_plain_numbers(runs):
    import matplotlib

    matplotlib.use("Agg")
    for key in ("kz", "exit"):
        run = _load(runs[key])
        fig = _drawn(
            figures.panels(
                run,
                [(0, run.series("quiet"), {"label": "quiet"}), (1, run.series("active"), {})],
                ["quiet", "active"],
                "t",
            )
        )
        bottom = fig.axes[1]
        ticks = [t.get_text() for t in bottom.get_xticklabels() if t.get_text()]
        assert ticks and all(re.search(r"\b(19|20)\d\d\b", t) for t in ticks), ticks
        for ax in fig.axes[:2]:
            assert ax.yaxis.get_offset_text().get_text() == ""  # no 1e7 above the axis
            labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
            assert labels and not any("e" in s.lower() for s in labels), labels
        quiet = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
        assert any("," in s for s in quiet), quiet  # 19,750,000, not 1.975 and a 1e7


def test_one_event_timeline_per_figure_and_legends_outside(runs):
    run = _load(runs["kz"])
    days = figures.event_days(run)
    assert len(days) >= 5
    fig = _drawn(
        figures.panels(
            run,
            [(i, run.series(m), {"label": m}) for i, m in enumerate(("quiet", "active", "jailed"))],
            ["quiet", "active", "jailed"],
            "t",
        )
    )
    keys = [t for t in fig.texts if t.get_text().startswith("Events")]
    assert len(keys) == 1  # one key for the whole figure
    key = keys[0].get_text()
    for n, (s, ids, _) in enumerate(days, 1):
        assert re.search(rf"(^|\s){n} \d+ \w+ 2022  {re.escape(ids[0][:10])}", key, re.M), n
    # the numbers stand above the top panel only, horizontal, one per day with events
    numbers = [a for a in fig.axes[0].texts if a.get_text().isdigit()]
    assert [int(a.get_text()) for a in numbers] == list(range(1, len(days) + 1))
    assert all(a.get_rotation() == 0 for a in numbers)
    assert not any(a.get_text().isdigit() for ax in fig.axes[1:] for a in ax.texts)
    # every legend lies right of its axes
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes[:3]:
        leg = ax.get_legend()
        assert leg is not None
        assert leg.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1


def test_region_names_from_the_pack():
    names = figures.region_names()
    assert names["KZ-47"] == "Mangystau Region" and names["KZ-75"] == "Almaty"
    text = figures.name_codes('{"regions": ["KZ-47", "KZ-75"]}', names)
    assert "Mangystau Region" in text and "KZ-" not in text
    assert figures.region_label("ALL", names) == "whole country"


# ------------------------------------------------------------------ pages
def test_country_report_names_regions_and_says_what_dead_counts(runs, pages):
    from tolqyn.report import _status_shown

    run = _load(runs["kz"])
    page = pages["run-kz"].read_text()
    # the observed tables and the events name regions; codes stay only in the code column
    fitted = page.split("Simulated vs observed: fitted")[1].split("</table>")[0]
    assert "Mangystau Region" in fitted and not re.search(r"<td[^>]*>KZ-\d\d</td>", fitted)
    events = page.split("Timeline of events applied")[1].split("</table>")[0]
    assert "Mangystau Region" in events and "KZ-47" not in events
    assert re.search(r"KZ-11</td><td[^>]*>Akmola Region</td>", page)
    # 'dead' is explained, not drawn beside exact death counts in steps of the scale
    assert "dead" not in _status_shown(run)
    assert "moves in steps of 4,000" in page and "civilian deaths counted" in page
    assert "civilian deaths (persons)" in page


def test_compare_shows_both_runs_maps_on_the_same_days(runs):
    from tolqyn.report import _compare_maps, compare_days

    a, b = _load(runs["kz"]), _load(runs["kz-alt"])
    days = compare_days(a, b)
    assert days == compare_days(b, a) and len(days) >= 4
    n = min(a.n_rows, b.n_rows)
    both = np.nan_to_num(a.series("active")[:n]) + np.nan_to_num(b.series("active")[:n])
    assert int(np.argmax(both)) in days  # the joint peak is among them
    page = _compare_maps(a, b, "A", "B")
    when = ", ".join(figures._day(figures.x_of(a)[0][d]) for d in days)
    assert f"Both runs on the same days ({when})" in page
    assert page.count("<img") == 3


def test_exit_report_has_fitted_and_checked_tables_from_the_observation_layer(runs, pages):
    from tolqyn.observe import emigration, evaluate
    from tolqyn.report import observed_rows

    run = _load(runs["exit"])
    targets = emigration.targets_for(run)
    fitted = {t.name for t in targets if t.fitted}
    assert {"total_2004", "total_2013", "total_2019", "russian_2019"} <= fitted
    assert "total_2015_Jan-Oct" in {t.name for t in targets if not t.fitted}
    verdicts = {v.target.name: v.match for v in evaluate(run, targets)}
    rows = observed_rows(run)
    assert len(rows) == len(targets)
    assert {r[0]: "matches" in str(r[5]) for r in rows} == {
        t.label: verdicts[t.name] for t in targets
    }
    page = pages["run-exit"].read_text()
    assert "Simulated vs observed: fitted" in page and "checked only" in page
    assert "<h2>Emigration by year</h2>\n<img" in page and "Active protesters" not in page
    assert "at most" in page  # the non-CIS totals bound the emigrants to Germany


def test_upper_bound_target_matches_below_and_misses_above():
    from tolqyn.observe.targets import Term

    assert Term("x", 1.0, 2.0, 0.1, 1.0, at_most=True).match
    assert not Term("x", 2.5, 2.0, 0.1, 1.0, at_most=True).match
    assert Term("x", 1.0, 2.0, 0.1, 1.0, at_most=True).distance == 0.0
    assert not Term("x", 1.0, 2.0, 0.1, 1.0).match


# ------------------------------------------------------------------ screenshots
@pytest.fixture(scope="module")
def pages(runs, tmp_path_factory):
    """Every report page of the runs, written once for the module."""
    from tolqyn.report import write_compare, write_report

    tmp = tmp_path_factory.mktemp("report-pages")
    out = {f"run-{k}": write_report(p, tmp / f"run-{k}.html") for k, p in runs.items()}
    out["compare"] = write_compare(runs["kz"], runs["kz-alt"], tmp / "compare.html")
    return out


def screenshot_pages(pages: dict, skip: bool = True) -> None:
    """Each page rendered by headless Chromium, whole length, one PNG per page in
    test-artifacts/reports/ (looked at by eye; here: not blank, every figure loaded).
    Without Chromium the calling test is skipped, or (skip=False, a test that checks more
    than the pictures) goes on without screenshots."""
    import importlib.util

    from web_support import have_chromium, make_driver, quit_driver

    if not have_chromium() or importlib.util.find_spec("selenium") is None:
        if skip:
            pytest.skip("chromium, chromium-driver or selenium is not installed")
        return
    from PIL import Image

    SHOTS.mkdir(parents=True, exist_ok=True)
    d = make_driver(1200, 900)
    try:
        for name, page in pages.items():
            d.get(Path(page).resolve().as_uri())
            broken = d.execute_script(
                "return [...document.images].filter(i => !i.complete || !i.naturalWidth).length"
            )
            assert broken == 0, name
            # the whole page in one image, beyond the window (Chrome DevTools)
            size = d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
            w, h = int(size["width"]), min(int(size["height"]), 20000)
            shot = d.execute_cdp_cmd(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": w, "height": h, "scale": 1},
                },
            )
            out = SHOTS / f"{name}.png"
            out.write_bytes(base64.b64decode(shot["data"]))
            im = np.asarray(Image.open(out).convert("L"))
            inked = np.flatnonzero((im < 250).any(axis=1))
            assert inked.size and inked[-1] > 400 and im.std() > 10, name
            Image.open(out).crop((0, 0, im.shape[1], int(inked[-1]) + 30)).save(out)
    finally:
        quit_driver(d)


def test_screenshots_of_every_report_page(pages):
    """The run reports (country, counterfactual, exit, lattice with its Epstein section) and
    the comparison."""
    screenshot_pages(pages)
