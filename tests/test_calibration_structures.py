"""Calibration over structures: the model-selection plumbing on a small model whose true
structure is known (Granovetter's threshold model: normal or uniform thresholds), the
measurement-error model, and the structure switches of the country model (directional, with
common random numbers)."""

import math

import numpy as np
import pytest

from tolqyn.core.errors import ScenarioError, TolqynError, UnknownParamError
from tolqyn.experiments.structures import TermError, read_structures

TOY = """
name = "toy-structures"
model = "granovetter"
steps = 30
seed = 0
start_date = "2000-01-01"

[params]
n_agents = 1000
threshold_dist = "normal"
threshold_mean = 300.0
threshold_sd = 250.0
sampling = "random"

[meta.structures]
threshold_dist = ["normal", "uniform"]
free = ["threshold_mean", "threshold_sd", "threshold_high"]
only = { threshold_mean = ["threshold_dist=normal"], threshold_sd = ["threshold_dist=normal"], threshold_high = ["threshold_dist=uniform"] }
priors = { threshold_mean = [50.0, 500.0], threshold_sd = [20.0, 500.0], threshold_high = [20, 800] }
"""


def _toy(tmp_path, observed: dict):
    from tolqyn.scenarios.loader import load_scenario

    recs = "".join(
        f'\n[[meta.observed]]\ntarget = "active"\nname = "active {d}"\nrole = "fitted"\n'
        f'metric = "active"\ndate = "{d}"\nvalue = {v}\nerror = "lognormal"\nerror_sd = 0.3\n'
        for d, v in observed.items()
    )
    recs += (
        '\n[[meta.observed]]\ntarget = "active"\nname = "final"\nrole = "checked"\n'
        'metric = "active"\nvalue = 200\n'
    )
    p = tmp_path / "toy.toml"
    p.write_text(TOY + recs)
    return load_scenario(str(p))


def test_the_structures_and_their_free_parameters(tmp_path):
    sc = _toy(tmp_path, {"2000-01-02": 14})
    got = {s.name: [f[0] for f in s.free] for s in read_structures(sc)}
    assert got == {
        "threshold_dist=normal": ["threshold_mean", "threshold_sd"],
        "threshold_dist=uniform": ["threshold_high"],
    }


def test_country_channel_parameters_are_free_only_where_their_channel_acts():
    from tolqyn.scenarios.loader import load_scenario

    sc = load_scenario("kazakhstan-2022")
    ss = {s.name: {f[0] for f in s.free} for s in read_structures(sc)}
    assert len(ss) == 27
    coord = ss["blackout=coordination;troops=street;ending=exhaustion"]
    disp = ss["blackout=dispersion;troops=signal;ending=repression"]
    assert "inperson_boost" not in coord and "inperson_boost" in disp
    assert "violence_blackout" in disp and "troops_street_factor" in coord
    assert "obey_foreign" in disp and "obey_foreign" not in coord
    assert "fatigue_weight" in coord and "fatigue_weight" not in disp
    assert "lethal_fear_weight" in disp and "lethal_fear_weight" not in coord
    shared = {"legitimacy", "tau_mean", "w_online", "online_half", "lethal_weight"}
    assert all(shared <= v for v in ss.values())
    assert min(len(v) for v in ss.values()) >= 10


def test_bad_structure_declarations_are_clear_errors(tmp_path):
    sc = _toy(tmp_path, {"2000-01-02": 14})
    with pytest.raises(UnknownParamError, match="normal"):
        read_structures(sc, axes={"threshold_dist": ["normall"]})
    meta = dict(sc.meta)
    meta["structures"] = {**meta["structures"], "priors": {"threshold_sd": [-1.0, 5.0]}}
    from dataclasses import replace

    with pytest.raises(ScenarioError, match="declared bounds"):
        read_structures(replace(sc, meta=meta))
    with pytest.raises(TolqynError, match="no structures"):
        read_structures(replace(sc, meta={}))


def test_measurement_error_model_lognormal_and_one_sided():
    ln = TermError("deaths", "deaths", "lognormal", math.log(225), 0.1)
    assert ln.loglik(math.log(225)) == 0.0
    assert ln.loglik(math.log(238)) == pytest.approx(-0.5 * (math.log(225 / 238) / 0.1) ** 2)
    # "more than 9,900": above the figure the wide side, below it the narrow one
    al = TermError("detained", "detained", "at_least", math.log(9900), 0.1, 0.5)
    up, down = al.loglik(math.log(9900 * 1.5)), al.loglik(math.log(9900 / 1.5))
    assert up == pytest.approx(-0.5 * (math.log(1.5) / 0.5) ** 2)
    assert down == pytest.approx(-0.5 * (math.log(1.5) / 0.1) ** 2)
    assert down < up < 0.0
    assert ln.loglik(float("nan")) < -1e9


def test_model_selection_recovers_the_true_structure(tmp_path):
    """Data from normal thresholds (mean 300, sd 250: 10 % act at once, then the crowd
    roughly doubles each step); uniform thresholds on [0, H] grow by a constant factor
    N/(H + 1), so they cannot give both the large first step and the slow growth after it.
    The posterior probability of the true structure must exceed 0.8 (it was 0.95 after the
    second generation, at temperature 5.3, and 1.00 at temperature 1 when the run was given
    3,400 simulations; a serial ABC-SMC is repeatable, so the test is deterministic)."""
    import tolqyn
    from tolqyn.experiments.posterior import load_posterior
    from tolqyn.experiments.structures import calibrate_structures

    sc = _toy(tmp_path, {"2000-01-02": 1})
    truth = tolqyn.run_one(sc, 12345).series("active")
    obs = {f"2000-01-0{i + 1}": max(float(truth[i]), 1.0) for i in (1, 2, 3, 4)}
    sc = _toy(tmp_path, obs)
    out = tmp_path / "cal"
    res = calibrate_structures(
        sc, out, population=100, generations=3, max_simulations=1000, n_predictive=10,
        seed=3, executor_kind="serial", log=lambda *a: None,
    )  # fmt: skip
    post = load_posterior(out)
    p = post.probabilities
    assert p["threshold_dist=normal"] > 0.8, p
    assert sum(p.values()) == pytest.approx(1.0)
    # the budget stops it after the generation that passes 1,000 simulations
    assert res["budget"]["simulations_run"] == res["budget"]["simulations"] < 2500
    assert res["switches"] == ["threshold_dist"]
    # the posterior of the true structure's parameters covers the truth
    q = post.frame[post.frame["structure"] == "threshold_dist=normal"]
    w = q["weight"].to_numpy()
    m = float(np.sum(q["threshold_mean"] * w) / w.sum())
    assert 150.0 < m < 450.0  # truth 300, prior U(50, 500)
    # the checked record was never fitted and is scored separately
    assert res["checked"] == ["final"] and "final" not in [e["record"] for e in res["error_model"]]
    assert {r["role"] for r in res["checked_scores"]} == {"fitted", "checked"}
    for f in ("posterior.csv", "structures.csv", "calibration.json", "summary.txt"):
        assert (out / f).exists()
