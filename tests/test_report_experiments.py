"""`tolqyn report DIR` on experiment directories, each made by a real small run of the command
a user would type: an ensemble (median and bands), a sweep with scenario discovery (PRIM's
trade-off), a Morris sensitivity analysis (bars with confidence intervals) and an ABC
calibration (posterior histograms, pair plot, pyABC's own plots). The pages are screenshot by
tests/test_report.py's browser helper into test-artifacts/reports/."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))

from tolqyn.cli import app  # noqa: E402

SCEN = "granovetter-1978/normal-random"
AXES = ["--param", "threshold_mean=150:350", "--param", "threshold_sd=50:200"]
TARGETS = """
[[targets]]
name = "rioters"
metric = "active"
stat = "final"
observed = 1000
scale = 100

[[params]]
name = "threshold_mean"
low = 150
high = 350

[[params]]
name = "threshold_sd"
low = 50
high = 200
"""


def _tolqyn(*args):
    r = CliRunner().invoke(app, [str(a) for a in args])
    assert r.exit_code == 0, f"tolqyn {' '.join(map(str, args))}\n{r.output}"
    return r.output


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("experiments")
    out = {k: root / k for k in ("ensemble", "sweep", "morris", "calibration")}
    quiet = ["--workers", "1", "--quiet"]
    _tolqyn("sweep", SCEN, "--design", "ensemble", "--replicates", 6, *quiet, "--out",
            out["ensemble"])  # fmt: skip
    _tolqyn("sweep", SCEN, "--design", "lhs", "--samples", 10, "--replicates", 2, *AXES,
            *quiet, "--out", out["sweep"])  # fmt: skip
    _tolqyn("discover", out["sweep"], "--output", "active:final", "--condition",
            "active_final > 900")  # fmt: skip
    _tolqyn("sensitivity", SCEN, "--method", "morris", "--samples", 4, "--replicates", 2,
            *AXES, "--output", "active:final", "--serial", "--quiet", "--out", out["morris"])  # fmt: skip
    targets = root / "targets.toml"
    targets.write_text(TARGETS)
    _tolqyn("calibrate", SCEN, "--targets", targets, "--population", 16, "--generations", 2,
            "--predictive", 4, "--serial", "--out", out["calibration"])  # fmt: skip
    for d in out.values():
        assert "report: " in _tolqyn("report", d)
    return out


def _page(d):
    return (d / "report.html").read_text()


def _imgs(page):
    return len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', page))


def test_ensemble_report_shows_median_and_bands(dirs):
    page = _page(dirs["ensemble"])
    assert "(ensemble)" in page and "6 runs recorded, 0 failed" in page
    assert "replicate noise only" in page and _imgs(page) == 1


def test_ensemble_bands_are_the_quantiles_over_runs(dirs):
    """The band figure's numbers: exact quantiles of the stored runs on every step."""
    import numpy as np

    from tolqyn.report_experiments import QUANTILES, _bands, _results

    df = _results(dirs["ensemble"])
    steps, dates, q, n = _bands(df, "active")
    assert n == 6 and dates is None
    wide = df[df.metric == "active"].pivot_table(index="step", columns="run_id", values="value")
    wide = wide.sort_index().ffill()
    assert np.allclose(q, np.quantile(wide.to_numpy(), QUANTILES, axis=1))
    assert (np.diff(q, axis=0) >= -1e-9).all()  # 5 % <= 25 % <= median <= 75 % <= 95 %


def test_sweep_report_has_points_outcomes_and_the_prim_tradeoff(dirs):
    page = _page(dirs["sweep"])
    assert "Swept parameters" in page and "threshold_sd" in page
    assert "Scenario discovery" in page and "PRIM peels" in page
    assert "box low" in page and "CART rules" in page
    assert _imgs(page) == 4  # bands, per-point medians, outcome vs parameters, PRIM


def test_sensitivity_report_has_bars_with_intervals(dirs):
    page = _page(dirs["morris"])
    assert "Sensitivity (morris)" in page and "mu_star_conf" in page
    assert "Replicate noise:" in page and "95 % confidence intervals" in page


def test_calibration_report_has_posterior_pairs_and_pyabc_plots(dirs):
    pytest.importorskip("pyabc")
    page = _page(dirs["calibration"])
    assert "tolqyn calibration" in page and "weighted particles" in page
    for part in ("<h2>Posterior</h2>", "pyABC: posterior KDE matrix",
                 "Posterior predictive check", "U(150, 350)"):  # fmt: skip
        assert part in page, part
    assert "not drawn" not in page  # every pyABC plot asked for was drawn
    # histograms, pair plot, KDE matrix, and (with two generations) the epsilon and ESS curves
    # or the sentence saying why they are left out; the predictive PNG of the calibration
    assert _imgs(page) >= 4


def test_report_on_a_directory_that_is_neither_says_so(tmp_path):
    r = CliRunner().invoke(app, ["report", str(tmp_path)])
    assert r.exit_code != 0 and str(tmp_path) in r.output


def test_screenshots_of_the_experiment_reports(dirs):
    from test_report import screenshot_pages

    screenshot_pages({f"experiment-{k}": d / "report.html" for k, d in dirs.items()})
