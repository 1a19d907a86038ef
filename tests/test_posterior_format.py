"""The posterior format shared by the calibration over structures and its readers."""

import json

import pandas as pd
import pytest

from tolqyn.core.errors import TolqynError
from tolqyn.experiments.posterior import load_posterior


def _write(d, weights=(3.0, 1.0)):
    pd.DataFrame(
        {
            "structure": ["blackout=both", "blackout=coordination"],
            "weight": list(weights),
            "blackout_structure": ["both", "coordination"],
            "legitimacy": [0.55, 0.6],
            "inperson_boost": [2.0, float("nan")],
        }
    ).to_csv(d / "posterior.csv", index=False)
    pd.DataFrame(
        {
            "structure": ["blackout=both", "blackout=coordination"],
            "blackout_structure": ["both", "coordination"],
            "prior": [0.5, 0.5],
            "probability": [0.75, 0.25],
            "n_particles": [1, 1],
        }
    ).to_csv(d / "structures.csv", index=False)
    (d / "calibration.json").write_text(json.dumps({"switches": ["blackout_structure"]}))


def test_draws_follow_weights_and_skip_parameters_not_free(tmp_path):
    _write(tmp_path)
    post = load_posterior(tmp_path)
    assert post.parameters == ["legitimacy", "inperson_boost"]
    assert post.probabilities == {"blackout=both": 0.75, "blackout=coordination": 0.25}
    draws = post.draws(4000, seed=1)
    share = sum(d.structure == "blackout=both" for d in draws) / len(draws)
    # binomial(4000, 0.75): sd 0.007, so 0.05 is > 7 sd (false-failure rate < 1e-11)
    assert abs(share - 0.75) < 0.05
    coord = [d for d in draws if d.structure == "blackout=coordination"][0]
    assert coord.params == {"blackout_structure": "coordination", "legitimacy": 0.6}
    only = post.draws(10, seed=2, structure="blackout=both")
    assert {d.structure for d in only} == {"blackout=both"}
    assert post.draws(10, seed=3) == post.draws(10, seed=3)


def test_missing_file_and_bad_weights_are_clear_errors(tmp_path):
    with pytest.raises(TolqynError, match="no posterior.csv"):
        load_posterior(tmp_path)
    _write(tmp_path, weights=(0.0, 0.0))
    with pytest.raises(TolqynError, match="weights"):
        load_posterior(tmp_path)
    _write(tmp_path)
    with pytest.raises(TolqynError, match="nearest|did you mean|one of"):
        load_posterior(tmp_path).draws(1, structure="blackout=bth")


def test_the_current_posterior_keeps_the_country_quiet_without_its_trigger():
    """Regression on a published claim (docs/results/calibration-kazakhstan-2022-shock,
    stability.md: 0 of 20 draws light a wave without the price rise in 30 days). Eight of the
    same draws (draw seed 7, run seeds from the scenario's), deterministic on any number of
    threads: none reaches 10,000 persons active at once, and none has a 300-person protest in 3
    or more units (stability.md's second count)."""
    from pathlib import Path

    import numpy as np

    from tolqyn.api import run_one
    from tolqyn.experiments.posterior import load_posterior
    from tolqyn.scenarios.loader import load_scenario

    root = Path(__file__).resolve().parent.parent
    post = load_posterior(root / "docs/results/calibration-kazakhstan-2022-shock")
    sc = load_scenario("kazakhstan-2022/no-price-shock")
    for i, d in enumerate(post.draws(8, seed=7)):
        assert d.params["fuel_price_scope"] == "nationwide"  # the reading the records chose
        assert d.params["shock_signal"] == "threshold"  # 1.00: the amplifier is ruled out
        r = run_one(sc, int(sc.seed) + i, steps=30, overrides=d.params)
        active = np.asarray(r.series("active", "ALL"))
        assert active.max() < 10_000, (i, d.structure, active.max())
        units = [u for u in r.regions if u != "ALL"]
        lit = [u for u in units if np.max(r.series("active", u)) >= 300]
        assert len(lit) < 3, (i, lit)
