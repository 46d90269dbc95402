"""Heating and cooling of the conditioned common spaces: the ISO 13790 simple hourly method (5R1C).

A lobby, a management office or a shopping gallery is a volume of air inside an envelope. Heat
leaves through the windows (conductance ``H_tr,w``), through the opaque walls and roof — which
first pass through the building's thermal mass — and with the outdoor air that ventilation and
infiltration bring in (``H_ve = ρc · V · ACH / 3600``, ρc = 1200 J/m³K). It comes in with the sun
through the glazing and from the people, lights and appliances inside. ISO 13790's simple hourly
method lumps all of this into five conductances and one capacitance (5R1C):

* three temperature nodes — the indoor air ``θ_air``, the inner surfaces ``θ_s`` (a mix of air and
  radiant temperature) and the mass ``θ_m`` with capacity ``C_m``;
* air ↔ surfaces ``H_tr,is = h_is · A_t`` (h_is = 3.45 W/m²K, A_t = 4.5 · A_f), surfaces ↔ mass
  ``H_tr,ms = h_ms · A_m`` (h_ms = 9.1 W/m²K, A_m = 2.5 · A_f, a medium-weight building), the
  opaque envelope split as ``H_tr,em = 1 / (1/H_tr,op − 1/H_tr,ms)`` between mass and outside,
  windows ``H_tr,w`` between surfaces and outside, ventilation ``H_ve`` between air and supply air;
  ``C_m = 165 kJ/m²K · A_f``;
* gains split to the nodes (ISO 13790 C.1–C.3): half the internal gains to the air
  (``Φ_ia = 0.5 Φ_int``), the rest with the solar gains to the mass
  (``Φ_m = A_m/A_t · (0.5 Φ_int + Φ_sol)``) and to the surfaces
  (``Φ_st = (1 − A_m/A_t − H_tr,w/(9.1 A_t)) · (0.5 Φ_int + Φ_sol)``).

Each hour (or quarter-hour) the mass temperature is stepped with the standard's Crank–Nicolson
scheme (C.4–C.11). The heating or cooling need follows the standard's procedure (C.4.2): compute
the air temperature with no heating (step 1); if it is below the heating set-point or above the
cooling one, apply a trial of 10 W/m² of floor (step 2) and scale linearly to the set-point
(``Φ_HC = Φ_10 · (θ_set − θ_air,0)/(θ_air,10 − θ_air,0)``); if that exceeds the plant's capacity,
apply the capacity and let the temperature float (steps 3–4). :func:`iso13790_step` is that
procedure literally, one step at a time. The year loop (:func:`simulate_zone`) does the same
arithmetic faster: the 5R1C equations are linear with coefficients that do not depend on the
temperatures, so the trial's slope ``(θ_air,10 − θ_air,0)/Φ_10`` and the free-floating terms are
computed for all steps at once with numpy and only the recurrence on ``θ_m`` is a Python loop.

**Zones.** One thermal zone per air-handling unit of the building file (its ``serves`` spaces),
keeping only the common spaces (lobbies, lift lobbies, corridors, atria, management offices,
residents' rooms, toilets) unless ``include_tenant_spaces``; the unit's capacity and fan power are
shared pro rata of floor area. A management office that no unit serves is its own zone, cooled and
heated by a split unit (``split_capacity_w_m2``). Floor area from each space's footprint, volume
from its floor's height; a void (an atrium above its lowest floor) adds volume, not floor.
**Envelope** from the footprints: an edge of a space that lies on the bounding box of all spaces of
its floor is an outside wall of height = floor height, facing west, east, south or north (the
building file's +y axis is taken as north — an assumption: the file has no north angle); windows
are ``window_wall_ratio`` of it; spaces on the top floor have a roof; floors over the ground or a
car park are not counted (the car park below is treated as adiabatic — a simplification), nor are
walls to unconditioned neighbours. The U-values default to the limits of GB 50189-2015 for the
hot-summer/cold-winter zone (wall 0.8, roof 0.5, window 2.4 W/m²K; set them for an older building).

**Delivered electricity.** Heating by an air-source heat pump whose COP falls as it gets colder,
``COP(θ_e) = COP_7 + s_h · (θ_e − 7)``; cooling at ``EER(θ_e) = EER_35 + s_c · (35 − θ_e)`` (both
clipped to [1, 8]; typical catalogue slopes, stated as defaults). When the building has
water-cooled chillers, ``EER_35`` defaults to the plant's rated figure: chillers' cooling over the
rated power of the chillers, the duty chilled- and condenser-water pumps (all but one of each set)
and the cooling towers. The air-handling units' fans run whenever the zone is scheduled on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.energy.schedules import DaySchedule, TimeAxis, profile_series
from models.harness import param_label

__all__ = ["H_MS_W_M2K", "H_IS_W_M2K", "AT_PER_AF", "AM_PER_AF", "CM_J_M2K", "RHO_C_J_M3K", "TRIAL_W_M2",
           "COMMON_KINDS", "HvacParams", "Network5R1C", "StepResult", "iso13790_step", "ZoneResult",
           "simulate_zone", "ThermalZone", "thermal_zones", "HvacResult", "hvac_energy", "cop_heating",
           "eer_cooling", "plant_eer_35c", "VentilationParams", "ventilation_energy", "check_efficiency"]

H_MS_W_M2K = 9.1
"""Heat transfer coefficient between the surface node and the mass, per m² of A_m (ISO 13790 12.2.2)."""
H_IS_W_M2K = 3.45
"""Heat transfer coefficient between the air and the surface node, per m² of A_t (ISO 13790 7.2.2.2)."""
AT_PER_AF = 4.5
"""Area of all surfaces facing the zone per m² of floor (ISO 13790 7.2.2.2)."""
AM_PER_AF = 2.5
"""Effective mass area per m² of floor, a medium-weight building (ISO 13790 Table 12)."""
CM_J_M2K = 165_000.0
"""Internal heat capacity per m² of floor, a medium-weight building (ISO 13790 Table 12)."""
RHO_C_J_M3K = 1200.0
"""Volumetric heat capacity of air, ρ·c (ISO 13790 9.3.1)."""
TRIAL_W_M2 = 10.0
"""The trial heating power of ISO 13790 C.4.2 step 2, per m² of floor."""

COMMON_KINDS = frozenset({"lobby", "lift_lobby", "corridor", "atrium", "management_office", "room", "toilet"})
"""Space kinds that are common areas (the supervisor's bill); tenants' offices, shops and restaurants are not."""
_AZIMUTH_DEG = {"north": 0.0, "east": 90.0, "south": 180.0, "west": 270.0}


def _cfg() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True)


class HvacParams(BaseModel):
    """Set-points, schedules, envelope and plant of the conditioned common spaces."""

    model_config = _cfg()

    heating_setpoint_c: float = Field(18.0, ge=5, le=26, json_schema_extra=param_label(
        "Heating set-point", "供暖设定温度", "Air temperature kept at least this warm while the zone is on",
        "空调开启时室内空气温度不低于此值", "c"))
    cooling_setpoint_c: float = Field(26.0, ge=20, le=32, json_schema_extra=param_label(
        "Cooling set-point", "供冷设定温度", "Air temperature kept at most this warm while the zone is on",
        "空调开启时室内空气温度不高于此值", "c"))
    setback_heating_c: float | None = Field(None, ge=0, le=20, json_schema_extra=param_label(
        "Night heating set-back", "夜间值班供暖温度",
        "Heating set-point while the zone is off (none: no heating, the zone floats)",
        "空调关闭时的值班供暖温度（缺省为不供暖，室温自由浮动）", "c"))
    occupied_start_h: float = Field(7.0, ge=0, le=24, json_schema_extra=param_label(
        "Lobby HVAC on", "大堂空调开启时间", "Hour the lobbies' and galleries' air-conditioning starts, every day",
        "大堂、公共走廊空调每天开启的时刻", "h"))
    occupied_end_h: float = Field(23.0, ge=0, le=24, json_schema_extra=param_label(
        "Lobby HVAC off", "大堂空调关闭时间", "Hour the lobbies' and galleries' air-conditioning stops",
        "大堂、公共走廊空调关闭的时刻", "h"))
    office_start_h: float = Field(8.0, ge=0, le=24, json_schema_extra=param_label(
        "Office HVAC on", "办公室空调开启时间", "Hour the management office's air-conditioning starts on a working day",
        "管理处办公室空调在工作日开启的时刻", "h"))
    office_end_h: float = Field(18.0, ge=0, le=24, json_schema_extra=param_label(
        "Office HVAC off", "办公室空调关闭时间", "Hour the management office's air-conditioning stops",
        "管理处办公室空调关闭的时刻", "h"))
    office_rest_days: bool = Field(False, json_schema_extra=param_label(
        "Office open on rest days", "办公室休息日开放", "The management office is air-conditioned on rest days too",
        "管理处办公室休息日也开空调"))
    include_tenant_spaces: bool = Field(False, json_schema_extra=param_label(
        "Include tenants' spaces", "包含租户空间",
        "Count the shops, restaurants and offices an air-handling unit serves (default: common spaces only)",
        "计入空调机组所服务的商铺、餐厅和办公室（缺省只计公共空间）"))
    internal_gains_w_m2: float = Field(8.0, ge=0, le=60, json_schema_extra=param_label(
        "Internal gains when on", "运行时内部得热",
        "People, lights and appliances while the zone is on, per m² of floor (an assumption)",
        "空调运行时人员、照明和设备的得热，按楼面面积计（假设值）", "w_per_m2"))
    internal_gains_off_w_m2: float = Field(2.0, ge=0, le=60, json_schema_extra=param_label(
        "Internal gains when off", "停机时内部得热", "Gains while the zone is off (night lights, equipment)",
        "空调停机时的得热（夜间照明、设备）", "w_per_m2"))
    ach_on: float = Field(1.0, ge=0.05, le=20, json_schema_extra=param_label(
        "Air changes when on", "运行时换气次数", "Outdoor air plus infiltration while the zone is on, per hour",
        "空调运行时新风加渗透的换气次数", "per_h"))
    ach_off: float = Field(0.3, ge=0.05, le=20, json_schema_extra=param_label(
        "Air changes when off", "停机时换气次数", "Infiltration while the zone is off, per hour",
        "空调停机时的渗透换气次数", "per_h"))
    u_wall_w_m2k: float = Field(0.8, gt=0, le=5, json_schema_extra=param_label(
        "Wall U-value", "外墙传热系数", "Opaque outside walls (GB 50189-2015, hot-summer/cold-winter limit)",
        "外墙传热系数（GB 50189-2015 夏热冬冷地区限值）", "w_per_m2k"))
    u_roof_w_m2k: float = Field(0.5, gt=0, le=5, json_schema_extra=param_label(
        "Roof U-value", "屋面传热系数", "Roof over top-floor spaces (GB 50189-2015 limit)",
        "顶层空间屋面传热系数（GB 50189-2015 限值）", "w_per_m2k"))
    u_window_w_m2k: float = Field(2.4, gt=0, le=7, json_schema_extra=param_label(
        "Window U-value", "外窗传热系数", "Glazing including frame (GB 50189-2015 limit)",
        "外窗（含窗框）传热系数（GB 50189-2015 限值）", "w_per_m2k"))
    window_wall_ratio: float = Field(0.4, ge=0, le=0.95, json_schema_extra=param_label(
        "Window-to-wall ratio", "窗墙比", "Share of an outside wall that is glazed", "外墙中玻璃的比例", "share"))
    solar_factor: float = Field(0.35, ge=0, le=1, json_schema_extra=param_label(
        "Solar factor", "太阳得热系数",
        "Share of the sun on the glazing that enters: g-value × (1 − frame share) × shading",
        "照在外窗上的太阳辐射进入室内的比例：g 值 ×（1 − 窗框比）× 遮阳系数", "share"))
    heating_cop_7c: float = Field(2.8, gt=0, le=8, json_schema_extra=param_label(
        "Heating COP at 7 °C", "7 °C 时制热 COP", "Air-source heat pump's COP at 7 °C outdoors",
        "室外 7 °C 时空气源热泵的制热性能系数"))
    heating_cop_slope_per_k: float = Field(0.06, ge=0, le=0.5, json_schema_extra=param_label(
        "COP change per K", "COP 温度系数", "COP gained per K warmer outdoors (lost per K colder)",
        "室外每升高 1 K 制热 COP 的增加量"))
    cooling_eer_35c: float | None = Field(None, gt=0, le=10, json_schema_extra=param_label(
        "Cooling EER at 35 °C", "35 °C 时制冷 EER",
        "System EER at 35 °C outdoors (none: the building's chiller plant, else 3.2 for split/VRF units)",
        "室外 35 °C 时的系统能效比（缺省：按建筑冷水机组系统计算，否则分体/多联机取 3.2）"))
    cooling_eer_slope_per_k: float = Field(0.08, ge=0, le=0.5, json_schema_extra=param_label(
        "EER change per K", "EER 温度系数", "EER gained per K cooler outdoors", "室外每降低 1 K 制冷 EER 的增加量"))
    split_capacity_w_m2: float = Field(150.0, gt=0, le=1000, json_schema_extra=param_label(
        "Split-unit capacity", "分体空调容量", "Heating and cooling capacity of a zone no air-handling unit serves",
        "无空调机组服务的区域的供冷供热能力", "w_per_m2"))
    warmup_days: int = Field(7, ge=0, le=60, json_schema_extra=param_label(
        "Warm-up days", "预热天数", "Days simulated before the year to settle the mass temperature",
        "正式计算前先模拟的天数，使蓄热体温度稳定", "d"))

    @model_validator(mode="after")
    def _setpoints(self) -> "HvacParams":
        if self.cooling_setpoint_c <= self.heating_setpoint_c:
            raise ValueError(f"cooling_setpoint_c {self.cooling_setpoint_c!r} must be above heating_setpoint_c "
                             f"{self.heating_setpoint_c!r}")
        if self.setback_heating_c is not None and self.setback_heating_c > self.heating_setpoint_c:
            raise ValueError(f"setback_heating_c {self.setback_heating_c!r} is above heating_setpoint_c "
                             f"{self.heating_setpoint_c!r}")
        return self


# ----------------------------------------------------------------------------------------------
# The 5R1C network and one step of the standard's procedure


@dataclass(frozen=True)
class Network5R1C:
    """The conductances (W/K) and capacity (J/K) of one zone, ISO 13790 section 12 and Annex C."""

    floor_area_m2: float
    h_tr_em: float
    h_tr_w: float
    h_tr_is: float
    h_tr_ms: float
    c_m_j_k: float
    a_m_m2: float
    a_t_m2: float

    @classmethod
    def from_envelope(cls, floor_area_m2: float, h_tr_op_w_k: float, h_tr_w_w_k: float, *,
                      a_t_m2: float | None = None, a_m_per_af: float = AM_PER_AF,
                      c_m_j_m2k: float = CM_J_M2K) -> "Network5R1C":
        """The network of a zone of floor ``A_f`` with opaque conductance ``H_tr,op`` and windows ``H_tr,w``:
        ``A_t = 4.5·A_f`` unless given, ``A_m = 2.5·A_f``, ``C_m = 165 kJ/m²K·A_f``,
        ``H_tr,em = 1/(1/H_tr,op − 1/H_tr,ms)`` (ISO 13790 12.2.2)."""
        if floor_area_m2 <= 0:
            raise ValueError(f"floor_area_m2 {floor_area_m2!r} must be positive")
        a_m = a_m_per_af * floor_area_m2
        h_ms = H_MS_W_M2K * a_m
        a_t = AT_PER_AF * floor_area_m2 if a_t_m2 is None else a_t_m2
        if h_tr_op_w_k >= h_ms:
            raise ValueError(f"opaque conductance H_tr,op {h_tr_op_w_k:.1f} W/K is not below H_tr,ms {h_ms:.1f} W/K of a "
                             f"{floor_area_m2:.1f} m² zone: the 5R1C split has no solution (check the U-values and areas)")
        h_em = 0.0 if h_tr_op_w_k <= 0 else 1.0 / (1.0 / h_tr_op_w_k - 1.0 / h_ms)
        return cls(floor_area_m2, h_em, h_tr_w_w_k, H_IS_W_M2K * a_t, h_ms, c_m_j_m2k * floor_area_m2, a_m, a_t)

    def gains_split(self, phi_int_w, phi_sol_w):
        """(Φ_ia, Φ_st, Φ_m): the internal and solar gains split to air, surface and mass (ISO 13790 C.1–C.3)."""
        shared = 0.5 * phi_int_w + phi_sol_w
        phi_m = self.a_m_m2 / self.a_t_m2 * shared
        phi_st = (1.0 - self.a_m_m2 / self.a_t_m2 - self.h_tr_w / (H_MS_W_M2K * self.a_t_m2)) * shared
        return 0.5 * phi_int_w, phi_st, phi_m


@dataclass(frozen=True)
class StepResult:
    """One step of ISO 13790 C.4.2: the heating (+) or cooling (−) power and the node temperatures."""

    phi_hc_w: float
    theta_m_t: float
    """Mass temperature at the end of the step (the next step's θ_m,t−1)."""
    theta_m: float
    theta_s: float
    theta_air: float
    theta_op: float


def _nodes(net: Network5R1C, theta_e: float, theta_sup: float, theta_m_prev: float, phi_ia: float, phi_st: float,
           phi_m: float, phi_hc: float, h_ve: float, dt_s: float) -> tuple[float, float, float, float, float]:
    """Equations C.4–C.12 with the heating or cooling power ``phi_hc`` delivered to the air node."""
    h1 = 1.0 / (1.0 / h_ve + 1.0 / net.h_tr_is)                       # C.6
    h2 = h1 + net.h_tr_w                                              # C.7
    h3 = 1.0 / (1.0 / h2 + 1.0 / net.h_tr_ms)                         # C.8
    phi_m_tot = phi_m + net.h_tr_em * theta_e + h3 * (
        phi_st + net.h_tr_w * theta_e + h1 * ((phi_ia + phi_hc) / h_ve + theta_sup)) / h2   # C.5
    k = net.c_m_j_k / dt_s
    half = 0.5 * (h3 + net.h_tr_em)
    theta_m_t = (theta_m_prev * (k - half) + phi_m_tot) / (k + half)  # C.4
    theta_m = 0.5 * (theta_m_t + theta_m_prev)                        # C.9
    theta_s = (net.h_tr_ms * theta_m + phi_st + net.h_tr_w * theta_e
               + h1 * (theta_sup + (phi_ia + phi_hc) / h_ve)) / (net.h_tr_ms + net.h_tr_w + h1)   # C.10
    theta_air = (net.h_tr_is * theta_s + h_ve * theta_sup + phi_ia + phi_hc) / (net.h_tr_is + h_ve)  # C.11
    theta_op = 0.3 * theta_air + 0.7 * theta_s                        # C.12
    return theta_m_t, theta_m, theta_s, theta_air, theta_op


def iso13790_step(net: Network5R1C, *, theta_e_c: float, theta_m_prev_c: float, phi_int_w: float, phi_sol_w: float,
                  h_ve_w_k: float, heating_setpoint_c: float = -math.inf, cooling_setpoint_c: float = math.inf,
                  heating_max_w: float = math.inf, cooling_max_w: float = math.inf, dt_s: float = 3600.0,
                  theta_sup_c: float | None = None) -> StepResult:
    """One step of the standard's procedure (ISO 13790 C.4.2), literally: free-floating air temperature
    (step 1); outside the set-points, a 10 W/m² trial and linear scaling to the set-point (step 2); the
    plant's capacity as a limit (steps 3–4). The supply air is at the outdoor temperature unless given."""
    theta_sup = theta_e_c if theta_sup_c is None else theta_sup_c
    phi_ia, phi_st, phi_m = net.gains_split(phi_int_w, phi_sol_w)
    args = (net, theta_e_c, theta_sup, theta_m_prev_c, phi_ia, phi_st, phi_m)
    free = _nodes(*args, 0.0, h_ve_w_k, dt_s)
    theta_air_0 = free[3]
    if heating_setpoint_c <= theta_air_0 <= cooling_setpoint_c:
        return StepResult(0.0, *free)
    theta_set = heating_setpoint_c if theta_air_0 < heating_setpoint_c else cooling_setpoint_c
    phi_10 = TRIAL_W_M2 * net.floor_area_m2
    theta_air_10 = _nodes(*args, phi_10, h_ve_w_k, dt_s)[3]
    phi_un = phi_10 * (theta_set - theta_air_0) / (theta_air_10 - theta_air_0)
    phi = min(max(phi_un, -cooling_max_w), heating_max_w)
    return StepResult(phi, *_nodes(*args, phi, h_ve_w_k, dt_s))


@dataclass(frozen=True)
class ZoneResult:
    """A zone's year: heating (+) / cooling (−) power delivered to the air, and its temperatures."""

    phi_hc_w: np.ndarray
    theta_air_c: np.ndarray
    theta_m_c: np.ndarray
    """Mass temperature at the end of each step."""


def simulate_zone(net: Network5R1C, *, theta_e_c: np.ndarray, phi_int_w: np.ndarray, phi_sol_w: np.ndarray,
                  h_ve_w_k: np.ndarray, heating_setpoint_c: np.ndarray, cooling_setpoint_c: np.ndarray,
                  heating_max_w: float = math.inf, cooling_max_w: float = math.inf, dt_s: float = 3600.0,
                  theta_m0_c: float = 20.0, warmup_steps: int = 0) -> ZoneResult:
    """Every step of :func:`iso13790_step`, for whole arrays (set-points of ±inf: no heating or cooling).

    The 5R1C equations are linear in the previous mass temperature and in Φ_HC with coefficients that
    depend only on the conductances and the step's ventilation, so the air temperature is
    ``θ_air = a0 + aθ·θ_m,t−1 + aΦ·Φ_HC`` with ``aΦ = (θ_air,10 − θ_air,0)/Φ_10`` — the standard's trial
    slope. The coefficients are computed for all steps at once; the loop runs the recurrence. The first
    ``warmup_steps`` steps are run once before the year (from ``theta_m0_c``) to settle the mass.
    """
    te = np.asarray(theta_e_c, dtype=float)
    n = te.size
    h_ve = np.broadcast_to(np.asarray(h_ve_w_k, dtype=float), (n,))
    phi_ia, phi_st, phi_m = net.gains_split(np.asarray(phi_int_w, dtype=float), np.asarray(phi_sol_w, dtype=float))
    h1 = 1.0 / (1.0 / h_ve + 1.0 / net.h_tr_is)
    h2 = h1 + net.h_tr_w
    h3 = 1.0 / (1.0 / h2 + 1.0 / net.h_tr_ms)
    k = net.c_m_j_k / dt_s
    half = 0.5 * (h3 + net.h_tr_em)
    # θ_m,t = mt0 + mθ·θ_prev + mΦ·Φ (C.4, C.5 with θ_sup = θ_e)
    pmt0 = phi_m + net.h_tr_em * te + h3 * (phi_st + net.h_tr_w * te + h1 * (phi_ia / h_ve + te)) / h2
    mt0 = pmt0 / (k + half)
    mtt = (k - half) / (k + half)
    mtp = h3 * h1 / (h_ve * h2) / (k + half)
    # θ_m = (θ_m,t + θ_prev)/2 (C.9); θ_s (C.10); θ_air (C.11)
    ds = net.h_tr_ms + net.h_tr_w + h1
    s0 = (net.h_tr_ms * 0.5 * mt0 + phi_st + net.h_tr_w * te + h1 * (te + phi_ia / h_ve)) / ds
    st = net.h_tr_ms * 0.5 * (mtt + 1.0) / ds
    sp = (net.h_tr_ms * 0.5 * mtp + h1 / h_ve) / ds
    da = net.h_tr_is + h_ve
    a0 = (net.h_tr_is * s0 + h_ve * te + phi_ia) / da
    at = net.h_tr_is * st / da
    ap = (net.h_tr_is * sp + 1.0) / da
    th = np.broadcast_to(np.asarray(heating_setpoint_c, dtype=float), (n,))
    tc = np.broadcast_to(np.asarray(cooling_setpoint_c, dtype=float), (n,))

    cols = [a.tolist() for a in (a0, at, ap, mt0, np.broadcast_to(mtt, (n,)), mtp, th, tc)]
    hmax, cmax = float(heating_max_w), -float(cooling_max_w)

    def run(theta_prev: float, steps: range, out_phi: list | None, out_m: list | None) -> float:
        A0, AT, AP, M0, MT, MP, TH, TC = cols
        for i in steps:
            air0 = A0[i] + AT[i] * theta_prev
            if air0 < TH[i]:
                phi = (TH[i] - air0) / AP[i]
                if phi > hmax:
                    phi = hmax
            elif air0 > TC[i]:
                phi = (TC[i] - air0) / AP[i]
                if phi < cmax:
                    phi = cmax
            else:
                phi = 0.0
            theta_prev = M0[i] + MT[i] * theta_prev + MP[i] * phi
            if out_phi is not None:
                out_phi.append(phi)
                out_m.append(theta_prev)
        return theta_prev

    theta = float(theta_m0_c)
    if warmup_steps:
        theta = run(theta, range(min(warmup_steps, n)), None, None)
    phis: list[float] = []
    ms: list[float] = []
    run(theta, range(n), phis, ms)
    phi_arr = np.asarray(phis)
    m_arr = np.asarray(ms)
    prev = np.concatenate(([theta], m_arr[:-1]))
    air = a0 + at * prev + ap * phi_arr
    return ZoneResult(phi_hc_w=phi_arr, theta_air_c=air, theta_m_c=m_arr)


# ----------------------------------------------------------------------------------------------
# Plant efficiency


def cop_heating(theta_e_c: np.ndarray, params: HvacParams) -> np.ndarray:
    """The heat pump's COP at each outdoor temperature: COP_7 + slope·(θ_e − 7), clipped to [1, 8]."""
    return np.clip(params.heating_cop_7c + params.heating_cop_slope_per_k * (np.asarray(theta_e_c) - 7.0), 1.0, 8.0)


def eer_cooling(theta_e_c: np.ndarray, eer_35c: float, params: HvacParams) -> np.ndarray:
    """The cooling EER at each outdoor temperature: EER_35 + slope·(35 − θ_e), clipped to [1, 8]."""
    return np.clip(eer_35c + params.cooling_eer_slope_per_k * (35.0 - np.asarray(theta_e_c)), 1.0, 8.0)


DEFAULT_SPLIT_EER_35C = 3.2
"""EER at 35 °C of a split or VRF unit when the building has no chiller plant (a typical catalogue figure)."""


def _duty(rated: list[float]) -> float:
    """Power of the duty units of a set: all but one (the standby) when there are several."""
    if not rated:
        return 0.0
    return sum(sorted(rated)[: max(1, len(rated) - 1)]) if len(rated) > 1 else rated[0]


def plant_eer_35c(building) -> float | None:
    """The chiller plant's rated system EER: chillers' cooling kW over the rated kW of chillers, duty
    chilled- and condenser-water pumps and cooling towers; None when the building has no chiller."""
    chillers = [e for e in building.equipment if e.kind.endswith("chiller")]
    if not chillers:
        return None
    cooling = sum(e.rated.get("cooling_kw", 0.0) for e in chillers)
    power = sum(e.rated.get("power_kw", 0.0) for e in chillers)
    for kind in ("chilled_water_pump", "condenser_water_pump"):
        power += _duty([e.rated.get("power_kw", 0.0) for e in building.equipment if e.kind == kind])
    power += sum(e.rated.get("power_kw", 0.0) for e in building.equipment if e.kind == "cooling_tower")
    if cooling <= 0 or power <= 0:
        return None
    return cooling / power


# ----------------------------------------------------------------------------------------------
# Zones from the building file


@dataclass(frozen=True)
class ThermalZone:
    """A conditioned zone derived from the building file."""

    id: str
    use: str
    """``lobby`` (every day, lobby hours) or ``office`` (office hours)."""
    spaces: tuple[str, ...]
    floor_area_m2: float
    volume_m3: float
    wall_m2: dict[str, float]
    """Outside wall area (windows included) by orientation: north, east, south, west."""
    roof_m2: float
    heating_max_w: float
    cooling_max_w: float
    fan_kw: float
    """The air-handling unit's fan power attributed to the zone (0 for a split unit)."""
    unit: str | None
    """The air-handling unit's equipment id, or None for a split unit."""

    def network(self, params: HvacParams) -> Network5R1C:
        walls = sum(self.wall_m2.values())
        windows = params.window_wall_ratio * walls
        h_op = params.u_wall_w_m2k * (walls - windows) + params.u_roof_w_m2k * self.roof_m2
        return Network5R1C.from_envelope(self.floor_area_m2, h_op, params.u_window_w_m2k * windows)

    def window_m2(self, params: HvacParams) -> dict[str, float]:
        return {side: params.window_wall_ratio * a for side, a in self.wall_m2.items() if a > 0}


def _exposed_walls(space, floor_height_m: float, bbox: tuple[float, float, float, float],
                   tol_m: float = 0.05) -> dict[str, float]:
    """Lengths × height of the space's footprint edges that lie on its floor's bounding box."""
    x0, y0, x1, y1 = bbox
    pts = space.outline
    out = {"north": 0.0, "east": 0.0, "south": 0.0, "west": 0.0}
    for (ax, ay), (bx, by) in zip(pts, pts[1:] + pts[:1]):
        length = math.hypot(bx - ax, by - ay)
        if abs(ax - x0) < tol_m and abs(bx - x0) < tol_m:
            out["west"] += length
        elif abs(ax - x1) < tol_m and abs(bx - x1) < tol_m:
            out["east"] += length
        elif abs(ay - y0) < tol_m and abs(by - y0) < tol_m:
            out["south"] += length
        elif abs(ay - y1) < tol_m and abs(by - y1) < tol_m:
            out["north"] += length
    return {k: v * floor_height_m for k, v in out.items()}


def _capacity_w(rated: dict[str, float], key: str, share: float, area_m2: float, params: HvacParams) -> float:
    """The unit's rated heating or cooling capacity shared pro rata, or the split-unit default."""
    if key in rated:
        return rated[key] * 1000.0 * share
    return area_m2 * params.split_capacity_w_m2


def thermal_zones(building, params: HvacParams) -> list[ThermalZone]:
    """The conditioned common zones: one per air-handling unit (its common spaces) and one per management
    office no unit serves (a split unit). A unit that serves no common space gives no zone."""
    floors = {f.id: f for f in building.floors}
    spaces = {s.id: s for s in building.spaces}
    top_elevation = max(f.elevation_m for f in building.floors)
    bbox: dict[str, tuple[float, float, float, float]] = {}
    for s in building.spaces:
        xs = [p[0] for p in s.outline]
        ys = [p[1] for p in s.outline]
        b = bbox.get(s.floor)
        bbox[s.floor] = (min(xs), min(ys), max(xs), max(ys)) if b is None else (
            min(b[0], *xs), min(b[1], *ys), max(b[2], *xs), max(b[3], *ys))

    def geometry(ids: list[str]):
        area = volume = roof = 0.0
        walls = {"north": 0.0, "east": 0.0, "south": 0.0, "west": 0.0}
        for sid in ids:
            s = spaces[sid]
            fl = floors[s.floor]
            volume += s.floor_area_m2 * fl.height_m
            if fl.elevation_m >= top_elevation:
                roof += s.floor_area_m2
            if s.void:
                continue
            area += s.floor_area_m2
            for side, a in _exposed_walls(s, fl.height_m, bbox[s.floor]).items():
                walls[side] += a
        return area, volume, walls, roof

    def keep(sid: str) -> bool:
        s = spaces.get(sid)
        return s is not None and (params.include_tenant_spaces or s.kind in COMMON_KINDS)

    zones: list[ThermalZone] = []
    served: set[str] = set()
    for unit in building.equipment:
        if unit.kind != "air_handling_unit":
            continue
        all_ids = [sid for sid in unit.serves if sid in spaces]
        ids = [sid for sid in all_ids if keep(sid)]
        served.update(all_ids)
        if not ids:
            continue
        area, volume, walls, roof = geometry(ids)
        if area <= 0:
            continue
        total = sum(spaces[sid].floor_area_m2 for sid in all_ids if not spaces[sid].void) or area
        share = area / total
        use = "office" if any(spaces[sid].kind == "management_office" for sid in ids) and \
            all(spaces[sid].kind in ("management_office", "office") for sid in ids) else "lobby"
        zones.append(ThermalZone(
            id=unit.id, use=use, spaces=tuple(ids), floor_area_m2=area, volume_m3=volume, wall_m2=walls, roof_m2=roof,
            heating_max_w=_capacity_w(unit.rated, "heating_kw", share, area, params),
            cooling_max_w=_capacity_w(unit.rated, "cooling_kw", share, area, params),
            fan_kw=unit.rated.get("power_kw", 0.0) * share, unit=unit.id))
    for s in building.spaces:
        if s.kind == "management_office" and s.id not in served and not s.void:
            area, volume, walls, roof = geometry([s.id])
            cap = area * params.split_capacity_w_m2
            zones.append(ThermalZone(id=s.id, use="office", spaces=(s.id,), floor_area_m2=area, volume_m3=volume,
                                     wall_m2=walls, roof_m2=roof, heating_max_w=cap, cooling_max_w=cap, fan_kw=0.0,
                                     unit=None))
    return zones


# ----------------------------------------------------------------------------------------------
# A year of the common spaces' HVAC


@dataclass(frozen=True)
class HvacResult:
    """A year of HVAC: electricity per step (kWh) in total and by zone, thermal needs and temperatures."""

    zones: list[ThermalZone]
    electricity_kwh: np.ndarray
    by_zone_kwh: dict[str, np.ndarray]
    heating_kwh: np.ndarray
    """Heat delivered to the air (thermal, all zones), per step."""
    cooling_kwh: np.ndarray
    """Heat removed from the air (thermal, positive), per step."""
    fans_kwh: np.ndarray
    theta_air_c: dict[str, np.ndarray] = field(default_factory=dict)


def _window(hour: np.ndarray, start_h: float, end_h: float) -> np.ndarray:
    h = hour.astype(float)
    if start_h <= end_h:
        return (h >= start_h) & (h < end_h)
    return (h >= start_h) | (h < end_h)


def zone_on(zone: ThermalZone, params: HvacParams, axis: TimeAxis) -> np.ndarray:
    """True in the steps the zone's air-conditioning is scheduled on."""
    if zone.use == "office":
        on = _window(axis.hour, params.office_start_h, params.office_end_h)
        return on if params.office_rest_days else on & ~axis.rest
    return _window(axis.hour, params.occupied_start_h, params.occupied_end_h)


def _solar_w(zone: ThermalZone, weather, params: HvacParams, n: int) -> np.ndarray:
    total = np.zeros(n)
    for side, area in zone.window_m2(params).items():
        total += area * np.asarray(weather.irradiance_wm2(_AZIMUTH_DEG[side], 90.0), dtype=float)[:n]
    return params.solar_factor * total


def hvac_energy(building, weather, params: HvacParams, axis: TimeAxis) -> HvacResult:
    """A year of heating, cooling and fan electricity of the building's conditioned common zones."""
    n = axis.n
    te = np.asarray(weather.dry_bulb_c, dtype=float)
    if te.size != n:
        raise ValueError(f"weather {getattr(weather, 'name', '?')!r} has {te.size} steps of dry_bulb_c, "
                         f"the year at {axis.step_min} min has {n}: resample the weather to step_min {axis.step_min}")
    dt_s = axis.step_min * 60.0
    eer_35 = params.cooling_eer_35c if params.cooling_eer_35c is not None else (
        plant_eer_35c(building) or DEFAULT_SPLIT_EER_35C)
    cop = cop_heating(te, params)
    eer = eer_cooling(te, eer_35, params)
    zones = thermal_zones(building, params)
    by_zone: dict[str, np.ndarray] = {}
    heat = np.zeros(n)
    cool = np.zeros(n)
    fans = np.zeros(n)
    temps: dict[str, np.ndarray] = {}
    warm = params.warmup_days * 24 * axis.steps_per_hour
    for z in zones:
        net = z.network(params)
        on = zone_on(z, params, axis)
        gains = np.where(on, params.internal_gains_w_m2, params.internal_gains_off_w_m2) * z.floor_area_m2
        h_ve = RHO_C_J_M3K * z.volume_m3 * np.where(on, params.ach_on, params.ach_off) / 3600.0
        off_heat = -math.inf if params.setback_heating_c is None else params.setback_heating_c
        res = simulate_zone(net, theta_e_c=te, phi_int_w=gains, phi_sol_w=_solar_w(z, weather, params, n),
                            h_ve_w_k=h_ve, heating_setpoint_c=np.where(on, params.heating_setpoint_c, off_heat),
                            cooling_setpoint_c=np.where(on, params.cooling_setpoint_c, math.inf),
                            heating_max_w=z.heating_max_w, cooling_max_w=z.cooling_max_w, dt_s=dt_s,
                            theta_m0_c=0.5 * (params.heating_setpoint_c + params.cooling_setpoint_c),
                            warmup_steps=warm)
        step_h = axis.step_h
        h_kwh = np.maximum(res.phi_hc_w, 0.0) / 1000.0 * step_h
        c_kwh = np.maximum(-res.phi_hc_w, 0.0) / 1000.0 * step_h
        f_kwh = z.fan_kw * on * step_h
        by_zone[z.id] = h_kwh / cop + c_kwh / eer + f_kwh
        heat += h_kwh
        cool += c_kwh
        fans += f_kwh
        temps[z.id] = res.theta_air_c
    total = np.sum(list(by_zone.values()), axis=0) if by_zone else np.zeros(n)
    return HvacResult(zones=zones, electricity_kwh=total, by_zone_kwh=by_zone, heating_kwh=heat, cooling_kwh=cool,
                      fans_kwh=fans, theta_air_c=temps)


# ----------------------------------------------------------------------------------------------
# Car-park ventilation


def _movement_profile() -> DaySchedule:
    # Residential car park: departures 07–09, arrivals 17–20 (shape, peak = 1).
    wd = [0.02, 0.01, 0.01, 0.01, 0.02, 0.08, 0.35, 1.0, 0.8, 0.3, 0.2, 0.2, 0.25, 0.2, 0.2, 0.25, 0.35, 0.7, 0.9,
          0.6, 0.35, 0.2, 0.1, 0.05]
    rd = [0.03, 0.02, 0.01, 0.01, 0.01, 0.03, 0.1, 0.25, 0.45, 0.6, 0.6, 0.5, 0.45, 0.45, 0.5, 0.55, 0.6, 0.6, 0.55,
          0.45, 0.35, 0.2, 0.1, 0.05]
    return DaySchedule(weekday=wd, rest_day=rd)


class VentilationParams(BaseModel):
    """Car-park exhaust fans: on a time schedule at full speed, or by CO control on variable speed.

    Schedule: each fan of the building's ``car_park_exhaust_fan`` equipment draws its rated power
    times the schedule's factor (the share of fans running). CO control: the fans' airflow follows the
    CO emitted, i.e. the cars moving (``movements``, peak hour = 1), never below ``min_airflow_share``;
    on variable speed a fan's power goes with the cube of its airflow (fan affinity laws, a duct system
    without static pressure to hold) plus the drive's loss. Stair pressurisation and smoke-exhaust fans
    run only in a fire and are left out.
    """

    model_config = _cfg()

    control: Literal["schedule", "co_control"] = Field("schedule", json_schema_extra=param_label(
        "Fan control", "风机控制方式", "schedule (fixed speed by the clock) or co_control (variable speed on CO)",
        "schedule（按时间表定速运行）或 co_control（按 CO 浓度变频运行）"))
    schedule: DaySchedule = Field(default_factory=lambda: DaySchedule(
        weekday=[1.0 if h in (7, 8, 17, 18, 19) else 0.0 for h in range(24)],
        rest_day=[1.0 if h in (9, 10, 17, 18, 19) else 0.0 for h in range(24)]), json_schema_extra=param_label(
        "Fan schedule", "风机时间表", "Share of the car-park fans running at each hour (default: the rush hours, "
        "07–09 and 17–20 on weekdays)", "每小时运行的车库风机比例（缺省为早晚高峰：工作日 07–09、17–20 时）"))
    movements: DaySchedule = Field(default_factory=_movement_profile, json_schema_extra=param_label(
        "Car movements", "车辆进出", "Cars moving in the car park each hour, peak = 1 (drives CO control)",
        "每小时车库内车辆进出量（峰值 = 1，用于 CO 控制）"))
    min_airflow_share: float = Field(0.2, ge=0, le=1, json_schema_extra=param_label(
        "Minimum airflow", "最小风量比例", "Lowest airflow under CO control, a share of rated",
        "CO 控制下的最小风量（额定风量的比例）", "share"))
    vfd_efficiency: float = Field(0.97, json_schema_extra=param_label(
        "Drive efficiency", "变频器效率", "Efficiency of the fans' variable-speed drive (2–3 % loss)",
        "风机变频器效率（损耗 2–3 %）", "share"))

    @field_validator("vfd_efficiency")
    @classmethod
    def _eff(cls, v: float, info) -> float:
        return check_efficiency(info.field_name, v)


def check_efficiency(field_name: str, value: float) -> float:
    """An efficiency is a share in (0, 1]; anything else is refused naming the field and value."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and 0.0 < value <= 1.0):
        raise ValueError(f"{field_name} = {value!r}: an efficiency must be greater than 0 and at most 1")
    return float(value)


def ventilation_energy(building, params: VentilationParams, axis: TimeAxis) -> dict[str, np.ndarray]:
    """kWh per step of each car-park exhaust fan of the building."""
    fans = [e for e in building.equipment if e.kind == "car_park_exhaust_fan"]
    if params.control == "schedule":
        share = profile_series(params.schedule, axis)
        power_share = share
    else:
        airflow = np.maximum(profile_series(params.movements, axis), params.min_airflow_share)
        power_share = airflow ** 3 / params.vfd_efficiency
    return {f.id: f.rated.get("power_kw", 0.0) * power_share * axis.step_h for f in fans}
