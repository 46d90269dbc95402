"""The energy model's parameters: where the building stands, what it pays, what it runs, and what to test.

A scenario of the energy model names a climate (a built-in design year, :mod:`models.energy.weather`,
or an EPW file in the data directory), a tariff (:mod:`models.energy.tariff`), the time step (an
hour, or 15 minutes when peak demand matters), the year's first day, and the load sections of
:mod:`models.energy.loads` and :mod:`models.energy.hvac` — lighting, pumps, lifts, HVAC, car-park
ventilation, other fixed loads — whose defaults come from the building file's equipment and its
``rated`` figures. Optional blocks ask for more:

* ``retrofits`` — measures to judge (:mod:`models.energy.retrofits`): each run alone and all
  together against the baseline, the table of savings, payback, NPV and IRR;
* ``calibration`` — which parameters to fit to which meter data (:mod:`models.energy.calibration`);
* ``benchmark`` — the energy intensity to compare with (default: :data:`BENCHMARKS` by the
  building's use and the climate's zone);
* ``variation`` — how much the year varies between replications: the weather of an actual year
  against the design year, and the day-to-day use of lifts, pumps and water.

Files a scenario names (an EPW, a tariff, a meter CSV, the live history) are looked up only inside
the data directory (``TWIN_DATA_DIR``, default ``twin-data``) and the shipped ``scenarios/data``
(:func:`data_file`): nothing outside is read.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.energy.hvac import HvacParams, VentilationParams
from models.energy.loads import FixedLoadParams, LiftEnergyParams, LightingParams, PumpParams
from models.energy.retrofits import Retrofit
from models.datafiles import SHIPPED_DATA_DIR, data_file, data_roots
from models.harness import param_label
from twin.text import Text, text

__all__ = ["EnergyParams", "VariationParams", "CalibrationParameter", "CalibrationParams", "BenchmarkParams",
           "Benchmark", "BENCHMARKS", "END_USES", "END_USE_WORDS", "DEFAULT_START_DATE", "SHIPPED_DATA_DIR",
           "data_roots", "data_file", "benchmark_for"]

DEFAULT_START_DATE = date(2027, 1, 1)
"""Data files shipped with the package (a sample meter file): readable as the data directory is."""

END_USES = ("lighting", "pumps", "lifts", "hvac", "ventilation", "other")
"""The end uses of the common areas, in the order of every table."""
END_USE_WORDS: dict[str, tuple[str, str]] = {
    "lighting": ("Lighting", "照明"), "pumps": ("Pumps", "水泵"), "lifts": ("Lifts", "电梯"),
    "hvac": ("Air conditioning", "空调"), "ventilation": ("Car-park and plant ventilation", "车库及机房通风"),
    "other": ("Other fixed loads", "其他固定负荷"),
}


# --- the benchmark ------------------------------------------------------------------------------

_GBT51161 = ("GB/T 51161-2016 民用建筑能耗标准, Table 5.2.1, B-class (centrally air-conditioned) commercial office "
             "building, non-heating energy use")
_GBT51161_ZH = "GB/T 51161-2016《民用建筑能耗标准》表 5.2.1，B 类商业办公建筑非供暖能耗指标"


class Benchmark(BaseModel):
    """An energy-use intensity to compare with: a constraint value (the limit) and a guide value (the aim)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    constraint_kwh_per_m2_year: float = Field(gt=0, le=2000)
    guide_kwh_per_m2_year: float | None = Field(None, gt=0, le=2000)
    source_en: str
    source_zh_cn: str

    @property
    def source(self) -> Text:
        return text(self.source_en, self.source_zh_cn)


BENCHMARKS: dict[tuple[str, str], Benchmark] = {
    ("office", "severe_cold"): Benchmark(constraint_kwh_per_m2_year=80, guide_kwh_per_m2_year=60,
                                          source_en=_GBT51161 + ", severe cold and cold zones",
                                          source_zh_cn=_GBT51161_ZH + "，严寒和寒冷地区"),
    ("office", "cold"): Benchmark(constraint_kwh_per_m2_year=80, guide_kwh_per_m2_year=60,
                                  source_en=_GBT51161 + ", severe cold and cold zones",
                                  source_zh_cn=_GBT51161_ZH + "，严寒和寒冷地区"),
    ("office", "hscw"): Benchmark(constraint_kwh_per_m2_year=110, guide_kwh_per_m2_year=80,
                                  source_en=_GBT51161 + ", hot summer and cold winter zone",
                                  source_zh_cn=_GBT51161_ZH + "，夏热冬冷地区"),
    ("office", "hsww"): Benchmark(constraint_kwh_per_m2_year=100, guide_kwh_per_m2_year=75,
                                  source_en=_GBT51161 + ", hot summer and warm winter zone",
                                  source_zh_cn=_GBT51161_ZH + "，夏热冬暖地区"),
    ("office", "mild"): Benchmark(constraint_kwh_per_m2_year=90, guide_kwh_per_m2_year=65,
                                  source_en=_GBT51161 + ", mild zone", source_zh_cn=_GBT51161_ZH + "，温和地区"),
}
"""Benchmarks by (building use, climate zone). GB/T 51161-2016 bounds a whole office building's
non-heating electricity per m² of floor area; the model's common-area loads are a part of it, so a
mixed or office building compares its landlord share against the whole-building limit — met is
necessary, not sufficient. The standard gives residential buildings per-household figures, not
per m², and nothing for common areas alone: a residential building has no default benchmark —
give ``benchmark`` with its source (the estate's past bills, a local standard)."""

_ZONE_ALIASES = {"severe_cold": "severe_cold", "严寒": "severe_cold", "cold": "cold", "寒冷": "cold",
                 "hscw": "hscw", "hot_summer_cold_winter": "hscw", "夏热冬冷": "hscw",
                 "hsww": "hsww", "hot_summer_warm_winter": "hsww", "夏热冬暖": "hsww", "mild": "mild", "温和": "mild"}


def _zone_key(zone: str) -> str:
    z = zone.strip().lower().replace(" ", "_").replace("-", "_")
    for alias, key in _ZONE_ALIASES.items():
        if z == alias or z.startswith(alias):
            return key
    return z


class BenchmarkParams(BaseModel):
    """A scenario's own benchmark: its figure and where it comes from."""

    model_config = ConfigDict(extra="forbid")

    kwh_per_m2_year: float = Field(gt=0, le=2000, json_schema_extra=param_label(
        "Benchmark intensity", "能耗强度基准", "Energy use per m² of floor area and year to stay within",
        "每平方米建筑面积年能耗的上限值", "kwh_per_m2_year"))
    guide_kwh_per_m2_year: float | None = Field(None, gt=0, le=2000, json_schema_extra=param_label(
        "Guide intensity", "能耗强度引导值", "The figure to aim at (optional)", "努力达到的目标值（可选）", "kwh_per_m2_year"))
    source_en: str = Field(min_length=3, max_length=300, json_schema_extra=param_label(
        "Source", "来源", "Where the figure comes from, in English", "数值来源（英文）"))
    source_zh_cn: str = Field(min_length=2, max_length=300, json_schema_extra=param_label(
        "Source (Chinese)", "来源（中文）", "Where the figure comes from, in Chinese", "数值来源（中文）"))


def benchmark_for(use: str, zone: str, given: BenchmarkParams | None) -> Benchmark | None:
    """The scenario's benchmark, else :data:`BENCHMARKS`' for the use (``mixed`` as office) and zone, else None."""
    if given is not None:
        return Benchmark(constraint_kwh_per_m2_year=given.kwh_per_m2_year,
                         guide_kwh_per_m2_year=given.guide_kwh_per_m2_year,
                         source_en=given.source_en, source_zh_cn=given.source_zh_cn)
    use_key = "office" if use in ("office", "mixed") else use
    return BENCHMARKS.get((use_key, _zone_key(zone)))


# --- variation between replications --------------------------------------------------------------

class VariationParams(BaseModel):
    """What differs from one replication to the next. With both at 0 every replication is the same
    year (the model is deterministic) and the intervals have zero width."""

    model_config = ConfigDict(extra="forbid")

    weather_sd_c: float = Field(1.0, ge=0, le=5, json_schema_extra=param_label(
        "Weather anomaly", "气温距平", "Standard deviation of the daily mean dry-bulb temperature of an actual year "
        "about the design year (a first-order autoregressive series with a 3-day memory)",
        "实际年份日平均干球温度相对设计年的标准差（一阶自回归序列，记忆约 3 天）", "c"))
    use_sd: float = Field(0.05, ge=0, le=0.5, json_schema_extra=param_label(
        "Day-to-day use", "逐日使用波动", "Relative standard deviation of each day's lift trips and water use (hence "
        "the pumps) about the schedule", "各日电梯运行和用水量（及水泵用电）相对时间表的相对标准差", "share"))


# --- calibration --------------------------------------------------------------------------------

class CalibrationParameter(BaseModel):
    """One parameter to fit: its field path in these parameters and its plausible range."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=3, max_length=120, pattern=r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+$",
                      json_schema_extra=param_label(
                          "Parameter", "参数",
                          "Field path of a number in the energy parameters (hvac.cooling_setpoint_c)",
                          "能耗参数中一个数值的字段路径（如 hvac.cooling_setpoint_c）"))
    lower: float = Field(json_schema_extra=param_label("Lower bound", "下限", "Smallest plausible value",
                                                       "合理取值的下限"))
    upper: float = Field(json_schema_extra=param_label("Upper bound", "上限", "Largest plausible value",
                                                       "合理取值的上限"))
    initial: float | None = Field(None, json_schema_extra=param_label(
        "Initial value", "初值", "Where the fit starts (default: the parameter's value)", "拟合的起点（缺省为参数当前值）"))

    @model_validator(mode="after")
    def _bounds(self) -> "CalibrationParameter":
        if not self.lower < self.upper:
            raise ValueError(f"{self.path}: lower bound {self.lower:g} must be below the upper bound {self.upper:g}")
        if self.initial is not None and not self.lower <= self.initial <= self.upper:
            raise ValueError(f"{self.path}: initial value {self.initial:g} outside [{self.lower:g}, {self.upper:g}]")
        return self


class CalibrationParams(BaseModel):
    """Fit parameters to meter data: from a CSV file, or from the live twin's history."""

    model_config = ConfigDict(extra="forbid")

    source: Literal["csv", "live"] = Field(json_schema_extra=param_label(
        "Meter data", "计量数据来源", "csv: a meter file in the data directory; live: the live twin's meter history",
        "csv：数据目录中的计量文件；live：实时孪生的计量历史"))
    file: str | None = Field(None, max_length=300, json_schema_extra=param_label(
        "Meter file", "计量文件", "The CSV (timestamp,meter,kwh) relative to the data directory or scenarios/data",
        "计量 CSV 文件（timestamp,meter,kwh），相对于数据目录或 scenarios/data 的路径"))
    history: str = Field("history.sqlite", max_length=300, json_schema_extra=param_label(
        "Live history", "实时历史库", "The live twin's SQLite history, relative to the data directory",
        "实时孪生的 SQLite 历史库，相对于数据目录的路径"))
    meters: dict[str, list[Literal["lighting", "pumps", "lifts", "hvac", "ventilation", "other", "water"]]] | None = \
        Field(None, json_schema_extra=param_label(
            "Meters", "计量表", "Meter id → the end uses it measures (default: the building's sub-meters by what they "
            "feed; the revenue meter also counts the residents and is left out)",
            "计量表编号 → 其计量的用能分项（缺省按建筑分项计量表所供设备确定；总表含住户用电，不参与）", pick="equipment"))
    parameters: list[CalibrationParameter] = Field(min_length=1, max_length=8, json_schema_extra=param_label(
        "Parameters to fit", "拟合参数", "Up to eight numbers of these parameters, each with its plausible range",
        "至多八个参数，各带合理取值范围"))

    @model_validator(mode="after")
    def _file(self) -> "CalibrationParams":
        if self.source == "csv" and not self.file:
            raise ValueError("calibration from csv needs file: the meter CSV in the data directory")
        paths = [p.path for p in self.parameters]
        dup = next((p for p in paths if paths.count(p) > 1), None)
        if dup:
            raise ValueError(f"parameter {dup!r} is listed twice")
        return self


# --- the parameters -----------------------------------------------------------------------------

class EnergyParams(BaseModel):
    """A year of the common areas' energy: climate, tariff, time step, loads, and what to test."""

    model_config = ConfigDict(extra="forbid")

    climate: str = Field("shanghai", min_length=2, max_length=40, json_schema_extra=param_label(
        "Climate", "气候", "A built-in design year (shanghai, beijing, guangzhou, shenzhen, chengdu, harbin)",
        "内置设计年气候（上海、北京、广州、深圳、成都、哈尔滨）"))
    epw: str | None = Field(None, max_length=300, json_schema_extra=param_label(
        "Weather file", "气象文件", "An EPW file relative to the data directory; replaces the built-in climate",
        "数据目录中的 EPW 气象文件（相对路径）；给定时取代内置气候"))
    tariff: str = Field("shanghai-commercial", min_length=2, max_length=300, json_schema_extra=param_label(
        "Tariff", "电价", "A built-in tariff's name, or a tariff YAML file relative to the data directory",
        "内置电价名称，或数据目录中的电价 YAML 文件（相对路径）"))
    step_min: Literal[60, 15] = Field(60, json_schema_extra=param_label(
        "Time step", "时间步长", "60: hourly; 15: quarter-hourly (peak demand as the utility meters it)",
        "60：逐时；15：每 15 分钟（与供电部门计量最大需量一致）", "min"))
    start_date: date = Field(DEFAULT_START_DATE, json_schema_extra=param_label(
        "First day", "起始日期", "The first day of the simulated year (365 days)", "模拟年度的第一天（共 365 天）"))
    lighting: LightingParams = Field(default_factory=LightingParams, json_schema_extra=param_label(
        "Lighting", "照明", "Common-area lighting: lamps, schedules and controls", "公共区域照明：灯具、时间表与控制"))
    pumps: PumpParams = Field(default_factory=PumpParams, json_schema_extra=param_label(
        "Pumps", "水泵", "Booster pumps: water demand, system curve, control", "加压水泵：用水量、管网特性、控制方式"))
    lifts: LiftEnergyParams = Field(default_factory=LiftEnergyParams, json_schema_extra=param_label(
        "Lifts", "电梯", "Lifts: standby power and energy per trip", "电梯：待机功率与每次运行能耗"))
    hvac: HvacParams = Field(default_factory=HvacParams, json_schema_extra=param_label(
        "Air conditioning", "空调", "Conditioned common spaces (ISO 13790 5R1C): set-points, schedules, COP",
        "空调公共空间（ISO 13790 5R1C）：设定温度、时间表、能效比"))
    ventilation: VentilationParams = Field(default_factory=VentilationParams, json_schema_extra=param_label(
        "Ventilation", "通风", "Car-park and plant-room fans: schedule or CO control", "车库及机房风机：定时或 CO 浓度控制"))
    other: FixedLoadParams = Field(default_factory=FixedLoadParams, json_schema_extra=param_label(
        "Other loads", "其他负荷", "Security, access control, IT and signage", "安防、门禁、信息设备和标识"))
    lift_traffic: dict[str, Any] | None = Field(None, json_schema_extra=param_label(
        "Lift trips from the elevator model", "电梯运行取自电梯模型",
        "The elevator model's traffic parameters (models.elevators.traffic.TrafficParams, e.g. {} for its defaults): "
        "each car's starts and distance come from one simulated working day of that traffic instead of "
        "lifts.trips_per_person_day", "电梯模型的客流参数（如 {} 表示缺省）：各轿厢的启动次数与运行距离取自该客流模拟的一个工作日，"
        "而非 lifts.trips_per_person_day"))
    include_water: bool = Field(False, json_schema_extra=param_label(
        "Water on the bill", "水费计入", "True when the estate pays for the water the pumps deliver (one account for "
        "the building); false: the residents pay theirs by their own meters and only the pumps' electricity counts",
        "物业支付加压泵所供水量的水费时为真（全楼一个账户）；否则住户按各自水表缴费，仅计水泵电费"))
    variation: VariationParams = Field(default_factory=VariationParams, json_schema_extra=param_label(
        "Variation", "波动", "How an actual year differs from the design year between replications",
        "各次重复之间实际年份与设计年的差异"))
    retrofits: list[Retrofit] = Field(default_factory=list, max_length=12, json_schema_extra=param_label(
        "Retrofits", "节能改造", "Measures to judge, each alone and all together, against the baseline",
        "待评估的措施：逐项及全部实施，与基准比较"))
    discount_rate: float = Field(0.06, ge=0, le=0.5, json_schema_extra=param_label(
        "Discount rate", "折现率", "Yearly rate for the retrofits' NPV", "计算改造净现值的年折现率", "share"))
    price_escalation: float = Field(0.0, ge=-0.2, le=0.5, json_schema_extra=param_label(
        "Price escalation", "电价年涨幅", "Yearly change of the energy price over a measure's life",
        "措施寿命期内能源价格的年变化率", "share"))
    benchmark: BenchmarkParams | None = Field(None, json_schema_extra=param_label(
        "Benchmark", "能耗基准", "The intensity to compare with (default: GB/T 51161-2016 for offices by climate zone)",
        "对比的能耗强度（缺省：按气候区取 GB/T 51161-2016 办公建筑指标）"))
    calibration: CalibrationParams | None = Field(None, json_schema_extra=param_label(
        "Calibration", "校准", "Fit parameters to meter data and report ASHRAE Guideline 14's figures",
        "将参数拟合到计量数据，并给出 ASHRAE Guideline 14 指标"))

    @field_validator("lift_traffic")
    @classmethod
    def _traffic(cls, v: dict[str, Any] | None) -> dict[str, Any] | None:
        if v is not None:
            from models.elevators.traffic import TrafficParams  # a sibling model, imported when used

            TrafficParams.model_validate(v)
        return v

    @field_validator("start_date")
    @classmethod
    def _year(cls, v: date) -> date:
        if not 2000 <= v.year <= 2100:
            raise ValueError(f"start_date {v.isoformat()} must be between 2000 and 2100")
        return v

    @model_validator(mode="after")
    def _unique_retrofits(self) -> "EnergyParams":
        ids = [r.id for r in self.retrofits]
        dup = next((i for i in ids if ids.count(i) > 1), None)
        if dup:
            raise ValueError(f"retrofit id {dup!r} is used twice")
        if "all" in ids or "baseline" in ids:
            raise ValueError("retrofit ids 'baseline' and 'all' are reserved for the table's rows")
        return self

    @property
    def steps(self) -> int:
        return 365 * 24 * 60 // self.step_min
