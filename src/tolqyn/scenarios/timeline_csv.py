"""A timeline of an episode as a CSV file (one row per trigger or government action) -> the
events of a scenario. A scenario names it in a `[timeline]` table:

    [timeline]
    file = "my-episode/timeline.csv"      # relative to the scenario file
    defaults = { policy = "land-code" }   # event parameters given to every event that takes them
    [timeline.rows.14]                    # the row on line 14 of the file (the header is line 1)
    params = { persons = 3000.0 }         # merged over what the row's own params give
    action = "legitimacy_shock"           # a model action instead of the vocabulary's mapping
    at = "2011-05-25"                     # a day where the file gives a month
    skip = true                           # leave the row out
    note = "why"                          # every override says why (kept in the scenario)

Columns: `date`, `action` and `params` are required; `region`, `time_local`, `description`
and `source` are read when present. `action` is a word of VOCABULARY below (an unknown one
is refused with the nearest valid word); `params` holds `key=value` pairs separated by `;`
(numbers are read from the value: "about 10,000" -> 10000, "0.6 (coded)" -> 0.6).

Dates: YYYY-MM-DD; a range A/B starts at A and lasts to B; YYYY-MM (early|mid|late) is the
5th, 15th or 25th; a bare YYYY-MM the 15th; "(before 21 May)" the day before. A row before the
scenario's start is in force from its first step (a law passed earlier, a dispute already
open); a row after its end is left out (listed in meta.timeline_left_out). Regions: "ALL",
a code, or codes joined by ";", mapped to the units of the scenario's region basis (a present-
day code to the unit it belonged to, e.g. KZ-33 -> KZ-19 under the pack's earlier basis).

The mapping from a vocabulary word to model actions, and the sizes it assumes where a row
gives none, are in docs/odd/episodes.md §5 (the yardstick rule: a legitimacy event without a
size moves legitimacy by 0.02, the size of the January 2022 script's price-cut concession).
Rows of words marked context (statements, trials, ...) are recorded, not simulated."""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from pathlib import Path

from tolqyn.core.errors import ScenarioError, UnknownParamError
from tolqyn.core.timeline import check_action_params

REQUIRED = ("date", "action", "params")
ROW_KEYS = ("action", "params", "at", "skip", "note", "id", "days")
TIMELINE_KEYS = ("file", "defaults", "rows")
YARDSTICK = 0.02  # legitimacy shock of a row without a size (docs/odd/episodes.md §5)
WAKING = (7.0, 23.0)  # hours over which a restriction of part of a day is averaged

# vocabulary word -> model action (None: context, recorded but not simulated)
VOCABULARY = {
    "legitimacy_event": "legitimacy_shock",
    "election_called": None,
    "election": "election",
    "election_result": "election_result",
    "law_passed": "policy_grievance",
    "policy_announcement": "policy_salience",
    "statement": None,
    "external_statement": None,
    "internet": "internet_block",
    "police_deployment": "cordon",
    "lethal_force": "shoot_order",
    "ban": "rally_ban",
    "preemptive_detention_campaign": "preemptive_detention",
    "repression_arrest": "legitimacy_shock",
    "repression_sentence": "legitimacy_shock",
    "court_ruling": "court_ruling",
    "concession": "concession",
    "moratorium": "policy_suspend",
    "commission": "policy_suspend",
    "dismissal": "dismissal",  # with a count: workers; without: officials (a concession)
    "emergency": "emergency",
    "emergency_extended": None,
    "emergency_lifted": "emergency",
    "investigation": None,
    "trial": None,
    "negotiation": None,
    "opposition_call": "rally_call",
    "civic_campaign": None,
    "strike_start": "strike_start",
    "wage_dispute": "wage_dispute",
}

_NUM = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}


def parse_params(text: str) -> dict[str, str]:
    """`key=value; key=value` -> {key: value} (text without '=' is kept under '')."""
    out: dict[str, str] = {}
    for part in (text or "").split(";"):
        if "=" in part:
            k, _, v = part.partition("=")
            out[k.strip()] = v.strip()
        elif part.strip():
            out[""] = (out.get("", "") + " " + part.strip()).strip()
    return out


def number(text: str | None):
    """The first number in a text ("about 10,000" -> 10000.0), or None."""
    if text is None:
        return None
    m = _NUM.search(text)
    return float(m.group(0).replace(",", "")) if m else None


def parse_date(text: str, where: str, source: str) -> tuple[_dt.date, int]:
    """A date of the file -> (first day, days it spans)."""
    s = text.strip()
    bad = ScenarioError(
        f"{s!r} is not a date; allowed: YYYY-MM-DD, A/B, YYYY-MM, YYYY-MM (early|mid|late), "
        "YYYY-MM (before D Month)",
        source=source,
        field=where,
    )
    try:
        if "/" in s:
            a, b = (x.strip() for x in s.split("/", 1))
            d0, _ = parse_date(a, where, source)
            d1, _ = parse_date(b, where, source)
            if re.fullmatch(r"\d{4}-\d{2}", a):  # a month: from its first day
                d0 = d0.replace(day=1)
            if re.fullmatch(r"\d{4}-\d{2}", b):  # to its last
                d1 = _month_end(d1)
            if d1 < d0:
                raise ScenarioError(
                    f"range {s!r} ends before it starts", source=source, field=where
                )
            return d0, (d1 - d0).days + 1
        m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", s)
        if m:
            return _dt.date(*map(int, m.groups())), 1
        m = re.fullmatch(r"(\d{4})-(\d{2})(?:\s*\((.*)\))?", s)
        if m:
            y, mo, q = int(m.group(1)), int(m.group(2)), (m.group(3) or "").strip().lower()
            if q in ("", "mid"):
                return _dt.date(y, mo, 15), 1
            if q == "early":
                return _dt.date(y, mo, 5), 1
            if q == "late":
                return _dt.date(y, mo, 25), 1
            b = re.fullmatch(r"before (\d{1,2}) ([a-z]+)", q)
            if b and b.group(2)[:3] in _MONTHS:
                return _dt.date(y, _MONTHS[b.group(2)[:3]], int(b.group(1))) - _dt.timedelta(1), 1
    except ValueError:
        raise bad from None
    raise bad


def _month_end(d: _dt.date) -> _dt.date:
    nxt = _dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - _dt.timedelta(days=1)


def _hours(time_local: str) -> float | None:
    """Hours of the waking day a restriction covered ("13:00-20:00", "from 15:00"), or None."""
    t = (time_local or "").lower()
    m = re.search(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})", t)
    if m:
        a = int(m.group(1)) + int(m.group(2)) / 60
        b = int(m.group(3)) + int(m.group(4)) / 60
    else:
        m = re.search(r"from (\d{1,2}):(\d{2})", t)
        if not m:
            return None
        a, b = int(m.group(1)) + int(m.group(2)) / 60, WAKING[1]
    a, b = max(a, WAKING[0]), min(b, WAKING[1])
    return max(0.0, b - a)


def region_mapper(params: dict, folder: Path | None):
    """code or "ALL" -> the unit codes of the scenario's region basis."""
    from tolqyn.packs.reader import load_pack

    country = params.get("country", "kazakhstan")
    basis = params.get("region_basis", "current")
    pack = load_pack(country, folder)
    codes = [str(c) for c in pack.units(basis)["code"]]
    parents = pack.parents() if basis != "current" else {}

    def to_basis(text: str, where: str, source: str):
        text = (text or "ALL").strip()
        if text in ("", "ALL"):
            return "ALL"
        out = []
        for c in (x.strip() for x in text.split(";")):
            c = c if c in codes else parents.get(c, c)
            if c not in codes:
                raise UnknownParamError(c, codes, source=f"{source}, {where}", what="unit code")
            if c not in out:
                out.append(c)
        return out

    return to_basis


def expand_timeline(
    data: dict, path: Path, src: str, action_args: dict | None = None
) -> tuple[list[dict], list[dict]]:
    """The `[timeline]` of a scenario (already merged with its parent) -> (events, rows left
    out or recorded as context). `action_args` (action -> its argument names) limits the
    `defaults` to the events whose action takes them, and checks each event's parameters
    against the action's declared arguments, naming the file and the row."""
    tl = data["timeline"]
    where = "timeline"
    if not isinstance(tl, dict):
        raise ScenarioError("allowed: a table with file = ...", source=src, field=where)
    for k in tl:
        if k not in TIMELINE_KEYS:
            raise UnknownParamError(str(k), TIMELINE_KEYS, source=src, what="key of [timeline]")
    if not isinstance(tl.get("file"), str):
        raise ScenarioError('needs file = "<path>.csv"', source=src, field="timeline.file")
    if "\x00" in tl["file"]:
        raise ScenarioError(
            "a file name cannot contain a NUL character", source=src, field="timeline.file"
        )
    csv_path = Path(tl["file"])
    if not csv_path.is_absolute():
        csv_path = path.parent / csv_path
    fsrc = str(csv_path) if "library" not in str(csv_path) else f"builtin:{tl['file']}"
    try:
        text = csv_path.read_text(encoding="utf-8")
    except OSError as e:
        raise ScenarioError(f"cannot read: {e.strerror or e}", source=fsrc) from None
    except UnicodeDecodeError:
        raise ScenarioError("not a UTF-8 text file", source=fsrc) from None
    reader = csv.DictReader(io.StringIO(text))
    cols = reader.fieldnames or []
    for c in REQUIRED:
        if c not in cols:
            raise ScenarioError(
                f"missing column '{c}'; required: {', '.join(REQUIRED)}", source=fsrc
            )
    rows_over = tl.get("rows", {})
    defaults = tl.get("defaults", {})
    if not isinstance(rows_over, dict) or not isinstance(defaults, dict):
        raise ScenarioError("rows and defaults are tables", source=src, field=where)
    start = data.get("start_date")
    if start is None:
        raise ScenarioError("a timeline needs a start_date", source=src, field="start_date")
    start = _dt.date.fromisoformat(str(start)[:10])
    end = start + _dt.timedelta(days=float(data.get("dt", 1.0)) * int(data.get("steps", 100)))
    to_basis = region_mapper(data.get("params", {}), path.parent)
    rows = list(reader)
    line_of = {i: i + 2 for i in range(len(rows))}
    for key in rows_over:
        if not (str(key).isdigit() and 2 <= int(key) <= len(rows) + 1):
            raise ScenarioError(
                f"no row on line {key}; allowed: 2..{len(rows) + 1}",
                source=src,
                field=f"timeline.rows.{key}",
            )
        for k in rows_over[key]:
            if k not in ROW_KEYS:
                raise UnknownParamError(
                    str(k), ROW_KEYS, source=src, what=f"key of timeline.rows.{key}"
                )
    calls = []
    for i, r in enumerate(rows):
        if (r.get("action") or "").strip() == "opposition_call":
            d, _ = parse_date(r["date"], f"row {line_of[i]}, date", fsrc)
            calls.append(d)
    events, left = [], []
    for i, r in enumerate(rows):
        line = line_of[i]
        rw = f"row {line}"
        over = rows_over.get(str(line), {})
        word = (r.get("action") or "").strip()
        if word not in VOCABULARY:
            raise UnknownParamError(word, VOCABULARY, source=f"{fsrc}, {rw}", what="action")
        first, span = parse_date(str(over.get("at", r["date"])), f"{rw}, date", fsrc)
        if over.get("skip"):
            left.append({"line": line, "action": word, "why": over.get("note", "skipped")})
            continue
        if first >= end:
            left.append({"line": line, "action": word, "why": "after the end of the run"})
            continue
        action = over.get("action", VOCABULARY[word])
        if action is None:
            left.append({"line": line, "action": word, "why": "context (not simulated)"})
            continue
        kv = parse_params(r.get("params", ""))
        regions = to_basis(r.get("region", "ALL"), f"{rw}, region", fsrc)
        days = float(over.get("days", span))
        made = _map(word, action, kv, regions, days, r, first, calls)
        at = max(first, start)
        for ev in made:
            ev_at = ev.pop("_at", at)
            declared = (action_args or {}).get(ev["action"])
            takes = None if declared is None else {a.name for a in declared}
            params = {k: v for k, v in defaults.items() if takes is None or k in takes}
            params.update(ev.get("params", {}))
            params.update(over.get("params", {}))
            ev["params"] = params
            if action_args is not None:
                if ev["action"] not in action_args:
                    raise UnknownParamError(
                        ev["action"], action_args, source=f"{fsrc}, {rw}", what="model action"
                    )
                try:
                    check_action_params(ev["action"], params, action_args[ev["action"]])
                except ScenarioError as e:
                    hint = f"; give it in [timeline.rows.{line}] of {src}"
                    raise ScenarioError(
                        f"{word} -> {ev['action']}: {e}{hint}", source=fsrc, field=f"{rw}, params"
                    ) from None
            ev["at"] = max(ev_at, start).isoformat()
            ev.setdefault("id", over.get("id", word))
            desc = " ".join((r.get("description") or "").split())
            ev["label"] = (
                desc[:110] + ("…" if len(desc) > 110 else "")
            ) + f" [{Path(fsrc).name} {rw}]"
            events.append(ev)
    return events, left


def _map(word, action, kv, regions, days, row, first, calls) -> list[dict]:
    """The model events of one row: the vocabulary's reading of its params (docs/odd/
    episodes.md §5); what a row does not give, the scenario's row override must."""
    if action == "internet_block":
        level = number(kv.get("level"))
        p = {"regions": regions, "days": days}
        if level is not None:
            h = _hours(row.get("time_local", ""))
            if h is not None and days == 1:  # part of one day: its average over the waking day
                level = 1.0 - (1.0 - level) * h / (WAKING[1] - WAKING[0])
            p["level"] = round(level, 4)
        return [{"action": action, "params": p}]
    if action == "cordon":
        p = {"regions": regions, "days": days}
        n = number(kv.get("personnel") or kv.get("persons"))
        if n is not None:
            p["persons"] = n
        return [{"action": action, "params": p}]
    if action == "shoot_order" and word == "lethal_force":
        off = first + _dt.timedelta(days=max(1, int(days)))
        return [
            {"action": "shoot_order", "params": {"on": True}},
            {"action": "shoot_order", "params": {"on": False}, "_at": off},
        ]
    if action == "emergency":
        return [{"action": action, "params": {"regions": regions, "on": word == "emergency"}}]
    if action == "rally_ban":
        nxt = [c for c in calls if c >= first]
        span = (nxt[0] - first).days + 1 if nxt and days == 1 else days
        return [{"action": action, "params": {"regions": regions, "days": float(span)}}]
    if action == "preemptive_detention":
        p = {"regions": regions, "days": days}
        pen = kv.get("penalty", "")
        m = re.search(r"(\d+)\s*-\s*(\d+)\s*days", pen)
        if m:
            p["term_min"], p["term_max"] = float(m.group(1)), float(m.group(2))
        return [{"action": action, "params": p}]
    if action == "legitimacy_shock":
        p = {"regions": regions}
        if word in ("repression_arrest", "repression_sentence"):
            p["size"] = -YARDSTICK  # an unjust arrest or sentence (docs/odd/episodes.md §5)
        return [{"action": action, "params": p}]
    if action == "dismissal":
        n = number(kv.get("count"))
        if n is None:  # officials removed in response: a concession of the yardstick size
            return [
                {"action": "legitimacy_shock", "params": {"size": YARDSTICK, "regions": regions}}
            ]
        return [{"action": action, "params": {"persons": n}}]
    if action == "concession":
        return [{"action": action, "params": {"regions": regions, "legitimacy": YARDSTICK}}]
    if action == "policy_suspend":
        return [{"action": action, "params": {"kind": word}}]
    if action == "policy_grievance":
        return [{"action": action, "params": {"regions": regions}}]
    if action == "rally_call":
        return [{"action": action, "params": {"regions": regions, "days": days}}]
    if action in ("policy_salience", "election", "election_result", "court_ruling"):
        return [{"action": action, "params": {}}]
    if action in ("strike_start", "wage_dispute"):
        return [{"action": action, "params": {}}]
    # an override naming another model action: its params come from the override
    return [{"action": action, "params": {}}]
