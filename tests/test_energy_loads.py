"""The common-area loads: pumps, lighting, lifts, the energy balance and bad input (issue 14, item 1,
item 4's retrofit knobs, Verification and Bad input).

* Pumps (REFERENCES "Energy", affinity laws): with no static head a variable-speed pump's power goes
  with the cube of its speed within 1 %; with static head the operating point is the intersection of
  the pump curve at speed r with ``H = H_static + k·Q²``, found here independently (scipy's brentq), and
  the model's power equals ρ g Q H / η at that point (1e-6) — a saving smaller than the cube law by
  exactly that. A VFD costs its own 2–3 % at full flow.
* Lighting: LED lumen-matched draws 38 % less lamp power than T8 (REFERENCES "Energy", 1e-9).
* Energy balance: every end use is the sum of its items at every step, and the total is the sum of
  the end uses (1e-9 kWh), hourly and at 15 minutes.
* Bad input: an efficiency ≤ 0 or > 1 is refused naming the field and the value.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from scipy.optimize import brentq

from models.energy.hvac import VentilationParams
from models.energy.loads import (END_USES, LiftEnergyParams, LightingControls, LightingParams, PumpCurve, PumpParams,
                                 SystemCurve, booster_sets, end_use_detail, end_uses, lift_energy,
                                 lift_kwh_per_start_and_km, lighting_energy, operating_point, total_kwh)
from models.energy.schedules import TimeAxis
from models.energy.weather import climate
from models.staff import Calendar
from twin.loader import load_building

CAL = Calendar(date(2027, 1, 1))
RHO_G = 1000.0 * 9.81
PUMP = PumpCurve(rated_flow_m3h=44.2, rated_head_m=65.3, shutoff_head_m=1.25 * 65.3, efficiency_bep=0.7)


def test_pump_power_goes_with_the_cube_of_speed_without_static_head():
    """issue 14 Verification: no static head, system curve through the rated point → on a VFD the power
    at 90…30 % flow over the power at 100 % equals the speed ratio cubed within 1 % (REFERENCES
    "Energy": P ∝ N³ only without static head)."""
    system = SystemCurve.through(0.0, PUMP.rated_flow_m3h, PUMP.rated_head_m)
    flows = PUMP.rated_flow_m3h * np.array([1.0, 0.9, 0.7, 0.5, 0.3])
    op = operating_point(PUMP, system, flows, "vfd", motor_efficiency=0.92, vfd_efficiency=0.97)
    ratio = op["electrical_kw"] / op["electrical_kw"][0]
    assert op["speed_ratio"] == pytest.approx(flows / PUMP.rated_flow_m3h, rel=1e-9)
    assert ratio == pytest.approx(op["speed_ratio"] ** 3, rel=0.01)


def _independent_vfd_kw(q: float, static: float, k: float, drive: float) -> tuple[float, float]:
    """Speed and electrical kW at flow q found without the model: the speed at which the pump curve
    H0·r² − a·Q² meets the system curve (brentq), the efficiency by the affinity laws."""
    a = (PUMP.shutoff_head_m - PUMP.rated_head_m) / PUMP.rated_flow_m3h ** 2
    r = brentq(lambda r: PUMP.shutoff_head_m * r * r - a * q * q - (static + k * q * q), 1e-6, 1.0)
    h = static + k * q * q
    x = q / (PUMP.rated_flow_m3h * r)
    eta = PUMP.efficiency_bep * x * (2 - x)
    return r, RHO_G * (q / 3600.0) * h / eta / 1000.0 / drive


def test_static_head_shrinks_the_saving_by_what_the_system_curve_gives():
    """issue 14 Verification: with a static head of 60 % of the rated head, the VFD's power at part flow
    equals ρ g Q H / η at the intersection of the pump and system curves computed independently (1e-6),
    and it is more than the cube law promises: the saving is smaller (REFERENCES "Energy")."""
    static = 0.6 * PUMP.rated_head_m
    system = SystemCurve.through(static, PUMP.rated_flow_m3h, PUMP.rated_head_m)
    no_static = SystemCurve.through(0.0, PUMP.rated_flow_m3h, PUMP.rated_head_m)
    drive = 0.92 * 0.97
    full = operating_point(PUMP, system, PUMP.rated_flow_m3h, "vfd", motor_efficiency=0.92, vfd_efficiency=0.97)
    for share in (0.9, 0.7, 0.5):
        q = share * PUMP.rated_flow_m3h
        op = operating_point(PUMP, system, q, "vfd", motor_efficiency=0.92, vfd_efficiency=0.97)
        r, kw = _independent_vfd_kw(q, static, system.k_m_per_m3h2, drive)
        assert float(op["speed_ratio"]) == pytest.approx(r, rel=1e-6)
        assert float(op["electrical_kw"]) == pytest.approx(kw, rel=1e-6)
        cube = operating_point(PUMP, no_static, q, "vfd", motor_efficiency=0.92, vfd_efficiency=0.97)
        assert float(op["electrical_kw"] / full["electrical_kw"]) > float(cube["speed_ratio"]) ** 3
        assert float(op["electrical_kw"]) > float(cube["electrical_kw"])


def test_vfd_costs_its_loss_at_full_flow_and_saves_at_part_flow():
    """issue 14 item 1: at rated flow a VFD pump draws 1/0.97 of the throttled pump's power (the drive's
    3 % loss, REFERENCES "Energy"); at half flow it draws less than the throttled pump."""
    system = SystemCurve.through(0.6 * PUMP.rated_head_m, PUMP.rated_flow_m3h, PUMP.rated_head_m)
    kw = {c: operating_point(PUMP, system, [PUMP.rated_flow_m3h, 0.5 * PUMP.rated_flow_m3h], c, motor_efficiency=0.92,
                             vfd_efficiency=0.97)["electrical_kw"] for c in ("throttle", "vfd")}
    assert kw["vfd"][0] / kw["throttle"][0] == pytest.approx(1 / 0.97, rel=1e-9)
    assert kw["vfd"][1] < kw["throttle"][1]


def test_booster_sets_come_from_the_building_file():
    """issue 14 item 1: the tower's six domestic booster pumps are three duty/standby sets (one duty each)
    with the rated figures of the file and a static head below the rated head."""
    sets = booster_sets(load_building("tower"), PumpParams())
    assert len(sets) == 3 and all(s.duty == 1 and len(s.pumps) == 2 for s in sets)
    assert {s.pump.rated_head_m for s in sets} == {65.3, 99.8, 124.0}
    assert all(0 < s.system.static_head_m < s.pump.rated_head_m for s in sets)
    assert all(s.residents > 0 for s in sets)


@pytest.fixture(scope="module")
def tower_weather():
    return load_building("tower"), climate("shanghai", step_min=60)


def test_led_saves_38_percent_lamp_power(tower_weather):
    """issue 14 item 4: LED tubes replacing T8 fluorescent, lumen-matched, draw 38 % less on every lighting
    circuit at every step (REFERENCES "Energy"; tolerance 1e-9)."""
    building, weather = tower_weather
    axis = TimeAxis.year(CAL, 60)
    t8 = lighting_energy(building, weather, LightingParams(), axis)
    led = lighting_energy(building, weather, LightingParams(lamp="led"), axis)
    circuits = [e.id for e in building.equipment if e.kind == "lighting_circuit"]
    assert circuits
    for cid in circuits:
        assert led[cid] == pytest.approx(0.62 * t8[cid], rel=1e-9)


def test_lighting_controls_save(tower_weather):
    """issue 14 item 4: occupancy sensors, a time switch and daylight dimming each lower the year's
    lighting energy; daylight dimming leaves the car parks (below ground) unchanged."""
    building, weather = tower_weather
    axis = TimeAxis.year(CAL, 60)
    base = lighting_energy(building, weather, LightingParams(), axis)
    total = sum(v.sum() for v in base.values())
    for name in ("occupancy_sensors", "time_switch", "daylight_dimming"):
        with_control = lighting_energy(building, weather,
                                       LightingParams(controls=LightingControls(**{name: True})), axis)
        assert sum(v.sum() for v in with_control.values()) < total, name
        if name == "daylight_dimming":
            assert with_control["LTG-B2"] == pytest.approx(base["LTG-B2"])


def test_lifts_follow_the_elevator_models_activity_and_regeneration_saves():
    """issue 14 item 1: with lift_activity a car's year is 365 × (standby 24 h + starts × kWh/start +
    km × kWh/km) exactly; a regenerative drive lowers it."""
    building = load_building("tower")
    axis = TimeAxis.year(CAL, 60)
    car = building.elevators[0].cars[0]
    params = LiftEnergyParams()
    activity = {car.id: (300.0, 12.0)}
    out = lift_energy(building, params, axis, activity)
    e_start, e_km = lift_kwh_per_start_and_km(car.capacity_kg, car.rated_speed_mps, params)
    # The trip profile spreads a weekday's trips over its hours; rest days keep the profile's own ratio.
    shape = np.asarray(params.trip_profile.rest_day).mean() / np.asarray(params.trip_profile.weekday).mean()
    days_rest = int(np.unique(axis.day[axis.rest]).size)
    expected = 365 * 24 * params.standby_kw_per_car + (300 * e_start + 12 * e_km) * ((365 - days_rest) +
                                                                                     days_rest * shape)
    assert out[car.id].sum() == pytest.approx(expected, rel=1e-9)
    regen = lift_energy(building, LiftEnergyParams(regenerative=True), axis, activity)
    assert regen[car.id].sum() < out[car.id].sum()


@pytest.mark.parametrize("step_min", [60, 15])
def test_end_uses_sum_to_the_total_every_step(step_min):
    """issue 14 Verification (energy balance every step): each end use is the sum of its items (circuits,
    pump sets, cars, zones, fans, fixed loads) and the total is the sum of the end uses, at every step,
    to 1e-9 kWh; every end use is present and non-negative, and water is drawn."""
    building = load_building("tower")
    detail = end_use_detail(building, climate("shanghai", step_min=step_min), calendar=CAL, step_min=step_min)
    uses = detail.as_dict()
    n = 8760 * 60 // step_min
    assert set(uses) == set(END_USES) | {"water_m3"}
    items_total = np.zeros(n)
    for name in END_USES:
        assert uses[name].shape == (n,)
        assert (uses[name] >= 0).all(), name
        part = np.sum(list(detail.items[name].values()), axis=0)
        assert np.allclose(uses[name], part, rtol=0, atol=1e-9), name
        items_total += part
    assert np.allclose(total_kwh(uses), items_total, rtol=0, atol=1e-9)
    assert all(uses[name].sum() > 0 for name in END_USES)
    assert uses["water_m3"].sum() > 0


def test_retrofit_knobs_lower_their_end_use(tower_weather):
    """issue 14 item 4: VFD pumps lower the pumps' end use; CO-controlled car-park fans lower ventilation."""
    building, weather = tower_weather
    base = end_uses(building, weather, calendar=CAL)
    vfd = end_uses(building, weather, pumps=PumpParams(control="vfd"), calendar=CAL)
    co = end_uses(building, weather, ventilation=VentilationParams(control="co_control"), calendar=CAL)
    assert vfd["pumps"].sum() < base["pumps"].sum()
    assert co["ventilation"].sum() < base["ventilation"].sum()
    assert vfd["lighting"] == pytest.approx(base["lighting"])


@pytest.mark.parametrize("model, field, value", [
    (PumpParams, "pump_efficiency", 0.0),
    (PumpParams, "motor_efficiency", 1.2),
    (PumpParams, "vfd_efficiency", -0.5),
    (LiftEnergyParams, "drive_efficiency", 1.01),
    (LiftEnergyParams, "regen_recovery", 0.0),
    (VentilationParams, "vfd_efficiency", 2.0),
])
def test_bad_efficiency_is_refused_naming_field_and_value(model, field, value):
    """issue 14 Bad input: an efficiency ≤ 0 or > 1 → a clear error naming the field and the value."""
    with pytest.raises(ValidationError, match=rf"{field} = {value!r}: an efficiency must be greater than 0 and at most 1"):
        model(**{field: value})


def test_bad_efficiency_in_a_pump_curve_is_refused():
    """issue 14 Bad input: a pump curve or an operating point with an efficiency out of (0, 1] is refused
    naming the field and the value."""
    with pytest.raises(ValueError, match=r"pump_efficiency = 1.5"):
        PumpCurve(rated_flow_m3h=10.0, rated_head_m=30.0, shutoff_head_m=40.0, efficiency_bep=1.5)
    system = SystemCurve.through(0.0, PUMP.rated_flow_m3h, PUMP.rated_head_m)
    with pytest.raises(ValueError, match=r"motor_efficiency = 0"):
        operating_point(PUMP, system, 10.0, "vfd", motor_efficiency=0)


def test_weather_of_another_step_is_refused(tower_weather):
    """issue 14 Bad input: hourly weather for a 15-minute run → a clear error naming both steps."""
    building, weather = tower_weather
    with pytest.raises(ValueError, match="60 min a step, the run at 15"):
        end_uses(building, weather, calendar=CAL, step_min=15)


def test_a_building_without_circuits_is_lit_by_the_default_w_per_m2():
    """issue 14 item 1: a floor with no lighting_circuit is lit by its common spaces × the stated W/m²
    (DEFAULT_LPD_W_M2: corridor 2.5, stair 2.0; tenants' offices are not the supervisor's), all day:
    exactly 2 floors × (40 m² × 2.5 + 15 m² × 2.0) W × 8,760 h; a building with no lifts, pumps sets or
    air-handling units has those end uses at zero, not an error."""
    building = load_building("tests/data/two_storey.yaml")
    uses = end_uses(building, climate("shanghai", step_min=60), calendar=CAL)
    assert uses["lighting"].sum() == pytest.approx(2 * (40 * 2.5 + 15 * 2.0) / 1000.0 * 8760, rel=1e-9)
    assert uses["lifts"].sum() == 0 and uses["ventilation"].sum() == 0
    assert uses["hvac"].sum() == 0


def test_schedules_follow_the_day_type():
    """issue 14 item 1: a schedule's holiday factors apply on the statutory holidays of models.staff.Calendar
    (2027-10-01, National Day), its rest-day factors on a Saturday, its weekday factors on a Monday."""
    from models.energy.schedules import DaySchedule, profile_series
    axis = TimeAxis.year(CAL, 15)
    sched = DaySchedule(weekday=[1.0] * 24, rest_day=[0.5] * 24, holiday=[0.0] * 24)
    f = profile_series(sched, axis)
    per_day = 24 * 4
    day = {d: (d - CAL.start_date).days for d in (date(2027, 10, 1), date(2027, 1, 2), date(2027, 1, 4))}
    assert (f[day[date(2027, 10, 1)] * per_day:(day[date(2027, 10, 1)] + 1) * per_day] == 0.0).all()
    assert (f[day[date(2027, 1, 2)] * per_day:(day[date(2027, 1, 2)] + 1) * per_day] == 0.5).all()
    assert (f[day[date(2027, 1, 4)] * per_day:(day[date(2027, 1, 4)] + 1) * per_day] == 1.0).all()
    with pytest.raises(ValidationError, match=r"weekday\[3\] = 1.5"):
        DaySchedule(weekday=[1.0, 1.0, 1.0, 1.5] + [1.0] * 20)


@settings(max_examples=60, deadline=None)
@given(static_share=st.floats(0.0, 0.9), flow_share=st.floats(0.05, 1.0))
def test_vfd_never_draws_more_than_throttling_plus_its_loss(static_share, flow_share):
    """issue 14 item 1 (property): on any system curve through the rated point and at any flow up to rated,
    the VFD pump's head meets the system curve, its speed is at most 1, and it draws at most the throttled
    pump's power divided by the drive efficiency."""
    system = SystemCurve.through(static_share * PUMP.rated_head_m, PUMP.rated_flow_m3h, PUMP.rated_head_m)
    q = flow_share * PUMP.rated_flow_m3h
    vfd = operating_point(PUMP, system, q, "vfd", motor_efficiency=0.92, vfd_efficiency=0.97)
    thr = operating_point(PUMP, system, q, "throttle", motor_efficiency=0.92, vfd_efficiency=0.97)
    assert float(vfd["speed_ratio"]) <= 1.0 + 1e-12
    assert float(vfd["head_m"]) == pytest.approx(float(system.head_m(q)), rel=1e-9)
    assert float(thr["head_m"]) >= float(system.head_m(q)) - 1e-9
    assert float(vfd["electrical_kw"]) <= float(thr["electrical_kw"]) / 0.97 * (1 + 1e-9)


def test_booster_set_stages_a_second_pump_past_rated_flow():
    """issue 14 item 1 (booster sets in stages): a set of three pumps with one standby runs one pump up to
    its rated flow and two beyond, sharing the flow equally; the standby never runs, so at three times
    the rated flow the two duty pumps are still all that run."""
    from models.energy.loads import BoosterSet, set_power_kw
    params = PumpParams(control="vfd")
    system = SystemCurve.through(30.0, PUMP.rated_flow_m3h, PUMP.rated_head_m)
    bset = BoosterSet(id="SET", pumps=("P1", "P2", "P3"), duty=2, pump=PUMP, system=system, residents=0, others=0)
    q = np.array([0.8, 1.5, 3.0]) * PUMP.rated_flow_m3h

    def one(flow):
        return float(operating_point(PUMP, system, flow, "vfd", motor_efficiency=params.motor_efficiency,
                                     vfd_efficiency=params.vfd_efficiency)["electrical_kw"])

    kw = set_power_kw(bset, q, params)
    assert kw[0] == pytest.approx(one(q[0]), rel=1e-12)
    assert kw[1] == pytest.approx(2 * one(q[1] / 2), rel=1e-12)
    assert kw[2] == pytest.approx(2 * one(q[2] / 2), rel=1e-12)
