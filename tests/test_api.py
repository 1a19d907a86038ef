"""The notebook API: result.plot(), tolqyn.ensemble() with quantiles, to_df and plot, paired
differences over common random numbers, and process-pool runs from a script with or without a
main guard."""

import re
import subprocess
import sys
import textwrap

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import tolqyn  # noqa: E402
from tolqyn.core.errors import TolqynError, UnknownParamError  # noqa: E402

SC = "granovetter-1978/normal-random"


def test_ensemble_serial_quantiles_and_table():
    ens = tolqyn.ensemble(SC, seeds=[3, 5, 7], executor="serial")
    assert ens.seeds == [3, 5, 7] and len(ens) == 3
    v = ens.values("active")
    for row, s in zip(v, ens.seeds):  # each row is that seed's run, padded at its fixed point
        one = tolqyn.run_one(SC, seed=s).series("active")
        assert np.array_equal(row[: len(one)], one) and (row[len(one) :] == one[-1]).all()
    q = ens.quantiles("active")
    assert list(q.columns) == [0.05, 0.25, 0.5, 0.75, 0.95, "mean"]
    assert np.allclose(q[0.5], np.median(v, axis=0)) and np.allclose(q["mean"], v.mean(axis=0))
    df = ens.to_df()
    assert list(df.columns[:2]) == ["seed", "step"] and set(df.seed) == {3, 5, 7}
    wide = ens.to_df(wide=True)
    assert "active" in wide.columns and set(wide.seed) == {3, 5, 7}


def test_paired_difference_and_its_checks():
    a = tolqyn.ensemble(SC, seeds=2, executor="serial")
    b = tolqyn.ensemble(SC, seeds=2, params={"threshold_mean": 200}, executor="serial")
    assert not a.values("active", minus=a).any()  # the same runs: exactly zero
    d = b.quantiles("active", minus=a)
    paired = b.values("active", minus=a)
    assert paired.shape[0] == 2 and np.allclose(d[0.5], np.median(paired, axis=0))
    with pytest.raises(TolqynError, match="same seeds"):
        b.values("active", minus=tolqyn.ensemble(SC, seeds=[9], executor="serial"))


def test_process_pool_gives_the_serial_results():
    a = tolqyn.ensemble(SC, seeds=3, executor="serial")
    b = tolqyn.ensemble(SC, seeds=3, workers=2)
    for x, y in zip(a.results, b.results):  # manifests differ only in timings and host
        assert all(np.array_equal(x.columns[k], y.columns[k]) for k in x.columns)


def test_plots_draw_bands_and_the_event_timeline():
    res = tolqyn.run_one("kazakhstan-2022", seed=1, overrides={"scale": 20000})
    ax = res.plot("active", regions=["Almaty", "KZ-47"])
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["active (national)", "active, Almaty", "active, Mangystau Region"]
    assert len(ax.patches) >= 10  # one shaded band per day with events
    listing = [t.get_text() for t in ax.texts if "\n" in t.get_text()]
    assert listing and "1 Jan 2022" in listing[0] and "LPG" in listing[0]
    # dates carry the year (the replay starts with two quiet weeks of December 2021)
    assert re.search(r"\b20(21|22)\b", ax.get_xticklabels()[0].get_text())
    ens = tolqyn.ensemble("kazakhstan-2022", seeds=2, params={"scale": 20000}, executor="serial")
    ax = ens.plot("active")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["90 %", "50 %", "median"]
    with pytest.raises(UnknownParamError, match="did you mean 'Almaty'"):
        res.plot("active", regions=["Almaty sity"])


def _script(tmp_path, body):
    f = tmp_path / "script.py"
    f.write_text(textwrap.dedent(body))
    return subprocess.run(
        [sys.executable, str(f)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )


def test_a_script_without_main_guard_is_told_what_to_add(tmp_path):
    r = _script(
        tmp_path,
        f"""
        import tolqyn
        tolqyn.ensemble("{SC}", seeds=2, workers=2)
        """,
    )
    assert r.returncode != 0
    last = r.stderr.strip().splitlines()
    msg = "\n".join(last[-6:])
    assert "script.py, line 3" in msg and 'if __name__ == "__main__":' in msg
    assert "killed or out of memory" not in r.stderr


def test_a_script_with_main_guard_runs_on_the_pool(tmp_path):
    r = _script(
        tmp_path,
        f"""
        import tolqyn
        if __name__ == "__main__":
            ens = tolqyn.ensemble("{SC}", seeds=2, workers=2)
            print("ok", len(ens))
        """,
    )
    assert r.returncode == 0, r.stderr
    assert "ok 2" in r.stdout
