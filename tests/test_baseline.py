"""Regression baseline: every built-in scenario at its seed (the country models at a coarse
scale) reproduces the committed key outputs in tests/baseline/ exactly.

A change that moves a number fails here on purpose. If the move is intended, run
`python scripts/update_baseline.py`, read the printed diff, and commit the rewritten files
with the change that caused it."""

import pytest
from baseline import cases

HINT = (
    "intended? run `python scripts/update_baseline.py` and commit tests/baseline/ with the change"
)


def test_every_builtin_scenario_has_a_baseline_and_no_other():
    assert cases.stored_names() == cases.names(), HINT


@pytest.mark.parametrize("name", cases.names())
def test_scenario_matches_baseline(name):
    stored = cases.load(name)
    assert stored is not None, f"no baseline for {name}; {HINT}"
    fresh = cases.compute(name)
    changes = cases.diff(stored, fresh)
    shown = "\n".join(changes[:25]) + (
        f"\n... {len(changes) - 25} more" if len(changes) > 25 else ""
    )
    assert not changes, f"{name} moved from its baseline:\n{shown}\n{HINT}"


def test_diff_reports_a_moved_number():
    # the comparison itself can fail: a changed leaf, an added and a removed key are reported
    old = {"metrics": {"active": {"ALL": {"max": 10.0, "peak": "2022-01-05"}}}}
    new = {"metrics": {"active": {"ALL": {"max": 11.0, "peak": "2022-01-05"}}, "x": {}}}
    lines = cases.diff(old, new)
    assert lines == ["metrics/active/ALL/max: 10.0 -> 11.0  (+10.000%)", "metrics/x: added ({})"]
    assert cases.diff(new, old)[-1].startswith("metrics/x: removed")
    assert cases.diff({"a": 1}, {"a": 1.0}) == ["a: 1 -> 1.0  (+0.000%)"]
