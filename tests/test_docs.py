"""The documentation tells the truth: every Markdown file a file cites exists in the
repository, `tolqyn describe` fits a terminal and lists each model's event actions with their
parameters, and a cold kernel cache is announced."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
# names of other projects' files, described (not cited) where a data source is documented
NOT_OURS = {
    ("src/tolqyn/data/kazakhstan/SOURCES.md", "LICENSE.md"),
    ("tests/test_docs_release.py", "tolqyn/data/kazakhstan/SOURCES.md"),  # a path in the wheel
}
# pages the site generates from files at the root (docs/_hooks.py)
SITE_GENERATED = {"index.md": "README.md", "changelog.md": "CHANGELOG.md"}
TEXT = (".py", ".md", ".toml", ".txt", ".cfg", ".cff", ".yml", ".yaml", ".html", ".js", ".csv")


def _tracked_files():
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / f for f in out if f.endswith(TEXT) and (ROOT / f).is_file()]


def test_no_citation_of_a_missing_document():
    """A name like `FOO.md` or `docs/foo.md` anywhere in the repository must be a file of the
    repository: relative to the citing file, to the root, or (bare names) anywhere in it."""
    files = _tracked_files()
    names = {p.name for p in files} | {p.name for p in ROOT.rglob("*.md") if ".git" not in p.parts}
    cite = re.compile(r"(?<![\w/.-])((?:\.{1,2}/)?(?:[\w.-]+/)*[\w-]+\.md)\b")
    missing = []
    for path in files:
        if path.suffix == ".csv" or path == Path(__file__).resolve():
            continue
        text = path.read_text(errors="replace")
        for m in cite.finditer(text):
            ref = m.group(1)
            if "<" in ref or ref.startswith(("http", "report_", "sensitivity_")):
                continue
            if (path.parent / ref).exists() or (ROOT / ref).exists():
                continue
            if path.name in ("mkdocs.yml", "_hooks.py") and (
                (ROOT / "docs" / ref).exists()
                or ref in SITE_GENERATED
                or (ROOT / "docs" / ref).with_suffix(".py").exists()  # a notebook tutorial
            ):
                continue  # the site's paths are relative to docs/
            if "/" not in ref and ref in names:
                continue
            if (str(path.relative_to(ROOT)), ref) in NOT_OURS:
                continue
            missing.append(f"{path.relative_to(ROOT)}: {ref}")
    assert not missing, "cites documents the repository does not contain:\n" + "\n".join(missing)


def test_the_missing_document_check_can_fail(tmp_path):
    """The pattern above does see a bare citation (guards against a regex that matches nothing)."""
    cite = re.compile(r"(?<![\w/.-])((?:\.{1,2}/)?(?:[\w.-]+/)*[\w-]+\.md)\b")
    found = [m.group(1) for m in cite.finditer("see LITERATURE.md §8.3 and docs/odd/x.md.")]
    assert found == ["LITERATURE.md", "docs/odd/x.md"]


# ---------------------------------------------------------------- describe


@pytest.mark.parametrize("name", ["epstein-2002/run-2", "kazakhstan-2022", "kuran/thaw"])
def test_describe_fits_80_columns_and_groups_citations(name):
    from tolqyn.describe import describe_data, format_text
    from tolqyn.scenarios.loader import load_scenario

    data = describe_data(load_scenario(name))
    text = format_text(data, width=80)
    lines = text.splitlines()
    too_long = [ln for ln in lines if len(ln) > 80]
    assert not too_long, too_long[:3]
    flat = " ".join(text.split())
    for i, c in enumerate(data["citations"]):  # listed once, however many parameters share it
        assert flat.count(f"[{i + 1}] " + " ".join(c.split())) == 1, c
    sources = text.split("\nSOURCES\n")[1].split("\n\n")[0]
    assert len(re.findall(r"^  \[\d+\] ", sources, flags=re.M)) == len(data["citations"])
    for p in data["parameters"]:
        assert re.search(rf"^   [ *]{p['name']} = ", text, flags=re.M), p["name"]
    # two lines a parameter plus headings and sources: never the hundreds of folded rows again
    assert len(lines) < 2 * len(data["parameters"]) + len(data["citations"]) * 3 + 60
    full = format_text(data, width=80, full=True)
    for c in data["citations"]:
        assert " ".join(c.split())[:30] in " ".join(full.split())


def test_describe_lists_actions_with_parameters():
    from tolqyn.describe import describe_data, format_text
    from tolqyn.models import get_model
    from tolqyn.scenarios.loader import load_scenario

    data = describe_data(load_scenario("kazakhstan-2022"))
    acts = {a["action"]: a for a in data["actions"]}
    declared = {a for m in get_model("country").module_classes() for a in m.actions}
    assert declared | {"set"} == set(acts)
    for name, a in acts.items():
        assert a["doc"], f"action {name} has no doc"
    assert [p["name"] for p in acts["concession"]["params"]] == ["price", "regions", "legitimacy"]
    assert acts["deploy_troops"]["params"][0] == {"name": "persons", "required": True}
    text = format_text(data, width=80)
    assert 'concession(price=None, regions="ALL", legitimacy=0)' in text
    assert 'fuel_price(price, regions="ALL")' in text


def test_every_declared_action_has_a_handler_that_is_registered():
    """describe reads the handler's signature; the same handler must be the one the module
    registers with the timeline, or describe would document a different function."""
    from tolqyn.core.sim import Sim
    from tolqyn.describe import action_handler
    from tolqyn.models import get_model
    from tolqyn.scenarios.loader import load_scenario

    for model in ("country", "country_exit"):
        for m in get_model(model).module_classes():
            for a in m.actions:
                assert action_handler(m, a) is not None, f"{m.__name__}.{a}"
    sim = Sim(load_scenario("kazakhstan-2022", overrides={"scale": 20000}), seed=0, steps=1)
    sim.init()
    assert set(sim.timeline.actions) >= {"concession", "deploy_troops", "legitimacy_shock"}


def test_describe_cli_json_and_full():
    from tolqyn.cli import app

    r = CliRunner().invoke(app, ["describe", "kazakhstan-2022", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {"actions", "citations", "parameters", "events"} <= set(data)
    r = CliRunner().invoke(app, ["describe", "epstein-2002/run-2", "--full"])
    assert r.exit_code == 0 and "source: Epstein (2002)" in r.output


def test_unknown_action_lists_the_allowed_ones(tmp_path):
    from tolqyn.cli import app

    f = tmp_path / "s.toml"
    f.write_text(
        'extends = "kazakhstan-2022"\n[[events]]\nat = "2022-01-03"\naction = "price_cut"\n'
    )
    r = CliRunner().invoke(app, ["validate", str(f)])
    assert r.exit_code == 2
    out = " ".join(r.output.split())  # the error may be wrapped to the terminal's width
    assert "unknown event action" in out and "'price_cut'" in out and "concession" in out


# ---------------------------------------------------------------- first-run notice


def test_cold_cache_is_detected_in_a_fresh_cache_dir(tmp_path):
    """With an empty Numba cache directory the Epstein kernels are cold; in this process,
    once a run has compiled them, they are not."""
    code = (
        "from tolqyn.core.sim import Sim\n"
        "from tolqyn.scenarios.loader import load_scenario\n"
        "from tolqyn.warmup import cache_is_cold, cold_kernels\n"
        "Sim(load_scenario('epstein-2002/run-2'))\n"
        "print(cache_is_cold(), len(cold_kernels()))\n"
    )
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out[0] == "True" and int(out[1]) > 10

    import tolqyn
    from tolqyn.warmup import cold_kernels

    tolqyn.run_one("watts-2002/below-window", seed=1)  # small kernels: quick to compile
    from tolqyn.models.thresholds import watts

    assert "tolqyn.models.thresholds.watts.advance" not in cold_kernels()
    assert watts.advance.signatures
