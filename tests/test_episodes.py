"""The mechanisms of Kazakhstan's other episodes (docs/odd/episodes.md): a law as a grievance
with a moratorium, a labour dispute, an election as a legitimacy event (shared with the decade
model's accountability), pre-emptive repression; the CSV timeline loader; and the out-of-sample
scenarios built from the timelines."""

from __future__ import annotations

import numpy as np
import pytest
from country_fixtures import HAND_PARAMS, PRICE_HIKE, make_sim, total

from tolqyn.core.errors import ScenarioError, UnknownParamError

EPISODES = ("kazakhstan-2011-zhanaozen", "kazakhstan-2016-land", "kazakhstan-2019-june")
CONTRACT = (
    "active",
    "detained_cumulative",
    "deaths_civilian_cumulative",
    "deaths_security_cumulative",
    "participants_cumulative",
    "injured_cumulative",
)


def run(events, params=None, steps=12, seed=3):
    return make_sim(
        params={**HAND_PARAMS, **(params or {})}, events=events, steps=steps, seed=seed
    ).run()


# ------------------------------------------------------------------ a law as a grievance
LAW = {"at": 1, "action": "policy_grievance", "params": {"policy": "law", "stake": 2.0}}


def test_policy_hardship_is_stake_times_salience_decaying_with_its_half_life():
    p = {"policy_weight": 0.1, "policy_salience_initial": 0.5, "policy_salience_half_life": 2.0}
    r = run([LAW], params=p, steps=6)
    h = r.series("policy_hardship", "KZ-75")
    # step 1: 0.1·2·0.5; then halved every two days (exact)
    assert h[0] == 0.0
    assert np.allclose(h[1:6], 0.1 * 2 * 0.5 * 2.0 ** (-np.arange(5) / 2.0))


def test_announcement_raises_salience_and_moratorium_lifts_its_credible_share():
    p = {"policy_salience_half_life": 3650.0, "moratorium_credibility": 0.5}
    ev = [
        LAW,
        {"at": 3, "action": "policy_salience", "params": {"policy": "law", "size": 0.5}},
        {"at": 5, "action": "policy_suspend", "params": {"policy": "law", "kind": "moratorium"}},
        {"at": 7, "action": "policy_suspend", "params": {"policy": "law", "kind": "commission"}},
    ]
    h = run(ev, params=p, steps=8).series("policy_hardship")
    s0 = 0.5 * 2.0 ** (-1 / 3650.0)
    assert h[3] > h[2]  # the announcement
    assert np.isclose(h[5] / h[4], 0.5, rtol=1e-3)  # half believed lifted
    assert np.isclose(h[7] / h[6], 1 - 0.2, rtol=1e-3)  # a commission: c_C = 0.2
    assert h[1] == pytest.approx(0.1 * 2 * 0.5) and s0 < 0.5


def test_a_salient_law_raises_grievance_and_protest():
    big = {**LAW, "params": {"policy": "law", "stake": 5.0, "salience": 1.0}}
    p = {"policy_salience_half_life": 3650.0}
    base = run([], params=p)
    law = run([big], params=p)
    assert law.series("grievance_mean")[5] > base.series("grievance_mean")[5] + 0.05
    assert total(law, "active") > total(base, "active")


def test_policy_events_name_a_declared_policy():
    with pytest.raises(UnknownParamError, match="did you mean 'law'"):
        run([LAW, {"at": 2, "action": "policy_suspend", "params": {"policy": "lwa"}}])


# ------------------------------------------------------------------ a labour dispute
def strike(persons=300.0, demand=1.8, at=1):
    return {
        "at": at,
        "action": "strike_start",
        "params": {"dispute": "d", "persons": persons, "locality": "KZ-47-1", "demand": demand},
    }


def test_workforce_is_drawn_from_its_locality_with_the_given_size():
    r = run([strike(persons=150.0)], steps=3)
    assert r.series("workforce", "KZ-47")[2] == 150 and r.series("workforce", "KZ-75")[2] == 0


def test_a_pay_gap_brings_the_workforce_out_and_a_settlement_sends_it_home():
    p = {"settlement_credibility": 1.0}
    gap = run([strike()], params=p, steps=14)
    none = run([strike(demand=1.0)], params=p, steps=14)
    assert gap.series("strikers")[3:].sum() > none.series("strikers")[3:].sum() + 50
    settled = run(
        [strike(), {"at": 6, "action": "wage_settlement", "params": {"dispute": "d"}}],
        params=p,
        steps=14,
    )
    assert settled.series("strikers")[10:].sum() < gap.series("strikers")[10:].sum()


def test_the_walkout_holds_with_solidarity_and_unravels_without():
    # the strike starts (an input); whether members stay out depends on how many others do
    held = run([strike()], params={"solidarity_weight": 1.0}, steps=10)
    alone = run([strike()], params={"solidarity_weight": 0.0}, steps=10)
    assert held.series("strikers")[1] > alone.series("strikers")[1]
    assert held.series("strikers")[5:].sum() > alone.series("strikers")[5:].sum()
    assert held.series("participants_cumulative")[1] >= 200  # every member walked out


def test_dismissals_count_and_deepen_the_grievance_and_a_court_ruling_deters():
    ev = [
        strike(demand=1.3),
        {"at": 4, "action": "dismissal", "params": {"dispute": "d", "persons": 120.0}},
    ]
    r = run(ev, steps=10)
    assert r.series("dismissed_workers")[4:].min() == 120
    assert r.series("dismissed_workers")[3] == 0
    base = run([strike(demand=1.3)], steps=10)
    assert r.series("strikers")[5:].sum() >= base.series("strikers")[5:].sum()
    court = run(
        [strike(), {"at": 2, "action": "court_ruling", "params": {"dispute": "d", "risk": 2.0}}],
        steps=10,
    )
    free = run([strike()], steps=10)
    assert court.series("strikers")[3:].sum() < free.series("strikers")[3:].sum()


def test_strike_needs_a_known_locality():
    bad = strike()
    bad["params"]["locality"] = "KZ-47-9"
    with pytest.raises(UnknownParamError, match="locality"):
        run([bad], steps=2)


# ------------------------------------------------------------------ an election
def test_fraud_shock_and_support_share_are_exact():
    from types import SimpleNamespace

    from tolqyn.mechanisms.elections import fraud_shock, support_share

    pop = SimpleNamespace(
        status=np.array([0, 0, 0, 0, 3], dtype=np.int8),
        region=np.array([0, 0, 1, 1, 1]),
        legitimacy=np.array([0.6, 0.2, 0.5, 0.9, 0.9]),
    )
    ss = support_share(pop, 2, 0.5)
    assert np.allclose(ss, [0.5, 1.0])  # the emigrant is not counted
    assert np.allclose(fraud_shock(0.8, [0.75, 0.75], ss, 2.0), [-2 * 0.1, 0.0])


def test_an_official_result_above_what_people_see_lowers_legitimacy_once():
    res = {
        "at": 3,
        "action": "election_result",
        "params": {"election": "e", "incumbent_share": 0.95, "turnout": 0.95, "regions": ["KZ-75"]},
    }
    ev = [{"at": 2, "action": "election", "params": {"election": "e"}}, res]
    p = {"fraud_legitimacy": 3.0}
    r = run(ev, params=p, steps=6)
    b = run([], params=p, steps=6)
    assert r.series("legitimacy_mean", "KZ-75")[4] < b.series("legitimacy_mean", "KZ-75")[4] - 0.01
    assert r.series("legitimacy_mean", "KZ-71")[4] == pytest.approx(
        b.series("legitimacy_mean", "KZ-71")[4], abs=1e-6
    )
    assert r.series("election_fraud_shock", "KZ-75")[3] < 0
    # the same count again (a final after a preliminary) applies nothing more
    again = run(ev + [{**res, "at": 4}], params=p, steps=6)
    assert again.series("election_fraud_shock", "KZ-75")[4] == pytest.approx(0.0, abs=0.02)


def test_accountability_is_the_same_election_mechanism():
    from tolqyn.mechanisms.elections import Elections
    from tolqyn.models.exit.accountability import Accountability
    from tolqyn.models.exit.model import exit_module_classes

    assert issubclass(Accountability, Elections)
    assert Elections not in exit_module_classes() and Accountability in exit_module_classes()


# ------------------------------------------------------------------ pre-emptive repression
def test_internet_block_holds_for_its_days_in_its_units():
    ev = [
        {
            "at": 2,
            "action": "internet_block",
            "params": {"level": 0.3, "regions": ["KZ-47"], "days": 3.0},
        }
    ]
    r = run(ev, steps=7)
    lv = r.series("online_region", "KZ-47")
    assert list(lv[1:7]) == [1.0, 0.3, 0.3, 0.3, 1.0, 1.0]
    assert r.series("online_region", "KZ-75").min() == 1.0


def test_a_regional_block_lowers_coordination_only_there():
    ev = [
        PRICE_HIKE,
        {
            "at": 1,
            "action": "internet_block",
            "params": {"level": 0.0, "regions": ["KZ-75"], "days": 20.0},
        },
    ]
    blocked = make_sim(params=HAND_PARAMS, events=ev, steps=4)
    blocked.run()
    cs = blocked.country
    assert cs.online_region.tolist() == [1.0, 0.0, 1.0] and cs.online == 1.0


def _police_after(events, steps=2):
    sim = make_sim(params=HAND_PARAMS, events=events, steps=steps)
    sim.run()
    return sim.country


def test_cordon_moves_police_to_the_site_or_adds_those_sent():
    none = _police_after([])
    moved = _police_after(
        [{"at": 2, "action": "cordon", "params": {"regions": ["KZ-75"], "share": 0.5}}]
    )
    in75 = none.loc_region == 1
    assert moved.police[in75].sum() == pytest.approx(none.police[in75].sum())  # moved, not added
    assert moved.police[none.focal[1]] > none.police[none.focal[1]]
    assert np.allclose(moved.police[~in75], none.police[~in75])
    sent = _police_after(
        [{"at": 2, "action": "cordon", "params": {"regions": ["KZ-75"], "persons": 500.0}}]
    )
    # those sent are police as any other: the forces' loyalty (mechanism 5b) applies to them
    assert sent.police.sum() > none.police.sum() + 450.0
    gone = _police_after(
        [{"at": 1, "action": "cordon", "params": {"regions": ["KZ-75"], "persons": 500.0}}], 3
    )
    assert gone.police.sum() == pytest.approx(_police_after([], 3).police.sum(), rel=0.02)


def test_preemptive_detentions_take_the_willing_before_the_day():
    camp = {
        "at": 2,
        "action": "preemptive_detention",
        "params": {"regions": "ALL", "days": 3.0, "term_min": 10.0, "term_max": 15.0},
    }
    law = {
        "at": 1,
        "action": "policy_grievance",
        "params": {"policy": "l", "stake": 4.0, "salience": 1.0},
    }
    p = {"preemptive_police_share": 1.0, "arrest_rate": 5.0}
    r = run([law, camp], params=p, steps=8)
    pre = r.series("preemptive_detentions")
    assert pre[2:5].sum() > 0 and pre[5:].sum() == 0 and pre[:2].sum() == 0
    assert r.series("detained_cumulative")[7] >= pre.sum()
    none = run([law], params=p, steps=8)
    assert total(r, "active") <= total(none, "active")


def test_a_ban_raises_risk_and_lowers_protest():
    law = {
        "at": 1,
        "action": "policy_grievance",
        "params": {"policy": "l", "stake": 4.0, "salience": 1.0},
    }
    ban = {"at": 1, "action": "rally_ban", "params": {"regions": "ALL", "days": 10.0}}
    p = {"ban_risk": 0.5}
    assert total(run([law, ban], params=p), "active") < total(run([law], params=p), "active")


# ------------------------------------------------------------------ the timeline loader
def test_dates_of_the_file():
    import datetime as d

    from tolqyn.scenarios.timeline_csv import parse_date

    f = lambda s: parse_date(s, "row 2, date", "t.csv")  # noqa: E731
    assert f("2016-05-16/2016-05-19") == (d.date(2016, 5, 16), 4)
    assert f("2011-05 (late)") == (d.date(2011, 5, 25), 1)
    assert f("2011-07 (early)") == (d.date(2011, 7, 5), 1)
    assert f("2011-10") == (d.date(2011, 10, 15), 1)
    assert f("2016-05 (before 21 May)") == (d.date(2016, 5, 20), 1)
    assert f("2010-12/2011-04")[1] == 151
    with pytest.raises(ScenarioError, match=r"t\.csv.*row 2, date.*not a date"):
        f("May 2016")


def test_params_column_and_numbers():
    from tolqyn.scenarios.timeline_csv import number, parse_params

    kv = parse_params("level=0.6 (coded); personnel=about 10,000 police; free text")
    assert number(kv["level"]) == 0.6 and number(kv["personnel"]) == 10000.0
    assert kv[""] == "free text" and number("none") is None


def _scenario(tmp_path, rows, extra=""):
    csv = "date,time_local,region,action,params,description,source\n" + "\n".join(rows) + "\n"
    (tmp_path / "t.csv").write_text(csv)
    f = tmp_path / "s.toml"
    f.write_text(
        'model = "country"\nsteps = 10\nstart_date = "2019-06-01"\n'
        '[params]\nregion_basis = "jan2022"\n[timeline]\nfile = "t.csv"\n' + extra
    )
    from tolqyn.scenarios.loader import load_scenario

    return load_scenario(str(f))


def test_loader_maps_rows_to_events(tmp_path):
    sc = _scenario(
        tmp_path,
        [
            "2019-05-01,,KZ-19;KZ-33,internet,level=0.5,,",
            "2019-06-02,13:00-21:00,ALL,internet,level=0.2 (coded),,",
            "2019-06-03,,ALL,statement,,,",
            "2019-06-30,,ALL,opposition_call,,,",
        ],
    )
    ev = sc.events
    assert ev[0]["at"] == "2019-06-01" and ev[0]["params"]["regions"] == ["KZ-19"]
    assert ev[1]["params"]["level"] == pytest.approx(1 - 0.8 * 8 / 16)
    assert [e["action"] for e in ev] == ["internet_block", "internet_block"]
    left = {x["line"]: x["why"] for x in sc.meta["timeline_left_out"]}
    assert left[4].startswith("context") and left[5] == "after the end of the run"


def test_loader_errors_name_file_row_and_field(tmp_path):
    with pytest.raises(UnknownParamError, match=r"t\.csv, row 2.*did you mean 'internet'"):
        _scenario(tmp_path, ["2019-06-02,,ALL,internt,,,"])
    with pytest.raises(UnknownParamError, match=r"row 2, region.*unit code 'KZ-99'"):
        _scenario(tmp_path, ["2019-06-02,,KZ-99,internet,level=0.5,,"])
    with pytest.raises(ScenarioError, match=r"timeline\.rows\.7.*no row on line 7"):
        _scenario(
            tmp_path, ["2019-06-02,,ALL,internet,level=0.5,,"], "[timeline.rows.7]\nskip = true\n"
        )
    with pytest.raises(ScenarioError, match=r"needs 'size'"):
        _scenario(tmp_path, ["2019-06-02,,ALL,legitimacy_event,,,"])
    (tmp_path / "t.csv").write_text("date,action\n2019-06-02,internet\n")
    f = tmp_path / "s2.toml"
    f.write_text(
        'model = "country"\nsteps = 3\nstart_date = "2019-06-01"\n[timeline]\nfile = "t.csv"\n'
    )
    from tolqyn.scenarios.loader import load_scenario

    with pytest.raises(ScenarioError, match=r"t\.csv.*missing column 'params'"):
        load_scenario(str(f))
    # found by tests/test_robust_properties.py: a NUL in the file name was a ValueError
    f.write_text('extends = "kazakhstan-2016-land"\ntimeline = { file = "\\u0000" }\n')
    with pytest.raises(ScenarioError, match=r"timeline\.file.*NUL character"):
        load_scenario(str(f))


def test_row_overrides(tmp_path):
    sc = _scenario(
        tmp_path,
        ["2019-06-02,,ALL,legitimacy_event,,,", "2019-06-03,,ALL,internet,level=0.5,,"],
        "[timeline.rows.2]\nparams = { size = -0.02 }\n[timeline.rows.3]\nskip = true\nnote = 'x'\n",
    )
    assert [e["action"] for e in sc.events] == ["legitimacy_shock"]
    assert sc.events[0]["params"]["size"] == -0.02


# ------------------------------------------------------------------ the episodes
def test_episodes_keep_the_january_2022_behavioural_parameters():
    """The January 2022 behavioural parameters unchanged: every behavioural parameter of an
    episode and of its counterfactuals resolves to its value in kazakhstan-2022 (the defaults,
    and the values that scenario sets itself), and no event or ramp changes one."""
    from tolqyn.models import all_param_specs, get_model
    from tolqyn.scenarios.loader import LIBRARY, load_scenario

    ref = load_scenario("kazakhstan-2022")
    specs = all_param_specs(get_model(ref.model))
    behav = [k for k, p in specs.items() if p.role == "behavioural"]
    files = []
    for name in EPISODES:
        files.append(name)
        files += [f"{name}/{p.stem}" for p in sorted((LIBRARY / name).glob("*.toml"))]
    assert len(files) >= 6
    for f in files:
        sc = load_scenario(f)
        moved = [k for k in behav if sc.resolved_params[k] != ref.resolved_params[k]]
        assert moved == [], f"{f}: behavioural parameters differ from kazakhstan-2022: {moved}"
        timed = set()
        for ev in sc.events:
            if ev.get("action", "set") == "set":
                timed |= set(ev.get("params", {}))
        timed |= {r.get("param") for r in sc.ramps}
        bad = sorted(k for k in timed if k in specs and specs[k].role == "behavioural")
        assert bad == [], f"{f} changes behavioural parameters during the run: {bad}"


@pytest.mark.parametrize("name", EPISODES)
def test_episode_runs_with_the_output_contract(name):
    """Smoke: each episode at a coarse scale gives the contract metrics by unit and date, for
    the 17 units of the pack's earlier basis and ALL."""
    import tolqyn
    from tolqyn.scenarios.loader import load_scenario

    sc = load_scenario(name, overrides={"scale": 4000.0})
    r = tolqyn.run_one(sc)
    regions = r.manifest["regions"]
    assert len(regions) == 17 and "KZ-47" in regions and "KZ-33" not in regions
    met = set(np.asarray(r.columns["metric"]).astype(str))
    assert set(CONTRACT) <= met
    assert all(np.isfinite(r.series(m)).all() for m in CONTRACT)
    assert r.series("injured_cumulative")[-1] == pytest.approx(
        r.series("injured_civilian_cumulative")[-1] + r.series("injured_security_cumulative")[-1]
    )
    d = r.dates()
    assert d[1] == sc.start_date[:10] and len(d) == sc.steps + 1


def test_counterfactuals_remove_what_they_say():
    from tolqyn.scenarios.loader import load_scenario

    def ids(n):
        return [e.get("id") for e in load_scenario(n).events]

    assert "moratorium" in ids("kazakhstan-2016-land")
    assert "moratorium" not in ids("kazakhstan-2016-land/no-moratorium")
    assert "police_deployment" not in ids("kazakhstan-2019-june/no-cordons")
    assert ids("kazakhstan-2011-zhanaozen/wage-settlement").count("settlement") == 3
