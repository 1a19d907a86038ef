"""The country model as a whole: invariants, results, scaling, common random numbers, the
built-in kazakhstan-2022 scenarios and their counterfactuals."""

import numba
import numpy as np
import pytest
from country_fixtures import PRICE_HIKE, run_hand, total

from tolqyn.core.errors import ScenarioError, UnknownParamError
from tolqyn.scenarios.loader import load_scenario

REQUIRED = [
    "quiet",
    "active",
    "jailed",
    "emigrated",
    "dead",
    "arrests",
    "deaths_civilian",
    "deaths_security",
    "detained_cumulative",
    "deaths_civilian_cumulative",
    "deaths_security_cumulative",
    "participants_cumulative",
    "grievance_mean",
    "legitimacy_mean",
    "forces_deployed",
]
VARIANTS = [
    "no-shutdown",
    "no-troops",
    "early-concession",
    "no-price-shock",
    "higher-legitimacy",
    "policy",
]


def test_invariants_and_required_results_by_region():
    r = run_hand(validate=True)  # conservation, no resurrection, regions sum to ALL, every step
    for m in REQUIRED:
        assert m in r.metrics, m
        for g in ("ALL", "KZ-47", "KZ-75", "KZ-71"):
            assert r.series(m, g).size == 13, (m, g)
    st = sum(r.series(m) for m in ("quiet", "active", "jailed", "emigrated", "dead"))
    assert np.all(st == st[0])
    assert r.series("active")[0] == 0 and r.series("active").max() > 0
    # participants never fall; detained_cumulative is the running sum of arrests
    assert np.all(np.diff(r.series("participants_cumulative")) >= 0)
    assert np.allclose(np.cumsum(r.series("arrests")), r.series("detained_cumulative"))
    c = r.columns
    first = (c["metric"] == "active") & (c["region"] == "ALL") & (c["step"] == 1)
    assert c["date"][first][0] == "2022-01-01"


def test_counts_are_exported_in_citizens():
    a = run_hand(params={"scale": 1.0}, steps=2)
    b = run_hand(params={"scale": 10.0}, steps=2)
    # same agents (the hand-built space does not depend on scale), counts x 10
    assert np.allclose(b.series("quiet")[0], 10 * a.series("quiet")[0])
    assert b.manifest["scale"] == 10.0


def test_same_seed_same_result_on_one_or_two_threads(monkeypatch):
    from tolqyn.core import sim as core_sim

    monkeypatch.setattr(core_sim, "PARALLEL_MIN_AGENTS", 0)  # small runs would drop to 1 thread
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = run_hand(seed=5)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = run_hand(seed=5)
    finally:
        numba.set_num_threads(before)
    for m in ("active", "arrests", "deaths_civilian", "emigrants", "legitimacy_mean"):
        assert np.array_equal(a.series(m), b.series(m)), m
    c = run_hand(seed=6)
    assert not np.array_equal(a.series("active"), c.series("active"))


def test_bad_event_input_names_the_problem():
    bad_region = dict(PRICE_HIKE, params={"price": 120.0, "regions": ["KZ-99"]})
    with pytest.raises(UnknownParamError, match="KZ-99"):
        run_hand(events=[bad_region], steps=2)
    bad_price = dict(PRICE_HIKE, params={"price": -5, "regions": ["KZ-47"]})
    with pytest.raises(ScenarioError, match="price"):
        run_hand(events=[bad_price], steps=2)
    with pytest.raises(ScenarioError, match="level"):
        run_hand(events=[{"at": 1, "action": "internet", "params": {"level": 3}}], steps=2)
    with pytest.raises(ScenarioError):
        run_hand(
            events=[
                {
                    "at": 1,
                    "action": "deploy_troops",
                    "params": {"persons": 10, "regions": "ALL", "bogus": 1},
                }
            ],
            steps=2,
        )


def test_bad_observed_records_are_refused_at_load(tmp_path):
    """A typo or an impossible value in [[meta.observed]] fails when the file is loaded, naming
    the record and the key, instead of inside a report or a calibration."""
    head = 'extends = "kazakhstan-2022"\n[[meta.observed]]\ntarget = "onset"\nregion = "KZ-47"\n'
    cases = [
        ("min_activ = 300\n", UnknownParamError, "did you mean 'min_active'"),
        ("min_active = -1\n", ScenarioError, r"meta\.observed\[0\]\.min_active.*>= 0"),
        ("tolerance_factor = 1.0\n", ScenarioError, r"tolerance_factor.*> 1"),
    ]
    for i, (line, err, pattern) in enumerate(cases):
        f = tmp_path / f"bad{i}.toml"
        f.write_text(head + line)
        with pytest.raises(err, match=pattern):
            load_scenario(str(f))


def test_builtin_scenarios_load_with_ids_and_counterfactuals_remove_them():
    base = load_scenario("kazakhstan-2022")
    # two quiet weeks before the price rise, then 20 days from 1 January
    assert base.start_date == "2021-12-18" and base.steps == 34 and base.dt == 1.0
    ids = {e.get("id") for e in base.events}
    assert {
        "price-hike",
        "price-cut",
        "shutdown",
        "resignation",
        "emergency",
        "troops",
        "shoot-order",
    } <= ids
    assert all(e.get("id") for e in base.events)
    obs = {o["target"]: o for o in base.meta["observed"]}
    assert obs["detained"]["value"] == 9900 and obs["deaths"]["value"] == 225
    assert obs["security_deaths"]["value"] == 19 and all(o.get("source") for o in obs.values())
    for v in VARIANTS:
        sc = load_scenario(f"kazakhstan-2022/{v}")
        assert sc.hash != base.hash, v
    assert "shutdown" not in {
        e.get("id") for e in load_scenario("kazakhstan-2022/no-shutdown").events
    }
    assert "troops" not in {e.get("id") for e in load_scenario("kazakhstan-2022/no-troops").events}


@pytest.fixture(scope="module")
def coarse_runs():
    """Every kazakhstan-2022 scenario on the synthesized country at 2,000 citizens per agent."""
    import tolqyn

    out = {}
    for v in [None] + VARIANTS:
        name = "kazakhstan-2022" if v is None else f"kazakhstan-2022/{v}"
        out[v or "base"] = tolqyn.run_one(load_scenario(name, overrides={"scale": 2000.0}))
    return out


def test_every_counterfactual_runs_and_differs(coarse_runs):
    base = coarse_runs["base"]
    assert base.manifest["n_agents"] > 9000
    for v in VARIANTS:
        r = coarse_runs[v]
        # troops arrive after the peak: at this coarse scale they change the detentions and
        # the casualties, not necessarily the protest count
        assert any(
            not np.array_equal(r.series(m), base.series(m))
            for m in ("active", "detained_cumulative", "injured_security_cumulative")
        ), v
    # directions the docs explain (docs/odd/country.md, "Counterfactuals")
    assert total(coarse_runs["no-price-shock"], "arrests") < 0.2 * total(base, "arrests")
    assert (
        coarse_runs["early-concession"].series("detained_cumulative")[-1]
        < base.series("detained_cumulative")[-1]
    )
    assert (
        coarse_runs["higher-legitimacy"].series("participants_cumulative")[-1]
        < base.series("participants_cumulative")[-1]
    )
    # without the shutdown protest lasts longer (the distant online signal keeps thresholds low)
    jan1 = base.dates().index("2022-01-01")
    days = slice(jan1 + 9, jan1 + 13)
    assert (
        coarse_runs["no-shutdown"].series("active")[days].sum() > base.series("active")[days].sum()
    )


def test_january_2022_pattern_at_scale_100():
    """The calibrated defaults reproduce every fitted observation of the scenario but three
    known misses
    (docs/odd/country.md §8) for the scenario's seed, judged by the observation layer with the
    scenario's own crowd size and tolerances: a deterministic check of the calibration, not a
    statistical one. Checked-only records are not asserted here (the report scores them)."""
    import tolqyn
    from tolqyn.observe import evaluate, targets_of

    r = tolqyn.run_one("kazakhstan-2022")
    fitted = targets_of(load_scenario("kazakhstan-2022").meta, role="fitted")
    assert {t.name for t in fitted} >= {"onset", "peak", "end", "detained", "deaths"}
    missed = {v.target.name for v in evaluate(r, fitted) if not v.match}
    # tuned to but not met (docs/odd/country.md §8, §10): the day-4 step of the spread and
    # Mangystau's crowds; listed so that a change that meets them has to say so here
    known = {"spread 2022-01-04", "crowd KZ-47 2022-01-02", "crowd KZ-47 2022-01-03"}
    assert missed == known


def test_onset_check_counts_a_crowd_not_a_lone_agent(tmp_path):
    """Seed 2 at scale 100 has single agents (100 persons) active in Karaganda on the first
    quiet day (18 Dec 2021) and in Mangystau on 1 Jan, a day before Mangystau's wave. With the
    scenario's crowd size (min_active = 300 persons) the report's onset check names Mangystau
    on 2 Jan; without it the lone agents make Mangystau's onset 1 Jan and the first region
    Karaganda, two weeks before the price rise.
    Exact for this seed (deterministic run)."""
    from tolqyn import run_one
    from tolqyn.core.results import RunResult
    from tolqyn.report import observed_rows

    res = run_one("kazakhstan-2022", 2, overrides={"scale": 100})
    res.write(tmp_path / "run")
    run = RunResult.from_dir(tmp_path / "run")
    onset = next(r for r in observed_rows(run) if r[0] == "onset")
    assert "KZ-47 first protest of ≥300 persons 2022-01-02; first region(s): KZ-47" in onset[3]
    assert "matches" in str(onset[5])
    meta = run.manifest["scenario_meta"]
    for t in meta["observed"]:
        t["min_active"] = 0  # anyone active
    onset = next(r for r in observed_rows(run) if r[0] == "onset")
    assert "KZ-47 first protest 2022-01-01; first region(s): KZ-35 on 2021-12-18" in onset[3]
    assert "differs" in str(onset[5])


def test_the_quiet_record_fails_when_the_country_cascades_on_its_own():
    """The record `quiet` (fitted; no unit with 300 persons active by 31 Dec 2021) is met by a
    run that waits for the price rise and missed by one that lights its wave in December: at
    the defaults, scale 100, seed 0 stays quiet and seed 8 peaks on 23 Dec (README table).
    Exact for these seeds (deterministic runs)."""
    import tolqyn
    from tolqyn.observe import evaluate, targets_of

    quiet = [t for t in targets_of(load_scenario("kazakhstan-2022").meta) if t.name == "quiet"]
    assert len(quiet) == 1 and quiet[0].role == "fitted" and quiet[0].date == "2021-12-31"
    calm, cascade = (tolqyn.run_one("kazakhstan-2022", s) for s in (0, 8))
    assert evaluate(calm, quiet)[0].match is True
    v = evaluate(cascade, quiet)[0]
    assert v.match is False and v.simulated.startswith("20 of 20 regions")
    dates = cascade.dates()
    assert dates[int(np.argmax(cascade.series("active")))] < "2022-01-01"
