"""`tolqyn pack validate`: the Frictionless validator's findings and tolqyn's own checks."""

from __future__ import annotations

from pathlib import Path

from tolqyn.packs.reader import Problem, read_pack, resolve


def frictionless_problems(path: Path) -> list[Problem]:
    """Findings of frictionless 5.x (schema, types, constraints, primary keys) as Problems."""
    from frictionless import Package, system

    out: list[Problem] = []
    with system.use_context(trusted=True):
        report = Package(str(path / "datapackage.json")).validate()
    for task in report.tasks:
        file = Path(task.place).name if task.place else task.name
        for err in task.errors:
            row = getattr(err, "row_number", None)
            field = getattr(err, "field_name", None)
            out.append(Problem(file, row, field, f"{err.type}: {err.note or err.message}"))
    for err in report.errors:
        out.append(Problem("datapackage.json", None, None, f"{err.type}: {err.message}"))
    return out


def validate(name_or_path: str | Path, use_frictionless: bool = True) -> list[Problem]:
    """Every problem of a pack (empty = valid): Frictionless first, then tolqyn's checks,
    without repeating a cell both report."""
    path = resolve(name_or_path)
    probs = frictionless_problems(path) if use_frictionless else []
    _, own = read_pack(path)
    seen = {(p.file, p.row, p.field) for p in probs}
    probs += [p for p in own if (p.file, p.row, p.field) not in seen]
    return probs
