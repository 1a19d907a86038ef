"""The scripts that score a posterior beyond its calibration (scripts/posterior_stability.py,
scripts/posterior_geography.py) run end to end on a copy of a published posterior and write
their tables; small, coarse runs, so a smoke test of the plumbing, not of the figures."""

import csv
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))


def _copy(tmp_path, name="calibration-kazakhstan-2022-pool"):
    src = ROOT / "docs/results" / name
    dst = tmp_path / name
    dst.mkdir()
    for f in ("posterior.csv", "structures.csv", "calibration.json"):
        shutil.copy(src / f, dst / f)
    return dst


def test_posterior_geography_writes_one_row_per_draw_and_structure(tmp_path):
    import posterior_geography

    d = _copy(tmp_path)
    assert posterior_geography.main(["--posterior", str(d), "--draws", "3", "--scale", "2000"]) == 0
    rows = list(csv.DictReader(open(d / "geography.csv", encoding="utf-8")))
    assert len(rows) == 3
    assert {r["violence_structure"] for r in rows} <= {"emergent", "organised"}
    assert all(1 <= int(r["almaty_rank"]) <= 20 for r in rows)
    md = (d / "geography.md").read_text(encoding="utf-8")
    assert "| violence structure |" in md and "KZ-75" in md


def test_posterior_stability_writes_its_table(tmp_path):
    import posterior_stability

    d = _copy(tmp_path)
    assert posterior_stability.main(["--posterior", str(d), "--draws", "2", "--days", "16"]) == 0
    rows = list(csv.DictReader(open(d / "stability.csv", encoding="utf-8")))
    assert [r["set"] for r in rows] == ["defaults", "defaults", "posterior", "posterior"]
    assert "runs with a national wave" in (d / "stability.md").read_text(encoding="utf-8")
