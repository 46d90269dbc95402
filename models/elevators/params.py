"""The elevator model's parameters: what runs (traffic, a year of entrapments, a power loss), when,
and with which cars, staff and contractor.

A lift group is judged on two questions. Engineers ask whether it serves the building — waiting
times, handling capacity, where the queues are (``mode: traffic``, a day of passengers, every one
simulated: :mod:`models.elevators.traffic`). Safety officers ask how long someone stays trapped
and whether the maintenance unit arrives within the 30 minutes of TSG T5002 (1 h outside city
districts): ``mode: entrapment`` draws a year of failures of every car and rescues them
(:mod:`models.elevators.entrapment`, :mod:`models.elevators.rescue`); ``mode: power_loss`` runs
the traffic up to the moment the mains fail (``power_loss.at_h``, the evening peak by default),
stops every car not fed by a generator where it is, and rescues everyone trapped at once — the
cars compete for the same rescuers.

The three sections ``traffic`` (:class:`~models.elevators.traffic.TrafficParams`), ``entrapment``
(:class:`~models.elevators.entrapment.EntrapmentParams`) and ``rescue``
(:class:`~models.elevators.rescue.RescueParams`) belong to the modules that use them; this module
adds the run's date and time, the power loss, the cars out of service (a car out for
modernisation) and the live start: the entrapments a live alarm reports
(``live_entrapments``, set by :func:`models.elevators.model.from_live` from the twin's
snapshot), which replace the drawn ones — the rescue forecast. What needs the building to check
(a car id) is checked by :func:`models.elevators.model.check` before any run.
"""

from __future__ import annotations

import datetime as _dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.elevators.entrapment import EntrapmentParams
from models.elevators.rescue import RescueParams
from models.elevators.traffic import TrafficParams
from models.harness import param_label
from models.staff import CHINA_PUBLIC_HOLIDAYS_2027

__all__ = ["ElevatorParams", "PowerLossParams", "LiveEntrapment", "MAX_HORIZON_S", "DEFAULT_START_DATE", "Mode"]

MAX_HORIZON_S = 2 * 366 * 86_400.0
"""Longest simulated time of an elevator run: two years (a year of entrapments is the usual run)."""
DEFAULT_START_DATE = _dt.date(2027, 1, 4)
"""A Monday: t = 0 is 00:00 of it, as in the operations model."""
Mode = Literal["traffic", "entrapment", "power_loss"]


def _cfg() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True)


class PowerLossParams(BaseModel):
    """A building-wide loss of the mains (``mode: power_loss``): when, and what the generator feeds."""

    model_config = _cfg()

    at_h: float = Field(19.0, ge=0, lt=24, allow_inf_nan=False, json_schema_extra=param_label(
        "Time of the power loss", "停电时刻", "Local time of day the mains fail (19.0: the evening peak)",
        "市电中断的当地时刻（19.0：晚高峰）", "h"))
    day: int = Field(0, ge=0, le=366, json_schema_extra=param_label(
        "Day of the power loss", "停电日", "Day of the run the mains fail on (0: the start date)",
        "市电中断发生在模拟的第几天（0：开始日期当天）", "d"))
    warmup_min: float = Field(30.0, ge=0, le=24 * 60, allow_inf_nan=False, json_schema_extra=param_label(
        "Traffic before the loss", "停电前交通时长",
        "Minutes of passenger traffic simulated before the mains fail, so that the cars are where and as full as "
        "they would be", "停电前模拟的乘客交通分钟数，使轿厢位置和载客量符合实际", "min"))
    generator: bool = Field(True, json_schema_extra=param_label(
        "Generator starts", "发电机启动",
        "The standby generator starts: cars it feeds through the building file's feeds chain (fire-service lifts "
        "on the transfer switch) run on; false: every car stops",
        "备用发电机启动：经建筑文件供电链（如双电源切换开关）由其供电的电梯（消防电梯）继续运行；否：所有轿厢停止"))


class LiveEntrapment(BaseModel):
    """One car stopped with people inside, as the live twin reports it (the rescue forecast starts here)."""

    model_config = _cfg()

    car: str = Field(min_length=1, max_length=80, json_schema_extra=param_label(
        "Car", "轿厢", "Id of the car in the building file", "建筑文件中的轿厢编号", pick="car"))
    persons: int = Field(1, ge=0, le=100, json_schema_extra=param_label(
        "Persons aboard", "轿厢内人数", "Persons trapped (from the car's load: load_kg / 75 kg, at least one)",
        "被困人数（按轿厢载重 load_kg / 75 kg 计，至少 1 人）", "persons"))
    floor: str | None = Field(None, max_length=80, json_schema_extra=param_label(
        "Nearest floor", "最近楼层", "The landing floor nearest to the car", "距轿厢最近的层站楼层", pick="floor"))
    between_floors: bool = Field(True, json_schema_extra=param_label(
        "Between floors", "停在两层之间", "The car stopped outside a door zone (a rescuer must move it to a landing)",
        "轿厢停在开门区域之外（需救援人员将其移至层站）"))
    age_s: float = Field(0.0, ge=0, le=7 * 86_400, allow_inf_nan=False, json_schema_extra=param_label(
        "Trapped for", "已被困时长", "Seconds between the car stopping and the snapshot", "轿厢停止至快照时刻的秒数",
        "s"))
    detected: bool = Field(True, json_schema_extra=param_label(
        "Already reported", "已报警", "The entrapment is already known (an alarm is open): no detection delay",
        "困人已知晓（已有告警）：无发现延迟"))
    cause: Literal["power_loss", "door_fault", "controller_fault", "other"] = Field(
        "other", json_schema_extra=param_label(
            "Cause", "原因", "What stopped the car (power_loss when the mains are lost): sets the release time",
            "轿厢停止的原因（市电中断时为 power_loss）：决定解困时间"))


class ElevatorParams(BaseModel):
    """Traffic, entrapment and rescue of a building's lift groups."""

    model_config = _cfg()

    mode: Mode = Field("traffic", json_schema_extra=param_label(
        "What to simulate", "模拟内容",
        "traffic: a day of passengers; entrapment: a year of failures and rescues; power_loss: traffic until the "
        "mains fail, then every stopped car rescued at once",
        "traffic：一天的乘客交通；entrapment：一年的困人故障与救援；power_loss：交通运行至市电中断，随后所有停梯同时救援"))
    start_date: _dt.date = Field(DEFAULT_START_DATE, json_schema_extra=param_label(
        "Start date", "开始日期", "Local date at t = 0 (00:00); a Monday by default", "t = 0（00:00）时的当地日期；默认为周一"))
    start_s: float = Field(0.0, ge=0, lt=86_400, allow_inf_nan=False, json_schema_extra=param_label(
        "Start time of day", "开始时刻",
        "Seconds after midnight of the start date the run starts (the live time of a forecast)",
        "模拟在开始日期零点后多少秒开始（预测时为实时时刻）", "s"))
    holidays: list[_dt.date] = Field(default_factory=lambda: list(CHINA_PUBLIC_HOLIDAYS_2027), max_length=400,
                                     json_schema_extra=param_label(
                                         "Public holidays", "法定节假日",
                                         "Dates rostered as holidays (rest days of the office profile)",
                                         "按节假日排班的日期（办公客流按休息日计）"))
    traffic: TrafficParams = Field(default_factory=TrafficParams, json_schema_extra=param_label(
        "Traffic", "交通客流", "Passengers, their daily profile and the group dispatcher", "乘客、日客流曲线与群控调度"))
    entrapment: EntrapmentParams = Field(default_factory=EntrapmentParams, json_schema_extra=param_label(
        "Entrapments", "困人故障", "How often cars fail with people inside, when, why and how it is noticed",
        "轿厢困人故障的频率、时段、原因及发现方式"))
    rescue: RescueParams = Field(default_factory=RescueParams, json_schema_extra=param_label(
        "Rescue", "救援", "Certified on-site staff, their shifts, and the maintenance contractor",
        "持证现场人员及其班次，以及维保单位"))
    power_loss: PowerLossParams = Field(default_factory=PowerLossParams, json_schema_extra=param_label(
        "Power loss", "停电", "When the mains fail in mode power_loss, and whether the generator starts",
        "power_loss 模式下市电中断的时刻及发电机是否启动"))
    out_of_service: list[str] = Field(default_factory=list, max_length=200, json_schema_extra=param_label(
        "Cars out of service", "停用轿厢",
        "Cars that do not run (out for modernisation): they carry nobody and fail never",
        "不运行的轿厢（如改造停用）：不载客也不发生故障", pick="car"))
    live_entrapments: list[LiveEntrapment] = Field(default_factory=list, max_length=200, json_schema_extra=param_label(
        "Live entrapments", "实时困人",
        "Cars the live twin reports stopped with people inside; when given, only these are rescued, from the start "
        "(the rescue forecast; set from the snapshot)",
        "实时孪生报告的困人轿厢；给出时只对这些轿厢自开始时刻起救援（救援预测；由快照设置）"))
    live_car: str | None = Field(None, max_length=80, json_schema_extra=param_label(
        "Car of the alarm", "告警轿厢",
        "The car whose alarm started the forecast (a trigger sets it from the alarm's device)",
        "触发预测的告警所属轿厢（由触发器根据告警设备设置）", pick="car"))

    @field_validator("out_of_service")
    @classmethod
    def _unique_cars(cls, v: list[str]) -> list[str]:
        seen: set[str] = set()
        for car in v:
            if car in seen:
                raise ValueError(f"car {car!r} is listed twice")
            seen.add(car)
        return v

    @model_validator(mode="after")
    def _live_cars_once(self) -> "ElevatorParams":
        seen: set[str] = set()
        for e in self.live_entrapments:
            if e.car in seen:
                raise ValueError(f"live_entrapments: car {e.car!r} is listed twice")
            seen.add(e.car)
        return self

    @property
    def live(self) -> bool:
        """A rescue forecast: only the live entrapments, rescued from the start."""
        return bool(self.live_entrapments) and self.mode != "traffic"
