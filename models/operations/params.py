"""The operations model's parameters: the estate's staff, its demand, its promises and its stock.

Everything a supervisor plans with is a field here, grouped as the work plans group it:

* **staff** — staff groups (role, skills, head count, shift pattern, base, wage, absence rate),
  the shift patterns beyond the built-in ones, fixed posts and the pay rules
  (:mod:`models.staff`);
* **demand** — owners' repair requests by category and priority (:class:`RequestStream`), their
  hour-of-day, day-of-week and monthly shapes (:class:`Profile`), equipment failures from Weibull
  lives (:class:`FailureModel`) and preventive maintenance (:class:`PMSchedule`) per equipment kind,
  cleaning rounds (:class:`CleaningRound`), patrol rounds (:class:`PatrolRound`) and the service
  desk's calls (:class:`DeskParams`);
* **response** — the promises (:class:`SLAParams`: on site within 30 min for an emergency and 2 h
  for an ordinary repair), travel over the floor graph (:class:`TravelParams`), spare parts
  (:class:`Part`), the contractor (:class:`ContractorParams`), the supervisor's escalation
  (:class:`EscalationParams`) and return visits (:class:`ReturnVisitParams`);
* **budget** — fees, fixed lines and the budget (:class:`models.operations.budget.BudgetParams`).

Rates are per apartment per month or per 1,000 m² per month (a month is 365.25/12 days); a
profile's factors are scaled to a mean of one, so the rate stays the mean rate. Each field
carries its label and description in both languages (:func:`models.harness.param_label`). What
needs the building to check (a space id, an equipment kind) is checked by
:func:`models.operations.model.check` before any run.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from models.harness import param_label
from models.operations.budget import BudgetParams
from models.staff import (BUILTIN_PATTERNS, CHINA_PUBLIC_HOLIDAYS_2027, SKILLS, PayRules, Post, ShiftPattern,
                          StaffGroup)

__all__ = ["CATEGORIES", "PRIORITIES", "Profile", "RequestStream", "FailureModel", "PMSchedule", "Part",
           "CleaningRound", "PatrolRound", "DeskParams", "SLAParams", "TravelParams", "ContractorParams",
           "EscalationParams", "ReturnVisitParams", "OpenOrder", "OperationsParams", "BUILTIN_PROFILES",
           "LIFT_CAR_KIND", "MAX_HORIZON_S", "DAYS_PER_MONTH"]

CATEGORIES = ("plumbing", "electrical", "doors_locks", "lifts", "common_areas", "hvac", "equipment", "complaints",
              "enquiries", "pm", "return_visit")
"""Work-order categories: the owners' request categories of the work plans, plus ``hvac``,
``equipment`` (a failure), ``pm`` and ``return_visit``."""
PRIORITIES = ("emergency", "ordinary")
LIFT_CAR_KIND = "lift_car"
"""The equipment kind of an elevator car (cars are in the building's ``elevators``, not its ``equipment``)."""
MAX_HORIZON_S = 2 * 366 * 86_400.0
"""Longest simulated time of an operations run: two years."""
DAYS_PER_MONTH = 365.25 / 12
MAX_RATE = 1e4
MAX_MIN = 30 * 24 * 60.0
MAX_CNY = 1e8
_DIST = Literal["exponential", "lognormal", "fixed"]


def _cfg() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True)


def _skill(value: str, field: str = "skill") -> str:
    if value not in SKILLS:
        raise ValueError(f"unknown {field} {value!r}; known skills: {', '.join(SKILLS)}")
    return value


Skill = Annotated[str, AfterValidator(_skill)]
"""A skill of :data:`models.staff.SKILLS`; anything else is refused naming it."""


class Profile(BaseModel):
    """The shape of a demand over the day, the week and the year: factors scaled to a mean of one."""

    model_config = _cfg()

    hour_of_day: list[float] = Field(
        default_factory=lambda: [1.0] * 24, min_length=24, max_length=24,
        json_schema_extra=param_label("Hour-of-day factors", "小时系数",
                                      "24 relative factors, 00:00 to 23:00 (scaled to a mean of one)",
                                      "00:00 至 23:00 的 24 个相对系数（归一化为均值 1）"))
    day_of_week: list[float] = Field(
        default_factory=lambda: [1.0] * 7, min_length=7, max_length=7,
        json_schema_extra=param_label("Day-of-week factors", "星期系数",
                                      "7 relative factors, Monday to Sunday; a public holiday counts as a Sunday",
                                      "周一至周日 7 个相对系数；法定节假日按周日计"))
    month: list[float] = Field(
        default_factory=lambda: [1.0] * 12, min_length=12, max_length=12,
        json_schema_extra=param_label("Monthly factors", "月份系数",
                                      "12 relative factors, January to December (a summer peak for AC and water)",
                                      "1 月至 12 月 12 个相对系数（如夏季空调和用水高峰）"))

    @field_validator("hour_of_day", "day_of_week", "month")
    @classmethod
    def _factors(cls, v: list[float], info) -> list[float]:
        bad = [x for x in v if not (x >= 0 and x < 1e6)]
        if bad:
            raise ValueError(f"{info.field_name} factors must be between 0 and 1e6, got {bad[0]!r}")
        if sum(v) <= 0:
            raise ValueError(f"{info.field_name} factors are all zero: no demand at any time")
        return v

    @property
    def flat(self) -> bool:
        return len(set(self.hour_of_day)) == 1 and len(set(self.day_of_week)) == 1 and len(set(self.month)) == 1


_RESIDENTIAL_HOURS = [0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.4, 1.5, 1.4, 1.2,
                      1.0, 1.1, 1.3, 1.3, 1.3, 1.4, 1.7, 1.9, 1.8, 1.4, 0.8, 0.4]
BUILTIN_PROFILES: dict[str, Profile] = {
    "flat": Profile(),
    "residential": Profile(hour_of_day=_RESIDENTIAL_HOURS, day_of_week=[1, 1, 1, 1, 1, 1.2, 1.2]),
    "residential_summer": Profile(hour_of_day=_RESIDENTIAL_HOURS, day_of_week=[1, 1, 1, 1, 1, 1.2, 1.2],
                                  month=[0.8, 0.8, 0.9, 0.9, 1.0, 1.2, 1.4, 1.4, 1.1, 0.9, 0.8, 0.8]),
    "office_hours": Profile(hour_of_day=[0.05] * 8 + [1.5, 2.0, 2.0, 1.6, 1.0, 1.6, 2.0, 2.0, 1.8, 1.2] + [0.3] * 6,
                            day_of_week=[1.2, 1.2, 1.2, 1.2, 1.2, 0.5, 0.5]),
}
"""Demand shapes a stream may name: ``flat``; ``residential`` (evening peak, weekends 20 % busier);
``residential_summer`` (the same with a July–August peak of 40 %: air conditioning and water);
``office_hours`` (a service desk's calls, weekdays). Assumptions, to be replaced by the estate's
own work-order history."""


class RequestStream(BaseModel):
    """Owners' repair requests of one category and priority."""

    model_config = _cfg()

    category: Literal["plumbing", "electrical", "doors_locks", "lifts", "common_areas", "hvac", "complaints",
                      "enquiries"] = Field(json_schema_extra=param_label(
                          "Category", "类别", "What the request is about", "报修内容类别"))
    priority: Literal["emergency", "ordinary"] = Field(json_schema_extra=param_label(
        "Priority", "优先级", "Emergency (on site within its promise, first served) or ordinary",
        "紧急（按时限到场、优先处理）或一般"))
    per_apartment_month: float = Field(0.0, ge=0, le=MAX_RATE, allow_inf_nan=False, json_schema_extra=param_label(
        "Rate per apartment and month", "每户每月报修率", "Requests per apartment per month",
        "每户每月的报修数", "per_month"))
    per_1000m2_month: float = Field(0.0, ge=0, le=MAX_RATE, allow_inf_nan=False, json_schema_extra=param_label(
        "Rate per 1,000 m² and month", "每千平方米每月报修率",
        "Requests per 1,000 m² of the spaces where they arise, per month",
        "发生区域每千平方米每月的报修数", "per_month"))
    per_h: float = Field(0.0, ge=0, le=MAX_RATE, allow_inf_nan=False, json_schema_extra=param_label(
        "Rate per hour", "每小时报修数", "Requests per hour for the whole estate (added to the rates above)",
        "整个物业每小时的报修数（与上述报修率相加）", "per_h"))
    where: Literal["apartment", "common", "office", "none"] = Field("apartment", json_schema_extra=param_label(
        "Where", "发生位置",
        "apartment (a random apartment), common (a random lobby, corridor or lift lobby), office (the "
        "management office) or none (no travel)",
        "户内（随机住户）、公共区域（随机大堂、走廊或电梯厅）、管理处或无（不计行走）"))
    skill: Skill = Field("general", json_schema_extra=param_label(
        "Skill", "所需技能", "The skill a person needs to take the order", "处理该工单所需的技能"))
    repair_mean_min: float = Field(45.0, gt=0, le=MAX_MIN, allow_inf_nan=False, json_schema_extra=param_label(
        "Mean repair time", "平均维修时间", "Mean time on site to repair", "现场维修的平均时间", "min"))
    repair_dist: _DIST = Field("lognormal", json_schema_extra=param_label(
        "Repair time distribution", "维修时间分布", "exponential, lognormal or fixed", "指数、对数正态或固定"))
    repair_cv: float = Field(0.8, ge=0, le=10, allow_inf_nan=False, json_schema_extra=param_label(
        "Repair time variation", "维修时间变异系数", "Coefficient of variation of a lognormal repair time",
        "对数正态维修时间的变异系数", ""))
    profile: str = Field("residential", json_schema_extra=param_label(
        "Demand profile", "需求曲线", "Name of the hour/day/month profile (built-in or in profiles)",
        "时段/星期/月份需求曲线名称（内置或在 profiles 中定义）"))
    part: str | None = Field(None, json_schema_extra=param_label(
        "Spare part", "备件", "Part a repair may need (an id in parts)", "维修可能需要的备件（parts 中的编号）"))
    part_probability: float = Field(0.0, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Share needing the part", "需备件比例", "Share of these repairs that need the part", "需要该备件的维修比例",
        "share"))


class FailureModel(BaseModel):
    """Failures of every item of one equipment kind: Weibull lives, each failure a work order."""

    model_config = _cfg()

    kind: str = Field(min_length=1, json_schema_extra=param_label(
        "Equipment kind", "设备类型", "Equipment kind in the building file (lift_car: every elevator car)",
        "建筑文件中的设备类型（lift_car：每台电梯轿厢）", pick="equipment_kind"))
    weibull_shape: float = Field(1.5, gt=0, le=20, allow_inf_nan=False, json_schema_extra=param_label(
        "Weibull shape β", "威布尔形状参数 β", "Shape of the life distribution (β > 1: wear-out)",
        "寿命分布的形状参数（β > 1：磨损型）", ""))
    weibull_scale_days: float = Field(365.0, gt=0, le=1e5, allow_inf_nan=False, json_schema_extra=param_label(
        "Weibull scale η", "威布尔尺度参数 η", "Characteristic life of one item", "单台设备的特征寿命", "d"))
    initial_age_days: float | None = Field(None, ge=0, le=1e5, allow_inf_nan=False, json_schema_extra=param_label(
        "Age at the start", "初始役龄", "Age since the last renewal at the start; none: drawn at random (stationary)",
        "开始时距上次更新的役龄；留空：随机抽取（平稳状态）", "d"))
    priority: Literal["emergency", "ordinary"] = Field("ordinary", json_schema_extra=param_label(
        "Priority", "优先级", "Priority of a failure's work order", "故障工单的优先级"))
    skill: Skill = Field("general", json_schema_extra=param_label(
        "Skill", "所需技能", "The skill the repair needs", "维修所需技能"))
    repair_mean_min: float = Field(120.0, gt=0, le=MAX_MIN, allow_inf_nan=False, json_schema_extra=param_label(
        "Mean repair time", "平均维修时间", "Mean time on site to repair a failure", "现场修复一次故障的平均时间", "min"))
    repair_dist: _DIST = Field("lognormal", json_schema_extra=param_label(
        "Repair time distribution", "维修时间分布", "exponential, lognormal or fixed", "指数、对数正态或固定"))
    repair_cv: float = Field(0.8, ge=0, le=10, allow_inf_nan=False, json_schema_extra=param_label(
        "Repair time variation", "维修时间变异系数", "Coefficient of variation of a lognormal repair time",
        "对数正态维修时间的变异系数", ""))
    part: str | None = Field(None, json_schema_extra=param_label(
        "Spare part", "备件", "Part a repair may need (an id in parts)", "维修可能需要的备件（parts 中的编号）"))
    part_probability: float = Field(0.0, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Share needing the part", "需备件比例", "Share of failures that need the part", "需要该备件的故障比例", "share"))
    failure_cost_cny: float = Field(0.0, ge=0, le=MAX_CNY, allow_inf_nan=False, json_schema_extra=param_label(
        "Cost per failure", "每次故障费用", "Materials and consequences of one failure, besides labour",
        "每次故障除人工外的材料及损失费用", "cny"))


class PMSchedule(BaseModel):
    """Preventive maintenance of every item of one equipment kind."""

    model_config = _cfg()

    kind: str = Field(min_length=1, json_schema_extra=param_label(
        "Equipment kind", "设备类型", "Equipment kind in the building file (lift_car: every elevator car)",
        "建筑文件中的设备类型（lift_car：每台电梯轿厢）", pick="equipment_kind"))
    interval_days: float = Field(30.0, gt=0, le=3660, allow_inf_nan=False, json_schema_extra=param_label(
        "Interval", "保养周期", "Days between two PMs of an item (or the replacement age T, policy age)",
        "同一设备两次保养之间的天数（按役龄更换策略时为更换役龄 T）", "d"))
    policy: Literal["calendar", "age"] = Field("calendar", json_schema_extra=param_label(
        "Policy", "策略", "calendar: every interval; age: when the item reaches the age T since its last renewal",
        "calendar：按固定周期；age：设备自上次更新起达到役龄 T 时"))
    duration_min: float = Field(60.0, gt=0, le=MAX_MIN, allow_inf_nan=False, json_schema_extra=param_label(
        "Duration", "保养时长", "Time on site for one PM", "一次保养的现场时间", "min"))
    skill: Skill = Field("general", json_schema_extra=param_label(
        "Skill", "所需技能", "The skill the PM needs", "保养所需技能"))
    window_days: float = Field(3.0, ge=0, le=365, allow_inf_nan=False, json_schema_extra=param_label(
        "Window", "允许窗口", "A PM done within this many days of its due date is compliant",
        "在到期日后该天数内完成的保养计为合规", "d"))
    cost_cny: float = Field(0.0, ge=0, le=MAX_CNY, allow_inf_nan=False, json_schema_extra=param_label(
        "Cost per PM", "每次保养费用", "Materials of one PM, besides labour", "每次保养除人工外的材料费用", "cny"))
    by_contractor: bool = Field(False, json_schema_extra=param_label(
        "By a contractor", "外包保养", "The PM is done by a maintenance contractor at its due time",
        "保养由外包维保单位按期完成"))


class Part(BaseModel):
    """A spare part kept in stock: reordered at the reorder point, delivered after the lead time."""

    model_config = _cfg()

    id: str = Field(min_length=1, json_schema_extra=param_label("Part", "备件", "Id of the part", "备件编号"))
    stock: int = Field(5, ge=0, le=100_000, json_schema_extra=param_label(
        "Initial stock", "初始库存", "Parts in stock at the start", "开始时的库存数量", "parts"))
    reorder_point: int = Field(2, ge=0, le=100_000, json_schema_extra=param_label(
        "Reorder point", "订货点", "Order when the stock falls to this", "库存降到该数量时订货", "parts"))
    order_quantity: int = Field(5, ge=1, le=100_000, json_schema_extra=param_label(
        "Order quantity", "订货批量", "Parts ordered at a time", "每次订货数量", "parts"))
    lead_time_days: float = Field(3.0, ge=0, le=365, allow_inf_nan=False, json_schema_extra=param_label(
        "Lead time", "到货周期", "Days from an order to its delivery", "从订货到到货的天数", "d"))
    cost_cny: float = Field(100.0, ge=0, le=MAX_CNY, allow_inf_nan=False, json_schema_extra=param_label(
        "Unit cost", "单价", "Cost of one part", "单个备件的费用", "cny"))


class _Round(BaseModel):
    """What a cleaning round and a patrol share: the hours of the day it starts at (checked here once)."""

    model_config = _cfg()

    @field_validator("times_h", check_fields=False)
    @classmethod
    def _hours(cls, v: list[float]) -> list[float]:
        bad = [h for h in v if not 0 <= h < 24]
        if bad:
            raise ValueError(f"a start time is an hour of the day in [0, 24), got {bad[0]!r}")
        return sorted(v)


class CleaningRound(_Round):
    """A cleaning round over a zone: the spaces of some kinds (on some floors), at set hours."""

    model_config = _cfg()

    zone: str = Field(min_length=1, json_schema_extra=param_label("Zone", "区域", "Name of the zone", "区域名称"))
    space_kinds: list[str] = Field(default_factory=list, json_schema_extra=param_label(
        "Space kinds", "空间类型", "Kinds of space in the zone (lobby, lift_lobby, corridor, stair…)",
        "区域内的空间类型（大堂、电梯厅、走廊、楼梯……）", pick="space_kind"))
    spaces: list[str] = Field(default_factory=list, json_schema_extra=param_label(
        "Spaces", "空间", "Space ids in the zone, besides the kinds", "区域内的空间编号（除上述类型外）", pick="space"))
    floors: list[str] = Field(default_factory=list, json_schema_extra=param_label(
        "Floors", "楼层", "Only these floors (empty: every floor)", "仅限这些楼层（留空：所有楼层）", pick="floor"))
    times_h: list[float] = Field(default_factory=lambda: [8.0], min_length=1, max_length=48,
                                 json_schema_extra=param_label(
                                     "Start times", "开始时间", "Hours of the day a round starts",
                                     "每天开始清洁的时刻", "h"))
    every_days: int = Field(1, ge=1, le=365, json_schema_extra=param_label(
        "Every n days", "间隔天数", "The round is done every this many days", "每隔该天数清洁一次", "d"))
    minutes_per_space: float = Field(3.0, gt=0, le=600, allow_inf_nan=False, json_schema_extra=param_label(
        "Minutes per space", "每个空间用时", "Cleaning time in each space of the zone", "每个空间的清洁时间", "min"))
    max_round_min: float = Field(120.0, gt=0, le=1440, allow_inf_nan=False, json_schema_extra=param_label(
        "Longest round", "单次最长时长", "A zone needing more is cleaned in parts of at most this, by several cleaners",
        "超过该时长的区域分成若干段，由多名保洁员分别完成", "min"))
    skill: Skill = Field("cleaning", json_schema_extra=param_label(
        "Skill", "所需技能", "The skill the round needs", "所需技能"))


class PatrolRound(_Round):
    """A guard's patrol: a route of checkpoint spaces walked over the floor graph at set hours."""

    model_config = _cfg()

    id: str = Field(min_length=1, json_schema_extra=param_label("Round", "巡逻路线", "Name of the round", "巡逻路线名称"))
    route: list[str] = Field(default_factory=list, json_schema_extra=param_label(
        "Checkpoints", "巡更点", "Space ids of the checkpoints, in order", "按顺序的巡更点空间编号", pick="space"))
    route_kinds: list[str] = Field(default_factory=list, json_schema_extra=param_label(
        "Checkpoint kinds", "巡更点类型",
        "Every space of these kinds is a checkpoint too (after the listed ones, lowest floor first)",
        "这些类型的所有空间也是巡更点（排在列出的巡更点之后，从最低楼层开始）", pick="space_kind"))
    times_h: list[float] = Field(default_factory=lambda: [float(h) for h in range(0, 24, 2)], min_length=1,
                                 max_length=96, json_schema_extra=param_label(
                                     "Start times", "开始时间", "Hours of the day a round starts", "每天开始巡逻的时刻",
                                     "h"))
    dwell_min: float = Field(1.0, ge=0, le=120, allow_inf_nan=False, json_schema_extra=param_label(
        "Time at a checkpoint", "巡更点停留时间", "Minutes spent at each checkpoint", "在每个巡更点停留的分钟数", "min"))
    late_after_min: float = Field(15.0, ge=0, le=1440, allow_inf_nan=False, json_schema_extra=param_label(
        "On time within", "准时容差", "A round started within this of its time is on time", "在计划时刻后该时间内开始即为准时",
        "min"))
    skill: Skill = Field("security", json_schema_extra=param_label(
        "Skill", "所需技能", "The skill the round needs", "所需技能"))


class DeskParams(BaseModel):
    """The service desk: calls answered by agents; a caller hangs up when their patience runs out."""

    model_config = _cfg()

    calls_per_apartment_month: float = Field(0.5, ge=0, le=MAX_RATE, allow_inf_nan=False,
                                             json_schema_extra=param_label(
                                                 "Calls per apartment and month", "每户每月来电数",
                                                 "Calls to the service desk per apartment per month",
                                                 "每户每月打给客服中心的电话数", "per_month"))
    calls_per_h: float = Field(0.0, ge=0, le=MAX_RATE, allow_inf_nan=False, json_schema_extra=param_label(
        "Calls per hour", "每小时来电数", "Calls per hour for the whole estate (added)", "整个物业每小时来电数（相加）",
        "per_h"))
    profile: str = Field("office_hours", json_schema_extra=param_label(
        "Demand profile", "需求曲线", "Name of the calls' profile", "来电需求曲线名称"))
    handle_mean_min: float = Field(4.0, gt=0, le=600, allow_inf_nan=False, json_schema_extra=param_label(
        "Mean handling time", "平均通话处理时间", "Mean time an agent spends on a call (exponential)",
        "客服处理一个来电的平均时间（指数分布）", "min"))
    patience_mean_min: float = Field(3.0, gt=0, le=600, allow_inf_nan=False, json_schema_extra=param_label(
        "Mean patience", "平均耐心时间", "Mean time a caller waits before hanging up (exponential)",
        "来电者挂断前的平均等待时间（指数分布）", "min"))
    answer_within_s: float = Field(20.0, gt=0, le=3600, allow_inf_nan=False, json_schema_extra=param_label(
        "Answer promise", "接听时限", "Calls answered within this count as answered in time",
        "在该时间内接听的来电计为及时接听", "s"))
    skill: Skill = Field("service", json_schema_extra=param_label(
        "Skill", "所需技能", "The skill an agent needs", "客服所需技能"))


class SLAParams(BaseModel):
    """The service promises: on site within a time by priority, and the share of orders that must keep it."""

    model_config = _cfg()

    emergency_min: float = Field(30.0, gt=0, le=MAX_MIN, allow_inf_nan=False, json_schema_extra=param_label(
        "Emergency promise", "紧急报修到场时限", "An emergency repair is attended on site within this",
        "紧急报修须在该时间内到场", "min"))
    ordinary_min: float = Field(120.0, gt=0, le=MAX_MIN, allow_inf_nan=False, json_schema_extra=param_label(
        "Ordinary promise", "一般报修到场时限", "An ordinary repair is attended on site within this",
        "一般报修须在该时间内到场", "min"))
    target_share: float = Field(0.95, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Target share", "达标比例目标", "Share of orders that must be attended within their promise",
        "须在承诺时限内到场的工单比例", "share"))


class TravelParams(BaseModel):
    """Walking, stairs and lifts between a person's place and the job."""

    model_config = _cfg()

    enabled: bool = Field(True, json_schema_extra=param_label(
        "Travel", "计入行走", "Count the time to walk to the job (off: everyone is at the job at once)",
        "计入前往工作地点的时间（关闭：瞬时到达）"))
    walk_mps: float = Field(1.2, gt=0, le=5, allow_inf_nan=False, json_schema_extra=param_label(
        "Walking speed", "步行速度", "Walking speed on the level", "平地步行速度", "m/s"))
    stair_mps: float = Field(0.5, gt=0, le=3, allow_inf_nan=False, json_schema_extra=param_label(
        "Stair speed", "楼梯速度", "Speed along a stair flight's slope", "沿楼梯斜面的行进速度", "m/s"))
    use_lifts: bool = Field(True, json_schema_extra=param_label(
        "Use lifts", "乘坐电梯", "Staff ride the lifts between floors", "员工乘电梯上下楼"))
    lift_wait_s: float = Field(30.0, ge=0, le=3600, allow_inf_nan=False, json_schema_extra=param_label(
        "Lift wait", "候梯时间", "Mean wait for a lift car at a lobby", "在电梯厅的平均候梯时间", "s"))


class ContractorParams(BaseModel):
    """The call-out contractor: when staff cannot keep a promise, or for skills the estate does not staff."""

    model_config = _cfg()

    enabled: bool = Field(True, json_schema_extra=param_label(
        "Contractor", "外包单位", "A contractor can be called out", "可呼叫外包单位"))
    skills: list[str] = Field(default_factory=lambda: ["electrical", "plumbing", "hvac", "lift", "general"],
                              json_schema_extra=param_label("Skills", "技能", "Skills the contractor covers",
                                                            "外包单位覆盖的技能"))
    only: list[str] = Field(default_factory=list, json_schema_extra=param_label(
        "Contractor only", "仅外包", "Skills only the contractor does (every such order goes to them)",
        "仅由外包单位处理的技能（此类工单全部外包）"))
    callout_fee_cny: float = Field(300.0, ge=0, le=MAX_CNY, allow_inf_nan=False, json_schema_extra=param_label(
        "Call-out fee", "出勤费", "Fee per call-out", "每次呼叫的出勤费", "cny"))
    labour_cny_per_h: float = Field(150.0, ge=0, le=1e5, allow_inf_nan=False, json_schema_extra=param_label(
        "Labour rate", "人工费率", "Contractor's labour per hour on site", "外包单位现场每小时人工费", "cny_per_h"))
    response_mean_min: list[float] = Field(
        default_factory=lambda: [120.0] * 8 + [60.0] * 10 + [120.0] * 6, min_length=24, max_length=24,
        json_schema_extra=param_label("Response time by hour", "分时响应时间",
                                      "Mean minutes from call-out to on site, for each hour of the day (lognormal)",
                                      "各时段从呼叫到到场的平均分钟数（对数正态分布）", "min"))
    skill_response_min: dict[str, float] = Field(
        default_factory=lambda: {"lift": 12.0}, json_schema_extra=param_label(
            "Response time by skill", "分技能响应时间",
            "Mean minutes to on site for these skills, whatever the hour (a lift maintenance company must arrive "
            "within 30 min, TSG T5002; observed means 10–13 min)",
            "这些技能的平均到场分钟数，不分时段（电梯维保单位须 30 分钟内到场，TSG T5002；实测平均 10–13 分钟）", "min"))
    response_cv: float = Field(0.5, ge=0, le=10, allow_inf_nan=False, json_schema_extra=param_label(
        "Response variation", "响应时间变异系数", "Coefficient of variation of the response time",
        "响应时间的变异系数", ""))
    backlog_threshold: int = Field(20, ge=0, le=100_000, json_schema_extra=param_label(
        "Backlog threshold", "积压阈值", "Call out when this many orders of the skill are waiting (0: never)",
        "同技能等待工单达到该数量时外包（0：不按积压外包）", "orders"))
    when_late: bool = Field(True, json_schema_extra=param_label(
        "Call out when staff would be late", "预计超时即外包",
        "Call out when no skilled person can be on site within the promise",
        "没有具备技能的人员能在承诺时限内到场时外包"))

    @field_validator("skills", "only")
    @classmethod
    def _skills(cls, v: list[str]) -> list[str]:
        for s in v:
            _skill(s)
        return v

    @field_validator("response_mean_min")
    @classmethod
    def _positive(cls, v: list[float]) -> list[float]:
        bad = [x for x in v if not 0 <= x <= MAX_MIN]
        if bad:
            raise ValueError(f"a response time is between 0 and {MAX_MIN:g} min, got {bad[0]!r}")
        return v

    @field_validator("skill_response_min")
    @classmethod
    def _skill_times(cls, v: dict[str, float]) -> dict[str, float]:
        for skill, minutes in v.items():
            _skill(skill)
            if not 0 <= minutes <= MAX_MIN:
                raise ValueError(f"the response time of {skill!r} is between 0 and {MAX_MIN:g} min, got {minutes!r}")
        return v


class EscalationParams(BaseModel):
    """The supervisor on call escalates an order still not attended late in its promise."""

    model_config = _cfg()

    enabled: bool = Field(True, json_schema_extra=param_label(
        "Escalation", "督办升级", "The supervisor escalates late orders", "主管对超时工单督办升级"))
    after_share: float = Field(0.75, gt=0, le=10, allow_inf_nan=False, json_schema_extra=param_label(
        "Escalate after", "升级时点", "Share of its promise after which a waiting order is escalated (first "
        "served, and a contractor called if one may be)", "等待工单超过承诺时限该比例后升级（优先处理，并可呼叫外包）",
        "share"))


class ReturnVisitParams(BaseModel):
    """Return visits (回访): every repaired request is followed up."""

    model_config = _cfg()

    share: float = Field(1.0, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Share visited back", "回访比例", "Share of completed requests followed up", "已完成报修中回访的比例", "share"))
    delay_h: float = Field(24.0, ge=0, le=24 * 30, allow_inf_nan=False, json_schema_extra=param_label(
        "Delay", "回访间隔", "Hours after completion", "完成后多少小时回访", "h"))
    duration_min: float = Field(5.0, gt=0, le=600, allow_inf_nan=False, json_schema_extra=param_label(
        "Duration", "回访时长", "Time of one return visit", "一次回访的时间", "min"))
    by_phone: bool = Field(True, json_schema_extra=param_label(
        "By phone", "电话回访", "A call (no travel); off: a visit to the place", "电话回访（不计行走）；关闭：上门回访"))
    skill: Skill = Field("service", json_schema_extra=param_label(
        "Skill", "所需技能", "The skill the return visit needs", "回访所需技能"))


class OpenOrder(BaseModel):
    """A work order open at the start (from the live twin's alarms, or by hand), or reported at a
    set time (a scripted incident)."""

    model_config = _cfg()

    location: str | None = Field(None, json_schema_extra=param_label(
        "Location", "位置", "Space id (none: the equipment's location)", "空间编号（留空：设备所在位置）", pick="space"))
    equipment: str = Field("", json_schema_extra=param_label(
        "Equipment", "设备", "Equipment id the order is for", "工单对应的设备编号", pick="equipment|car"))
    priority: Literal["emergency", "ordinary"] = Field("ordinary", json_schema_extra=param_label(
        "Priority", "优先级", "Emergency or ordinary", "紧急或一般"))
    category: str = Field("equipment", json_schema_extra=param_label("Category", "类别", "Work-order category",
                                                                     "工单类别"))
    skill: Skill = Field("general", json_schema_extra=param_label(
        "Skill", "所需技能", "The skill the repair needs", "维修所需技能"))
    repair_mean_min: float = Field(60.0, gt=0, le=MAX_MIN, allow_inf_nan=False, json_schema_extra=param_label(
        "Mean repair time", "平均维修时间", "Mean time on site (exponential)", "现场平均维修时间（指数分布）", "min"))
    repair_dist: Literal["exponential", "fixed"] = Field("exponential", json_schema_extra=param_label(
        "Repair time distribution", "维修时间分布", "exponential or fixed (the mean)", "指数分布或固定（取均值）"))
    part: str | None = Field(None, json_schema_extra=param_label(
        "Spare part", "备件", "A part the repair needs (an id in parts)", "维修需要的备件（parts 中的编号）"))
    age_s: float = Field(0.0, ge=0, le=MAX_HORIZON_S, allow_inf_nan=False, json_schema_extra=param_label(
        "Open for", "已开启时长", "Seconds the order has been open before it enters the run", "工单进入模拟前已开启的秒数",
        "s"))
    at_s: float = Field(0.0, ge=0, le=MAX_HORIZON_S, allow_inf_nan=False, json_schema_extra=param_label(
        "Reported at", "报修时刻", "Seconds after the start the order enters the run (0: open at the start; later: "
        "a scripted incident, a burst pipe at 03:00)", "工单在开始后多少秒进入模拟（0：开始时已开启；之后：预设事件，如凌晨 3 点爆管）",
        "s"))


def _default_groups() -> list[StaffGroup]:
    return [
        StaffGroup(id="elec", role="technician", skills=["electrical", "general"], count=3, pattern="day",
                   wage_cny_per_h=38.0, absence_rate=0.03),
        StaffGroup(id="plumb", role="technician", skills=["plumbing", "general"], count=3, pattern="day",
                   wage_cny_per_h=36.0, absence_rate=0.03),
        StaffGroup(id="duty-tech", role="technician", skills=["electrical", "plumbing", "hvac", "general"], count=4,
                   pattern="two_shift", wage_cny_per_h=40.0, absence_rate=0.03),
        StaffGroup(id="guard", role="guard", skills=["security"], count=8, pattern="two_shift",
                   wage_cny_per_h=25.0, absence_rate=0.04),
        StaffGroup(id="clean", role="cleaner", skills=["cleaning"], count=7, pattern="day",
                   wage_cny_per_h=22.0, absence_rate=0.04),
        StaffGroup(id="clean-wkd", role="cleaner", skills=["cleaning"], count=3, pattern="weekend",
                   wage_cny_per_h=22.0, absence_rate=0.04),
        StaffGroup(id="desk", role="agent", skills=["service"], count=4, pattern="two_shift",
                   wage_cny_per_h=28.0, absence_rate=0.03),
        StaffGroup(id="super", role="supervisor", skills=["general"], count=1, pattern="day",
                   wage_cny_per_h=60.0),
    ]


def _default_requests() -> list[RequestStream]:
    r = RequestStream
    return [
        r(category="plumbing", priority="emergency", per_apartment_month=0.01, skill="plumbing", repair_mean_min=60),
        r(category="plumbing", priority="ordinary", per_apartment_month=0.06, skill="plumbing", repair_mean_min=45,
          profile="residential_summer", part="valve", part_probability=0.15),
        r(category="electrical", priority="emergency", per_apartment_month=0.005, skill="electrical",
          repair_mean_min=45),
        r(category="electrical", priority="ordinary", per_apartment_month=0.04, skill="electrical", repair_mean_min=40,
          part="breaker", part_probability=0.1),
        r(category="doors_locks", priority="ordinary", per_apartment_month=0.03, skill="general", repair_mean_min=30),
        r(category="hvac", priority="ordinary", per_apartment_month=0.01, skill="hvac", repair_mean_min=60,
          profile="residential_summer"),
        r(category="lifts", priority="emergency", per_apartment_month=0.002, skill="lift", where="common",
          repair_mean_min=30),
        r(category="common_areas", priority="ordinary", per_1000m2_month=0.5, skill="general", where="common",
          repair_mean_min=30),
        r(category="complaints", priority="ordinary", per_apartment_month=0.01, skill="service", where="office",
          repair_mean_min=20, repair_dist="exponential"),
    ]


def _default_failures() -> list[FailureModel]:
    f = FailureModel
    return [
        f(kind=LIFT_CAR_KIND, weibull_shape=1.2, weibull_scale_days=120, priority="emergency", skill="lift",
          repair_mean_min=90),
        f(kind="domestic_booster_pump", weibull_shape=1.8, weibull_scale_days=400, priority="emergency",
          skill="plumbing", repair_mean_min=180, part="pump_seal", part_probability=0.5),
        f(kind="sump_pump", weibull_shape=1.5, weibull_scale_days=300, priority="emergency", skill="plumbing",
          repair_mean_min=120, part="pump_seal", part_probability=0.3),
        f(kind="lighting_circuit", weibull_shape=1.0, weibull_scale_days=200, skill="electrical", repair_mean_min=45,
          part="breaker", part_probability=0.2),
        f(kind="car_park_exhaust_fan", weibull_shape=1.5, weibull_scale_days=500, skill="electrical",
          repair_mean_min=120),
        f(kind="air_handling_unit", weibull_shape=1.5, weibull_scale_days=400, skill="hvac", repair_mean_min=150),
        f(kind="door_access_controller", weibull_shape=1.0, weibull_scale_days=250, skill="electrical",
          repair_mean_min=60),
    ]


def _default_pm() -> list[PMSchedule]:
    p = PMSchedule
    return [
        p(kind=LIFT_CAR_KIND, interval_days=15, duration_min=120, skill="lift", window_days=2, by_contractor=True,
          cost_cny=400),
        p(kind="domestic_booster_pump", interval_days=30, duration_min=60, skill="plumbing", window_days=5),
        p(kind="sump_pump", interval_days=30, duration_min=45, skill="plumbing", window_days=5),
        p(kind="fire_hydrant_pump", interval_days=30, duration_min=60, skill="plumbing", window_days=5),
        p(kind="fire_sprinkler_pump", interval_days=30, duration_min=60, skill="plumbing", window_days=5),
        p(kind="fire_alarm_panel", interval_days=91, duration_min=240, skill="electrical", window_days=10),
        p(kind="break_tank", interval_days=182, duration_min=480, skill="plumbing", window_days=15, cost_cny=800),
        p(kind="diesel_generator", interval_days=30, duration_min=90, skill="electrical", window_days=5),
        p(kind="air_handling_unit", interval_days=91, duration_min=120, skill="hvac", window_days=10, cost_cny=150),
        p(kind="lv_switchgear", interval_days=182, duration_min=180, skill="electrical", window_days=15),
    ]


def _default_cleaning() -> list[CleaningRound]:
    c = CleaningRound
    return [
        c(zone="entrance lobbies", space_kinds=["lobby"], times_h=[8.5, 11.0, 15.0], minutes_per_space=20),
        c(zone="lift lobbies", space_kinds=["lift_lobby"], times_h=[8.0], minutes_per_space=4),
        c(zone="corridors", space_kinds=["corridor"], times_h=[13.0], minutes_per_space=4),
        c(zone="stairs", space_kinds=["stair"], times_h=[9.0], every_days=7, minutes_per_space=2),
    ]


def _default_patrols() -> list[PatrolRound]:
    return [PatrolRound(id="plant and car park", route_kinds=["plant_room", "car_park", "lobby"],
                        times_h=[float(h) for h in range(0, 24, 2)], dwell_min=0.5)]


class OperationsParams(BaseModel):
    """Staff, demand, promises, stock and budget of an estate's operations."""

    model_config = _cfg()

    start_date: _dt.date = Field(_dt.date(2027, 1, 4), json_schema_extra=param_label(
        "Start date", "开始日期", "Local date at t = 0 (00:00)", "t = 0（00:00）时的当地日期"))
    start_s: float = Field(0.0, ge=0, lt=86_400, allow_inf_nan=False, json_schema_extra=param_label(
        "Start time of day", "开始时刻", "Seconds after midnight of the start date the run starts (the live time)",
        "模拟在开始日期零点后多少秒开始（实时时刻）", "s"))
    holidays: list[_dt.date] = Field(default_factory=lambda: list(CHINA_PUBLIC_HOLIDAYS_2027),
                                     json_schema_extra=param_label(
                                         "Public holidays", "法定节假日", "Dates paid and rostered as holidays",
                                         "按节假日计薪和排班的日期"))
    warmup_s: float = Field(0.0, ge=0, le=MAX_HORIZON_S, allow_inf_nan=False, json_schema_extra=param_label(
        "Warm-up", "预热时间", "Orders reported before this are not counted in the KPIs", "此前报修的工单不计入指标", "s"))
    groups: list[StaffGroup] = Field(default_factory=_default_groups, max_length=200, json_schema_extra=param_label(
        "Staff groups", "员工班组", "Groups of staff with one role, skills, head count and shift pattern",
        "同一岗位、技能、人数和班次模式的员工组"))
    patterns: dict[str, ShiftPattern] = Field(default_factory=dict, json_schema_extra=param_label(
        "Shift patterns", "班次模式", "Shift patterns besides the built-in ones (day, two_shift, three_shift, split, "
        "weekend, always)", "内置模式（day、two_shift、three_shift、split、weekend、always）以外的班次模式"))
    posts: list[Post] = Field(default_factory=list, max_length=200, json_schema_extra=param_label(
        "Fixed posts", "固定岗位", "Posts that must be manned (a guard at the gate, 24/7)",
        "必须有人值守的岗位（如 24 小时门岗）"))
    pay: PayRules = Field(default_factory=PayRules, json_schema_extra=param_label(
        "Pay rules", "薪酬规则", "Overtime, rest-day, holiday and night pay", "加班、休息日、节假日和夜班工资规则"))
    timeline_week: int = Field(0, ge=0, le=104, json_schema_extra=param_label(
        "Timeline week", "时间线周次", "Week of the run whose staff timeline is recorded (0: the first)",
        "记录员工时间线的周次（0：第一周）", "weeks"))
    sla: SLAParams = Field(default_factory=SLAParams, json_schema_extra=param_label(
        "Service promises", "服务承诺", "On site within a time by priority", "按优先级的到场时限"))
    travel: TravelParams = Field(default_factory=TravelParams, json_schema_extra=param_label(
        "Travel", "行走", "Walking, stairs and lifts to the job", "前往工作地点的步行、楼梯和电梯"))
    profiles: dict[str, Profile] = Field(default_factory=dict, json_schema_extra=param_label(
        "Demand profiles", "需求曲线", "Profiles besides the built-in ones (flat, residential, residential_summer, "
        "office_hours)", "内置曲线（flat、residential、residential_summer、office_hours）以外的需求曲线"))
    requests: list[RequestStream] = Field(default_factory=_default_requests, max_length=200,
                                          json_schema_extra=param_label(
                                              "Repair requests", "报修需求", "Owners' requests by category and priority",
                                              "业主按类别和优先级的报修"))
    failures: list[FailureModel] = Field(default_factory=_default_failures, max_length=200,
                                         json_schema_extra=param_label(
                                             "Equipment failures", "设备故障", "Weibull lives per equipment kind",
                                             "按设备类型的威布尔寿命"))
    pm: list[PMSchedule] = Field(default_factory=_default_pm, max_length=200, json_schema_extra=param_label(
        "Preventive maintenance", "预防性维护", "PM schedules per equipment kind", "按设备类型的保养计划"))
    parts: list[Part] = Field(default_factory=lambda: [Part(id="valve", stock=10, reorder_point=3, order_quantity=10,
                                                            cost_cny=60),
                                                       Part(id="breaker", stock=10, reorder_point=3, order_quantity=10,
                                                            cost_cny=80),
                                                       Part(id="pump_seal", stock=2, reorder_point=1, order_quantity=2,
                                                            lead_time_days=7, cost_cny=450)],
                              max_length=500, json_schema_extra=param_label(
                                  "Spare parts", "备件", "Parts in stock, reorder points and lead times",
                                  "备件库存、订货点和到货周期"))
    contractor: ContractorParams = Field(default_factory=ContractorParams, json_schema_extra=param_label(
        "Contractor", "外包单位", "Call-out contractor", "呼叫外包单位"))
    escalation: EscalationParams = Field(default_factory=EscalationParams, json_schema_extra=param_label(
        "Escalation", "督办升级", "Supervisor's escalation of late orders", "主管对超时工单的督办"))
    preemption: bool = Field(False, json_schema_extra=param_label(
        "Preemption", "抢占", "An emergency takes a technician off an ordinary job (which resumes later)",
        "紧急工单可中断一般工单（一般工单稍后继续）"))
    return_visits: ReturnVisitParams = Field(default_factory=ReturnVisitParams, json_schema_extra=param_label(
        "Return visits", "回访", "Follow-up of completed requests", "已完成报修的回访"))
    cleaning: list[CleaningRound] = Field(default_factory=_default_cleaning, max_length=200,
                                          json_schema_extra=param_label(
                                              "Cleaning rounds", "保洁巡回", "Cleaning rounds per zone",
                                              "按区域的保洁巡回"))
    patrols: list[PatrolRound] = Field(default_factory=_default_patrols, max_length=200,
                                       json_schema_extra=param_label(
                                           "Patrol rounds", "巡逻路线", "Guards' patrol routes and times",
                                           "保安巡逻路线和时间"))
    desk: DeskParams = Field(default_factory=DeskParams, json_schema_extra=param_label(
        "Service desk", "客服中心", "Calls and agents", "来电与客服"))
    open_orders: list[OpenOrder] = Field(default_factory=list, max_length=10_000, json_schema_extra=param_label(
        "Open and scripted orders", "已开及预设工单", "Work orders open at the start or reported at set times",
        "开始时已开启或在预设时刻报修的工单"))
    out_of_service: list[str] = Field(default_factory=list, max_length=10_000, json_schema_extra=param_label(
        "Out of service", "停用设备", "Equipment out of service at the start (each an open failure)",
        "开始时已停用的设备（每台为一张未完成的故障工单）", pick="equipment|car"))
    budget: BudgetParams = Field(default_factory=BudgetParams, json_schema_extra=param_label(
        "Budget", "预算", "Fees, fixed lines and the budget", "物业费、固定费用和预算"))

    @model_validator(mode="after")
    def _references(self) -> "OperationsParams":
        patterns = {**BUILTIN_PATTERNS, **self.patterns}
        for i, g in enumerate(self.groups):
            if g.pattern not in patterns:
                raise ValueError(f"groups[{i}] ({g.id}): unknown shift pattern {g.pattern!r}; "
                                 f"known: {', '.join(sorted(patterns))}")
        for i, post in enumerate(self.posts):
            if post.pattern not in patterns:
                raise ValueError(f"posts[{i}] ({post.id}): unknown shift pattern {post.pattern!r}; "
                                 f"known: {', '.join(sorted(patterns))}")
        ids = [g.id for g in self.groups]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"groups: the group id {dup[0]!r} is used twice")
        profiles = {**BUILTIN_PROFILES, **self.profiles}
        for i, s in enumerate(self.requests):
            if s.profile not in profiles:
                raise ValueError(f"requests[{i}]: unknown profile {s.profile!r}; known: {', '.join(sorted(profiles))}")
        if self.desk.profile not in profiles:
            raise ValueError(f"desk: unknown profile {self.desk.profile!r}; known: {', '.join(sorted(profiles))}")
        parts = {p.id for p in self.parts}
        if len(parts) != len(self.parts):
            raise ValueError("parts: a part id is used twice")
        for name, items in (("requests", self.requests), ("failures", self.failures), ("open_orders", self.open_orders)):
            for i, s in enumerate(items):
                if s.part is not None and s.part not in parts:
                    raise ValueError(f"{name}[{i}]: unknown part {s.part!r}; known: {', '.join(sorted(parts)) or 'none'}")
        kinds = [f.kind for f in self.failures]
        dup = sorted({k for k in kinds if kinds.count(k) > 1})
        if dup:
            raise ValueError(f"failures: the kind {dup[0]!r} has two failure models")
        kinds = [p.kind for p in self.pm]
        dup = sorted({k for k in kinds if kinds.count(k) > 1})
        if dup:
            raise ValueError(f"pm: the kind {dup[0]!r} has two PM schedules")
        for i, r in enumerate(self.patrols):
            if not r.route and not r.route_kinds:
                raise ValueError(f"patrols[{i}] ({r.id}): a round needs a route or route_kinds")
        for i, c in enumerate(self.cleaning):
            if not c.space_kinds and not c.spaces:
                raise ValueError(f"cleaning[{i}] ({c.zone}): a zone needs space_kinds or spaces")
        return self
