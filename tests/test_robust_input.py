"""Bad input never crashes: each failure of issue 16 reproduced as a test (a scenario file, a
--set value or a command line), and the answer is one project error naming the field."""

import inspect
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tolqyn.cli import app
from tolqyn.core.errors import ScenarioError, TolqynError
from tolqyn.scenarios.loader import load_scenario, parse_set_options

runner = CliRunner()


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def _error(path_or_name, overrides=None) -> ScenarioError:
    with pytest.raises(TolqynError) as e:
        load_scenario(path_or_name, overrides=overrides)
    assert isinstance(e.value, ScenarioError)
    assert "\n" not in str(e.value)
    return e.value


@pytest.mark.parametrize("key", ["params", "meta", "events", "ramps", "remove_events"])
@pytest.mark.parametrize("value", ["3", '"text"', "true", "[1, 2]", "{ a = 1 }"])
def test_child_keys_of_the_wrong_type_are_named_before_merging(tmp_path, key, value):
    p = _write(tmp_path, "c.toml", f'extends = "kazakhstan-2022"\n{key} = {value}\n')
    ok = {
        "params": value.startswith("{ a"),  # a table, but then 'a' is unknown
        "meta": value.startswith("{"),
    }.get(key, False)
    if ok and key == "meta":
        load_scenario(p)
        return
    e = _error(p)
    assert e.source == str(p)
    assert e.field and (e.field.startswith(key) or key == "params")


@pytest.mark.parametrize(
    "event",
    [
        "action = 3",
        'action = ["internet"]',
        "action = true",
        'action = "internet"\nid = 7',
        'action = "internet"\nparams = 4',
    ],
)
def test_event_fields_that_are_not_strings(tmp_path, event):
    p = _write(tmp_path, "c.toml", f'extends = "kazakhstan-2022"\n[[events]]\nat = 3\n{event}\n')
    e = _error(p)
    assert e.field.startswith("events[")


def test_remove_events_entries_must_be_strings(tmp_path):
    p = _write(tmp_path, "c.toml", 'extends = "kazakhstan-2022"\nremove_events = [1, {a = 2}]\n')
    assert _error(p).field == "remove_events[0]"
    p = _write(tmp_path, "d.toml", 'extends = "kazakhstan-2022"\nremove_events = ["shutdwn"]\n')
    assert "unknown event id" in str(_error(p))


@pytest.mark.parametrize("at", ["inf", "-inf", "nan", "-3", "true", "[1]", '"not a date"'])
def test_event_at_must_be_a_finite_step_or_a_date(tmp_path, at):
    p = _write(
        tmp_path,
        "c.toml",
        f'extends = "kazakhstan-2022"\n[[events]]\nat = {at}\naction = "internet"\n',
    )
    e = _error(p)
    assert e.field.startswith("events[")


@pytest.mark.parametrize(
    "start", ["2022-01-01T00:00:00+05:00", "20220101", "2022", "true", '"01/01/2022"', "[2022]"]
)
def test_start_date_zones_and_integers(tmp_path, start):
    p = _write(tmp_path, "c.toml", f'extends = "kazakhstan-2022"\nstart_date = {start}\n')
    e = _error(p)
    assert e.field == "start_date"


def test_a_zone_aware_event_date(tmp_path):
    p = _write(
        tmp_path,
        "c.toml",
        'extends = "kazakhstan-2022"\n[[events]]\nat = 2022-01-03T10:00:00Z\naction = "internet"\n',
    )
    assert "time zone" in str(_error(p))


@pytest.mark.parametrize("where", ["seed = {}", "steps = {}", "[params]\nscale = {}"])
def test_integers_too_large_for_a_float(tmp_path, where):
    p = _write(tmp_path, "c.toml", 'extends = "kazakhstan-2022"\n' + where.format("9" * 400) + "\n")
    assert "too large" in str(_error(p))


def test_deep_nesting_is_an_error_not_a_recursion_error(tmp_path):
    deep = "[" * 20000 + "]" * 20000
    p = _write(tmp_path, "c.toml", f'model = "epstein"\n[params]\nwidth = {deep}\n')
    assert "nested too deeply" in str(_error(p))
    p = _write(tmp_path, "d.toml", f'model = "epstein"\n[params]\nwidth = {"[" * 30}{"]" * 30}\n')
    assert "nested too deeply" in str(_error(p))
    with pytest.raises(ScenarioError, match="nested too deeply"):
        parse_set_options([f"width={deep}"])


def test_an_extends_chain_that_grows_its_own_path_is_a_cycle(tmp_path):
    p = _write(tmp_path, "sub/c.toml", 'model = "epstein"\nextends = "../sub/c.toml"\n')
    assert "cycle" in str(_error(p))
    _write(tmp_path, "a.toml", 'model = "epstein"\nextends = "b.toml"\n')
    q = _write(tmp_path, "b.toml", 'model = "epstein"\nextends = "./a.toml"\n')
    assert "cycle" in str(_error(q))


def test_an_extends_chain_is_bounded(tmp_path):
    for i in range(40):
        _write(tmp_path, f"s{i}.toml", f'model = "epstein"\nextends = "s{i + 1}.toml"\n')
    _write(tmp_path, "s40.toml", 'model = "epstein"\n')
    assert "chain longer" in str(_error(tmp_path / "s0.toml"))


def test_extends_a_device_or_a_fifo_neither_reads_forever_nor_hangs(tmp_path):
    p = _write(tmp_path, "dev.toml", 'extends = "/dev/zero"\n')
    assert "not a regular file" in str(_error(p))
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    p = _write(tmp_path, "fifo.toml", 'extends = "pipe.toml"\n')
    assert "not a regular file" in str(_error(p))
    assert "not a regular file" in str(_error(str(fifo)))


def test_nan_inside_list_parameters(tmp_path):
    p = _write(tmp_path, "c.toml", 'extends = "granovetter-1978/riot-uniform"\n')
    with pytest.raises(ScenarioError, match="NaN"):
        parse_set_options(["thresholds=[nan, 1.0]"])
    assert "NaN" in str(_error(p, overrides={"thresholds": [float("nan"), 1.0]}))
    with pytest.raises(ScenarioError, match="NaN"):
        load_scenario(p, overrides={"thresholds": "nan 1 2"})


def test_ramps_are_checked_at_load(tmp_path):
    base = 'extends = "kazakhstan-2022"\n[[ramps]]\n'
    cases = {
        'param = "legitimacy"\n': "needs 'delta'",
        'param = "legitimcy"\ndelta = 0.1\n': "did you mean 'legitimacy'",
        'param = "regime_mode"\ndelta = 0.1\n': "numeric parameter",
        'param = "legitimacy"\ndelta = "x"\n': "finite number",
        'param = "legitimacy"\ndelta = inf\n': "finite number",
        'param = "legitimacy"\ndelta = 0.1\nevery = 0\n': "integer >= 1",
        'param = "legitimacy"\ndelta = 0.1\nstop = "a"\n': "ramps[0].stop",
        'param = "legitimacy"\ndelta = 0.1\nuntil = inf\n': "ramps[0].until",
        'param = "legitimacy"\ndelta = 0.1\nstep = 3\n': "unknown key of ramps[0]",
    }
    for i, (text, expected) in enumerate(cases.items()):
        p = _write(tmp_path, f"r{i}.toml", base + text)
        assert expected in str(_error(p)), text


def test_every_action_parameter_is_checked_at_load(tmp_path):
    base = 'extends = "kazakhstan-2022"\n[[events]]\nat = 3\n'
    cases = {
        'action = "internet"\nparams = { level = "abc" }\n': "events[",
        'action = "internet"\nparams = { levl = 0.5 }\n': "did you mean 'level'",
        'action = "internet"\nparams = { level = 2.0 }\n': "out of range",
        'action = "deploy_troops"\nparams = { persons = 10 }\n': "needs 'regions'",
        'action = "emergency"\nparams = { on = "yes" }\n': "not a boolean",
        'action = "emergency"\nparams = { regions = [1, 2] }\n': "region code",
        'action = "fuel_price"\nparams = { price = -1 }\n': "out of range",
        'action = "set"\n': "at least one parameter",
        'action = "ramp_step"\n': "unknown event action",
    }
    for i, (text, expected) in enumerate(cases.items()):
        p = _write(tmp_path, f"e{i}.toml", base + text)
        assert expected in str(_error(p)), text


def test_declared_action_arguments_match_the_handlers():
    """The loader checks events with each module's `action_args`; the handlers that run them
    must take exactly those names (required ones without a default)."""
    from tolqyn.describe import action_handler
    from tolqyn.models import MODELS, get_model

    seen = 0
    for name in MODELS:
        model = get_model(name)
        for m in model.module_classes():
            if not m.__module__.startswith("tolqyn."):
                continue  # the test suite's own toy models
            for action in m.actions:
                assert action in m.action_args, f"{m.name}: '{action}' declares no arguments"
                fn = action_handler(m, action)
                assert fn is not None, (m.name, action)
                sig = {
                    k: p.default is inspect.Parameter.empty
                    for k, p in inspect.signature(fn).parameters.items()
                    if k not in ("self", "sim")
                }
                declared = {a.name: a.required for a in m.action_args[action]}
                assert declared == sig, (m.name, action)
                seen += 1
    assert seen >= 10


def test_density_constraint_is_checked_at_load():
    e = _error("epstein-2002/run-1", overrides={"citizen_density": 0.8, "cop_density": 0.3})
    assert e.field == "cop_density" and "at most 1" in str(e)


# ------------------------------------------------------------------------- CLI
def _cli(*args):
    r = runner.invoke(app, list(args))
    return r.exit_code, r.output


def _one_error_line(output):
    lines = [x for x in output.splitlines() if x.strip()]
    errs = [x for x in lines if x.startswith("error:")]
    assert len(errs) == 1, output
    assert "Traceback" not in output
    return errs[0]


def test_validate_ok_means_run_sets_up(tmp_path):
    """What validate passes, set-up accepts: ramps and action parameters are checked by both."""
    p = _write(
        tmp_path,
        "c.toml",
        'extends = "kazakhstan-2022"\n[[events]]\nat = 3\naction = "internet"\n'
        'params = { level = "abc" }\n',
    )
    code, out = _cli("validate", str(p))
    assert code != 0 and "events[" in _one_error_line(out)
    code, out = _cli("run", str(p), "--quiet", "--out", str(tmp_path / "r"))
    assert code != 0 and "events[" in _one_error_line(out)
    assert not (tmp_path / "r" / "results.parquet").exists()


def test_out_is_checked_before_running(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    for out, expected in (
        ("", "empty path"),
        (str(f), "is a file"),
        (str(f / "sub"), "which is a file"),
    ):
        code, text = _cli("run", "granovetter-1978/riot-uniform", "--quiet", "--out", out)
        assert code == 2 and expected in _one_error_line(text), text
    assert not (tmp_path / "results.parquet").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_unwritable_out(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    code, text = _cli("run", "granovetter-1978/riot-uniform", "--quiet", "--out", str(d / "x"))
    assert code == 2 and "not writable" in _one_error_line(text)


def test_unwritable_out_on_a_read_only_file_system():
    code, text = _cli("run", "granovetter-1978/riot-uniform", "--quiet", "--out", "/proc/x/y")
    assert code == 2 and "cannot write" in _one_error_line(text)


def test_no_overwrite_without_the_flag_and_the_flag_removes_the_stale_report(tmp_path):
    out = tmp_path / "r"
    args = ["run", "granovetter-1978/riot-uniform", "--quiet", "--out", str(out)]
    code, text = _cli(*args, "--report")
    assert code == 0, text and (out / "report.html").exists()
    before = (out / "manifest.json").read_text()
    code, text = _cli(*args, "--seed", "4")
    assert code == 2 and "--overwrite" in _one_error_line(text)
    assert (out / "manifest.json").read_text() == before
    (out / "notes.txt").write_text("mine")
    code, text = _cli(*args, "--seed", "4", "--overwrite")
    assert code == 0, text
    assert not (out / "report.html").exists()  # the previous run's report is gone
    assert (out / "notes.txt").read_text() == "mine"  # what the user put there stays
    assert '"seed": 4' in (out / "manifest.json").read_text()


@pytest.mark.parametrize(
    "args,expected",
    [
        (["--steps", str(10**12)], "allowed: 0..10,000,000"),
        (["--steps", "-1"], "allowed: 0.."),
        (["--seed", "-5"], "--seed"),
        (["--steps", "abc"], "--steps"),
        (["--set", "nonsense"], "key=value"),
        (["--set", "thresholds=[nan]"], "NaN"),
        (["--set", f"thresholds={'[' * 500}"], "thresholds"),
        (["--until", "2022-01-05"], "start_date"),
    ],
)
def test_bad_run_options_are_one_line(tmp_path, args, expected):
    code, text = _cli(
        "run", "granovetter-1978/riot-uniform", "--quiet", "--out", str(tmp_path / "r"), *args
    )
    assert code != 0 and expected in _one_error_line(text), text


def test_every_error_is_one_line_from_the_real_command(tmp_path):
    """The installed entry point, not the test runner: usage errors too are one line."""
    for args in (
        ["run"],
        ["run", "granovetter-1978/riot-uniform", "--steps", "abc"],
        ["nosuch"],
        ["validate", str(tmp_path / "missing.toml")],
        ["run", "granovetter-1978/riot-uniform", "--out", ""],
    ):
        r = subprocess.run(
            [sys.executable, "-m", "tolqyn.cli", *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert r.returncode != 0, args
        lines = [x for x in r.stderr.splitlines() if x.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:"), (args, r.stderr)


def test_an_event_region_code_the_pack_lacks_fails_validate_not_the_run(tmp_path):
    from tolqyn.core.errors import UnknownParamError
    from tolqyn.scenarios.loader import load_scenario

    f = tmp_path / "typo.toml"
    f.write_text(
        'extends = "kazakhstan-2022"\n[[events]]\nat = "2022-01-03"\naction = "fuel_price"\n'
        'params = { price = 100.0, regions = ["KZ-74"] }\n'
    )
    with pytest.raises(UnknownParamError, match=r"unit code .*'KZ-74' — did you mean 'KZ-79'"):
        load_scenario(str(f))
    f.write_text(f.read_text().replace('["KZ-74"]', '"ALL"'))
    assert load_scenario(str(f)).name
