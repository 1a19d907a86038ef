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
    # 3 blackout x 1 troops x 2 ending x 1 trigger scope x 2 shock signals x 2 violence
    assert len(ss) == 24
    mid = ";troops=legitimacy;ending="
    tail = ";fuel_price_scope=nationwide;shock_signal="
    coord = ss["blackout=coordination" + mid + "repression" + tail + "threshold;violence=emergent"]
    disp = ss["blackout=dispersion" + mid + "all" + tail + "saturating;violence=organised"]
    assert "inperson_boost" not in coord and "inperson_boost" in disp
    assert "violence_blackout" in disp and "coordination_online" in coord
    assert "fatigue_weight" in disp and "fatigue_weight" not in coord
    assert "lethal_fear_weight" in disp and "lethal_fear_weight" in coord
    # the troops act through legitimacy only: their street and signal weights are never free
    assert all("troops_street_factor" not in v and "obey_foreign" not in v for v in ss.values())
    # the cap of the shock's signal acts only in the saturating reading, the groups' share of
    # the claim only where the groups act
    assert "shock_signal_cap" in disp and "shock_signal_cap" not in coord
    assert "armed_group_scale" in disp and "armed_group_scale" not in coord
    shared = {"legitimacy", "tau_mean", "w_online", "online_half", "lethal_weight"}
    assert all(shared | {"fuel_dependence_power"} <= v for v in ss.values())
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
    for f in ("posterior.csv", "structures.csv", "calibration.json", "summary.txt", "report.md"):
        assert (out / f).exists()
    report = (out / "report.md").read_text()
    assert "threshold_dist=normal" in report and "| final | checked |" in report


def test_calibration_repeats_on_any_number_of_workers_and_keeps_its_deadline(tmp_path):
    """The sampler seeds every job from (seed, call, job) and accepts the first n particles
    by job number, so a serial run and a run on two worker processes give the same
    posterior, bit for bit; and a deadline stops a generation that cannot finish (here: at
    once, inside the first generation after the prior's), keeping the generations complete
    before it instead of sampling for ever."""
    import pandas as pd

    import tolqyn
    from tolqyn.experiments.structures import calibrate_structures

    sc = _toy(tmp_path, {"2000-01-02": 1})
    truth = tolqyn.run_one(sc, 12345).series("active")
    sc = _toy(tmp_path, {f"2000-01-0{i + 1}": max(float(truth[i]), 1.0) for i in (1, 2, 3)})
    posts = []
    for kind, workers in (("serial", None), ("process", 2)):
        out = tmp_path / f"cal-{kind}"
        calibrate_structures(
            sc, out, population=40, generations=2, max_simulations=400, n_predictive=0,
            seed=5, executor_kind=kind, workers=workers, log=lambda *a: None,
        )  # fmt: skip
        posts.append(pd.read_csv(out / "posterior.csv"))
    pd.testing.assert_frame_equal(posts[0], posts[1])

    # a deadline that passes before any generation is complete: a clear error, nothing written
    out = tmp_path / "cal-deadline"
    with pytest.raises(TolqynError, match="no generation"):
        calibrate_structures(
            sc, out, population=40, generations=50, max_simulations=10**6,
            max_walltime_s=0.01, n_predictive=0, seed=5, executor_kind="serial",
            log=lambda *a: None,
        )  # fmt: skip
    assert not (out / "posterior.csv").exists()


def test_sampler_stops_a_generation_that_cannot_finish():
    """pyABC's own samplers for pools ignore max_eval (pyABC 0.13): a generation in which
    nothing is accepted was sampled for ever. Ours stops after max_eval evaluations, or at
    the deadline, and marks the sample not ok (pyABC then keeps the last complete one)."""
    import time

    from tolqyn.experiments.abc_sampler import InlineClient, budget_sampler

    class Particle:
        preliminary = False

        def __init__(self, accepted):
            self.accepted = accepted
            self.value = np.random.random()

    def rejected():
        return Particle(False)

    def accepted():
        return Particle(True)

    s = budget_sampler(InlineClient(), 1, seed=1)
    sample = s.sample_until_n_accepted(10, rejected, 0, max_eval=50)
    assert not sample.ok and s.stopped_by == "max_eval" and s.nr_evaluations_ == 50
    # each job's draws come from its own seed: the same for the same (seed, call, job)
    draws = []
    for seed in (1, 1, 2):
        sample = budget_sampler(InlineClient(), 1, seed=seed).sample_until_n_accepted(
            5, accepted, 0
        )
        assert sample.ok
        draws.append([q.value for q in sample.accepted_particles])
    assert draws[0] == draws[1] != draws[2] and len(set(draws[0])) == 5
    s = budget_sampler(InlineClient(), 1, seed=1, deadline=time.time() - 1)
    sample = s.sample_until_n_accepted(10, accepted, 0)
    assert not sample.ok and s.stopped_by == "deadline" and s.nr_evaluations_ == 0
