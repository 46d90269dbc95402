"""The operations model's mechanisms, one at a time, on a small generated tower (issue 12).

Each test sets up only what it shows — a few staff, a few scripted orders (``open_orders`` with
``at_s`` and fixed repair times), one round — on a four-storey, one-core tower from
:func:`twin.generate.residential_tower` (12 apartments, two lifts, a basement of plant rooms), and
checks the records: skills matched, emergencies first, preemption, overtime when a shift ends
mid-job, contractor call-out, a stock-out's wait, escalation, return visits, a patrol walked over
the floor graph, callers hanging up, a roster's coverage gap, bad input named with its value, the
start from the live twin. The last tests run the sample tower's whole estate for a year and check
every record table's columns (the contract in SESSION11.md). Times are exact unless a tolerance is
given; none of these is a statistical figure (the verification against queueing theory is
``tests/test_operations_verification.py``).
"""

from __future__ import annotations

import copy
import math
from datetime import datetime, timezone

import networkx as nx
import numpy as np
import pytest
import simpy

from models import get_model
from models.harness import ModelContext
from models.live import LiveConditions
from models.operations import SPEC, OperationsParams
from models.operations.model import check, cost, equipment_items, from_live
from models.travel import travel_table
from models.staff import BUILTIN_PATTERNS, Calendar, Post, Roster, coverage_gaps, pay
from scenarios.spec import building_and_graph, parse_scenario
from twin.errors import SpecError
from twin.generate import residential_tower
from twin.graph import build_graph
from twin.loader import parse_building

H = 3600.0
MIN = 60.0
DAY = 86400.0


@pytest.fixture(scope="module")
def mini():
    building = parse_building(residential_tower(building_id="mini", floors=4, units_per_floor=4, cores=1,
                                                lifts_per_core=2, basement_levels=1))
    return building, build_graph(building)


BASE = {"requests": [], "failures": [], "pm": [], "cleaning": [], "patrols": [], "parts": [], "holidays": [],
        "desk": {"calls_per_apartment_month": 0.0}, "return_visits": {"share": 0.0},
        "escalation": {"enabled": False}, "contractor": {"enabled": False}, "groups": []}


def group(gid: str, skills, count: int = 1, pattern: str = "always", role: str = "technician", base=None,
          wage: float = 40.0) -> dict:
    return {"id": gid, "role": role, "skills": list(skills), "count": count, "pattern": pattern, "base": base,
            "wage_cny_per_h": wage}


def order(at_min: float, priority: str = "ordinary", minutes: float = 30.0, skill: str = "general",
          location: str | None = None, **extra) -> dict:
    return {"at_s": at_min * MIN, "priority": priority, "repair_mean_min": minutes, "repair_dist": "fixed",
            "skill": skill, "location": location, "category": "plumbing", **extra}


def params(**over) -> OperationsParams:
    data = copy.deepcopy(BASE)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return OperationsParams.model_validate(data)


def run(p: OperationsParams, building, graph, horizon_s: float = DAY, seed: int = 1):
    assert not check(p, building, graph), check(p, building, graph)
    ctx = ModelContext(env=simpy.Environment(), rng=np.random.default_rng(seed), building=building, graph=graph,
                       params=p, horizon_s=horizon_s)
    return SPEC.run(ctx)


def orders_of(result) -> list[dict]:
    return sorted(result.records["work_orders"], key=lambda r: (r["reported_s"], r["order"]))


# --- staff, skills, priorities --------------------------------------------------------------------

def test_a_job_goes_to_a_person_with_its_skill_not_the_nearest(mini):
    """issue 12 item 4: skill matching — a plumbing order goes to the plumber in the basement, not
    the electrician standing at the flat; an order of a skill nobody has waits, undispatched."""
    b, g = mini
    p = params(groups=[group("elec", ["electrical"], base="F04-C1-A01"), group("plumb", ["plumbing"], base="B1-PMP")],
               open_orders=[order(0, skill="plumbing", location="F04-C1-A01"),
                            order(0, skill="hvac", location="F04-C1-A02")])
    rows = orders_of(run(p, b, g))
    plumbing, hvac = (next(r for r in rows if r["skill"] == s) for s in ("plumbing", "hvac"))
    assert plumbing["assignee"] == "plumb-1" and plumbing["travel_s"] > 0
    assert hvac["assignee"] == "" and math.isnan(hvac["dispatched_s"])


def test_travel_time_is_the_walk_over_the_floor_graph_with_lifts(mini):
    """issue 12 item 2: the time to the job is the shortest trip over the floor graph — by lift
    (wait, doors, start/stop, ride) when that is quicker than the stairs — from the person's base."""
    b, g = mini
    p = params(groups=[group("tech", ["general"], base="F01-C1-MGT")], open_orders=[order(0, location="F04-C1-A03")])
    row = orders_of(run(p, b, g))[0]
    table = travel_table(b, g, walk_mps=1.2, stair_mps=0.5, use_lifts=True, lift_wait_s=30.0)
    expected = table.time(table.node("F01-C1-MGT"), table.node("F04-C1-A03"))
    assert row["travel_s"] == pytest.approx(expected, abs=1e-9)
    assert row["arrived_s"] == pytest.approx(row["reported_s"] + expected, abs=1e-9)
    stairs_only = travel_table(b, g, walk_mps=1.2, stair_mps=0.5, use_lifts=False, lift_wait_s=30.0)
    assert any(n.startswith("LG") or "@" in n for n in table.path(table.node("F01-C1-MGT"),
                                                                   table.node("F04-C1-A03"))) or \
        expected <= stairs_only.time(stairs_only.node("F01-C1-MGT"), stairs_only.node("F04-C1-A03"))


def test_emergency_first_then_by_report_time(mini):
    """issue 12 item 4: priority dispatch — the technician busy on A (60 min) takes the emergency C
    (reported at 10 min) before the ordinary B (reported at 5 min)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"])],
               open_orders=[order(0, minutes=60), order(5, minutes=10), order(10, "emergency", minutes=10)])
    a, bb, c = orders_of(run(p, b, g))
    assert (a["dispatched_s"], c["dispatched_s"], bb["dispatched_s"]) == (0.0, 60 * MIN, 70 * MIN)
    assert c["within_sla"] == 0.0 and c["arrived_s"] - c["reported_s"] == 50 * MIN
    assert not any(r["preempted"] for r in (a, bb, c))


def test_preemption_takes_the_technician_off_an_ordinary_job(mini):
    """issue 12 item 4: optional preemption — the emergency is attended at once; the ordinary job A
    is interrupted and finished later with its remaining 50 min (completed at 10 + 10 + 50 min)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"])], preemption=True,
               open_orders=[order(0, minutes=60), order(5, minutes=10), order(10, "emergency", minutes=10)])
    a, bb, c = orders_of(run(p, b, g))
    assert c["arrived_s"] == 10 * MIN and c["within_sla"] == 1.0
    assert a["preempted"] and a["completed_s"] == pytest.approx(70 * MIN)
    assert bb["dispatched_s"] == pytest.approx(70 * MIN) and not bb["preempted"]


def test_a_shift_ending_mid_job_is_overtime_paid_at_150_percent(mini):
    """issue 12 item 1/4: the day shift ends at 17:00 (Monday 4 Jan 2027); a 60 min job started at
    16:30 is finished at 17:30 — 30 min of overtime on the order and on the shift, paid by
    models.staff.pay (Labour Law art. 44: 150 %). The 60 min lunch break is taken at 12:00."""
    b, g = mini
    p = params(groups=[group("tech", ["general"], pattern="day", wage=40.0)],
               open_orders=[order(16.5 * 60, minutes=60)])
    result = run(p, b, g)
    wo = orders_of(result)[0]
    assert wo["completed_s"] == 17.5 * H and wo["overtime_s"] == 30 * MIN
    shift = next(r for r in result.records["staff_time"] if r["start_s"] == 8 * H)
    assert shift["overtime_s"] == 30 * MIN and shift["overtime_h"] == pytest.approx(0.5)
    assert shift["overtime_cny"] == pytest.approx(0.5 * 40.0 * 1.5)
    assert shift["break_s"] == 60 * MIN and shift["working_s"] == 60 * MIN
    assert result.kpis["overtime_h_technician"] == pytest.approx(0.5)


def test_breaks_wait_for_the_job_in_hand(mini):
    """issue 12 item 1: a job running over 12:00 delays the break (taken in full after it)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"], pattern="day")], open_orders=[order(11.5 * 60, minutes=60),
                                                                               order(12.6 * 60, minutes=5)])
    first, second = orders_of(run(p, b, g))
    assert first["completed_s"] == 12.5 * H
    assert second["dispatched_s"] == 13.5 * H  # after the full hour's break from 12:30


# --- contractor, parts, escalation, return visits ------------------------------------------------

def test_contractor_called_for_a_skill_nobody_on_shift_has(mini):
    """issue 12 item 4: call-out when no skilled person could be on site within the promise — the
    lift company (fee 300 CNY, labour per hour on site, response about 12 min for lifts)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"])], contractor={"enabled": True, "skills": ["lift"]},
               open_orders=[order(0, "emergency", minutes=60, skill="lift", location="F01-C1-LL")])
    wo = orders_of(run(p, b, g))[0]
    assert wo["contractor"] and wo["assignee"] == "contractor" and wo["callout_fee_cny"] == 300.0
    assert 0 < wo["arrived_s"] - wo["reported_s"] < 60 * MIN
    assert wo["contractor_labour_cny"] == pytest.approx(150.0)
    assert wo["completed_s"] == pytest.approx(wo["arrived_s"] + H)


def test_contractor_called_when_staff_would_be_late_or_the_backlog_is_long(mini):
    """issue 12 item 4: the one technician is busy for 3 h — an emergency cannot be attended within
    30 min, so it goes to the contractor; ordinary orders wait until the backlog threshold (3)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"])],
               contractor={"enabled": True, "skills": ["general"], "backlog_threshold": 3, "when_late": False},
               open_orders=[order(0, minutes=180), order(1), order(2), order(3), order(4)])
    rows = orders_of(run(p, b, g))
    assert [r["contractor"] for r in rows] == [False, False, False, True, True]
    p = params(groups=[group("tech", ["general"])], contractor={"enabled": True, "skills": ["general"]},
               open_orders=[order(0, minutes=180), order(10, "emergency", minutes=20)])
    first, emergency = orders_of(run(p, b, g))
    assert not first["contractor"] and emergency["contractor"]


def test_a_stockout_makes_the_order_wait_for_the_delivery_visibly(mini):
    """issue 12 item 4: a part out of stock — the order waits the lead time (1 day: parts_wait_s),
    the part is reordered at once and used on delivery; the technician does other work meanwhile;
    the backlog records show the order waiting for parts."""
    b, g = mini
    p = params(groups=[group("tech", ["general"], base="F01-C1-MGT")],
               parts=[{"id": "valve", "stock": 0, "reorder_point": 0, "order_quantity": 2, "lead_time_days": 1.0,
                       "cost_cny": 60.0}],
               open_orders=[order(0, minutes=30, location="F02-C1-A01", part="valve"),
                            order(60, minutes=20, location="F03-C1-A02")])
    result = run(p, b, g, horizon_s=2 * DAY)
    first, second = orders_of(result)
    assert first["parts_wait_s"] == pytest.approx(DAY)
    assert first["parts_cost_cny"] == 60.0
    assert first["completed_s"] > first["arrived_s"] + DAY
    assert second["completed_s"] < DAY  # the technician was not held by the waiting order
    events = [(e["event"], e["stock"]) for e in result.records["parts"]]
    assert events[:2] == [("stockout", 0), ("reorder", 0)] and ("received", 2) in events and ("used", 1) in events
    waiting = {round(r["t_s"] / H): r["waiting_parts"] for r in result.records["backlog"]}
    assert waiting[6] == 1 and waiting[30] == 0
    assert result.kpis["stockouts"] == 1 and result.kpis["parts_wait_h"] == pytest.approx(24.0)


def test_the_supervisor_escalates_an_order_not_on_site_in_time(mini):
    """issue 12 item 4: escalation — an ordinary order still waiting after 75 % of its 2 h promise is
    escalated and goes to the head of the queue (before an earlier ordinary order)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"])], escalation={"enabled": True, "after_share": 0.75},
               open_orders=[order(0, minutes=240), order(1, minutes=10), order(2, minutes=10)])
    a, first, second = orders_of(run(p, b, g))
    assert not a["escalated"] and first["escalated"] and second["escalated"]
    assert first["dispatched_s"] == 240 * MIN and second["dispatched_s"] == 250 * MIN
    p = params(groups=[group("tech", ["general"])], escalation={"enabled": True, "after_share": 0.75},
               open_orders=[order(0, "emergency", minutes=60), order(0, minutes=10), order(20, "emergency", minutes=5)])
    rows = orders_of(run(p, b, g))
    late_emergency = next(r for r in rows if r["reported_s"] == 20 * MIN)
    assert late_emergency["escalated"] and not rows[0]["escalated"]


def test_every_repaired_request_is_visited_back(mini):
    """issue 12 item 4: return visit — each completed request is followed up a day later by a
    service agent, by phone (no place, no travel)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"]), group("desk", ["service"], role="agent")],
               requests=[{"category": "plumbing", "priority": "ordinary", "per_h": 0.5, "skill": "general",
                          "repair_mean_min": 20, "profile": "flat"}],
               return_visits={"share": 1.0, "delay_h": 24.0, "duration_min": 5.0})
    rows = run(p, b, g, horizon_s=4 * DAY).records["work_orders"]
    requests = [r for r in rows if r["source"] == "request" and r["completed_s"] < 3 * DAY]
    visits = {r["reported_s"]: r for r in rows if r["source"] == "return_visit"}
    assert len(requests) > 5
    for r in requests:
        v = visits[r["completed_s"] + DAY]
        assert v["assignee"].startswith("desk-") and v["location"] == "" and v["travel_s"] == 0.0
        assert v["priority"] == "planned" and math.isnan(v["within_sla"])


# --- rounds and the desk -------------------------------------------------------------------------

def test_a_patrol_walks_its_route_over_the_floor_graph(mini):
    """issue 12 item 2/3: the guard walks checkpoint to checkpoint along shortest paths of the floor
    graph (doors at walking speed, stairs at stair speed; lifts off here) and stops 1 min at each:
    the round takes exactly that, computed here independently with networkx."""
    b, g = mini
    route = ["B1-PMP", "F01-C1-LOB", "F04-C1-LL", "F02-C1-A01"]
    p = params(groups=[group("guard", ["security"], role="guard", base="F01-C1-MGT")],
               travel={"use_lifts": False},
               patrols=[{"id": "night", "route": route, "times_h": [1.0], "dwell_min": 1.0}])
    result = run(p, b, g)
    rnd = result.records["patrols"][0]
    weight = {}
    walk = nx.Graph()
    for u, v, d in g.edges(data=True):
        if d["kind"] == "lift":
            continue
        w = d["length_m"] / (0.5 if d["kind"] == "stair" else 1.2)
        if w < weight.get((u, v), math.inf):
            weight[(u, v)] = weight[(v, u)] = w
            walk.add_edge(u, v, w=w)
    legs = sum(nx.shortest_path_length(walk, a, c, weight="w") for a, c in zip(route, route[1:]))
    assert rnd["completed_s"] - rnd["started_s"] == pytest.approx(legs + 4 * MIN, rel=1e-12)
    to_first = nx.shortest_path_length(walk, "F01-C1-MGT", "B1-PMP", weight="w")
    assert rnd["started_s"] - rnd["scheduled_s"] == pytest.approx(to_first, rel=1e-12)
    assert rnd["on_time"] == 1.0 and rnd["missed"] == 0 and rnd["checkpoints"] == 4
    assert result.kpis["patrols_on_time"] == 1.0


def test_a_round_not_started_before_it_is_due_again_is_missed(mini):
    """issue 12 item 3/5: with no guard on shift at night, a night round still waiting when it is due
    again is missed, every checkpoint counted (one due at 05:00 is walked late at 08:00); the
    cleaning zone is split into rounds a cleaner can do."""
    b, g = mini
    p = params(groups=[group("guard", ["security"], role="guard", pattern="day"),
                       group("clean", ["cleaning"], role="cleaner", pattern="day", count=2)],
               patrols=[{"id": "r", "route_kinds": ["plant_room"], "times_h": [2.0, 5.0, 10.0, 20.0]}],
               cleaning=[{"zone": "stairs", "space_kinds": ["stair"], "times_h": [9.0], "minutes_per_space": 10,
                          "max_round_min": 60}])
    result = run(p, b, g, horizon_s=2 * DAY)
    day1 = [r for r in result.records["patrols"] if r["scheduled_s"] < DAY]
    # 02:00 given up at 05:00; 05:00 walked late when the guard comes at 08:00; 10:00 on time; 20:00 missed
    assert [(r["on_time"], r["missed"]) for r in day1] == [(0.0, 5), (0.0, 0), (1.0, 0), (0.0, 5)]
    cleaning = result.records["cleaning"]
    assert len({(r["scheduled_s"], r["round"]) for r in cleaning}) == len(cleaning) >= 4
    assert all(r["done"] == 1.0 for r in cleaning if r["scheduled_s"] < DAY)
    assert result.kpis["checkpoints_missed"] >= 10


def test_callers_hang_up_when_their_patience_runs_out(mini):
    """issue 12 item 3: the service desk — one agent, 30 calls an hour of 4 min: many callers hang
    up after their (exponential) patience; an abandoned call is never answered and its wait is its
    patience; answered calls waited less than a minute on average here."""
    b, g = mini
    p = params(groups=[group("desk", ["service"], role="agent")],
               desk={"calls_per_apartment_month": 0.0, "calls_per_h": 30.0, "profile": "flat", "handle_mean_min": 4.0,
                     "patience_mean_min": 1.0})
    result = run(p, b, g)
    calls = result.records["service_calls"]
    gone = [c for c in calls if c["abandoned"]]
    assert len(calls) > 500 and 0.3 < len(gone) / len(calls) < 0.9
    assert all(math.isnan(c["answered_s"]) and c["agent"] == "" and c["wait_s"] > 0 for c in gone)
    answered = [c for c in calls if not c["abandoned"] and c["answered_s"] == c["answered_s"]]
    assert all(c["wait_s"] >= 0 and c["agent"] == "desk-1" for c in answered)
    assert result.kpis["desk_abandoned"] == pytest.approx(len(gone) / sum(1 for c in calls if c["wait_s"] ==
                                                                           c["wait_s"]))


# --- roster coverage ------------------------------------------------------------------------------

def test_an_uncovered_post_is_a_warning_and_a_kpi(mini):
    """issue 12 item 1/5: a 24/7 gate post manned from two guards on the four-crew two-shift roster
    leaves hours uncovered: the coverage-gap KPI is models.staff.coverage_gaps' hours exactly, and
    advise() names the gap."""
    b, g = mini
    guards = group("guard", ["security"], count=2, pattern="two_shift", role="guard")
    p = params(groups=[guards], posts=[{"id": "gate", "role": "guard", "location": "F01-C1-LOB"}])
    result = run(p, b, g, horizon_s=4 * DAY)
    roster = Roster(p.groups, BUILTIN_PATTERNS, Calendar(p.start_date, p.holidays))
    gaps = coverage_gaps(roster, [Post(id="gate", role="guard")], BUILTIN_PATTERNS, 4 * DAY)
    assert result.kpis["coverage_gap_h"] == pytest.approx(sum(gp.hours for gp in gaps)) and gaps
    warnings = SPEC.advise(p, 4 * DAY, b)
    assert any("coverage gap" in w["en"] and "gate" in w["en"] and "排班缺口" in w["zh-CN"] for w in warnings)
    # the relief head count of a 24/7 post (REFERENCES "Staffing": 4.2 before leave, 4.5–5 with leave,
    # holidays, training and sickness — no public holidays in these parameters) against the roster's 2
    post = result.records["posts"][0]
    assert post["hours_needed_h"] == pytest.approx(8760.0) and 4.2 < post["required_head_count"] <= 5.0
    assert post["rostered_of_role"] == 2 and post["uncovered_h"] == pytest.approx(result.kpis["coverage_gap_h"])
    assert any("need 5 persons" in w["en"] for w in warnings)
    p = params(groups=[{**guards, "count": 5}], posts=[{"id": "gate", "role": "guard"}])
    assert run(p, b, g, horizon_s=4 * DAY).kpis["coverage_gap_h"] == 0.0
    assert not SPEC.advise(p, 4 * DAY, b)


# --- equipment -----------------------------------------------------------------------------------

def test_age_replacement_renews_the_item_at_age_t(mini):
    """issue 12 item 3: PM with the age policy happens when an item reaches age T since its last
    renewal (a failure's repair or a PM), and renews it: every PM at age T (+ travel and the 5 min
    job), every failure before it; costs per PM and per failure are in the equipment events."""
    b, g = mini
    p = params(groups=[group("tech", ["plumbing"], count=3)],
               failures=[{"kind": "domestic_booster_pump", "weibull_shape": 2.5, "weibull_scale_days": 40.0,
                          "initial_age_days": 0.0, "skill": "plumbing", "repair_mean_min": 5, "repair_dist": "fixed",
                          "failure_cost_cny": 5.0}],
               pm=[{"kind": "domestic_booster_pump", "policy": "age", "interval_days": 20.0, "duration_min": 5.0,
                    "skill": "plumbing", "cost_cny": 1.0}])
    result = run(p, b, g, horizon_s=400 * DAY)
    events = result.records["equipment_events"]
    pms = [e for e in events if e["event"] == "pm"]
    fails = [e for e in events if e["event"] == "failure"]
    assert len(pms) > 10 and len(fails) > 2
    assert all(480.0 < e["age_h"] < 480.0 + 0.5 for e in pms)
    assert all(e["age_h"] < 480.0 + 0.5 for e in fails)
    assert {e["cost_cny"] for e in pms} == {1.0} and {e["cost_cny"] for e in fails} == {5.0}
    assert {e["equipment"] for e in events} == {"PMP-DOM-Z1-1", "PMP-DOM-Z1-2"}


def test_calendar_pm_is_spread_over_the_interval_and_counted_for_compliance(mini):
    """issue 12 item 3/5: calendar PM of the two lift cars every 15 days, staggered; done in its
    window by the lift technician, so compliance is 1."""
    b, g = mini
    p = params(groups=[group("lift", ["lift"])],
               pm=[{"kind": "lift_car", "interval_days": 15, "duration_min": 120, "skill": "lift", "window_days": 2}])
    result = run(p, b, g, horizon_s=60 * DAY)
    pms = [r for r in result.records["work_orders"] if r["source"] == "pm"]
    assert sorted(r["reported_s"] / DAY for r in pms) == [3.75, 11.25, 18.75, 26.25, 33.75, 41.25, 48.75, 56.25]
    assert result.kpis["pm_compliance"] == 1.0


# --- bad input, live start -------------------------------------------------------------------------

def _scenario(params_: dict) -> dict:
    return {"name": "ops-bad", "model": "operations", "building": "tower", "horizon_s": 86400, "params": params_}


@pytest.mark.parametrize("bad, where, value", [
    ({"groups": [group("tech", ["general"], wage=-5.0)]}, "params.groups[0] 'tech'.wage_cny_per_h", "-5"),
    ({"groups": [group("tech", ["welding"])]}, "params.groups[0] 'tech'.skills", "welding"),
    ({"groups": [{**group("tech", ["general"]), "role": "plumber"}]}, "params.groups[0] 'tech'.role", "plumber"),
    ({"groups": [group("tech", ["general"], pattern="four_on")]}, "groups[0] (tech): unknown shift pattern", "four_on"),
    ({"sla": {"target_share": 1.5}}, "params.sla.target_share", "1.5"),
    ({"budget": {"collection_rate": 1.2}}, "params.budget.collection_rate", "1.2"),
    ({"requests": [{"category": "plumbing", "priority": "ordinary", "per_apartment_month": -0.1}]},
     "params.requests[0].per_apartment_month", "-0.1"),
    ({"pm": [{"kind": "escalator", "interval_days": 30}]}, "params.pm[0].kind", "escalator"),
    ({"groups": [group("tech", ["general"], base="F99-NOWHERE")]}, "params.groups[0] 'tech'.base", "F99-NOWHERE"),
    ({"patrols": [{"id": "p", "route": ["F01-C1-LOB", "NO-SUCH"]}]}, "params.patrols[0] 'p'.route[1]", "NO-SUCH"),
    ({"posts": [{"id": "gate", "role": "guard", "location": "GATE-X"}]}, "params.posts[0] 'gate'.location", "GATE-X"),
    ({"out_of_service": ["PUMP-42"]}, "params.out_of_service[0]", "PUMP-42"),
    ({"cleaning": [{"zone": "z", "space_kinds": ["atrium"]}]}, "params.cleaning[0]", "atrium"),
    ({"patterns": {"long": {"id": "long", "shifts": [{"id": "a", "start_h": 8, "hours": 12},
                                                     {"id": "b", "start_h": 16, "hours": 8}],
                            "cycle": [["a", "b"]]}}}, "params.patterns.long", "overlaps shift 'b'"),
    ({"desk": {"patience_mean_min": -1}}, "params.desk.patience_mean_min", "-1"),
    ({"cleaning": [{"zone": "z", "space_kinds": ["lobby"], "times_h": [25]}]}, "params.cleaning[0]", "25"),
    ({"requests": [{"category": "plumbing", "priority": "ordinary", "part": "gasket", "part_probability": 0.5}]},
     "requests[0]: unknown part", "gasket"),
])
def test_bad_input_is_refused_before_any_run_naming_file_field_and_value(bad, where, value):
    """issue 12 "Bad input": each mistake is a SpecError naming the file, the field and the value."""
    with pytest.raises(SpecError) as info:
        parse_scenario(_scenario(bad), "ops-bad.yaml")
    message = str(info.value)
    assert "ops-bad.yaml" in message and where in message and value in message, message


def test_from_live_opens_orders_takes_items_out_and_starts_at_local_time(mini):
    """issue 12 item 9: the live twin's open alarm on a lift car becomes an emergency order at it, a
    pump out of service is a failure at the start, and the run starts at the building's local time
    (21:30 on Wed 10 Mar 2027): the day-shift plumber takes the pump at 08:00 next morning."""
    b, g = mini
    p = params(groups=[group("plumb", ["plumbing", "lift"], pattern="day")],
               failures=[{"kind": "domestic_booster_pump", "skill": "plumbing", "repair_mean_min": 60,
                          "repair_dist": "fixed"}])
    taken = datetime(2027, 3, 10, 13, 30, tzinfo=timezone.utc)  # 21:30 in Shanghai
    cond = LiveConditions(taken_at=taken, time_of_day_s=0.0, weekday=2, out_of_service=("PMP-DOM-Z1-1",),
                          open_alarms=({"device": "L-C1-2", "severity": "critical", "rule": "threshold:fault",
                                        "first_raised_ms": taken.timestamp() * 1000 - 600_000},
                                       {"device": "FAP-1", "severity": "critical", "rule": "event:fire_alarm"}))
    live, notes = from_live(p, cond, b)
    assert live.start_date.isoformat() == "2027-03-10" and live.start_s == 21.5 * H
    assert live.out_of_service == ["PMP-DOM-Z1-1"]
    assert [(o.equipment, o.priority, o.skill, o.age_s) for o in live.open_orders] == \
        [("L-C1-2", "emergency", "general", 600.0)]  # raised 10 min ago; the fire alarm is not a repair
    assert any("21:30" in n["en"] for n in notes) and any("1 emergency" in n["en"] for n in notes)
    result = run(live, b, g)
    pump = next(r for r in result.records["work_orders"] if r["equipment"] == "PMP-DOM-Z1-1")
    assert pump["source"] == "failure" and pump["reported_s"] == 21.5 * H
    assert pump["dispatched_s"] == DAY + 8 * H and pump["assignee"] == "plumb-1"
    assert result.records["equipment_events"][0]["event"] == "failure"


# --- the whole estate ----------------------------------------------------------------------------

CONTRACT = {
    "work_orders": {"order", "source", "category", "priority", "location", "equipment", "skill", "reported_s",
                    "dispatched_s", "arrived_s", "parts_wait_s", "started_s", "completed_s", "travel_s", "repair_s",
                    "assignee", "contractor", "callout_fee_cny", "contractor_labour_cny", "parts_cost_cny",
                    "overtime_s", "sla_min", "within_sla", "escalated", "preempted"},
    "staff_time": {"person", "group", "role", "shift", "start_s", "end_s", "working_s", "travelling_s", "idle_s",
                   "break_s", "overtime_s", "night_h", "rest_day", "holiday", "absent", "wage_cny_per_h", "regular_h",
                   "overtime_h", "regular_cny", "overtime_cny", "premium_cny"},
    "equipment_events": {"equipment", "kind", "event", "t_s", "age_h", "cost_cny"},
    "patrols": {"round", "route", "person", "scheduled_s", "started_s", "completed_s", "checkpoints", "missed",
                "on_time"},
    "cleaning": {"zone", "round", "scheduled_s", "started_s", "completed_s", "person", "done"},
    "service_calls": {"call", "arrived_s", "answered_s", "wait_s", "abandoned", "agent", "handle_s"},
    "backlog": {"t_s", "t_d", "open_orders", "waiting_parts"},
    "parts": {"part", "t_s", "event", "stock"},
    "budget_lines": {"line", "category", "month", "driver", "quantity", "unit", "rate_cny", "amount_cny"},
    "reliability": {"kind", "items", "failures", "operating_h", "mtbf_h", "mttr_h", "pm_done", "pm_due",
                    "pm_compliance"},
    "staff_timeline": {"person", "role", "activity", "start_s", "end_s", "hours"},
    "sla_by_hour": {"hour", "orders", "within_sla", "emergency_within_sla", "ordinary_within_sla"},
    "cost_by_month": {"month", "cost_cny"},
}


class CountingEnvironment(simpy.Environment):
    """A SimPy environment that counts the events it processes."""

    events = 0

    def step(self) -> None:
        self.events += 1
        super().step()


@pytest.fixture(scope="module")
def tower_year():
    b, g = building_and_graph("tower")
    p = OperationsParams()
    ctx = ModelContext(env=CountingEnvironment(), rng=np.random.default_rng(7), building=b, graph=g, params=p,
                       horizon_s=365 * DAY)
    return p, b, g, ctx, SPEC.run(ctx)


def test_the_tower_estate_runs_a_year_with_every_record_table(tower_year):
    """issue 12 item 7: one year of the sample tower's whole estate (requests, failures, PM, patrols,
    cleaning, desk, budget) — every record table of the contract is there with its columns
    (SESSION11.md), every KPI of the spec is reported, and the charts' tables and columns exist."""
    p, b, g, ctx, result = tower_year
    for table, columns in CONTRACT.items():
        rows = result.records[table]
        assert rows, table
        assert columns <= set(rows[0]), (table, columns - set(rows[0]))
        assert all(set(r) == set(rows[0]) for r in rows), table
    assert set(result.kpis) == {k.name for k in SPEC.kpis}
    for chart in SPEC.charts:
        assert {chart.x, chart.y} <= set(result.records[chart.table][0]), chart.table
    sources = {r["source"] for r in result.records["work_orders"]}
    assert {"request", "failure", "pm", "return_visit"} <= sources
    assert 0.5 < result.kpis["emergency_within_sla"] <= 1.0 and result.kpis["completion_rate"] > 0.95
    assert result.kpis["annual_cost_cny"] > result.kpis["labour_cost_cny"] > 0
    assert get_model("operations") is SPEC


def test_the_cost_estimate_is_within_a_factor_of_three(tower_year):
    """issue 12: cost() (checked by scenarios/budget.py before a run) estimates the events and record
    rows of the tower's year within a factor of three of what the run did."""
    p, b, g, ctx, result = tower_year
    est = cost(p, 365 * DAY, b)
    rows = sum(len(v) for v in result.records.values())
    assert rows / 3 < est.record_rows < rows * 3
    assert ctx.env.events / 3 < est.events < ctx.env.events * 3
    assert cost(p, 365 * DAY, None).events > 0


def test_the_default_estate_checks_clean_on_the_tower_and_lists_its_items():
    """issue 12: the default parameters fit the sample tower (no check() problem); the maintained
    items include the lift cars (kind lift_car) beside the building's equipment."""
    b, g = building_and_graph("tower")
    assert check(OperationsParams(), b, g) == []
    kinds = {k for _, k, _ in equipment_items(b)}
    assert "lift_car" in kinds and "domestic_booster_pump" in kinds


def test_an_overloaded_team_is_flagged(mini):
    """issue 12: review() says ``overloaded`` when the work offered to a role reaches its capacity."""
    b, g = mini
    p = params(groups=[group("tech", ["general"])],
               requests=[{"category": "plumbing", "priority": "ordinary", "per_h": 3.0, "where": "none",
                          "skill": "general", "repair_mean_min": 30, "repair_dist": "exponential", "profile": "flat"}])
    result = run(p, b, g, horizon_s=2 * DAY)
    assert result.kpis["offered_load_technician"] > 1.0
    found = SPEC.review([result])
    assert "overloaded" in found and "technicians" in found["overloaded"]["en"]
    assert SPEC.review([run(params(groups=[group("tech", ["general"])]), b, g)]) == {}


def test_shifts_are_paid_by_the_staff_module(mini):
    """issue 12 item 1/6: each staff_time row's pay is models.staff.pay of its shift and overtime."""
    b, g = mini
    p = params(groups=[group("tech", ["general"], pattern="two_shift", count=4)],
               open_orders=[order(19.5 * 60, minutes=60)])
    result = run(p, b, g, horizon_s=2 * DAY)
    rows = result.records["staff_time"]
    assert sum(r["overtime_s"] for r in rows) == 30 * MIN
    roster = Roster(p.groups, BUILTIN_PATTERNS, Calendar(p.start_date, p.holidays), pay_rules=p.pay)
    shifts = [s for s in roster.shifts(2 * DAY) if s.start_s >= 0]
    assert len(shifts) == len(rows)
    for s, r in zip(shifts, rows):
        lines = pay(s, r["overtime_s"], roster.persons[s.person], p.pay, Calendar(p.start_date, p.holidays))
        assert (r["regular_cny"], r["overtime_cny"], r["premium_cny"]) == pytest.approx(
            (lines.regular_cny, lines.overtime_cny, lines.premium_cny))


def test_timeline_week_records_what_each_person_did(mini):
    """issue 12 item 7: the staff timeline of the chosen week has each piece of work, travel, break
    and idle time on shift (a Gantt's bars: person, activity, start, end)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"], pattern="day", base="F01-C1-MGT")],
               open_orders=[order(9 * 60, minutes=30, location="F03-C1-A01")], timeline_week=0)
    rows = run(p, b, g, horizon_s=7 * DAY).records["staff_timeline"]
    acts = {r["activity"] for r in rows}
    assert acts == {"idle", "work", "travel", "break"}
    work = next(r for r in rows if r["activity"] == "work")
    assert work["end_s"] - work["start_s"] == 30 * MIN and work["person"] == "tech-1"
    # the bars tile the five 9-hour shifts of the week without overlapping
    assert sum(r["hours"] for r in rows) == pytest.approx(5 * 9.0)
    ends = [(r["start_s"], r["end_s"]) for r in rows]
    assert all(b0 <= a1 + 1e-9 for (_, b0), (a1, _) in zip(ends, ends[1:]))


def test_time_shift_to_the_live_start_keeps_the_horizon(mini):
    """issue 12 item 9: a run from 21:30 lasts its horizon from then (records run to start + horizon)."""
    b, g = mini
    p = params(groups=[group("tech", ["general"])], start_s=21.5 * H,
               requests=[{"category": "plumbing", "priority": "ordinary", "per_h": 1.0, "where": "none",
                          "skill": "general", "profile": "flat"}])
    result = run(p, b, g, horizon_s=DAY)
    times = [r["reported_s"] for r in result.records["work_orders"]]
    assert times and min(times) >= 21.5 * H and max(times) < 21.5 * H + DAY
    assert result.records["backlog"][0]["t_s"] == 21.5 * H and len(result.records["backlog"]) == 24



def test_absent_persons_take_no_work_and_utilisation_adds_up(mini):
    """issue 12 item 1/5: a shift missed (absence rate 30 %) is in staff_time as absent, with no
    time worked, and nobody is dispatched in it; each role's utilisation is (working + travelling) /
    (time on shift − breaks + overtime) of its staff_time rows (to 2 %: the KPI also counts the
    night shift already running at the start, which has no row)."""
    b, g = mini
    p = params(groups=[{**group("tech", ["general"], count=2, pattern="two_shift"), "absence_rate": 0.3},
                       group("day", ["general"], pattern="day")],
               requests=[{"category": "plumbing", "priority": "ordinary", "per_h": 0.5, "where": "apartment",
                          "skill": "general", "repair_mean_min": 30, "profile": "flat"}])
    result = run(p, b, g, horizon_s=8 * DAY, seed=3)
    rows = result.records["staff_time"]
    absent = [r for r in rows if r["absent"]]
    assert absent and all(r["working_s"] == r["travelling_s"] == r["idle_s"] == 0.0 for r in absent)
    for wo in result.records["work_orders"]:
        t = wo["dispatched_s"]
        assert not any(r["person"] == wo["assignee"] and r["start_s"] <= t < r["end_s"] for r in absent)
    shown = [r for r in rows if not r["absent"] and r["end_s"] <= 8 * DAY]
    busy = sum(r["working_s"] + r["travelling_s"] for r in shown)
    on = sum(r["end_s"] - r["start_s"] - r["break_s"] + r["overtime_s"] for r in shown)
    assert result.kpis["utilisation_technician"] == pytest.approx(busy / on, rel=0.02)


# --- demand --------------------------------------------------------------------------------------

def test_request_rates_and_profiles_shape_the_arrivals():
    """issue 12 item 3: a stream of 0.1 requests per apartment and month on the tower's 928 flats
    with the residential_summer profile gives 0.1 × 928 × 12 a year on average (to 4 standard
    deviations of a Poisson count), more in the evening peak than at night and more in July than
    in January, in the ratios of the profile's factors (to 4 standard deviations)."""
    from models.operations.demand import ProfileClock, thinned_arrivals
    from models.operations.params import BUILTIN_PROFILES, DAYS_PER_MONTH

    profile = BUILTIN_PROFILES["residential_summer"]
    calendar = Calendar(OperationsParams().start_date, [])
    year = 365 * DAY
    rate = 0.1 * 928 / (DAYS_PER_MONTH * DAY)
    counts = []
    hours = np.zeros(24)
    months = np.zeros(12)
    clock = ProfileClock(calendar, year)
    for seed in range(20):
        t, _ = thinned_arrivals(np.random.default_rng(seed), [rate], [profile], clock, 0.0, year)
        counts.append(t.size)
        hours += np.bincount(((t % DAY) // H).astype(int), minlength=24)
        months += np.bincount(calendar.months(t) - 1, minlength=12)
    mean = 0.1 * 928 * 12 * 365 / (DAYS_PER_MONTH * 12)
    assert abs(np.mean(counts) - mean) < 4 * math.sqrt(mean / 20)
    factors = np.array(profile.hour_of_day)
    expected_ratio = factors[19] / factors[3]
    ratio = hours[19] / hours[3]
    assert abs(ratio - expected_ratio) < 4 * ratio * math.sqrt(1 / hours[19] + 1 / hours[3])
    m = np.array(profile.month)
    july = months[6] / 31 / (months[0] / 31)
    assert abs(july - m[6] / m[0]) < 4 * july * math.sqrt(1 / months[6] + 1 / months[0])


def test_contractor_only_skills_and_contracted_pm_are_booked_as_contractor_cost(mini):
    """issue 12 item 3/4/6: lifts maintained by a contractor only — every lift order goes to the
    contractor at once (call-out fee and labour), and each contracted PM costs its price as
    contractor labour, without a call-out fee, done at its due time."""
    b, g = mini
    p = params(groups=[group("tech", ["general", "lift"])],
               contractor={"enabled": True, "skills": ["lift"], "only": ["lift"]},
               pm=[{"kind": "lift_car", "interval_days": 15, "duration_min": 120, "skill": "lift",
                    "by_contractor": True, "cost_cny": 400.0}],
               open_orders=[order(0, "emergency", minutes=30, skill="lift", location="F01-C1-LL")])
    rows = run(p, b, g, horizon_s=16 * DAY).records["work_orders"]
    lift = next(r for r in rows if r["source"] == "backlog")
    assert lift["contractor"] and lift["callout_fee_cny"] == 300.0 and lift["dispatched_s"] == 0.0
    pms = [r for r in rows if r["source"] == "pm"]
    assert len(pms) == 2 and all(r["contractor"] and r["callout_fee_cny"] == 0.0 and
                                 r["contractor_labour_cny"] == 400.0 and r["arrived_s"] == r["reported_s"] and
                                 r["completed_s"] == r["reported_s"] + 2 * H for r in pms)


def test_an_emergency_preempts_a_technician_on_the_way(mini):
    """issue 12 item 4: preemption also takes a technician who is still walking to an ordinary job:
    the ordinary order goes back to the queue with its whole repair time and is marked preempted."""
    b, g = mini
    p = params(groups=[group("tech", ["general"], base="B1-PMP")], preemption=True,
               open_orders=[order(0, minutes=30, location="F04-C1-A01"),
                            order(1, "emergency", minutes=10, location="B1-PMP")])
    first, emergency = orders_of(run(p, b, g))
    assert first["preempted"] and not math.isnan(first["arrived_s"])
    assert emergency["dispatched_s"] == 60.0
    assert first["completed_s"] - first["started_s"] == pytest.approx(30 * MIN)
    assert first["dispatched_s"] == 0.0 and first["arrived_s"] > emergency["completed_s"]
