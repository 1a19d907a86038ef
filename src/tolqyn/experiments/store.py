"""The result store: one directory per experiment.

    DIR/experiment.json          what was asked: scenario (hash), design, points, seeds, steps
    DIR/points.parquet           point_id + one column per swept parameter
    DIR/results/point_id=N/rR.parquet   tidy rows of one run (run_id, point_id, replicate,
                                 seed, step, region, metric, value[, date]); partitioned by point;
                                 its schema metadata holds the run's metric declarations
                                 (stock/flow, aggregation, breakdown cells) and manifest, so
                                 `ExperimentStore.run` rebuilds the RunResult the run returned
    DIR/runs/<run_id>.json       one record per finished run: ok or error (with traceback),
                                 seed, timings, host, pid
    DIR/manifest.json            scenario hash, seeds, package version, timings, hosts, counts
    DIR/catalog.duckdb           DuckDB views (results, runs, points, outputs) over the files

Every file is written to a temporary name in the same directory and renamed into place, so a
crash or Ctrl-C leaves either the whole file or nothing. A run counts as finished when its
record exists (the Parquet file is renamed in before the record), so a resumed sweep skips
exactly the runs that completed.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

from tolqyn.core.errors import TolqynError

FORMAT = "tolqyn-experiment/1"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_json(path: Path, obj) -> None:
    atomic_write_bytes(path, json.dumps(obj, indent=2, default=str, sort_keys=False).encode())


def atomic_write_table(path: Path, table) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    atomic_write_bytes(path, sink.getvalue().to_pybytes())


def _warn(msg: str) -> None:
    print(f"warning: {msg}", file=sys.stderr)


def parquet_problem(path: Path) -> str | None:
    """Why a Parquet file cannot be read (None if it can): too short, no magic at either end,
    a footer longer than the file, or metadata the reader refuses."""
    try:
        size = path.stat().st_size
        if size < 12:
            return f"{size} bytes, too short for Parquet"
        with open(path, "rb") as f:
            head = f.read(4)
            f.seek(size - 8)
            tail = f.read(8)
        if head != b"PAR1" or tail[4:] != b"PAR1":
            return "no Parquet magic at the start or end (truncated or not Parquet)"
        (footer,) = struct.unpack("<I", tail[:4])
        if footer + 12 > size:
            return f"footer of {footer} bytes in a file of {size} (truncated)"
        import pyarrow.parquet as pq

        pq.read_metadata(path)
    except OSError as e:
        return f"cannot read ({e.strerror or e})"
    except Exception as e:  # pyarrow raises its own error types for a corrupt footer
        return f"unreadable Parquet metadata ({type(e).__name__}: {e})"
    return None


def json_problem(path: Path, expect_run_id: str | None = None) -> str | None:
    try:
        with open(path, "rb") as f:
            rec = json.loads(f.read().decode("utf-8"))
    except OSError as e:
        return f"cannot read ({e.strerror or e})"
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        return f"not valid JSON ({e})"
    if expect_run_id is not None:
        if not isinstance(rec, dict) or rec.get("run_id") != expect_run_id:
            return "not a run record of this file name"
        for k in ("point_id", "replicate", "status"):
            if k not in rec:
                return f"run record without '{k}'"
    return None


def run_id(point_id: int, replicate: int) -> str:
    return f"p{point_id:06d}-r{replicate:04d}"


class ExperimentStore:
    def __init__(self, root):
        self.root = Path(root)

    # ------------------------------------------------------------ layout
    @property
    def spec_path(self) -> Path:
        return self.root / "experiment.json"

    def result_path(self, point_id: int, replicate: int) -> Path:
        return self.root / "results" / f"point_id={point_id}" / f"r{replicate:04d}.parquet"

    def record_path(self, rid: str) -> Path:
        return self.root / "runs" / f"{rid}.json"

    def exists(self) -> bool:
        return self.spec_path.exists()

    # ------------------------------------------------------------ spec
    def create_or_check(self, spec: dict, points_table) -> str:
        """Write the experiment spec on first use; on later use check that the same experiment
        is asked for. Returns 'new' or 'resume'."""
        if self.exists():
            old = self.spec()
            if old.get("fingerprint") != spec["fingerprint"]:
                diffs = [
                    k
                    for k in ("scenario_hash", "design", "seeds", "steps", "n_points")
                    if old.get(k) != spec.get(k)
                ]
                raise TolqynError(
                    f"{self.root} already holds a different experiment "
                    f"(differs in: {', '.join(diffs) or 'points'}); use another --out directory "
                    "or delete this one"
                )
            return "resume"
        if self.root.exists() and any(self.root.iterdir()):
            raise TolqynError(
                f"{self.root} exists and is not an experiment directory; "
                "choose an empty or new --out directory"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_table(self.root / "points.parquet", points_table)
        atomic_write_json(self.spec_path, spec)
        return "new"

    def spec(self) -> dict:
        if not self.exists():
            raise TolqynError(
                f"{self.root}: not an experiment directory (no experiment.json); "
                "create one with `tolqyn sweep ... --out DIR`"
            )
        with open(self.spec_path) as f:
            return json.load(f)

    # ------------------------------------------------------------ integrity
    @property
    def quarantine_dir(self) -> Path:
        return self.root / "quarantine"

    def quarantine(self, path: Path, reason: str, warn=_warn) -> None:
        """Move a damaged file out of the store (kept for inspection, never read again)."""
        rel = path.relative_to(self.root)
        dest = self.quarantine_dir / f"{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}" / rel
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(path, dest)
            where = f"moved to {dest}"
        except OSError as e:
            where = f"left in place, cannot move it ({e.strerror or e})"
        warn(f"damaged file {path}: {reason}; {where}")

    def verify(self, warn=_warn) -> list[Path]:
        """Check every run record (JSON parse) and result file (size, Parquet footer and
        metadata); quarantine the damaged ones with a message, together with the record of a
        run whose results are damaged, so that resume runs it again. Returns what was moved."""
        bad: list[Path] = []
        runs = self.root / "runs"
        for p in sorted(runs.glob("*.json")) if runs.exists() else []:
            why = json_problem(p, expect_run_id=p.stem)
            if why:
                self.quarantine(p, why, warn)
                bad.append(p)
        results = self.root / "results"
        for p in sorted(results.glob("*/*.parquet")) if results.exists() else []:
            why = parquet_problem(p)
            if why:
                self.quarantine(p, why, warn)
                bad.append(p)
                try:
                    point = int(p.parent.name.split("=", 1)[1])
                    rep = int(p.stem.lstrip("r"))
                except (IndexError, ValueError):
                    continue
                rec = self.record_path(run_id(point, rep))
                if rec.exists():
                    self.quarantine(
                        rec, "its results file is damaged; the run will be redone", warn
                    )
                    bad.append(rec)
        return bad

    # ------------------------------------------------------------ runs
    def records(self) -> dict[str, dict]:
        out = {}
        d = self.root / "runs"
        if not d.exists():
            return out
        for p in d.glob("*.json"):
            try:
                with open(p) as f:
                    rec = json.load(f)
            except (json.JSONDecodeError, OSError, UnicodeDecodeError):
                continue  # damaged: verify() quarantines it, resume runs it again
            if isinstance(rec, dict) and "run_id" in rec:
                out[rec["run_id"]] = rec
        return out

    def finished(self) -> set[str]:
        """Runs whose results are safely stored (failed runs are retried on resume)."""
        done = set()
        for rid, rec in self.records().items():
            if (
                rec.get("status") == "ok"
                and self.result_path(rec["point_id"], rec["replicate"]).exists()
            ):
                done.add(rid)
        return done

    def run(self, point_id: int, replicate: int):
        """The RunResult of one stored run, rebuilt by the same reader as a run directory
        (`RunResult.from_arrow`): resampling a flow sums it, as in the run itself."""
        import pyarrow.parquet as pq

        from tolqyn.core.results import RunResult

        path = self.result_path(point_id, replicate)
        if not path.exists():
            raise TolqynError(
                f"{self.root}: run {run_id(point_id, replicate)} has no stored result"
            )
        return RunResult.from_arrow(pq.read_table(path))

    def write_outcome(self, outcome, point_id: int, replicate: int, seed: int) -> dict:
        rid = run_id(point_id, replicate)
        rec = {
            "run_id": rid,
            "point_id": point_id,
            "replicate": replicate,
            "seed": seed,
            "status": "ok" if outcome.ok else "error",
            "error": outcome.error,
            "traceback": outcome.traceback,
            "elapsed_s": round(outcome.elapsed_s, 6),
            "host": outcome.host,
            "pid": outcome.pid,
            "finished_at": time.time(),
            "init_s": None,
            "loop_s": None,
            "n_agents": None,
            "steps": None,
        }
        if outcome.ok:
            res = outcome.result
            table = _run_table(res, rid, point_id, replicate, seed)
            atomic_write_table(self.result_path(point_id, replicate), table)
            tm = res.manifest.get("timings", {})
            rec.update(
                init_s=tm.get("init_s"),
                loop_s=tm.get("loop_s"),
                n_agents=res.manifest.get("n_agents"),
                steps=res.manifest.get("steps"),
            )
        atomic_write_json(self.record_path(rid), rec)
        return rec

    # ------------------------------------------------------------ manifest
    def write_manifest(self, manifest: dict) -> None:
        atomic_write_json(self.root / "manifest.json", manifest)

    def manifest(self) -> dict:
        p = self.root / "manifest.json"
        if not p.exists():
            return {}
        with open(p) as f:
            return json.load(f)

    def write_catalog(self) -> Path:
        """A DuckDB file with views over this experiment's files (absolute paths), for use
        from DuckDB itself; `tolqyn query` builds the same views on the fly."""
        import duckdb

        path = self.root / "catalog.duckdb"
        tmp = self.root / ".catalog.duckdb.tmp"
        for p in (tmp, Path(str(tmp) + ".wal")):
            if p.exists():
                p.unlink()
        con = duckdb.connect(str(tmp))
        try:
            create_views(con, [self.root.resolve()], temporary=False)
        finally:
            con.close()
        os.replace(tmp, path)
        return path


def _run_table(res, rid: str, point_id: int, replicate: int, seed: int):
    import pyarrow as pa

    t = res.to_arrow()
    n = t.num_rows
    t = t.add_column(0, "seed", pa.array([seed] * n, type=pa.int64()))
    t = t.add_column(0, "replicate", pa.array([replicate] * n, type=pa.int32()))
    t = t.add_column(0, "point_id", pa.array([point_id] * n, type=pa.int32()))
    t = t.add_column(0, "run_id", pa.array([rid] * n, type=pa.string()))
    return t


# ---------------------------------------------------------------- catalog / queries
def find_experiments(path) -> list[Path]:
    """An experiment directory, or every experiment directory below a folder."""
    p = Path(path)
    if (p / "experiment.json").exists():
        return [p.resolve()]
    if not p.exists():
        raise TolqynError(f"{p}: no such directory")
    found = sorted(q.parent.resolve() for q in p.rglob("experiment.json"))
    if not found:
        raise TolqynError(f"{p}: no experiment directories found (they hold experiment.json)")
    return found


def _sql_str(s) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def create_views(con, roots: list[Path], temporary: bool = True) -> None:
    """Views `results`, `runs`, `points`, `experiments` over one or many experiments, each row
    tagged with its experiment (directory name)."""
    kw = "TEMP VIEW" if temporary else "VIEW"
    res_parts, run_parts, pt_parts, exp_rows = [], [], [], []
    for root in roots:
        name = _sql_str(root.name)
        if any((root / "results").glob("*/*.parquet")):
            res_parts.append(
                f"SELECT {name} AS experiment, * FROM read_parquet("
                f"{_sql_str(str(root / 'results' / '*' / '*.parquet'))}, "
                "union_by_name=true, hive_partitioning=false)"
            )
        if any((root / "runs").glob("*.json")):
            run_parts.append(
                f"SELECT {name} AS experiment, * FROM read_json("
                f"{_sql_str(str(root / 'runs' / '*.json'))}, format='auto', "
                "union_by_name=true)"
            )
        if (root / "points.parquet").exists():
            pt_parts.append(
                f"SELECT {name} AS experiment, * FROM read_parquet("
                f"{_sql_str(str(root / 'points.parquet'))})"
            )
        with open(root / "experiment.json") as f:
            spec = json.load(f)
        exp_rows.append(
            "SELECT "
            + ", ".join(
                [
                    f"{name} AS experiment",
                    f"{_sql_str(root)} AS path",
                    f"{_sql_str(spec.get('scenario'))} AS scenario",
                    f"{_sql_str(spec.get('scenario_hash'))} AS scenario_hash",
                    f"{_sql_str(spec.get('model'))} AS model",
                    f"{_sql_str(spec.get('design', {}).get('kind'))} AS design",
                    f"{int(spec.get('n_points', 0))} AS n_points",
                    f"{int(spec.get('replicates', 0))} AS replicates",
                    f"{_sql_str(spec.get('version'))} AS version",
                ]
            )
        )
    empty_res = (
        "SELECT NULL::VARCHAR AS experiment, NULL::VARCHAR AS run_id, NULL::INTEGER AS point_id, "
        "NULL::INTEGER AS replicate, NULL::BIGINT AS seed, NULL::BIGINT AS step, "
        "NULL::VARCHAR AS region, NULL::VARCHAR AS metric, NULL::DOUBLE AS value WHERE false"
    )
    empty_runs = (
        "SELECT NULL::VARCHAR AS experiment, NULL::VARCHAR AS run_id, NULL::INTEGER AS point_id, "
        "NULL::INTEGER AS replicate, NULL::BIGINT AS seed, NULL::VARCHAR AS status, "
        "NULL::VARCHAR AS error WHERE false"
    )
    con.execute(
        f"CREATE OR REPLACE {kw} results AS "
        + (" UNION ALL BY NAME ".join(res_parts) if res_parts else empty_res)
    )
    con.execute(
        f"CREATE OR REPLACE {kw} runs AS "
        + (" UNION ALL BY NAME ".join(run_parts) if run_parts else empty_runs)
    )
    con.execute(
        f"CREATE OR REPLACE {kw} points AS "
        + (
            " UNION ALL BY NAME ".join(pt_parts)
            if pt_parts
            else "SELECT NULL::VARCHAR AS experiment, NULL::INTEGER AS point_id WHERE false"
        )
    )
    con.execute(f"CREATE OR REPLACE {kw} experiments AS " + " UNION ALL ".join(exp_rows))


def connect(path, warn=_warn):
    """An in-memory DuckDB connection with the catalog views over `path`. Every result and
    record is verified first; damaged files are quarantined with a message naming them."""
    import duckdb

    roots = find_experiments(path)
    for root in roots:
        ExperimentStore(root).verify(warn)
    con = duckdb.connect()
    create_views(con, roots)
    return con


def query(path, sql: str):
    """Run SQL against the views of one experiment or of every experiment below a folder;
    returns a pandas DataFrame."""
    import duckdb

    con = connect(path)
    try:
        return con.execute(sql).df()
    except duckdb.Error as e:
        raise TolqynError(
            f"query failed: {e}\nviews: results(experiment, run_id, point_id, replicate, "
            "seed, step, region, metric, value[, date]), runs, points, experiments"
        ) from None
    finally:
        con.close()


# ---------------------------------------------------------------- outputs per run
STATS = ("final", "max", "min", "mean", "sum", "peak_step")


def parse_output(text: str) -> tuple[str, str, str]:
    """`metric[:stat][@region]` -> (metric, stat, region); stat defaults to final."""
    body, _, region = text.partition("@")
    metric, _, stat = body.partition(":")
    stat = stat or "final"
    if stat not in STATS:
        from tolqyn.core.errors import UnknownParamError

        raise UnknownParamError(stat, STATS, source="--output", what="statistic")
    return metric.strip(), stat, (region.strip() or "ALL")


def output_name(metric: str, stat: str, region: str) -> str:
    return f"{metric}_{stat}" + ("" if region == "ALL" else f"_{region}")


def run_outputs(path, outputs: list[str]):
    """One row per successful run (run_id, point_id, replicate, seed) with one column per
    output `metric:stat@region`. A run that lacks the metric gets NaN."""
    con = connect(path)
    try:
        runs = con.execute(
            "SELECT run_id, point_id, replicate, seed FROM runs WHERE status = 'ok' "
            "ORDER BY point_id, replicate"
        ).df()
        known = set(con.execute("SELECT DISTINCT metric FROM results").df()["metric"])
        for text in outputs:
            metric, stat, region = parse_output(text)
            if metric not in known:
                from tolqyn.core.errors import UnknownParamError

                raise UnknownParamError(metric, known, source="--output", what="metric")
            agg = {
                "final": "arg_max(value, step)",
                "max": "max(value)",
                "min": "min(value)",
                "mean": "avg(value)",
                "sum": "sum(value)",
                "peak_step": "arg_max(step, value)",
            }[stat]
            df = con.execute(
                f"SELECT run_id, {agg} AS v FROM results WHERE metric = ? AND region = ? "
                "GROUP BY run_id",
                [metric, region],
            ).df()
            runs = runs.merge(
                df.rename(columns={"v": output_name(metric, stat, region)}), on="run_id", how="left"
            )
        return runs
    finally:
        con.close()
