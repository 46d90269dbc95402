"""The elevator model's replication: a day of traffic, a year of entrapments, or a power loss.

One replication (:func:`run`) does what ``params.mode`` says:

* ``traffic`` — the passengers of the window ``traffic.start_h``–``traffic.end_h`` of the start
  date, every one simulated through the group dispatcher (:class:`models.elevators.traffic.Traffic`);
  the KPIs are the traffic's (waiting time, time to destination, interval, round trip time, the
  five-minute flow carried, car loading, passengers left behind, starts and distance per car) and
  the groups' handling capacity under the round-trip formula's up-peak
  (:func:`models.elevators.traffic.up_peak_capacity`, the figure the BCO HC5 target is about).
* ``entrapment`` — the year's entrapments of every car in service, drawn ahead with numpy
  (:func:`models.elevators.entrapment.draw_entrapments`, with the hours and the persons aboard of
  one simulated day of traffic, :func:`models.elevators.traffic.aboard_by_hour`), each rescued in
  SimPy by on-site staff or the contractor (:class:`models.elevators.rescue.Rescue`).
* ``power_loss`` — the traffic from ``power_loss.warmup_min`` before the loss; at
  ``power_loss.at_h`` every car not fed by a running generator (the building file's ``feeds``
  chain, :func:`models.live.fed_from`) stops where it is (:meth:`Traffic.stop_cars`), everyone
  aboard a car that is not at a landing with its doors open is trapped, and the rescues compete
  for the same rescuers while the generator-fed cars run on.

With ``live_entrapments`` (the rescue forecast, set by :func:`from_live` from the twin's snapshot)
neither the year's draws nor the traffic run: only those cars are rescued, from the run's start
(``start_date`` + ``start_s``: the building's local time at the alarm, so the shift on duty and
the contractor's response are this hour's).

Record tables (times in seconds from t = 0, 00:00 of ``start_date``): the traffic's
``passengers`` (with ``hour`` of arrival), ``car_stops``, ``cars`` (with ``distance_km``) and
``car_timeline`` (each car's stops and flights in the busiest quarter-hour, first replication: the
Gantt chart); the
rescue's ``entrapments`` (with ``hour``, ``trapped_band`` and ``trapped_band_min`` — the time
trapped in bands around the 30-min line, by label and by lower edge — and ``within_rule``, the rescuer on site within the rule's limit, 1/0), the
contractor's ``callouts`` and ``entrapments_by_cause`` (per cause: count, persons, mean arrival and
time trapped, share on site within the rule; offered as a CSV by the report).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from models.elevators.entrapment import YEAR_S, draw_entrapments, maintenance_from_results, make_entrapment
from models.elevators.params import MAX_HORIZON_S, ElevatorParams
from models.elevators.rescue import Rescue, breakdown
from models.elevators.rescue import check as rescue_check
from models.elevators.traffic import Traffic, aboard_by_hour, up_peak_capacity
from models.harness import ModelContext, ReplicationCost, ReplicationResult
from models.live import LiveConditions, fed_from, local_start
from models.staff import Calendar
from twin.text import Text, text

__all__ = ["run", "check", "cost", "advise", "review", "from_live", "MAX_HORIZON_S", "PERSON_KG", "TRAPPED_BANDS",
           "generator_fed_cars", "trapped_band"]

DAY_S = 86_400.0
HOUR_S = 3600.0
PERSON_KG = 75.0
"""Mass of one person in a car's rated load (EN 81-20: persons = load_kg / 75)."""
TRAPPED_BANDS = ((10.0, "0–10"), (20.0, "10–20"), (30.0, "20–30"), (60.0, "30–60"), (math.inf, "> 60"))
"""Bands of the time trapped (min) of the report's bar chart: the 30-min line is a band edge."""
ENTRAPMENT_RULES = ("event:entrapment", "lift-possible-entrapment")
"""Alarm rules that mean a car has people trapped: the car's event and the twin's state rule."""


def trapped_band(minutes: float) -> str:
    """The band of :data:`TRAPPED_BANDS` a time trapped falls in ("" when not released)."""
    if not math.isfinite(minutes):
        return ""
    for top, label in TRAPPED_BANDS:
        if minutes <= top:
            return label
    return TRAPPED_BANDS[-1][1]


def _band_start(minutes: float) -> float:
    """The lower edge (min) of the band of :data:`TRAPPED_BANDS` a time trapped falls in (NaN when
    not released): a number, so the report's bars keep the bands in order."""
    if not math.isfinite(minutes):
        return math.nan
    low = 0.0
    for top, _ in TRAPPED_BANDS:
        if minutes <= top:
            return low
        low = top
    return low


def _cars(building) -> dict[str, tuple[str, object]]:
    """car id → (group id, car)."""
    return {c.id: (g.id, c) for g in building.elevators for c in g.cars}


def generator_fed_cars(building) -> frozenset[str]:
    """Cars a generator feeds through the building file's ``feeds`` chain (they run on without mains)."""
    generators = [e.id for e in building.equipment if e.system == "power" and "generator" in e.kind]
    cars = set(_cars(building))
    return frozenset(fed_from(building, generators)) & cars


# --- the replication ------------------------------------------------------------------------------

def run(ctx: ModelContext) -> ReplicationResult:
    p: ElevatorParams = ctx.params  # type: ignore[assignment]
    calendar = Calendar(p.start_date, p.holidays)
    if p.live:
        return _run_live(ctx, p, calendar)
    if p.live_car is not None and p.mode != "traffic":
        # a forecast whose snapshot shows nobody trapped: nothing to rescue
        return ReplicationResult(kpis={"entrapments": 0.0, "persons_trapped": 0.0}, records={"entrapments": []})
    if p.mode == "traffic":
        return _run_traffic(ctx, p, calendar)
    if p.mode == "entrapment":
        return _run_year(ctx, p, calendar)
    return _run_power_loss(ctx, p, calendar)


def _run_traffic(ctx: ModelContext, p: ElevatorParams, calendar: Calendar) -> ReplicationResult:
    # the window traffic.start_h–end_h of the start date (Traffic's start_s is that day's 00:00)
    traffic = Traffic(ctx.env, ctx.building, list(ctx.building.elevators), p.traffic, ctx.rng, calendar,
                      out_of_service=p.out_of_service, start_s=0.0)
    traffic.start()
    ctx.env.run(until=p.start_s + ctx.horizon_s)
    records = _traffic_records(traffic.records, ctx.replication)
    kpis = dict(traffic.kpis())
    capacity = _capacity(ctx.building, p)
    if "hc5_share" in capacity:
        kpis["hc5_capacity_share"] = capacity["hc5_share"]
    return ReplicationResult(kpis=kpis, records=records)


_CAPACITY: dict[tuple, tuple] = {}


def _capacity(building, p: ElevatorParams) -> dict[str, float]:
    """The groups' up-peak handling capacity (:func:`models.elevators.traffic.up_peak_capacity`: the
    round-trip formula's assumptions, a fixed seed) — a property of the cars and the population, the
    same in every replication, so computed once per process for these parameters."""
    key = (id(building), p.traffic.model_dump_json(), tuple(sorted(p.out_of_service)))
    hit = _CAPACITY.get(key)
    if hit is not None and hit[0] is building:
        return hit[1]
    value = up_peak_capacity(building, p.traffic, out_of_service=p.out_of_service)
    if len(_CAPACITY) > 32:
        _CAPACITY.clear()
    _CAPACITY[key] = (building, value)
    return value


def _rescue(ctx: ModelContext, p: ElevatorParams, calendar: Calendar, horizon_s: float) -> Rescue:
    return Rescue(ctx.env, ctx.building, ctx.graph, p.rescue, ctx.rng, calendar, horizon_s=horizon_s, t0_s=p.start_s)


def _at(env, t_s: float, fn, *args) -> None:
    """Call ``fn(*args)`` at ``t_s`` on the environment's clock (at once when it has passed)."""
    delay = max(0.0, t_s - env.now)
    if delay == 0.0:
        fn(*args)
        return
    ev = env.timeout(delay)
    ev.callbacks.append(lambda _ev: fn(*args))


def _run_year(ctx: ModelContext, p: ElevatorParams, calendar: Calendar) -> ReplicationResult:
    t0, t_end = p.start_s, p.start_s + ctx.horizon_s
    starts, aboard = aboard_by_hour(ctx.building, p.traffic, calendar=calendar, out_of_service=p.out_of_service)
    cars = [c for c in _cars(ctx.building) if c not in set(p.out_of_service)]
    maintenance = (maintenance_from_results(p.entrapment.maintenance_results, cars, ctx.replication)
                   if p.entrapment.maintenance_results else None)
    entrapments = draw_entrapments(ctx.building, cars, p.entrapment, ctx.rng, t_end, calendar, starts, aboard,
                                   p.out_of_service, t0_s=t0, maintenance_s=maintenance)
    rescue = _rescue(ctx, p, calendar, t_end)
    for e in entrapments:
        _at(ctx.env, e.t_s, rescue.trapped, e)
    ctx.env.run(until=t_end)
    return _rescue_result(rescue, ctx.horizon_s, per_year=True)


def _run_power_loss(ctx: ModelContext, p: ElevatorParams, calendar: Calendar) -> ReplicationResult:
    pl = p.power_loss
    t_loss = pl.day * DAY_S + pl.at_h * HOUR_S
    t_from = max(p.start_s, t_loss - pl.warmup_min * 60.0)
    t_end = p.start_s + ctx.horizon_s
    day0 = pl.day * DAY_S  # Traffic's start_s is the day's 00:00; its window starts warmup_min before the loss
    window = p.traffic.model_copy(update={"start_h": min(max(p.traffic.start_h, (t_from - day0) / HOUR_S), pl.at_h),
                                          "end_h": max(p.traffic.end_h, pl.at_h + 1e-3)})
    traffic = Traffic(ctx.env, ctx.building, list(ctx.building.elevators), window, ctx.rng, calendar,
                      out_of_service=p.out_of_service, start_s=day0)
    rescue = _rescue(ctx, p, calendar, t_end)
    fed = generator_fed_cars(ctx.building) if pl.generator else frozenset()
    stopping = [c for c in _cars(ctx.building) if c not in fed and c not in set(p.out_of_service)]
    stopped: list[dict] = []

    def mains_fail() -> None:
        rescue.power_loss()  # rescuers take the stairs
        stopped.extend(traffic.stop_cars(stopping))
        for k, s in enumerate(stopped, start=1):
            at_landing = bool(s.get("doors_open")) and not s.get("between_floors")
            if int(s.get("persons", 0)) <= 0 or at_landing:
                continue
            e = make_entrapment(p.entrapment, ctx.rng, id=k, car=s["car"], group=s.get("group", ""),
                                t_s=ctx.env.now, persons=int(s["persons"]), floor=s.get("floor") or "",
                                between_floors=bool(s.get("between_floors", True)), cause="power_loss")
            rescue.trapped(e)

    traffic.start()
    _at(ctx.env, t_loss, mains_fail)
    ctx.env.run(until=t_end)
    result = _rescue_result(rescue, ctx.horizon_s, per_year=False)
    kpis = {**traffic.kpis(), **result.kpis, "cars_stopped": float(len(stopped))}
    records = {**_traffic_records(traffic.records, ctx.replication), **result.records,
               "stopped_cars": [{**s, "t_s": t_loss} for s in stopped]}
    return ReplicationResult(kpis=kpis, records=records, censored=result.censored, where=result.where)


def _run_live(ctx: ModelContext, p: ElevatorParams, calendar: Calendar) -> ReplicationResult:
    """The rescue forecast: only the live entrapments, rescued from ``start_s``."""
    t0, t_end = p.start_s, p.start_s + ctx.horizon_s
    group_of = {c: g for c, (g, _) in _cars(ctx.building).items()}
    rescue = _rescue(ctx, p, calendar, t_end)
    entrapments = []
    for k, live in enumerate(p.live_entrapments, start=1):
        stopped_at = t0 - live.age_s
        floor = live.floor or (_cars(ctx.building)[live.car][1].home_floor or "")
        entrapments.append(make_entrapment(
            p.entrapment, ctx.rng, id=k, car=live.car, group=group_of.get(live.car, ""), t_s=stopped_at,
            persons=live.persons, floor=floor, between_floors=live.between_floors,
            cause="power_loss" if p.mode == "power_loss" else live.cause,
            detected_at_s=t0 if live.detected else None))
    if t0 > ctx.env.now:
        ctx.env.run(until=t0)  # the clock to now: the roster's shifts before now have started
    for e in entrapments:
        rescue.trapped(e)
    ctx.env.run(until=t_end)
    result = _rescue_result(rescue, ctx.horizon_s, per_year=False)
    kpis = dict(result.kpis)
    if p.mode == "power_loss":
        kpis["cars_stopped"] = float(len(entrapments))
    return ReplicationResult(kpis=kpis, records=result.records, censored=result.censored, where=result.where)


def _rescue_result(rescue: Rescue, horizon_s: float, *, per_year: bool) -> ReplicationResult:
    """The rescue's KPIs and records, with the model's own columns and counts."""
    kpis = dict(rescue.kpis(horizon_s))
    rows = [dict(r) for r in rescue.records.get("entrapments", [])]
    for r in rows:
        t = float(r.get("t_s", math.nan))
        r["hour"] = int((t % DAY_S) // HOUR_S) if math.isfinite(t) else -1
        trapped = float(r.get("trapped_min", math.nan))
        r["trapped_band"] = trapped_band(trapped)
        r["trapped_band_min"] = _band_start(trapped)
        r["within_rule"] = r.get("within_rule", math.nan)
    n = len(rows)
    persons = sum(int(r.get("persons", 0)) for r in rows)
    kpis["entrapments"] = float(n)
    kpis["persons_trapped"] = float(persons)
    if not per_year:  # a power loss or a forecast: counts of the event, no yearly rates
        kpis.pop("entrapments_per_year", None)
        kpis.pop("persons_trapped_per_year", None)
    else:
        years = horizon_s / YEAR_S
        kpis.setdefault("entrapments_per_year", n / years)
        kpis.setdefault("persons_trapped_per_year", persons / years)
    if n:
        kpis["staff_rescue_share"] = sum(1 for r in rows if str(r.get("rescuer", "contractor")) != "contractor"
                                         and r.get("rescuer") not in (None, "")) / n
    unreleased = [r for r in rows if not math.isfinite(float(r.get("released_s", math.nan)))]
    censored = frozenset({"trapped_min", "trapped_p95_min", "trapped_worst_min"}) if unreleased else frozenset()
    where = {}
    if rows:
        worst = max(rows, key=lambda r: float(r.get("trapped_min", -1.0)) if math.isfinite(
            float(r.get("trapped_min", math.nan))) else math.inf)
        where["trapped_worst_min"] = f"car {worst.get('car')} at {_clock(float(worst.get('t_s', 0.0)))}"
    records = {**{k: v for k, v in rescue.records.items() if k != "entrapments"}, "entrapments": rows,
               "entrapments_by_cause": breakdown(rows, "cause")}
    return ReplicationResult(kpis=kpis, records=records, censored=censored, where=where)


def _clock(t_s: float) -> str:
    d = int(t_s // DAY_S)
    h = (t_s % DAY_S) / HOUR_S
    return f"day {d} {int(h):02d}:{int(round((h % 1) * 60)) % 60:02d}"


def _traffic_records(records, replication: int = 0) -> dict[str, list[dict]]:
    """The traffic's record tables with the model's columns: the hour of each passenger's arrival,
    each car's distance in km and, in the first replication (the one the Gantt chart draws), the car
    timeline of the busiest quarter-hour."""
    out = {k: list(v) for k, v in records.items()}
    passengers = [dict(r) for r in out.get("passengers", [])]
    for r in passengers:
        t = float(r.get("arrived_s", math.nan))
        r["hour"] = int((t % DAY_S) // HOUR_S) if math.isfinite(t) else -1
    if passengers:
        out["passengers"] = passengers
    cars = [dict(r) for r in out.get("cars", [])]
    for r in cars:
        r["distance_km"] = float(r.get("distance_m", 0.0)) / 1000.0
    if cars:
        out["cars"] = cars
    out["car_timeline"] = _car_timeline(out.get("car_stops", [])) if replication == 0 else []
    return out


TIMELINE_S = 900.0
"""The span of the cars' timeline: the busiest quarter of an hour (a day, even an hour, of a tower's
sixteen cars is thousands of bars nobody can read)."""


def _car_timeline(stops: Sequence[dict]) -> list[dict]:
    """Each car's stops (doors open, ``stop``) and flights (``up``/``down``) in the busiest quarter of
    an hour (the most stops) — the Gantt chart of the cars."""
    if not stops:
        return []
    by_slot: dict[int, int] = defaultdict(int)
    for s in stops:
        by_slot[int(float(s["t_s"]) // TIMELINE_S)] += 1
    busiest = max(by_slot, key=lambda h: (by_slot[h], -h))
    lo, hi = busiest * TIMELINE_S, (busiest + 1) * TIMELINE_S
    per_car: dict[str, list[dict]] = defaultdict(list)
    for s in stops:
        per_car[str(s["car"])].append(s)
    rows = []

    def add(car: str, a: float, b: float, activity: str, floor) -> None:
        if b > lo and a < hi and b > a:
            rows.append({"car": car, "start_s": max(a, lo), "end_s": min(b, hi), "activity": activity, "floor": floor})

    for car, seq in sorted(per_car.items()):
        seq.sort(key=lambda s: float(s["t_s"]))
        for i, s in enumerate(seq):
            arrived = float(s["t_s"])
            departed = s.get("departed_s")
            departed = arrived if departed is None or not math.isfinite(float(departed)) else float(departed)
            add(car, arrived, departed, "stop", s.get("floor"))
            if i + 1 < len(seq):
                nxt = seq[i + 1]
                going = "up" if int(nxt.get("floor_index", 0)) > int(s.get("floor_index", 0)) else "down"
                add(car, departed, float(nxt["t_s"]), going, s.get("floor"))
    return rows


# --- checks, cost, advice, review -----------------------------------------------------------------

def check(params: ElevatorParams, building, graph=None) -> list[tuple[tuple, str]]:
    """What the parameters name that the building lacks, before any run (the building's own cars —
    floors served, capacity, speeds, door times — are checked when the building file loads)."""
    problems: list[tuple[tuple, str]] = []
    cars = _cars(building)
    if not cars:
        problems.append((("mode",), f"the building {building.id!r} has no lift groups (elevators): nothing to "
                         "simulate"))
        return problems
    floors = building.floor_by_id
    for gi, g in enumerate(building.elevators):
        for ci, c in enumerate(g.cars):
            for k, f in enumerate(c.floors_served):
                if f not in floors:  # a building made in code, not loaded from a file
                    problems.append((("building", "elevators", gi, "cars", ci, "floors_served", k),
                                     f"car {c.id} serves floor {f!r}, which the building does not have"))
    for i, car in enumerate(params.out_of_service):
        if car not in cars:
            problems.append((("out_of_service", i), f"unknown car {car!r}; the building's cars: {', '.join(cars)}"))
    if params.entrapment.maintenance_results:
        try:
            maintenance_from_results(params.entrapment.maintenance_results, cars, 0)
        except (ValueError, OSError) as exc:
            problems.append((("entrapment", "maintenance_results"), str(exc)))
    if params.mode != "entrapment" and not params.live and \
            all(c in set(params.out_of_service) for c in cars):
        problems.append((("out_of_service",), "every car is out of service: no passenger can travel"))
    for i, e in enumerate(params.live_entrapments):
        if e.car not in cars:
            problems.append((("live_entrapments", i, "car"), f"unknown car {e.car!r}; the building's cars: "
                             f"{', '.join(cars)}"))
        elif e.floor is not None and e.floor not in cars[e.car][1].floors_served:
            problems.append((("live_entrapments", i, "floor"), f"car {e.car} does not serve floor {e.floor!r}"))
    if params.live_car is not None and params.live_car not in cars:
        problems.append((("live_car",), f"unknown car {params.live_car!r}; the building's cars: {', '.join(cars)}"))
    problems += [(("rescue", *where), message) for where, message in rescue_check(params.rescue, building, graph)]
    if params.mode != "entrapment" and not params.live:
        population = params.traffic.population if params.traffic.population is not None else building.total_occupants
        if population <= 0:
            problems.append((("traffic", "population"), "nobody to carry: the building's floors have no occupants; "
                             "give traffic.population"))
    return problems


def _population(params: ElevatorParams, building) -> float:
    if params.traffic.population is not None:
        return float(params.traffic.population)
    return float(building.total_occupants) if building is not None else 2000.0


def cost(params: ElevatorParams, horizon_s: float, building=None) -> ReplicationCost:
    """Events and record rows of one replication (within a factor of two or so)."""
    n_cars = len(_cars(building)) if building is not None else 16
    if params.live:
        return ReplicationCost(events=200.0 * len(params.live_entrapments) + 2000.0,
                               record_rows=10.0 * len(params.live_entrapments) + 10)
    window_h = max(0.0, min(params.traffic.end_h, 24.0) - params.traffic.start_h)
    trips = _population(params, building) * 4.0 * window_h / 24.0
    if params.mode == "power_loss":
        trips = _population(params, building) * 4.0 * params.power_loss.warmup_min / 60.0 / 24.0 * 2 + \
            _population(params, building) * 4.0 * min(horizon_s, DAY_S) / DAY_S / 24.0
    if params.mode == "entrapment":
        n = params.entrapment.rate_per_car_year * n_cars * horizon_s / YEAR_S
        days = horizon_s / DAY_S
        # one day of traffic for the hours (cached), shifts of the roster, the entrapments
        return ReplicationCost(events=40.0 * n + 20.0 * days + 5000.0, record_rows=2.0 * n + 100.0)
    return ReplicationCost(events=15.0 * trips + 50.0 * n_cars + 1000.0, record_rows=2.5 * trips + 100.0)


def advise(params: ElevatorParams, horizon_s: float, building=None) -> list[Text]:
    """Warnings about parameters that are valid but make the run say little or less than it seems."""
    notes: list[Text] = []
    t = params.traffic
    if params.mode == "traffic" and not params.live and params.start_s + horizon_s < t.end_h * HOUR_S:
        notes.append(text(f"the horizon ends before the traffic window ({t.start_h:g}–{t.end_h:g} h): the passengers "
                          "after it are not simulated",
                          f"模拟时长在交通时段（{t.start_h:g}–{t.end_h:g} 时）结束前截止：之后的乘客未被模拟"))
    if params.mode in ("traffic", "power_loss") and not params.live and building is not None and \
            not any(s.kind == "office" for s in building.spaces):
        notes.append(text(f"the traffic targets (HC5 ≥ 12 %, average wait ≤ 30 s) are BCO's for offices; this building "
                          f"is {building.use}: read their verdicts as a comparison, not a requirement",
                          f"交通目标（HC5 ≥ 12%、平均候梯 ≤ 30 秒）是 BCO 针对办公建筑的；本建筑为 {building.use}："
                          "其判定结果仅供比较，不是要求"))
    if params.mode == "entrapment" and not params.live:
        n_cars = len(_cars(building)) if building is not None else 0
        expected = params.entrapment.rate_per_car_year * max(0, n_cars - len(params.out_of_service)) * \
            horizon_s / YEAR_S
        if expected < 1.0:
            notes.append(text(f"about {expected:.2f} entrapments are expected in each replication: many have none, and "
                              "the rescue figures come from those that have one — run many replications (or a longer "
                              "horizon)",
                              f"每次重复预计约 {expected:.2f} 次困人：许多重复没有困人，救援指标仅来自有困人的重复——请增加重复次数"
                              "（或延长模拟时长）"))
    if params.mode == "power_loss" and not params.live:
        t_loss = params.power_loss.day * DAY_S + params.power_loss.at_h * HOUR_S
        if t_loss >= params.start_s + horizon_s:
            notes.append(text("the power loss is after the horizon: nothing stops",
                              "停电时刻晚于模拟结束：没有电梯停止"))
        elif t_loss <= params.start_s:
            notes.append(text("the power loss is at or before the start (start_s): no passenger is aboard yet, nobody "
                              "is trapped", "停电时刻不晚于模拟开始（start_s）：轿厢内尚无乘客，无人被困"))
        if building is not None and params.power_loss.generator:
            cars = set(_cars(building)) - set(params.out_of_service)
            if cars and cars <= generator_fed_cars(building):
                notes.append(text("the generator feeds every car: none stops when the mains fail",
                                  "发电机为所有电梯供电：市电中断时没有电梯停止"))
    if params.mode == "traffic" and params.live_entrapments:
        notes.append(text("live_entrapments are rescued only in mode entrapment or power_loss: this traffic run "
                          "ignores them", "live_entrapments 仅在 entrapment 或 power_loss 模式下救援：本次交通模拟忽略它们"))
    if params.mode != "traffic" and params.live_car and not params.live_entrapments:
        notes.append(text(f"the alarm's car {params.live_car} is not reported trapped in the snapshot",
                          f"告警轿厢 {params.live_car} 在快照中未报告困人"))
    return notes


def review(results: Sequence[ReplicationResult]) -> dict[str, Text]:
    """``no_entrapments`` when no replication had anyone trapped (a rescue run that tested nothing)."""
    counted = [r.kpis.get("entrapments") for r in results if "entrapments" in r.kpis]
    if counted and all(v == 0 for v in counted):
        return {"no_entrapments": text(
            "no entrapment in any replication: the rescue figures are not applicable — run longer, more replications "
            "or a higher rate",
            "所有重复中均无困人：救援指标不适用——请延长模拟时长、增加重复次数或提高困人率")}
    return {}


# --- from a live snapshot -------------------------------------------------------------------------

def _alarm_get(alarm, name: str):
    return alarm.get(name) if isinstance(alarm, dict) else getattr(alarm, name, None)


def from_live(params: ElevatorParams, cond: LiveConditions, building) -> tuple[ElevatorParams, list[Text]]:
    """The rescue forecast from the live twin: the cars with people trapped now — each car with an
    open entrapment alarm (its event, or the twin's ``lift-possible-entrapment`` rule), the alarm's
    own car (``live_car``), and with the mains lost every car not fed by the generator stopped
    outside a door zone with load aboard — with their persons (``load_kg`` / 75 kg, at least one),
    nearest floor and how long they have been trapped; the run starts at the building's local time,
    so the shift on duty and the contractor's response are this hour's. Several cars stopped by a
    power loss are forecast together (``mode: power_loss``). Cars the twin reports out of service
    and not trapped are out of service for the run."""
    cars = _cars(building)
    notes: list[Text] = []
    live_cars = getattr(cond, "cars", {}) or {}
    taken_ms = cond.taken_at.timestamp() * 1000.0 if cond.taken_at is not None else None
    trapped: dict[str, float | None] = {}  # car -> seconds trapped before the snapshot (None: unknown)

    def note_age(car: str, raised) -> None:
        age = None
        if raised is not None and taken_ms is not None:
            age = max(0.0, (taken_ms - float(raised)) / 1000.0)
        if car not in trapped or trapped[car] is None or (age is not None and age > trapped[car]):
            trapped[car] = age

    for alarm in cond.open_alarms:
        rule = str(_alarm_get(alarm, "rule") or "")
        device = _alarm_get(alarm, "device")
        if rule in ENTRAPMENT_RULES and device in cars and _alarm_get(alarm, "active") is not False:
            note_age(device, _alarm_get(alarm, "first_raised_ms") or _alarm_get(alarm, "raised_ms"))
    if params.live_car is not None and params.live_car in cars and params.live_car not in trapped:
        trapped[params.live_car] = None
    if params.live_car is not None and params.live_car not in cars:
        notes.append(text(f"the alarm's device {params.live_car} is not a lift car of the building",
                          f"告警设备 {params.live_car} 不是本建筑的电梯轿厢"))
    fed = cond.backup_fed
    if cond.mains_lost:
        for car, state in live_cars.items():
            if car in cars and car not in fed and car not in trapped and _stuck_with_load(state):
                trapped[car] = None
    data = params.model_dump()
    if trapped:
        entries = []
        load_unknown = []
        for car in sorted(trapped):
            state = live_cars.get(car)
            load = _num(_state(state, "load_kg"))
            persons = max(1, int(round(load / PERSON_KG))) if load is not None and load > 0 else 1
            if load is None:
                load_unknown.append(car)
            floor = _state(state, "floor")
            floor = floor if floor in cars[car][1].floors_served else None
            in_zone = _state(state, "in_door_zone")
            door = _state(state, "door")
            between = not (in_zone is True) if in_zone is not None else door != "open"
            cause = "power_loss" if (cond.mains_lost and car not in fed) or _state(state, "mode") == "power_loss" \
                else "other"
            entries.append({"car": car, "persons": persons, "floor": floor, "between_floors": between,
                            "age_s": min(trapped[car] or 0.0, 7 * DAY_S), "detected": True, "cause": cause})
        data["live_entrapments"] = entries
        several_power = sum(1 for e in entries if e["cause"] == "power_loss") > 1
        data["mode"] = "power_loss" if several_power else "entrapment"
        listed = ", ".join(f"{e['car']} ({e['persons']} aboard{', between floors' if e['between_floors'] else ''})"
                           for e in entries)
        listed_zh = "，".join(f"{e['car']}（{e['persons']} 人{'，停在两层之间' if e['between_floors'] else ''}）"
                              for e in entries)
        notes.append(text(f"{len(entries)} car(s) with people trapped now, rescued from the snapshot: {listed}",
                          f"当前有 {len(entries)} 台轿厢困人，自快照时刻起救援：{listed_zh}"))
        if load_unknown:
            notes.append(text(f"no load reported by {', '.join(load_unknown)}: one person assumed aboard",
                              f"{'、'.join(load_unknown)} 未报告载重：假定轿厢内 1 人"))
        if cond.mains_lost:
            notes.append(text("the mains are lost: the cars not fed by the generator are stopped; rescues compete for "
                              "the same rescuers", "市电中断：未由发电机供电的电梯均已停止；多起救援争用同一批救援人员"))
    else:
        notes.append(text("no car is reported with people trapped in the snapshot: nothing to rescue from now",
                          "快照中没有轿厢报告困人：当前无需救援"))
        data["live_entrapments"] = []
    out = [c for c in cond.lifts_out if c in cars and c not in trapped and c not in data["out_of_service"]]
    if out:
        data["out_of_service"] = list(data["out_of_service"]) + out
        notes.append(text(f"{len(out)} car(s) out of service: {', '.join(out)}",
                          f"{len(out)} 台轿厢停用：{'、'.join(out)}"))
    local = local_start(cond, building)
    if local is not None:
        data["start_date"] = local.date()
        data["start_s"] = float(local.hour * 3600 + local.minute * 60 + local.second)
        notes.append(text(f"starts at the building's local time {local:%Y-%m-%d %H:%M} (the shift on duty and the "
                          "contractor's response at this hour)",
                          f"从建筑当地时间 {local:%Y-%m-%d %H:%M} 开始（当前当班人员及该时段维保单位响应）"))
    return ElevatorParams.model_validate(data), notes


def _state(state, name: str):
    if state is None:
        return None
    if isinstance(state, dict):
        return state.get(name)
    return getattr(state, name, None)


def _num(v) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _stuck_with_load(state) -> bool:
    """A car stopped outside a door zone with load aboard (the twin's possible-entrapment condition)."""
    load = _num(_state(state, "load_kg"))
    return load is not None and load > 0 and _state(state, "in_door_zone") is False and \
        _state(state, "motion") != "moving"
