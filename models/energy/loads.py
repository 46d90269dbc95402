"""A year of the common areas' electricity, end use by end use, from the building file's equipment.

The supervisor's bill is the sum of a handful of end uses, each modelled from what the building
file says about its equipment (the ``rated`` figures) and from how the estate runs it (schedules by
day type, :mod:`models.energy.schedules`):

* **lighting** — each ``lighting_circuit`` (its ``power_kw``; where a floor has none, its common
  spaces × a W/m² allowance) × the hours it is on × its controls: a time switch (part of the fittings
  off at night), occupancy sensors (lights at a low level until someone passes), daylight dimming
  (above-ground circuits dim as the sun comes up). The lamps: the rated figures describe the installed
  lamps (``installed_lamp``, T8 fluorescent by default); LED tubes give the same light for ≈ 38 % less
  lamp power (REFERENCES "Energy"). Maintained emergency lights and exit signs draw a share of their rating.
* **pumps** — the residents' water demand (litres per person per day × an hourly shape with morning and
  evening peaks) is the flow ``Q`` each domestic booster set must deliver to its floors. The system
  needs ``H = H_static + k·Q²``: the static lift from the pump room to the highest outlet plus the
  residual pressure there, and friction that passes through the pump's rated point. The pump's curve
  is ``H = H_0·r² − a·Q²`` at speed ratio ``r`` (shut-off head ``H_0`` = 1.25 × rated head) and its
  efficiency ``η = η_bep·x·(2 − x)`` with ``x = Q/(Q_rated·r)`` (best efficiency at the rated point,
  scaled by the affinity laws). A fixed-speed pump (``throttle``) runs at ``r = 1`` and a valve burns
  the head it makes beyond the system's; a variable-speed pump (``vfd``) slows until its head meets
  the system curve, and the drive loses 2–3 %. A set of several pumps stages a second pump in when one
  would pass its rated flow (one is a standby). Fire pumps run a monthly test; jockey and sump pumps
  run a share of the time.
* **lifts** — each car's standby power plus, per start, the energy to accelerate the moving masses,
  and per kilometre the energy to lift the out-of-balance load (the counterweight balances the car
  and half the rated load), through the drive's efficiency; a regenerative drive returns part of the
  energy of the generating half of the trips. Starts and distance come from the elevator model when it
  runs in the same scenario (``lift_activity``), else from the residents' trips per day.
* **hvac** — the conditioned common spaces, ISO 13790 5R1C (:mod:`models.energy.hvac`).
* **ventilation** — the car-park exhaust fans (:class:`models.energy.hvac.VentilationParams`).
* **other** — security, access control, fire alarm panels from the building's equipment (rated
  power, all day), plus IT and signage, which the building file does not list (stated defaults).

:func:`end_uses` returns kWh per step for each end use and the water drawn (m³ per step), all numpy
over the year; :func:`end_use_detail` also keeps every item (a circuit, a pump set, a car…) so that
the end uses are seen to be the sum of their items at every step.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

from models.energy.hvac import (HvacParams, HvacResult, VentilationParams, check_efficiency, hvac_energy,
                                ventilation_energy)
from models.energy.schedules import DaySchedule, TimeAxis, hours_schedule, profile_series
from models.harness import param_label
from models.staff import Calendar

__all__ = ["END_USES", "LAMP_RELATIVE_POWER", "DEFAULT_LPD_W_M2", "LightingControls", "LightingParams", "PumpParams",
           "LiftEnergyParams", "FixedLoadParams", "PumpCurve", "SystemCurve", "operating_point", "BoosterSet",
           "booster_sets", "lighting_energy", "pump_energy", "lift_energy", "fixed_energy", "water_demand_m3h",
           "EndUseDetail", "end_use_detail", "end_uses", "total_kwh", "G_MPS2", "RHO_WATER_KG_M3"]

END_USES = ("lighting", "pumps", "lifts", "hvac", "ventilation", "other")
G_MPS2 = 9.81
RHO_WATER_KG_M3 = 1000.0

LAMP_RELATIVE_POWER = {"t8_fluorescent": 1.0, "led": 0.62}
"""Lamp power for the same light output, relative to a 32 W T8 fluorescent tube: LED tubes save ≈ 38 %
lumen-matched (REFERENCES "Energy")."""

DEFAULT_LPD_W_M2 = {"car_park": 2.0, "corridor": 2.5, "lift_lobby": 3.5, "lobby": 5.0, "stair": 2.0, "atrium": 5.0,
                    "management_office": 8.0, "room": 5.0, "toilet": 3.0, "storage": 2.0, "plant_room": 3.0}
"""W/m² of the common spaces of a floor with no ``lighting_circuit`` in the building file: design
assumptions of the order of GB 50034-2013's lighting power density limits for these rooms (check the
standard's table for a given project)."""


def _cfg() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------------------------
# Parameters


class LightingControls(BaseModel):
    """Lighting controls of the common areas (each a retrofit)."""

    model_config = _cfg()

    occupancy_sensors: bool = Field(False, json_schema_extra=param_label(
        "Occupancy sensors", "人体感应", "Lights at a low level until someone passes", "无人时灯光降至低照度"))
    daylight_dimming: bool = Field(False, json_schema_extra=param_label(
        "Daylight dimming", "日光调光", "Above-ground lights dim as daylight comes in", "地上区域照明随日光调暗"))
    time_switch: bool = Field(False, json_schema_extra=param_label(
        "Time switch", "定时开关", "Part of the fittings switched off at night (time_switch_schedule)",
        "夜间按时间表关闭部分灯具"))


def _presence() -> DaySchedule:
    wd = [0.05, 0.03, 0.03, 0.03, 0.03, 0.08, 0.3, 0.5, 0.4, 0.2, 0.15, 0.2, 0.25, 0.2, 0.15, 0.15, 0.2, 0.4, 0.5,
          0.45, 0.35, 0.25, 0.15, 0.08]
    rd = [0.06, 0.03, 0.03, 0.03, 0.03, 0.05, 0.1, 0.2, 0.3, 0.35, 0.3, 0.3, 0.3, 0.25, 0.25, 0.25, 0.3, 0.35, 0.4,
          0.4, 0.35, 0.25, 0.15, 0.1]
    return DaySchedule(weekday=wd, rest_day=rd)


class LightingParams(BaseModel):
    """Common-area lighting: lamps, hours and controls."""

    model_config = _cfg()

    lamp: Literal["t8_fluorescent", "led"] = Field("t8_fluorescent", json_schema_extra=param_label(
        "Lamps", "灯具", "t8_fluorescent or led (lumen-matched: LED ≈ 38 % less lamp power)",
        "t8_fluorescent（T8 荧光灯）或 led（等光通量下 LED 约省 38 % 功率）"))
    installed_lamp: Literal["t8_fluorescent", "led"] = Field("t8_fluorescent", json_schema_extra=param_label(
        "Lamps of the rated figures", "额定功率对应灯具", "The lamps the building file's rated power describes",
        "建筑文件中额定功率所对应的灯具"))
    controls: LightingControls = Field(default_factory=LightingControls, json_schema_extra=param_label(
        "Controls", "照明控制", "Occupancy sensors, daylight dimming, time switch", "人体感应、日光调光、定时开关"))
    schedule: DaySchedule = Field(default_factory=DaySchedule, json_schema_extra=param_label(
        "Hours on", "开灯时间表", "Share of the fittings on at each hour without controls (default: all, all day)",
        "无控制时每小时开启的灯具比例（缺省全天全开）"))
    time_switch_schedule: DaySchedule = Field(
        default_factory=lambda: hours_schedule((6, 23), on=1.0, off=0.3), json_schema_extra=param_label(
            "Time-switch schedule", "定时开关时间表", "Share of the fittings a time switch keeps on (default: 30 % at night)",
            "定时开关保留开启的灯具比例（缺省夜间 30 %）"))
    presence: DaySchedule = Field(default_factory=_presence, json_schema_extra=param_label(
        "Presence", "有人概率", "Share of the time someone is in a common space, each hour (drives the sensors)",
        "每小时公共区域有人的时间比例（用于人体感应）"))
    sensor_min_level: float = Field(0.1, ge=0, le=1, json_schema_extra=param_label(
        "Sensor low level", "感应低照度比例", "Light output with nobody there, a share of full", "无人时的照度比例",
        "share"))
    daylit_share: float = Field(0.3, ge=0, le=1, json_schema_extra=param_label(
        "Daylit share", "自然采光比例", "Share of an above-ground circuit near windows", "地上回路中靠窗灯具的比例", "share"))
    daylight_full_wm2: float = Field(300.0, gt=0, le=1500, json_schema_extra=param_label(
        "Daylight for full dimming", "完全调暗所需日照", "Global horizontal irradiance at which daylit lights are off",
        "靠窗灯具完全关闭时的水平面总辐照度", "w_per_m2"))
    emergency_share: float = Field(0.1, ge=0, le=1, json_schema_extra=param_label(
        "Emergency lights drawing", "应急照明耗电比例", "Share of the emergency lights' rating drawn all day "
        "(maintained exit signs, charging)", "应急照明额定功率中全天消耗的比例（常亮疏散指示、充电）", "share"))
    default_w_m2: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_LPD_W_M2), json_schema_extra=param_label(
        "Default W/m²", "缺省功率密度", "Lighting power per m² by space kind where a floor has no lighting circuit",
        "没有照明回路的楼层按空间类型的照明功率密度", "w_per_m2", pick="space_kind"))

    @field_validator("default_w_m2")
    @classmethod
    def _lpd(cls, v: dict[str, float]) -> dict[str, float]:
        for kind, w in v.items():
            if not (0 <= w <= 50):
                raise ValueError(f"default_w_m2[{kind!r}] = {w!r}: a lighting power density in W/m², 0 … 50")
        return v


def _water_profile() -> DaySchedule:
    # Residential water use: a morning peak 07–08 and a longer evening peak 19–21 (shape; scaled to a mean of 1).
    wd = [0.15, 0.1, 0.08, 0.08, 0.1, 0.3, 0.7, 1.0, 0.8, 0.5, 0.4, 0.45, 0.55, 0.45, 0.35, 0.35, 0.4, 0.55, 0.8,
          0.95, 0.9, 0.75, 0.5, 0.3]
    rd = [0.2, 0.12, 0.08, 0.08, 0.08, 0.15, 0.35, 0.6, 0.85, 0.9, 0.7, 0.6, 0.6, 0.5, 0.4, 0.4, 0.45, 0.6, 0.8, 0.95,
          0.9, 0.75, 0.55, 0.35]
    return DaySchedule(weekday=wd, rest_day=rd)


class PumpParams(BaseModel):
    """Domestic booster sets (and the fire, jockey and sump pumps' small draw)."""

    model_config = _cfg()

    control: Literal["throttle", "vfd"] = Field("throttle", json_schema_extra=param_label(
        "Pump control", "水泵控制方式", "throttle (fixed speed, valve) or vfd (variable speed drive)",
        "throttle（定速阀门调节）或 vfd（变频调速）"))
    litres_per_resident_day: float = Field(180.0, ge=0, le=1000, json_schema_extra=param_label(
        "Water per resident", "居民人均用水", "Litres per resident per day (GB 50015 residential quotas are "
        "130–300 L on the peak day)", "每位居民每日用水升数（GB 50015 住宅最高日定额 130–300 L）", "l_per_person_day"))
    litres_per_other_day: float = Field(40.0, ge=0, le=1000, json_schema_extra=param_label(
        "Water per other occupant", "其他人员人均用水", "Litres per office or shop occupant per working day",
        "办公、商业人员每工作日用水升数", "l_per_person_day"))
    demand_profile: DaySchedule = Field(default_factory=_water_profile, json_schema_extra=param_label(
        "Residents' water profile", "居民用水曲线", "Hourly shape of residents' water use (scaled to a mean of 1)",
        "居民用水的小时分布（按均值 1 归一）"))
    other_profile: DaySchedule = Field(default_factory=lambda: hours_schedule((8, 18), None),
                                       json_schema_extra=param_label(
        "Other occupants' profile", "其他人员用水曲线", "Hourly shape of offices' and shops' water use",
        "办公、商业用水的小时分布"))
    pump_efficiency: float = Field(0.70, json_schema_extra=param_label(
        "Pump efficiency", "水泵效率", "Efficiency at the best efficiency point (the rated point)",
        "最高效率点（额定点）的水泵效率", "share"))
    motor_efficiency: float = Field(0.92, json_schema_extra=param_label(
        "Motor efficiency", "电机效率", "Electric motor efficiency", "电动机效率", "share"))
    vfd_efficiency: float = Field(0.97, json_schema_extra=param_label(
        "Drive efficiency", "变频器效率", "Variable-speed drive efficiency (a 2–3 % loss)", "变频器效率（损耗 2–3 %）",
        "share"))
    shutoff_head_ratio: float = Field(1.25, gt=1.0, le=2.0, json_schema_extra=param_label(
        "Shut-off head ratio", "关死扬程比", "Pump head at zero flow over rated head", "零流量扬程与额定扬程之比"))
    residual_head_m: float = Field(10.0, ge=0, le=60, json_schema_extra=param_label(
        "Residual head", "最不利点资用水头", "Pressure kept at the highest outlet, in metres of water",
        "最高用水点需保持的压力（米水柱）", "m"))
    static_head_m: float | None = Field(None, ge=0, le=500, json_schema_extra=param_label(
        "Static head", "静扬程", "Static head of every booster set's system curve (none: from the floors served)",
        "各供水分区系统曲线的静扬程（缺省按所供楼层计算）", "m"))
    standby_pumps: int = Field(1, ge=0, le=4, json_schema_extra=param_label(
        "Standby pumps", "备用泵数量", "Pumps of each set kept as standby (never staged in)", "每组中备用的水泵数量"))
    stage_up_share: float = Field(1.0, gt=0.2, le=1.5, json_schema_extra=param_label(
        "Stage-up flow", "加泵流量比例", "Flow per pump, a share of rated, above which another pump starts",
        "单泵流量超过额定流量的此比例时启动下一台泵", "share"))
    fire_pump_test_min_per_month: float = Field(30.0, ge=0, le=600, json_schema_extra=param_label(
        "Fire pump test", "消防泵试运行", "Minutes each fire pump runs at rated power in its monthly test",
        "每台消防泵每月试运行的分钟数", "min"))
    jockey_duty_share: float = Field(0.05, ge=0, le=1, json_schema_extra=param_label(
        "Jockey pump duty", "稳压泵运行比例", "Share of the time the fire jockey pump runs", "消防稳压泵运行时间比例",
        "share"))
    sump_duty_share: float = Field(0.02, ge=0, le=1, json_schema_extra=param_label(
        "Sump pump duty", "潜污泵运行比例", "Share of the time each sump pump runs", "潜污泵运行时间比例", "share"))

    @field_validator("pump_efficiency", "motor_efficiency", "vfd_efficiency")
    @classmethod
    def _efficiency(cls, v: float, info) -> float:
        return check_efficiency(info.field_name, v)


def _trip_profile() -> DaySchedule:
    wd = [0.05, 0.02, 0.01, 0.01, 0.02, 0.08, 0.4, 1.0, 0.8, 0.4, 0.3, 0.4, 0.55, 0.45, 0.35, 0.35, 0.45, 0.7, 0.95,
          0.85, 0.6, 0.4, 0.25, 0.1]
    rd = [0.08, 0.04, 0.02, 0.01, 0.01, 0.03, 0.1, 0.3, 0.55, 0.7, 0.7, 0.65, 0.6, 0.55, 0.55, 0.6, 0.65, 0.7, 0.75,
          0.7, 0.55, 0.4, 0.25, 0.12]
    return DaySchedule(weekday=wd, rest_day=rd)


class LiftEnergyParams(BaseModel):
    """Lift energy: standby plus per start and per kilometre, from the cars' rated load and speed."""

    model_config = _cfg()

    regenerative: bool = Field(False, json_schema_extra=param_label(
        "Regenerative drives", "能量回馈", "The drives return the energy of the generating trips to the grid",
        "驱动器将发电工况的能量回馈电网"))
    standby_kw_per_car: float = Field(0.3, ge=0, le=5, json_schema_extra=param_label(
        "Standby power", "待机功率", "Power of a car standing idle (controller, car lights off after idle)",
        "电梯待机功率（控制柜；轿厢照明空闲后关闭）", "kw"))
    drive_efficiency: float = Field(0.7, json_schema_extra=param_label(
        "Drive efficiency", "驱动效率", "Motor, gear and drive efficiency when motoring", "电动工况下电机、减速与驱动的总效率",
        "share"))
    regen_recovery: float = Field(0.6, json_schema_extra=param_label(
        "Regeneration recovery", "回馈效率", "Share of the generated energy a regenerative drive returns",
        "回馈装置返回电网的发电能量比例", "share"))
    unbalance_share: float = Field(0.25, ge=0, le=0.5, json_schema_extra=param_label(
        "Mean out-of-balance load", "平均不平衡载荷", "Mean |load − counterweight balance| as a share of rated load",
        "平均不平衡载荷占额定载重的比例", "share"))
    moving_mass_per_rated_kg: float = Field(3.0, ge=1, le=6, json_schema_extra=param_label(
        "Moving mass", "运动质量", "Car, counterweight and load per kg of rated load", "轿厢、对重与载荷的总质量与额定载重之比"))
    door_kwh_per_start: float = Field(0.001, ge=0, le=0.05, json_schema_extra=param_label(
        "Door energy per start", "每次开关门能耗", "Energy of a door open and close cycle", "一次开关门的能耗", "kwh"))
    trips_per_person_day: float = Field(4.0, ge=0, le=50, json_schema_extra=param_label(
        "Lift trips per person", "人均乘梯次数", "Lift trips a resident or occupant makes a day (without the "
        "elevator model)", "每人每日乘梯次数（未运行电梯模型时）"))
    persons_per_start: float = Field(1.5, ge=1, le=30, json_schema_extra=param_label(
        "Persons per start", "每次启动载客", "Passengers carried per car start", "每次启动的平均乘客数", "persons"))
    mean_travel_share: float = Field(0.5, gt=0, le=1, json_schema_extra=param_label(
        "Mean trip length", "平均行程比例", "Mean distance of a start as a share of the car's rise",
        "平均每次启动行程占提升高度的比例", "share"))
    trip_profile: DaySchedule = Field(default_factory=_trip_profile, json_schema_extra=param_label(
        "Trip profile", "乘梯时段分布", "Hourly shape of lift trips (scaled to a mean of 1 on a weekday)",
        "乘梯次数的小时分布（按工作日均值 1 归一）"))

    @field_validator("drive_efficiency", "regen_recovery")
    @classmethod
    def _efficiency(cls, v: float, info) -> float:
        return check_efficiency(info.field_name, v)


class FixedLoadParams(BaseModel):
    """Loads that run all day: security, access control, fire panels (building equipment), IT and signage."""

    model_config = _cfg()

    equipment_systems: list[str] = Field(default_factory=lambda: ["security", "access", "fire"],
                                         json_schema_extra=param_label(
        "Systems counted", "计入的系统", "Equipment systems whose rated power_kw runs all day",
        "额定功率全天运行的设备系统", pick="system"))
    it_kw: float = Field(1.5, ge=0, le=500, json_schema_extra=param_label(
        "IT and network", "弱电机房", "Network, building-management servers: not in the building file (an assumption)",
        "网络、楼宇管理服务器（建筑文件未列出，假设值）", "kw"))
    signage_kw: float = Field(1.0, ge=0, le=500, json_schema_extra=param_label(
        "Signage", "标识照明", "Illuminated signs on the signage schedule (an assumption)", "按时间表点亮的标识（假设值）", "kw"))
    signage_schedule: DaySchedule = Field(default_factory=lambda: hours_schedule((18, 24)),
                                          json_schema_extra=param_label(
        "Signage hours", "标识开启时间", "Share of the signage on at each hour", "每小时标识开启比例"))
    extra_kw: float = Field(0.0, ge=0, le=5000, json_schema_extra=param_label(
        "Other constant load", "其他恒定负荷", "Any other load running all day", "其他全天运行的负荷", "kw"))


# ----------------------------------------------------------------------------------------------
# Pump hydraulics


@dataclass(frozen=True)
class PumpCurve:
    """A centrifugal pump at speed ratio r: ``H = H_0·r² − a·Q²`` through its rated point, and
    ``η = η_bep·x·(2 − x)``, ``x = Q/(Q_rated·r)`` (best efficiency at the rated point)."""

    rated_flow_m3h: float
    rated_head_m: float
    shutoff_head_m: float
    efficiency_bep: float

    def __post_init__(self):
        check_efficiency("pump_efficiency", self.efficiency_bep)
        if self.rated_flow_m3h <= 0 or self.rated_head_m <= 0:
            raise ValueError(f"rated flow {self.rated_flow_m3h!r} m³/h and head {self.rated_head_m!r} m must be positive")
        if self.shutoff_head_m <= self.rated_head_m:
            raise ValueError(f"shut-off head {self.shutoff_head_m!r} m must exceed the rated head {self.rated_head_m!r} m")

    @property
    def a(self) -> float:
        return (self.shutoff_head_m - self.rated_head_m) / self.rated_flow_m3h ** 2

    def head_m(self, flow_m3h, speed_ratio=1.0):
        return self.shutoff_head_m * np.square(speed_ratio) - self.a * np.square(flow_m3h)

    def efficiency(self, flow_m3h, speed_ratio=1.0):
        x = np.asarray(flow_m3h) / (self.rated_flow_m3h * np.asarray(speed_ratio))
        return self.efficiency_bep * x * (2.0 - x)


@dataclass(frozen=True)
class SystemCurve:
    """The head a system needs at flow Q: ``H = H_static + k·Q²``."""

    static_head_m: float
    k_m_per_m3h2: float

    def head_m(self, flow_m3h):
        return self.static_head_m + self.k_m_per_m3h2 * np.square(flow_m3h)

    @classmethod
    def through(cls, static_head_m: float, flow_m3h: float, head_m: float) -> "SystemCurve":
        """The system curve with this static head that passes through (flow, head)."""
        if head_m < static_head_m:
            raise ValueError(f"static head {static_head_m!r} m is above the head {head_m!r} m at {flow_m3h!r} m³/h")
        return cls(static_head_m, (head_m - static_head_m) / flow_m3h ** 2)


def operating_point(pump: PumpCurve, system: SystemCurve, flow_m3h, control: Literal["throttle", "vfd"], *,
                    motor_efficiency: float = 1.0, vfd_efficiency: float = 1.0) -> dict[str, np.ndarray]:
    """Speed ratio, pump head, shaft and electrical power (kW) of one pump delivering ``flow_m3h``.

    ``throttle``: full speed, the pump's own head at that flow (the valve takes the excess).
    ``vfd``: the speed at which the pump curve meets the system curve,
    ``r = √((H_static + (k + a)·Q²)/H_0)`` (at most 1), and the drive's loss.
    Shaft power ``ρ g Q H / η``, written as ``ρ g H Q_rated r / (η_bep (2 − x))`` so that it stays finite
    at zero flow (the shut-off power)."""
    check_efficiency("motor_efficiency", motor_efficiency)
    check_efficiency("vfd_efficiency", vfd_efficiency)
    q = np.maximum(np.asarray(flow_m3h, dtype=float), 0.0)
    if control == "throttle":
        r = np.ones_like(q)
        head = pump.head_m(q, r)
        drive = motor_efficiency
    elif control == "vfd":
        r = np.minimum(np.sqrt((system.static_head_m + (system.k_m_per_m3h2 + pump.a) * q * q) / pump.shutoff_head_m),
                       1.0)
        head = np.where(r < 1.0, system.head_m(q), pump.head_m(q, r))
        drive = motor_efficiency * vfd_efficiency
    else:
        raise ValueError(f"control {control!r}: throttle or vfd")
    head = np.maximum(head, 0.0)
    x = np.clip(q / (pump.rated_flow_m3h * r), 0.0, 1.8)
    shaft_kw = RHO_WATER_KG_M3 * G_MPS2 * head * pump.rated_flow_m3h / 3600.0 * r / (
        pump.efficiency_bep * (2.0 - x)) / 1000.0
    return {"speed_ratio": r, "head_m": head, "shaft_kw": shaft_kw, "electrical_kw": shaft_kw / drive}


@dataclass(frozen=True)
class BoosterSet:
    """Identical domestic booster pumps serving the same floors."""

    id: str
    pumps: tuple[str, ...]
    duty: int
    pump: PumpCurve
    system: SystemCurve
    residents: int
    others: int


def booster_sets(building, params: PumpParams) -> list[BoosterSet]:
    """The building's ``domestic_booster_pump`` equipment grouped by the floors they serve, with the
    system curve of each group (static head from the pump room to the top served floor's outlets, plus
    the residual head; friction through the rated point)."""
    floors = {f.id: f for f in building.floors}
    groups: dict[tuple, list] = {}
    for e in building.equipment:
        if e.kind == "domestic_booster_pump":
            groups.setdefault(tuple(e.serves), []).append(e)
    persons: dict[str, list[int]] = {}
    for s in building.spaces:
        p = persons.setdefault(s.floor, [0, 0])
        p[0 if s.kind == "apartment" else 1] += s.occupant_count
    out = []
    for serves, pumps in groups.items():
        first = pumps[0]
        for key in ("flow_m3h", "head_m"):
            if first.rated.get(key, 0) <= 0:
                raise ValueError(f"equipment {first.id!r}: rated.{key} = {first.rated.get(key)!r}; a booster pump "
                                 "needs a positive rated flow_m3h and head_m")
        q_r, h_r = first.rated["flow_m3h"], first.rated["head_m"]
        pump = PumpCurve(q_r, h_r, params.shutoff_head_ratio * h_r, params.pump_efficiency)
        served = [floors[f] for f in serves if f in floors]
        if params.static_head_m is not None:
            static = params.static_head_m
        else:
            room = floors.get(_space_floor(building, first.location) or "", None)
            base = room.elevation_m if room is not None else min(f.elevation_m for f in building.floors)
            top = max((f.elevation_m for f in served), default=base)
            static = top + 1.0 - base + params.residual_head_m
        static = min(static, 0.95 * h_r)   # a set sized below its static head could not serve: keep 5 % for friction
        res = sum(persons.get(f, [0, 0])[0] for f in serves)
        oth = sum(persons.get(f, [0, 0])[1] for f in serves)
        duty = max(1, len(pumps) - params.standby_pumps)
        out.append(BoosterSet(id=first.id.rsplit("-", 1)[0] if len(pumps) > 1 else first.id,
                              pumps=tuple(p.id for p in pumps), duty=duty, pump=pump,
                              system=SystemCurve.through(static, q_r, h_r), residents=res, others=oth))
    return out


def _space_floor(building, space_id: str) -> str | None:
    for s in building.spaces:
        if s.id == space_id:
            return s.floor
    return None


def _shape(schedule: DaySchedule, axis: TimeAxis) -> np.ndarray:
    """The schedule at every step, scaled so that its weekday mean is 1 (rest days keep their ratio)."""
    mean = float(np.mean(schedule.weekday)) or 1.0
    return profile_series(schedule, axis) / mean


def water_demand_m3h(residents: int, others: int, params: PumpParams, axis: TimeAxis) -> np.ndarray:
    """The flow (m³/h) drawn by ``residents`` and other occupants at every step."""
    res = residents * params.litres_per_resident_day / 1000.0 / 24.0 * _shape(params.demand_profile, axis)
    oth = others * params.litres_per_other_day / 1000.0 / 24.0 * _shape(params.other_profile, axis)
    return res + oth


def set_power_kw(bset: BoosterSet, flow_m3h: np.ndarray, params: PumpParams) -> np.ndarray:
    """Electrical power of a booster set at each flow: as many duty pumps as the stage rule needs, sharing it."""
    q = np.asarray(flow_m3h, dtype=float)
    running = np.clip(np.ceil(q / (params.stage_up_share * bset.pump.rated_flow_m3h)), 1, bset.duty)
    power = np.zeros_like(q)
    for k in range(1, bset.duty + 1):
        sel = running == k
        if sel.any():
            op = operating_point(bset.pump, bset.system, q[sel] / k, params.control,
                                 motor_efficiency=params.motor_efficiency, vfd_efficiency=params.vfd_efficiency)
            power[sel] = k * op["electrical_kw"]
    return power


# ----------------------------------------------------------------------------------------------
# The end uses, item by item


def lighting_energy(building, weather, params: LightingParams, axis: TimeAxis) -> dict[str, np.ndarray]:
    """kWh per step of each lighting circuit (and of each floor lit by the W/m² default, and of the
    emergency lights)."""
    floors = {f.id: f for f in building.floors}
    circuits = [e for e in building.equipment if e.kind == "lighting_circuit"]
    lit_floors = {f for e in circuits for f in e.serves}
    items: list[tuple[str, float, bool]] = []    # id, rated kW, above ground
    for e in circuits:
        above = any(floors[f].elevation_m >= 0 for f in e.serves if f in floors)
        items.append((e.id, e.rated.get("power_kw", 0.0), above))
    by_floor: dict[str, float] = {}
    for s in building.spaces:
        if s.floor not in lit_floors and not s.void:
            by_floor[s.floor] = by_floor.get(s.floor, 0.0) + s.floor_area_m2 * params.default_w_m2.get(s.kind, 0.0)
    for fid, w in by_floor.items():
        if w > 0:
            items.append((f"LPD-{fid}", w / 1000.0, floors[fid].elevation_m >= 0))
    lamp = LAMP_RELATIVE_POWER[params.lamp] / LAMP_RELATIVE_POWER[params.installed_lamp]
    base = profile_series(params.schedule, axis)
    if params.controls.time_switch:
        base = np.minimum(base, profile_series(params.time_switch_schedule, axis))
    if params.controls.occupancy_sensors:
        base = base * (params.sensor_min_level + (1.0 - params.sensor_min_level) * profile_series(params.presence, axis))
    daylight = np.ones(axis.n)
    if params.controls.daylight_dimming:
        ghi = np.asarray(weather.ghi_wm2, dtype=float)[: axis.n]
        daylight = 1.0 - params.daylit_share * np.clip(ghi / params.daylight_full_wm2, 0.0, 1.0)
    out = {}
    for item_id, kw, above in items:
        out[item_id] = kw * lamp * base * (daylight if above else 1.0) * axis.step_h
    for e in building.equipment:
        if e.kind == "emergency_lighting":
            out[e.id] = np.full(axis.n, e.rated.get("power_kw", 0.0) * params.emergency_share * axis.step_h)
    return out


def pump_energy(building, params: PumpParams, axis: TimeAxis) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(kWh per step of each booster set and small pump, the building's water drawn in m³ per step)."""
    out: dict[str, np.ndarray] = {}
    for bset in booster_sets(building, params):
        q = water_demand_m3h(bset.residents, bset.others, params, axis)
        out[bset.id] = set_power_kw(bset, q, params) * axis.step_h
    residents = sum(s.occupant_count for s in building.spaces if s.kind == "apartment")
    others = sum(s.occupant_count for s in building.spaces if s.kind != "apartment")
    water = water_demand_m3h(residents, others, params, axis) * axis.step_h
    test_steps = max(1, round(params.fire_pump_test_min_per_month / axis.step_min)) \
        if params.fire_pump_test_min_per_month > 0 else 0
    first_day = np.r_[True, axis.month[1:] != axis.month[:-1]]
    for e in building.equipment:
        kw = e.rated.get("power_kw", 0.0)
        if e.kind in ("fire_hydrant_pump", "fire_sprinkler_pump") and test_steps:
            # The monthly test: from 10:00 of the month's first day, at rated power.
            starts = np.flatnonzero(first_day) + 10 * axis.steps_per_hour
            series = np.zeros(axis.n)
            minutes = params.fire_pump_test_min_per_month
            for s0 in starts:
                for j in range(test_steps):
                    if s0 + j < axis.n:
                        series[s0 + j] = kw * min(axis.step_min, minutes - j * axis.step_min) / 60.0
            out[e.id] = series
        elif e.kind == "fire_jockey_pump":
            out[e.id] = np.full(axis.n, kw * params.jockey_duty_share * axis.step_h)
        elif e.kind == "sump_pump":
            out[e.id] = np.full(axis.n, kw * params.sump_duty_share * axis.step_h)
    return out, water


def lift_kwh_per_start_and_km(capacity_kg: float, speed_mps: float, params: LiftEnergyParams) -> tuple[float, float]:
    """(kWh per start, kWh per km) of a car: kinetic energy of the moving masses and the doors per start;
    the out-of-balance load lifted on the motoring half of the distance per km; a regenerative drive
    returns ``regen_recovery`` of what the generating half and the braking give back through the drive."""
    mass = params.moving_mass_per_rated_kg * capacity_kg
    kinetic_kwh = 0.5 * mass * speed_mps ** 2 / 3.6e6
    lift_kwh_km = params.unbalance_share * capacity_kg * G_MPS2 * 1000.0 / 3.6e6
    eta = params.drive_efficiency
    per_start = kinetic_kwh / eta + params.door_kwh_per_start
    per_km = 0.5 * lift_kwh_km / eta
    if params.regenerative:
        per_start -= kinetic_kwh * eta * params.regen_recovery
        per_km -= 0.5 * lift_kwh_km * eta * params.regen_recovery
    return per_start, per_km


def lift_energy(building, params: LiftEnergyParams, axis: TimeAxis,
                lift_activity: Mapping[str, tuple[float, float]] | None = None) -> dict[str, np.ndarray]:
    """kWh per step of each lift car: standby + starts × kWh per start + km × kWh per km, the day's starts
    and distance spread over the hours by ``trip_profile``."""
    floors = {f.id: f for f in building.floors}
    persons_on: dict[str, int] = {}
    for s in building.spaces:
        persons_on[s.floor] = persons_on.get(s.floor, 0) + s.occupant_count
    groups_on: dict[str, int] = {}
    for g in building.elevators:
        for fid in {f for c in g.cars for f in c.floors_served}:
            groups_on[fid] = groups_on.get(fid, 0) + 1
    shape = _shape(params.trip_profile, axis) / 24.0 * axis.step_h    # share of a weekday's trips in each step
    out = {}
    for g in building.elevators:
        served = {f for c in g.cars for f in c.floors_served}
        persons = sum(persons_on.get(f, 0) / groups_on[f] for f in served)
        for car in g.cars:
            elevations = [floors[f].elevation_m for f in car.floors_served if f in floors]
            rise_m = (max(elevations) - min(elevations)) if elevations else 0.0
            if lift_activity is not None and car.id in lift_activity:
                starts_day, km_day = lift_activity[car.id]
            else:
                starts_day = persons * params.trips_per_person_day / params.persons_per_start / len(g.cars)
                km_day = starts_day * params.mean_travel_share * rise_m / 1000.0
            if starts_day < 0 or km_day < 0:
                raise ValueError(f"lift_activity[{car.id!r}] = {(starts_day, km_day)!r}: starts and km must be ≥ 0")
            e_start, e_km = lift_kwh_per_start_and_km(car.capacity_kg, car.rated_speed_mps, params)
            out[car.id] = params.standby_kw_per_car * axis.step_h + (starts_day * e_start + km_day * e_km) * shape
    return out


def fixed_energy(building, params: FixedLoadParams, axis: TimeAxis) -> dict[str, np.ndarray]:
    """kWh per step of each always-on item: equipment of the counted systems, IT, signage, extra."""
    out = {}
    systems = set(params.equipment_systems)
    for e in building.equipment:
        if e.system in systems and "power_kw" in e.rated:
            out[e.id] = np.full(axis.n, e.rated["power_kw"] * axis.step_h)
    if params.it_kw:
        out["IT"] = np.full(axis.n, params.it_kw * axis.step_h)
    if params.signage_kw:
        out["SIGNAGE"] = params.signage_kw * profile_series(params.signage_schedule, axis) * axis.step_h
    if params.extra_kw:
        out["EXTRA"] = np.full(axis.n, params.extra_kw * axis.step_h)
    return out


# ----------------------------------------------------------------------------------------------
# The year


@dataclass(frozen=True)
class EndUseDetail:
    """Every item's kWh per step, grouped by end use, the water drawn and the HVAC result."""

    axis: TimeAxis
    items: dict[str, dict[str, np.ndarray]]
    water_m3: np.ndarray
    hvac: HvacResult

    def end_use(self, name: str) -> np.ndarray:
        parts = list(self.items[name].values())
        return np.sum(parts, axis=0) if parts else np.zeros(self.axis.n)

    def as_dict(self) -> dict[str, np.ndarray]:
        out = {name: self.end_use(name) for name in END_USES}
        out["water_m3"] = self.water_m3
        return out


def end_use_detail(building, weather, *, lighting: LightingParams | None = None, pumps: PumpParams | None = None,
                   lifts: LiftEnergyParams | None = None, hvac: HvacParams | None = None,
                   ventilation: VentilationParams | None = None, other: FixedLoadParams | None = None,
                   calendar: Calendar | None = None, step_min: int = 60,
                   lift_activity: Mapping[str, tuple[float, float]] | None = None) -> EndUseDetail:
    """A year of every load item of the building (see :func:`end_uses`)."""
    calendar = calendar or Calendar()
    axis = TimeAxis.year(calendar, step_min)
    ws = getattr(weather, "step_min", step_min)
    if ws != step_min:
        raise ValueError(f"weather {getattr(weather, 'name', '?')!r} is at {ws} min a step, the run at {step_min}: "
                         "resample the weather")
    lighting = lighting or LightingParams()
    pumps = pumps or PumpParams()
    lifts = lifts or LiftEnergyParams()
    hvac = hvac or HvacParams()
    ventilation = ventilation or VentilationParams()
    other = other or FixedLoadParams()
    hv = hvac_energy(building, weather, hvac, axis)
    pump_items, water = pump_energy(building, pumps, axis)
    hvac_items = {f"{z}": kwh for z, kwh in hv.by_zone_kwh.items()}
    items = {
        "lighting": lighting_energy(building, weather, lighting, axis),
        "pumps": pump_items,
        "lifts": lift_energy(building, lifts, axis, lift_activity),
        "hvac": hvac_items,
        "ventilation": ventilation_energy(building, ventilation, axis),
        "other": fixed_energy(building, other, axis),
    }
    return EndUseDetail(axis=axis, items=items, water_m3=water, hvac=hv)


def end_uses(building, weather, *, lighting: LightingParams | None = None, pumps: PumpParams | None = None,
             lifts: LiftEnergyParams | None = None, hvac: HvacParams | None = None,
             ventilation: VentilationParams | None = None, other: FixedLoadParams | None = None,
             calendar: Calendar | None = None, step_min: int = 60,
             lift_activity: Mapping[str, tuple[float, float]] | None = None) -> dict[str, np.ndarray]:
    """kWh per step of ``lighting``, ``pumps``, ``lifts``, ``hvac``, ``ventilation`` and ``other`` over a
    year of 365 days from the calendar's start date at ``step_min`` (60 or 15) minutes, and ``water_m3``
    per step. ``weather`` needs ``dry_bulb_c``, ``ghi_wm2`` (arrays of the same steps) and
    ``irradiance_wm2(azimuth_deg, tilt_deg)``. ``lift_activity``: {car id: (starts per day, km per day)}
    from the elevator model, else the trips per person per day. A missing section takes its defaults."""
    return end_use_detail(building, weather, lighting=lighting, pumps=pumps, lifts=lifts, hvac=hvac,
                          ventilation=ventilation, other=other, calendar=calendar, step_min=step_min,
                          lift_activity=lift_activity).as_dict()


def total_kwh(uses: Mapping[str, np.ndarray]) -> np.ndarray:
    """The total electricity per step: the sum of the end uses (water excluded)."""
    return np.sum([uses[name] for name in END_USES], axis=0)
