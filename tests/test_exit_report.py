"""The exit report's institutional questions: paired answers with intervals, exact on small
hand-made ensembles, and the lever variants each question runs."""

from __future__ import annotations

import pytest

from tolqyn.exit_decade import institutions as I
from tolqyn.exit_decade.ensemble import Ensemble
from tolqyn.exit_decade.report import institutions_section


def _ens(label, emig, legit, changes):
    runs = []
    for e, l, c in zip(emig, legit, changes):
        runs.append(
            {
                "emigrants": {y: float(e) for y in range(2004, 2025)},
                "active": {y: 0.0 for y in range(2004, 2025)},
                "legitimacy_mean": {y: float(l) for y in range(2004, 2025)},
                "government_changes": {y: float(c) for y in range(2004, 2025)},
            }
        )
    return Ensemble(label, runs)


def test_answers_are_paired_differences_over_the_lever_years():
    base = _ens("baseline", [100, 200, 300], [0.5, 0.5, 0.5], [0, 0, 0])
    cf = _ens("elections", [90, 150, 300], [0.6, 0.55, 0.5], [0, 0.2, 0.4])
    rows = I.answers("elections", {"baseline": base, "elections": cf})
    by = {(r["metric"], r["years"]): r for r in rows}
    # 2006-2019: 14 years of paired differences -10, -50, 0 per year
    em = by[("emigrants", "2006-2019")]
    assert em["diff_median"] == pytest.approx(-140.0)
    assert em["baseline"] == pytest.approx(200 * 14) and em["variant"] == pytest.approx(150 * 14)
    assert em["diff_q05"] < em["diff_median"] < em["diff_q95"] <= 0.0
    # stocks and means at the period's last year, not summed
    lg = by[("legitimacy_mean", "2024")]
    assert lg["diff_median"] == pytest.approx(0.05)
    assert by[("government_changes", "2006-2024")]["diff_median"] == pytest.approx(0.2 * 19)
    # the free-press measures are not the elections question's
    assert not any(r["metric"].startswith("journalists") for r in rows)


def test_report_section_lists_every_lever_with_an_interval():
    base = _ens("baseline", [100, 200, 300], [0.5, 0.5, 0.5], [0, 0, 0])
    levers = {
        lever: {"baseline": base, label: _ens(label, [95, 190, 280], [0.52, 0.5, 0.49], [0] * 3)}
        for lever, label in (
            ("elections", "elections every 5 years"),
            ("free_press", "a free press since 2004"),
            ("courts", "fair courts"),
            ("diaspora", "emigrants silent towards home"),
        )
    }
    lines, rows = institutions_section(levers)
    text = "\n".join(lines)
    labels = (
        "elections every 5 years",
        "a free press since 2004",
        "fair courts",
        "emigrants silent towards home",
    )
    for label in labels:
        assert f"| {label} | emigrants | " in text
    assert {r["lever"] for r in rows} == set(I.LEVERS)
    assert "[-" in text and "paired difference (median [90 %])" in text
    assert institutions_section({}) == ([], [])


def test_lever_variants_pair_each_question_with_its_own_baseline():
    post = [{"emigration_base": 1e-7}, {"emigration_base": 2e-7}]
    v, d = I.lever_variants("free_press", post)
    ((label, (params, events)),) = [(k, x) for k, x in v.items() if k != "baseline"]
    assert v["baseline"] == ({}, []) and params == I.FREE_PRESS and events == []
    assert all(x["press_on"] for x in d) and len(d) == 2
    v, d = I.lever_variants("courts", post)
    assert all(x["courts_on"] for x in d)
    v, d = I.lever_variants("elections", post)
    (params,) = [p for k, (p, _) in v.items() if k != "baseline"]
    assert params["elections_every"] == 5.0 and params["election_competitiveness"] == 0.8
    assert all("turnover_cpi_gain" in x for x in d)  # the unidentified sizes are drawn
    from tolqyn.core.errors import TolqynError

    with pytest.raises(TolqynError, match="free_press"):
        I.lever_variants("free_pres", post)


def test_run_report_shows_the_levers_of_an_exit_run():
    from exit_fixtures import run_exit

    from tolqyn.report import _institutions_section

    params = {
        "elections_every": 1.0,
        "elections_from": "2015-03-01",
        "election_competitiveness": 1.0,
        "election_survival_legitimacy": 1.0,
        "election_survival_width": 0.001,
    }
    html = _institutions_section(run_exit(steps=14, params=params))
    assert "Institutions: elections, the press, the courts" in html
    assert ">elections_every<" in html and ">elections held<" in html
    assert ">governments replaced<" in html and "exit-whatif --elections 5" in html
    # the press and the courts are off in this run: none of their measures is shown
    assert "journalists" not in html and "court cases" not in html
