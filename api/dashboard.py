"""The engineer's alarm history and the supervisor's dashboard: figures from the twin's history and the runs.

An engineer looking back asks what alarmed, where, how badly, when, and who acknowledged it with
what note: every transition of every alarm (raised, cleared, acknowledged) is in the twin's
history (``alarm_log``), and :func:`history_rows` flattens them into rows a table or a
spreadsheet (:func:`history_csv`) shows.

A property supervisor tracks the figures the work plans promise (物业服务考核): how fast repairs
are attended against the promises — an emergency on site within 30 min, an ordinary repair within
2 h — from the latest run of the operations model (its ``work_orders`` records and KPIs); how
often equipment failed and how available each system was, and how many alarms each system raised
over time, from the live twin's alarm log; energy by day and month from the meters' cumulative
readings.

Definitions (stated here once, shown in the console's notes):

* a **failure** is an alarm of level *alarm* (severity critical or major) being raised on a device;
* a device is **unavailable** while such an alarm on it is active (raised, not yet cleared) —
  the live twin's own rule: a device in alarm is out of service; a system's **availability** is
  one minus its devices' unavailable time (overlaps on one device counted once) over the
  devices' time in the window;
* **live incidents** are held to the same promises: a critical alarm as an emergency (30 min), a
  major one as an ordinary repair (2 h), its response the time to the engineer's acknowledgement
  (the twin does not know when someone was on site);
* a day's **energy** at a meter is its reading's rise from the previous day's last reading (on
  the first day, from that day's first reading); days run from the building's local midnight.

Nothing here reads a request: the API routes (:mod:`api.routers.twin`) bound and validate every
filter, range and count first.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["HISTORY_COLUMNS", "history_rows", "history_csv", "alarms_by_system", "availability_by_system",
           "work_orders_figures", "live_response_figures", "energy_by_day", "FAILURE_SEVERITIES", "BUCKETS_MS",
           "LIVE_PROMISES_MIN"]

FAILURE_SEVERITIES = ("critical", "major")
BUCKETS_MS = {"hour": 3_600_000, "day": 86_400_000, "week": 7 * 86_400_000}
HISTORY_COLUMNS = ("at", "at_ms", "transition", "alarm_id", "device", "system", "floor", "severity", "message",
                   "by", "note", "state")
_PROMISE_MULTIPLES = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0)


def _zone(tz: str | None) -> Any:
    try:
        return ZoneInfo(tz) if tz else timezone.utc
    except Exception:  # an unknown zone name must not break a page
        return timezone.utc


def _local_iso(at_ms: int, tz: Any) -> str:
    return datetime.fromtimestamp(at_ms / 1000, tz).isoformat(timespec="seconds")


def history_rows(entries: Iterable[Mapping[str, Any]], tz: str | None = None,
                 lang: str = "en") -> list[dict[str, Any]]:
    """Alarm-log entries as flat rows: when (local time and epoch ms), what (the message in ``lang``,
    and ``words``, in each language), where, who, the note. An alarm logged before messages had words
    keeps its one message."""
    zone = _zone(tz)
    rows = []
    for e in entries:
        a = e.get("alarm") or {}
        words = a.get("words") if isinstance(a.get("words"), dict) else None
        rows.append({"at": _local_iso(e["at_ms"], zone), "at_ms": e["at_ms"], "transition": e["transition"],
                     "alarm_id": e["alarm_id"], "device": a.get("device"), "system": a.get("system"),
                     "floor": a.get("floor"), "severity": a.get("severity"),
                     "message": (words or {}).get(lang) or a.get("message"), "words": words, "by": e.get("by"),
                     "note": a.get("ack_note") if e["transition"] == "acknowledged" else None,
                     "state": a.get("state") or _state(a)})
    return rows


def _state(a: Mapping[str, Any]) -> str:
    acked = a.get("acked_ms") is not None
    if a.get("active"):
        return "active_acked" if acked else "active_unacked"
    return "closed" if acked else "cleared_unacked"


def history_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    """The rows as CSV: UTF-8 with a byte-order mark (so that a spreadsheet shows Chinese notes), a header."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_COLUMNS, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in HISTORY_COLUMNS})
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def alarms_by_system(raised: Iterable[Mapping[str, Any]], start_ms: int, end_ms: int,
                     bucket_ms: int) -> dict[str, Any]:
    """Alarms raised per system in equal buckets from ``start_ms``: {starts_ms, systems: {system: counts}}."""
    n = max(1, math.ceil((end_ms - start_ms) / bucket_ms))
    counts: dict[str, list[int]] = {}
    for e in raised:
        k = (e["at_ms"] - start_ms) // bucket_ms
        if 0 <= k < n:
            system = (e.get("alarm") or {}).get("system") or "other"
            counts.setdefault(system, [0] * n)[k] += 1
    return {"bucket_ms": bucket_ms, "starts_ms": [start_ms + i * bucket_ms for i in range(n)],
            "systems": dict(sorted(counts.items()))}


def _union_ms(intervals: list[tuple[int, int]]) -> int:
    total, cur_start, cur_end = 0, None, None
    for s, e in sorted(intervals):
        if cur_end is None or s > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = s, e
        else:
            cur_end = max(cur_end, e)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def availability_by_system(transitions: Iterable[Mapping[str, Any]], open_alarms: Iterable[Mapping[str, Any]],
                           systems_of: Mapping[str, str], start_ms: int, end_ms: int) -> dict[str, dict[str, Any]]:
    """Failures and availability per system over ``[start_ms, end_ms)``.

    ``transitions``: raised and cleared transitions of failure-level alarms from ``start_ms`` to
    now, oldest first; ``open_alarms``: the alarms open now (an alarm raised before the window
    and still active has no transition in it); ``systems_of``: device → system, every device of
    the building (a system's device count is its share of the time).
    """
    window = max(1, end_ms - start_ms)
    raised_at: dict[str, int] = {}
    device_of: dict[str, str] = {}
    down: dict[str, list[tuple[int, int]]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    for a in open_alarms:  # active since before the window: down from its start until a clear says otherwise
        if a.get("active") and a.get("severity") in FAILURE_SEVERITIES and (a.get("raised_ms") or 0) < start_ms:
            raised_at[a["id"]] = start_ms
            device_of[a["id"]] = a["device"]
    for e in transitions:
        a = e.get("alarm") or {}
        alarm_id, at = e["alarm_id"], e["at_ms"]
        device_of[alarm_id] = a.get("device") or device_of.get(alarm_id, "")
        if e["transition"] == "raised":
            if at < end_ms:
                failures[device_of[alarm_id]] += 1
            raised_at.setdefault(alarm_id, at)
        elif e["transition"] == "cleared":
            begun = raised_at.pop(alarm_id, start_ms)  # raised before the window: down from its start
            down[device_of[alarm_id]].append((max(begun, start_ms), min(at, end_ms)))
    for alarm_id, begun in raised_at.items():  # still active
        down[device_of[alarm_id]].append((max(begun, start_ms), end_ms))
    out: dict[str, dict[str, Any]] = {}
    for system in sorted(set(systems_of.values())):
        devices = [d for d, s in systems_of.items() if s == system]
        down_ms = sum(_union_ms([(s, e) for s, e in down.get(d, []) if e > s]) for d in devices)
        out[system] = {"devices": len(devices), "failures": sum(failures.get(d, 0) for d in devices),
                       "down_h": round(down_ms / 3_600_000, 4),
                       "availability": 1.0 - down_ms / (window * len(devices))}
    return out


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def work_orders_figures(folder: Path) -> dict[str, Any]:
    """Response to work orders against the promises, from a finished operations run's folder.

    For emergency and ordinary orders of the run's first sweep point (every replication): orders
    attended, the share within the promise (``sla_min`` of each order), median and 95th
    percentile of the time to attend, a histogram in multiples of the promise, and orders never
    attended within the run; with the run's promise KPIs (mean, 95 % interval, verdict).
    """
    import numpy as np
    import pyarrow.parquet as pq

    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    point = (summary.get("points") or [{}])[0]
    kpis = {}
    for name in ("emergency_within_sla", "ordinary_within_sla", "emergency_wait_min", "ordinary_wait_min"):
        k = (point.get("kpis") or {}).get(name)
        if k:
            kpis[name] = {"label": k.get("label"), "unit": k.get("unit"), "mean": k.get("mean"),
                          "ci95_low": k.get("ci95_low"), "ci95_high": k.get("ci95_high"),
                          "target": k.get("target"), "verdict": (k.get("verdict") or {}).get("status")}
    table = pq.read_table(folder / "records" / "work_orders.parquet",
                          columns=["point", "priority", "reported_s", "arrived_s", "sla_min"]).to_pydict()
    by: dict[str, dict[str, Any]] = {}
    for priority in ("emergency", "ordinary"):
        idx = [i for i, (p, pr) in enumerate(zip(table["point"], table["priority"])) if p == 0 and pr == priority]
        promise = next((_finite(table["sla_min"][i]) for i in idx if _finite(table["sla_min"][i])), None)
        waits, never, within = [], 0, 0
        for i in idx:
            arrived, reported = _finite(table["arrived_s"][i]), _finite(table["reported_s"][i])
            if arrived is None or reported is None:
                never += 1
                continue
            wait_min = (arrived - reported) / 60.0
            waits.append(wait_min)
            sla = _finite(table["sla_min"][i]) or promise
            within += sla is not None and wait_min <= sla
        by[priority] = _response_figures(np.asarray(waits, dtype=float), promise, within, never)
    return {"replications": summary.get("replications"), "horizon_s": summary.get("horizon_s"),
            "scenario": (summary.get("scenario") or {}).get("name"),
            "title": (summary.get("scenario") or {}).get("title"),
            "kpis": kpis, "by_priority": by}


def _response_figures(waits_min: Any, promise_min: float | None, within: int, not_attended: int) -> dict[str, Any]:
    """Times to respond against a promise: count, share within, median, 95th percentile, a histogram in
    multiples of the promise (0, ¼, ½, ¾, 1, 1½, 2, 4 × and beyond)."""
    import numpy as np

    w = waits_min
    hist = []
    if promise_min and w.size:
        bounds = [m * promise_min for m in _PROMISE_MULTIPLES] + [math.inf]
        hist = [{"from_min": bounds[j], "to_min": None if math.isinf(bounds[j + 1]) else bounds[j + 1],
                 "orders": int(((w >= bounds[j]) & (w < bounds[j + 1])).sum())} for j in range(len(bounds) - 1)]
    return {"promise_min": promise_min, "orders": int(w.size), "within": int(within),
            "share_within": within / w.size if w.size else None,
            "p50_min": float(np.percentile(w, 50)) if w.size else None,
            "p95_min": float(np.percentile(w, 95)) if w.size else None,
            "not_attended": not_attended, "histogram": hist}


LIVE_PROMISES_MIN = {"critical": ("emergency", 30.0), "major": ("ordinary", 120.0)}
"""Live incidents against the work plans' promises: a critical alarm is an emergency (30 min), a major one an
ordinary repair (2 h); the twin knows when an engineer took it up — the acknowledgement — not when someone
was on site, so the response measured is the time to acknowledge."""


def live_response_figures(transitions: Iterable[Mapping[str, Any]], start_ms: int, end_ms: int,
                          now_ms: int) -> dict[str, Any]:
    """Time from a critical or major alarm being raised in ``[start_ms, end_ms)`` to its acknowledgement.

    ``transitions``: raised and acknowledged steps of those alarms from ``start_ms`` to now, oldest
    first. One still unacknowledged counts as not attended (and, in ``late_open``, as late once
    its promise has passed).
    """
    import numpy as np

    waiting: dict[str, tuple[int, str]] = {}
    waits: dict[str, list[float]] = {s: [] for s in LIVE_PROMISES_MIN}
    for e in transitions:
        severity = (e.get("alarm") or {}).get("severity")
        if severity not in LIVE_PROMISES_MIN:
            continue
        if e["transition"] == "raised":
            if start_ms <= e["at_ms"] < end_ms:
                waiting[e["alarm_id"]] = (e["at_ms"], severity)
            else:
                waiting.pop(e["alarm_id"], None)
        elif e["transition"] == "acknowledged":
            raised = waiting.pop(e["alarm_id"], None)
            if raised is not None:
                waits[raised[1]].append((e["at_ms"] - raised[0]) / 60_000)
    out: dict[str, Any] = {}
    for severity, (priority, promise) in LIVE_PROMISES_MIN.items():
        w = np.asarray(waits[severity], dtype=float)
        still = [at for at, s in waiting.values() if s == severity]
        figures = _response_figures(w, promise, int((w <= promise).sum()), len(still))
        figures["severity"] = severity
        figures["late_open"] = sum((now_ms - at) / 60_000 > promise for at in still)
        out[priority] = figures
    return out


def local_midnight_ms(at_ms: int, tz: str | None) -> int:
    """The building's local midnight at or before ``at_ms``."""
    zone = _zone(tz)
    day = datetime.fromtimestamp(at_ms / 1000, zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return int(day.timestamp() * 1000)


def energy_by_day(series_of: Mapping[str, Sequence[Any]], day_starts_ms: Sequence[int],
                  tz: str | None) -> dict[str, Any]:
    """kWh per day and month at each meter from its cumulative reading's daily min and max.

    ``series_of``: meter → points (``ts_ms``, ``min``, ``max``) of one-day buckets starting at
    ``day_starts_ms[0]`` (the days' local midnights; a day with no reading is absent).
    """
    zone = _zone(tz)
    days = [datetime.fromtimestamp(ms / 1000, zone).date().isoformat() for ms in day_starts_ms]
    months = sorted({d[:7] for d in days})
    by_day: dict[str, list[float | None]] = {}
    by_month: dict[str, list[float | None]] = {}
    for meter, points in series_of.items():
        per_day: list[float | None] = [None] * len(days)
        index = {ms: i for i, ms in enumerate(day_starts_ms)}
        prev_max: float | None = None
        for p in sorted(points, key=lambda p: p.ts_ms):
            i = _day_index(p.ts_ms, day_starts_ms, index)
            lo, hi = _finite(p.min), _finite(p.max)
            if i is None or hi is None:
                continue
            base = prev_max if prev_max is not None else lo
            per_day[i] = max(0.0, hi - base) if base is not None else None
            prev_max = hi
        by_day[meter] = per_day
        month_sums = []
        for m in months:
            vals = [v for d, v in zip(days, per_day) if d.startswith(m) and v is not None]
            month_sums.append(sum(vals) if vals else None)
        by_month[meter] = month_sums
    return {"days": days, "months": months, "by_day": by_day, "by_month": by_month}


def _day_index(ts_ms: int, starts: Sequence[int], index: Mapping[int, int]) -> int | None:
    if ts_ms in index:
        return index[ts_ms]
    for i in range(len(starts) - 1, -1, -1):  # a bucket start off a midnight (a day of 23 or 25 hours)
        if starts[i] <= ts_ms:
            return i
    return None


def day_starts(start_ms: int, end_ms: int, tz: str | None) -> list[int]:
    """Local midnights from the one at or before ``start_ms`` up to ``end_ms``."""
    zone = _zone(tz)
    day = datetime.fromtimestamp(local_midnight_ms(start_ms, tz) / 1000, zone)
    out = []
    while int(day.timestamp() * 1000) < end_ms:
        out.append(int(day.timestamp() * 1000))
        day = (day + timedelta(days=1, hours=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    return out


# --- what the routes of api.routers.twin call (filters already bounded by the route) --------------

MAX_RANGE_MS = 366 * 86_400_000
MAX_BUCKETS = 2000
CSV_MAX_ROWS = 100_000
SCAN_MAX_ROWS = 200_000
DEFAULT_WINDOW_MS = 7 * 86_400_000


def window(start_ms: int | None, end_ms: int | None, now_ms: int) -> tuple[int, int]:
    """The window a request names (default: the last 7 days), checked: start before end, at most 366 days."""
    from api.deps import ApiError

    end = end_ms if end_ms is not None else now_ms + 1
    start = start_ms if start_ms is not None else max(0, end - DEFAULT_WINDOW_MS)
    if start >= end:
        raise ApiError(422, ["query", "start_ms"], f"start_ms {start} is not before end_ms {end}", "range")
    if end - start > MAX_RANGE_MS:
        raise ApiError(422, ["query", "start_ms"], f"the range from start_ms {start} to end_ms {end} is "
                                                   f"{(end - start) / 86_400_000:.1f} days; at most 366 days", "range")
    return start, end


def check_filters(service: Any, *, system: Sequence[str] | None, floor: Sequence[str] | None,
                  equipment: Sequence[str] | None) -> None:
    """Each filter value names something the building has; else a 422 naming the field and the value."""
    from api.deps import ApiError

    state = service.state
    systems = {state.info(d).system for d in state.device_ids}
    floors = {f.id for f in service.building.floors}
    for name, values, known in (("system", system, systems), ("floor", floor, floors),
                                ("equipment", equipment, set(state.device_ids))):
        for value in values or ():
            if value not in known:
                raise ApiError(422, ["query", name], f"building {service.building.id!r} has no {name} {value!r} "
                                                     f"(it has: {', '.join(sorted(known))})", "unknown_value")


def alarm_history_page(service: Any, *, start: int, end: int, system: Sequence[str] | None,
                       floor: Sequence[str] | None, severity: Sequence[str] | None,
                       equipment: Sequence[str] | None, transition: Sequence[str] | None, limit: int,
                       offset: int, lang: str = "en") -> tuple[list[dict[str, Any]], int]:
    check_filters(service, system=system, floor=floor, equipment=equipment)
    entries, total = service.history.alarm_transitions(
        start_ms=start, end_ms=end, systems=system, floors=floor, severities=severity, devices=equipment,
        transitions=transition, limit=limit, offset=offset)
    return history_rows(entries, service.building.site.timezone, lang), total


def _auto_bucket(span_ms: int) -> str:
    return "hour" if span_ms <= 2 * 86_400_000 else "day" if span_ms <= 92 * 86_400_000 else "week"


def latest_operations(runs: Any) -> tuple[Any, Path] | None:
    """The newest finished run of the operations model with work-order records, and its folder."""
    for rec in runs.list(status="done", limit=200):
        if rec.model != "operations":
            continue
        folder = runs.results_dir(rec.id)
        if (folder / "summary.json").is_file() and (folder / "records" / "work_orders.parquet").is_file():
            return rec, folder
    return None


def dashboard_figures(ctx: Any, *, start: int, end: int, bucket: str, now_ms: int) -> dict[str, Any]:
    """Everything the supervisor's dashboard shows over ``[start, end)``."""
    from api.deps import ApiError

    bucket = _auto_bucket(end - start) if bucket == "auto" else bucket
    bucket_ms = BUCKETS_MS[bucket]
    if math.ceil((end - start) / bucket_ms) > MAX_BUCKETS:
        raise ApiError(422, ["query", "bucket"], f"{bucket} buckets over {(end - start) / 86_400_000:.1f} days are "
                                                 f"more than {MAX_BUCKETS}; choose a wider bucket", "too_many")
    service = ctx.live if ctx.live is not None and ctx.live_link is not None else None
    tz = service.building.site.timezone if service is not None else "Asia/Shanghai"
    out: dict[str, Any] = {"start_ms": start, "end_ms": end, "timezone": tz, "live": service is not None,
                           "bucket": bucket}
    found = latest_operations(ctx.runs)
    if found is not None:
        rec, folder = found
        out["operations_run"] = {"id": rec.id, "scenario": rec.scenario, "building": rec.building,
                                 "finished_at": rec.finished_at.isoformat() if rec.finished_at else None,
                                 "replications": rec.replications}
        out["work_orders"] = work_orders_figures(folder)
    if service is None or service.history is None:
        return out
    history = service.history
    raised, n_raised = history.alarm_transitions(start_ms=start, end_ms=end, transitions=("raised",),
                                                 limit=SCAN_MAX_ROWS, newest_first=False)
    out["alarms_by_system"] = {**alarms_by_system(raised, start, end, bucket_ms), "total": n_raised,
                               "truncated": n_raised > len(raised)}
    failures, n_fail = history.alarm_transitions(start_ms=start, severities=FAILURE_SEVERITIES,
                                                 transitions=("raised", "cleared"), limit=SCAN_MAX_ROWS,
                                                 newest_first=False)
    responses, _ = history.alarm_transitions(start_ms=start, severities=tuple(LIVE_PROMISES_MIN),
                                             transitions=("raised", "acknowledged"), limit=SCAN_MAX_ROWS,
                                             newest_first=False)
    out["live_response"] = live_response_figures(responses, start, end, now_ms)
    state = service.state
    systems_of = {d: state.info(d).system for d in state.device_ids}
    out["systems"] = availability_by_system(failures, [a.to_dict() for a in service.alarms.open_alarms()],
                                            systems_of, start, end)
    meters = {}
    starts = day_starts(start, end, tz)
    for device, system in sorted(systems_of.items()):
        if system != "meter":
            continue
        points = history.series(device, "energy_kwh", starts[0], end, bucket_s=86_400)
        if points:
            meters[device] = points
    out["energy"] = {**energy_by_day(meters, starts, tz), "point": "energy_kwh"} if meters else None
    return out
