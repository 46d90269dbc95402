"""Entrapments: when a lift stops with people inside, why, and how anyone finds out.

A lift car that fails while it carries passengers traps them (困人). China counts these
through its 96333 emergency platforms: Qingdao recorded 1,096 entrapments on 59,200 lifts in the
first half of 2018 — about **0.037 per lift-year** —, most of them between 06–12 h and 18–22 h,
55 % caused by a power loss, blocked doors or door faults; Huai'an's 2023 figures annualise to
about 0.16 (``../shared/REFERENCES.md``, "Elevators"). The rate here is of *entrapments* (failures
with somebody aboard, the figure those platforms count), per car and year.

When in the day. Lifts fail when they move, and they trap people when people ride them, so the
rate follows the hour of day: by default in proportion to the car starts of each hour
(``hour_shape: traffic`` — the ``starts_by_hour`` of one simulated day of
:func:`models.elevators.traffic.aboard_by_hour`), or by 24 weights given, or ``observed``: the
Qingdao shape (most between 06–12 h and 18–22 h), or ``flat``. The weights are scaled to a mean
of one, so the yearly rate stays the configured one.

How long since maintenance. TSG T5002 requires maintenance at least every 15 days; a car drifts
out of adjustment in between (doors, levelling, brakes). The hazard grows **linearly with the
days since the last maintenance** ``a``: ``λ(t) = λ₀ · w(hour) · (1 + ageing_per_d · a)``.
``λ₀`` is set so that at the reference interval (``reference_interval_d``, 15 days: the interval
under which the observed rate was measured) the mean over a cycle is the configured rate:
``λ₀ = rate / (1 + ageing_per_d · T_ref / 2)``; a longer ``maintenance_interval_d`` T raises the
mean rate by ``(1 + k·T/2) / (1 + k·T_ref/2)`` (with the default k = 0.02 per day, 30 days instead
of 15 gives +13 %; the slope is an assumption — no published figure was at hand). Each car's last
maintenance before the start is at a random phase of its cycle (cars are serviced on a staggered
round), unless the maintenance times are given (the operations model's PM visits when both run).
Entrapments are drawn by thinning a homogeneous Poisson process at the highest rate (Lewis &
Shedler 1979), all cars at once with numpy.

Why, and what it takes. Each entrapment has a cause drawn by its share — ``power_loss`` (the
car's supply fails: a local fault; the building-wide loss is the model's ``power_loss`` mode),
``door_fault`` (doors blocked or failed), ``controller_fault``, ``other`` — and, by cause, whether
the car stopped between floors (``between_floors_share``: a car that loses power in the shaft
stops where it is; a door fault strands it at a landing) and the time the release takes once a
rescuer is there (``release``: Qingdao's mean on-site release is 5.0 min; the default means by
cause average to it).

Who is aboard. The persons trapped are drawn from the persons aboard a moving car in that hour
(``aboard_by_hour``, one simulated day of traffic), among the samples with somebody aboard — an
entrapment traps at least one person.

How it is noticed. With remote monitoring on (``detection.automatic``) the car's controller raises
the alarm at once (after ``monitoring_delay_s``); for a share it does not recognise, or with
monitoring off, a passenger calls over the EN 81-28 two-way voice link after a delay (they try
the door-open button first, wait, then press the alarm): ``detection.voice_delay``.

All times are drawn here, once per entrapment, with the replication's generator — so two
configurations of the rescue compare on the same entrapments (common random numbers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.harness import param_label
from models.operations.demand import lognormal_params
from models.staff import DAY_S, HOUR_S, Calendar
from twin.text import Text, text

__all__ = ["CAUSES", "CAUSE_LABELS", "YEAR_S", "MinutesDist", "CauseParams", "DetectionParams", "EntrapmentParams",
           "Entrapment", "hour_weights", "draw_entrapments", "make_entrapment", "mean_rate_factor"]

YEAR_S = 365.0 * DAY_S
"""A year of the rate "per car-year": 365 days."""
CAUSES = ("power_loss", "door_fault", "controller_fault", "other")
CAUSE_LABELS: dict[str, Text] = {
    "power_loss": text("Power loss", "停电"),
    "door_fault": text("Door fault", "门系统故障"),
    "controller_fault": text("Controller fault", "控制系统故障"),
    "other": text("Other", "其他"),
}
OBSERVED_HOURS = [0.3, 0.2, 0.2, 0.2, 0.2, 0.4, 1.2, 1.8, 2.0, 1.6, 1.4, 1.4,
                  1.0, 0.9, 0.9, 0.9, 1.0, 1.2, 1.8, 2.0, 1.8, 1.4, 0.6, 0.4]
"""Hour-of-day weights after Qingdao 2018 ("most between 06–12 h and 18–22 h"): the published
statement gives the busy windows, not the hourly counts, so the hours within them are a smooth
assumption (scaled to a mean of one when used)."""
MAX_MIN = 24 * 60.0


def _cfg() -> ConfigDict:
    return ConfigDict(extra="forbid", frozen=True)


class MinutesDist(BaseModel):
    """A random duration in minutes: its mean, and lognormal (with a coefficient of variation),
    exponential or fixed."""

    model_config = _cfg()

    dist: Literal["lognormal", "exponential", "fixed"] = Field("lognormal", json_schema_extra=param_label(
        "Distribution", "分布", "lognormal, exponential or fixed (always the mean)", "对数正态、指数或固定（恒为均值）"))
    mean_min: float = Field(5.0, ge=0, le=MAX_MIN, allow_inf_nan=False, json_schema_extra=param_label(
        "Mean", "均值", "Mean duration", "平均时长", "min"))
    cv: float = Field(0.5, ge=0, le=10, allow_inf_nan=False, json_schema_extra=param_label(
        "Variation", "变异系数", "Coefficient of variation of a lognormal duration", "对数正态时长的变异系数", ""))

    def draw_s(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` durations in seconds (no number drawn for a fixed or zero duration)."""
        mean_s = self.mean_min * 60.0
        if size == 0:
            return np.empty(0)
        if self.dist == "fixed" or mean_s == 0 or (self.dist == "lognormal" and self.cv == 0):
            return np.full(size, mean_s)
        if self.dist == "exponential":
            return rng.exponential(mean_s, size)
        mu, sigma = lognormal_params(mean_s, self.cv)
        return rng.lognormal(mu, sigma, size)


class CauseParams(BaseModel):
    """One cause of entrapment: its share, where the car stops and how long the release takes."""

    model_config = _cfg()

    cause: Literal["power_loss", "door_fault", "controller_fault", "other"] = Field(json_schema_extra=param_label(
        "Cause", "原因", "power_loss, door_fault, controller_fault or other", "停电、门系统故障、控制系统故障或其他"))
    share: float = Field(ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Share", "占比", "Share of entrapments with this cause (the shares sum to 1)", "该原因占困人事件的比例（合计为 1）",
        "share"))
    between_floors_share: float = Field(0.5, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Stopped between floors", "停在两层之间的比例",
        "Share of these entrapments with the car outside a door zone (the rescuer must first move it to a landing)",
        "轿厢停在开门区域之外的比例（救援人员须先将轿厢移至层站）", "share"))
    release: MinutesDist = Field(default_factory=MinutesDist, json_schema_extra=param_label(
        "Release time", "解困时间", "Time the release takes once a rescuer is at the car (Qingdao mean 5.0 min)",
        "救援人员到达后解困所需时间（青岛平均 5.0 分钟）", "min"))


def _default_causes() -> list[CauseParams]:
    # 55 % power loss and doors (Qingdao 2018); the split within it and the rest are assumptions.
    # Release means 6, 4, 6, 4.5 min weighted by the shares: 5.0 min, Qingdao's mean on-site release.
    return [
        CauseParams(cause="power_loss", share=0.20, between_floors_share=0.7,
                    release=MinutesDist(mean_min=6.0, cv=0.5)),
        CauseParams(cause="door_fault", share=0.35, between_floors_share=0.1,
                    release=MinutesDist(mean_min=4.0, cv=0.5)),
        CauseParams(cause="controller_fault", share=0.25, between_floors_share=0.5,
                    release=MinutesDist(mean_min=6.0, cv=0.5)),
        CauseParams(cause="other", share=0.20, between_floors_share=0.3,
                    release=MinutesDist(mean_min=4.5, cv=0.5)),
    ]


class DetectionParams(BaseModel):
    """How an entrapment is noticed: the car's remote monitoring, or a passenger's call over the
    EN 81-28 voice link."""

    model_config = _cfg()

    automatic: bool = Field(True, json_schema_extra=param_label(
        "Remote monitoring", "远程监测", "The car's monitoring raises an alarm when it traps somebody (off: only the "
        "passengers' call over the voice link)", "轿厢远程监测在困人时自动报警（关闭：只能靠乘客通过对讲报警）"))
    monitoring_share: float = Field(1.0, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Recognised by monitoring", "监测识别比例",
        "Share of entrapments the monitoring recognises (the rest are reported by voice)",
        "远程监测能识别的困人比例（其余靠对讲报警）", "share"))
    monitoring_delay_s: float = Field(0.0, ge=0, le=3600, allow_inf_nan=False, json_schema_extra=param_label(
        "Monitoring delay", "监测报警延迟", "Seconds from the stop to the monitoring's alarm", "从停梯到监测报警的秒数",
        "s"))
    voice_delay: MinutesDist = Field(default_factory=lambda: MinutesDist(mean_min=2.0, cv=1.0),
                                     json_schema_extra=param_label(
                                         "Voice call delay", "对讲报警延迟",
                                         "Time until a passenger calls over the EN 81-28 voice link (an assumption: "
                                         "they try the door-open button and wait first)",
                                         "乘客通过 EN 81-28 双向对讲报警前的时间（假设：乘客先尝试开门按钮并等待）", "min"))


class EntrapmentParams(BaseModel):
    """How often cars trap people, when, why, and how it is noticed."""

    model_config = _cfg()

    rate_per_car_year: float = Field(0.037, ge=0, le=50, allow_inf_nan=False, json_schema_extra=param_label(
        "Entrapments per car-year", "每台电梯年困人次数",
        "Entrapments per car per year (Qingdao 2018: 0.037; Huai'an 2023: 0.16)",
        "每台电梯每年的困人次数（青岛 2018：0.037；淮安 2023：0.16）", "per_car_year"))
    hour_shape: Literal["traffic", "observed", "flat"] | list[float] = Field(
        "traffic", json_schema_extra=param_label(
            "Hour-of-day shape", "时段分布",
            "traffic: in proportion to the car starts of each hour; observed: the Qingdao shape (06–12 h, 18–22 h); "
            "flat; or 24 weights, 00:00 to 23:00",
            "traffic：按各小时轿厢启动次数；observed：青岛观测分布（6–12 时、18–22 时）；flat：均匀；或 00:00 至 23:00 的 24 个权重"))
    maintenance_interval_d: float = Field(15.0, ge=1, le=365, allow_inf_nan=False, json_schema_extra=param_label(
        "Maintenance interval", "维保周期", "Days between two maintenance visits of a car (TSG T5002: at most 15)",
        "同一台电梯两次维护保养之间的天数（TSG T5002：不超过 15 天）", "d"))
    reference_interval_d: float = Field(15.0, ge=1, le=365, allow_inf_nan=False, json_schema_extra=param_label(
        "Interval of the observed rate", "观测困人率对应的维保周期",
        "Maintenance interval under which the configured rate holds (the observed figures: 15 days)",
        "所设困人率对应的维保周期（观测数据：15 天）", "d"))
    ageing_per_d: float = Field(0.02, ge=0, le=1, allow_inf_nan=False, json_schema_extra=param_label(
        "Growth per day since maintenance", "距上次维保每天增长率",
        "The failure rate grows by this share of itself for each day since the last maintenance (an assumption)",
        "距上次维保每多一天，故障率按其自身的该比例增长（假设值）", "share"))
    causes: list[CauseParams] = Field(default_factory=_default_causes, min_length=1, max_length=len(CAUSES),
                                      json_schema_extra=param_label(
                                          "Causes", "原因", "Causes with their shares (summing to 1), where the car "
                                          "stops and the release time", "各原因的占比（合计为 1）、停梯位置及解困时间"))
    detection: DetectionParams = Field(default_factory=DetectionParams, json_schema_extra=param_label(
        "Detection", "发现方式", "Remote monitoring and the EN 81-28 voice link", "远程监测与 EN 81-28 双向对讲"))
    maintenance_results: str | None = Field(None, max_length=255, json_schema_extra=param_label(
        "Maintenance from an operations run", "采用运营模型的维保记录",
        "A finished operations run's results folder (relative to the data directory): each car's maintenance "
        "visits are that run's preventive maintenance of the car (its equipment_events), instead of every "
        "maintenance_interval_d days; replication r takes the operations run's replication r (cycling)",
        "已完成的运营模型运行结果目录（相对于数据目录）：各轿厢的维保时间取该运行中对该轿厢的预防性维护记录"
        "（equipment_events），而非每隔 maintenance_interval_d 天；第 r 次重复使用该运行的第 r 次重复（循环）"))

    @field_validator("hour_shape")
    @classmethod
    def _hours(cls, v):
        if isinstance(v, list):
            if len(v) != 24:
                raise ValueError(f"hour_shape: 24 weights (00:00 to 23:00) are needed, got {len(v)}")
            bad = [x for x in v if not (0 <= x < 1e6)]
            if bad:
                raise ValueError(f"hour_shape: a weight is between 0 and 1e6, got {bad[0]!r}")
            if sum(v) <= 0:
                raise ValueError("hour_shape: the weights are all zero — no hour could have an entrapment")
        return v

    @model_validator(mode="after")
    def _shares(self) -> EntrapmentParams:
        names = [c.cause for c in self.causes]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"causes: the cause {twice[0]!r} is listed twice")
        total = sum(c.share for c in self.causes)
        if abs(total - 1.0) > 1e-6:
            parts = " + ".join(f"{c.cause} {c.share:g}" for c in self.causes)
            raise ValueError(f"causes: the shares sum to {total:g} ({parts}); they must sum to 1")
        return self


@dataclass(frozen=True)
class Entrapment:
    """One car stopped with ``persons`` inside at ``t_s``, at (or nearest to) ``floor``.

    ``detection`` (``monitoring`` or ``voice``) and ``detect_delay_s`` say how and when it is
    noticed (at ``t_s + detect_delay_s``); ``release_s`` is the time the release takes once a
    rescuer is at the car (drawn by cause).
    """

    id: int
    car: str
    group: str
    cause: str
    t_s: float
    persons: int
    floor: str
    between_floors: bool
    detection: str = "monitoring"
    detect_delay_s: float = 0.0
    release_s: float = 300.0


def hour_weights(params: EntrapmentParams, starts_by_hour: Sequence[float] | None = None) -> np.ndarray:
    """The 24 hour-of-day factors of the rate, scaled to a mean of one. ``traffic`` needs the car
    starts by hour (one simulated day); without them it falls back to the observed shape."""
    shape = params.hour_shape
    if isinstance(shape, list):
        w = np.asarray(shape, dtype=float)
    elif shape == "flat":
        w = np.ones(24)
    elif shape == "traffic" and starts_by_hour is not None and float(np.sum(starts_by_hour)) > 0:
        w = np.asarray(starts_by_hour, dtype=float).reshape(24)
    else:
        w = np.asarray(OBSERVED_HOURS, dtype=float)
    return w * (24.0 / w.sum())


def mean_rate_factor(params: EntrapmentParams) -> float:
    """How much the configured interval raises (or lowers) the mean rate against the reference
    interval: ``(1 + k·T/2) / (1 + k·T_ref/2)``."""
    k = params.ageing_per_d
    return (1.0 + k * params.maintenance_interval_d / 2.0) / (1.0 + k * params.reference_interval_d / 2.0)


def _cars_of(building, cars: Sequence[str] | None) -> list[tuple[str, str, list[str]]]:
    """(car id, group id, floors served) of the named cars (every car when None)."""
    found = [(c.id, g.id, list(c.floors_served)) for g in building.elevators for c in g.cars]
    if cars is None:
        return found
    by_id = {c: (c, g, f) for c, g, f in found}
    unknown = [c for c in cars if c not in by_id]
    if unknown:
        raise ValueError(f"unknown car {unknown[0]!r}; the building's cars: {', '.join(by_id) or 'none'}")
    return [by_id[c] for c in cars]


def _per_group(value, group: str):
    """``value`` itself, or its entry for ``group`` when it is a mapping by group."""
    if isinstance(value, Mapping):
        return value.get(group)
    return value


class _Persons:
    """Persons aboard by hour, among the samples with at least one person (an hour without any
    borrows the samples of every hour); each hour filtered when first asked (most hours of a year
    of a few entrapments never are)."""

    def __init__(self, aboard_by_hour):
        self.hours = [np.asarray(a).ravel() for a in aboard_by_hour]
        if len(self.hours) != 24:
            raise ValueError(f"aboard_by_hour: 24 arrays (one per hour) are needed, got {len(self.hours)}")
        self._kept: dict[int, np.ndarray] = {}

    def _every(self) -> np.ndarray:
        if -1 not in self._kept:
            every = np.concatenate(self.hours) if self.hours else np.empty(0)
            self._kept[-1] = every[every >= 1]
        return self._kept[-1]

    def draw(self, rng: np.random.Generator, hour: int) -> int:
        pool = self._kept.get(hour)
        if pool is None:
            a = self.hours[hour]
            pool = a[a >= 1]
            if pool.size == 0:
                pool = self._every()
            self._kept[hour] = pool
        if pool.size == 0:
            return 1  # no traffic sample had anybody aboard: an entrapment traps at least one person
        return int(pool[int(rng.integers(pool.size))])


def _aboard(aboard_by_hour) -> _Persons | None:
    return None if aboard_by_hour is None else _Persons(aboard_by_hour)


def _ages_d(t: np.ndarray, maintained_s: np.ndarray | None, phase_d: float, interval_d: float, t0_s: float
            ) -> np.ndarray:
    """Days since the last maintenance at each time ``t``."""
    if maintained_s is None:
        return np.mod(phase_d + (t - t0_s) / DAY_S, interval_d)
    k = np.searchsorted(maintained_s, t, side="right") - 1
    last = np.where(k >= 0, maintained_s[np.clip(k, 0, None)], t0_s - phase_d * DAY_S)
    return (t - last) / DAY_S


def draw_entrapments(building, cars: Sequence[str] | None, params: EntrapmentParams, rng: np.random.Generator,
                     horizon_s: float, calendar: Calendar | None = None, starts_by_hour=None, aboard_by_hour=None,
                     out_of_service: Sequence[str] = (), *, t0_s: float = 0.0,
                     maintenance_s: Mapping[str, Sequence[float]] | None = None) -> list[Entrapment]:
    """Every entrapment of the cars in [t0_s, horizon_s), in time order (ids from 1).

    ``cars``: car ids (None: every car of the building); ``out_of_service`` cars never trap
    anybody. ``starts_by_hour`` (24 figures) and ``aboard_by_hour`` (24 arrays of persons aboard a
    moving car) come from one simulated day of traffic — either one for the building or a mapping
    by group id; without ``aboard_by_hour`` each entrapment traps one person. ``maintenance_s``
    gives each car's maintenance times (the operations model's PM visits); otherwise every
    ``maintenance_interval_d`` days from a random phase. ``calendar`` is accepted for the contract's
    signature (the rate has no day-of-week shape).
    """
    del calendar
    if not horizon_s > t0_s:
        raise ValueError(f"horizon_s must be after t0_s, got horizon_s={horizon_s!r}, t0_s={t0_s!r}")
    k = params.ageing_per_d
    interval = params.maintenance_interval_d
    base_per_s = params.rate_per_car_year / YEAR_S / (1.0 + k * params.reference_interval_d / 2.0)
    shares = np.array([c.share for c in params.causes])
    off = set(out_of_service)
    drawn: list[tuple[float, str, str, list[str], _Persons | None]] = []  # (t, car, group, floors, persons)
    shapes: dict[str, tuple[np.ndarray, _Persons | None]] = {}  # by group: hour weights, persons aboard
    for car, group, floors in _cars_of(building, cars):
        if car in off or base_per_s <= 0:
            continue
        if group not in shapes:
            shapes[group] = (hour_weights(params, _per_group(starts_by_hour, group)),
                             _aboard(_per_group(aboard_by_hour, group)))
        w, pool = shapes[group]
        phase = float(rng.random()) * interval
        given = None
        if maintenance_s is not None and car in maintenance_s:
            given = np.sort(np.asarray(maintenance_s[car], dtype=float))
            edges = np.concatenate([[t0_s - phase * DAY_S], given[given < horizon_s], [horizon_s]])
            max_age = float(np.max(np.diff(edges))) / DAY_S if edges.size > 1 else interval
        else:
            max_age = interval
        peak = base_per_s * float(w.max()) * (1.0 + k * max_age)
        n = int(rng.poisson(peak * (horizon_s - t0_s)))
        if n == 0:
            continue
        t = np.sort(t0_s + rng.random(n) * (horizon_s - t0_s))
        hour = np.clip(((t % DAY_S) // HOUR_S).astype(np.int64), 0, 23)
        rate = base_per_s * w[hour] * (1.0 + k * _ages_d(t, given, phase, interval, t0_s))
        keep = rng.random(n) * peak < rate
        for x in t[keep].tolist():
            drawn.append((x, car, group, floors, pool))
    drawn.sort(key=lambda d: (d[0], d[1]))
    out = []
    for i, (t, car, group, floors, pool) in enumerate(drawn):
        hour = min(int((t % DAY_S) // HOUR_S), 23)
        cause = params.causes[int(rng.choice(len(shares), p=shares))]
        persons = pool.draw(rng, hour) if pool is not None else 1
        floor = floors[int(rng.integers(len(floors)))]
        out.append(_finish(params, rng, id=i + 1, car=car, group=group, cause=cause, t_s=t, persons=persons,
                           floor=floor))
    return out


def _finish(params: EntrapmentParams, rng: np.random.Generator, *, id: int, car: str, group: str,
            cause: CauseParams, t_s: float, persons: int, floor: str, between_floors: bool | None = None,
            detected_after_s: float | None = None) -> Entrapment:
    """Draw what is left of an entrapment: between floors, its detection and its release time."""
    if between_floors is None:
        between_floors = bool(rng.random() < cause.between_floors_share)
    d = params.detection
    if detected_after_s is not None:
        detection, delay = "alarm", float(detected_after_s)
    elif d.automatic and (d.monitoring_share >= 1.0 or rng.random() < d.monitoring_share):
        detection, delay = "monitoring", d.monitoring_delay_s
    else:
        detection, delay = "voice", float(d.voice_delay.draw_s(rng, 1)[0])
    release = float(cause.release.draw_s(rng, 1)[0])
    return Entrapment(id=id, car=car, group=group, cause=cause.cause, t_s=float(t_s), persons=int(persons),
                      floor=floor, between_floors=between_floors, detection=detection, detect_delay_s=delay,
                      release_s=release)


def make_entrapment(params: EntrapmentParams, rng: np.random.Generator, *, id: int, car: str, group: str,
                    t_s: float, persons: int, floor: str, between_floors: bool | None = None,
                    cause: str | None = None, detected_at_s: float | None = None) -> Entrapment:
    """One entrapment known from elsewhere — a car stopped by the building-wide power loss
    (``cause="power_loss"``), or reported by the live twin — with the rest drawn as
    :func:`draw_entrapments` draws it: the cause by its share when not given, whether it is
    between floors when not known, the detection (unless ``detected_at_s``: already reported at
    that time, e.g. the live alarm — detection ``alarm``) and the release time by cause."""
    by_cause = {c.cause: c for c in params.causes}
    if cause is None:
        shares = np.array([c.share for c in params.causes])
        chosen = params.causes[int(rng.choice(len(shares), p=shares))]
    elif cause in by_cause:
        chosen = by_cause[cause]
    elif cause in CAUSES:  # a cause with no share configured: its defaults
        chosen = CauseParams(cause=cause, share=0.0)
    else:
        raise ValueError(f"cause {cause!r} is not one of {', '.join(CAUSES)}")
    if persons < 0:
        raise ValueError(f"persons must be >= 0, not {persons!r}")
    after = None
    if detected_at_s is not None:
        after = max(0.0, float(detected_at_s) - float(t_s))
    return _finish(params, rng, id=id, car=car, group=group, cause=chosen, t_s=t_s, persons=persons, floor=floor,
                   between_floors=between_floors, detected_after_s=after)


def maintenance_from_results(folder: str, cars: Sequence[str], replication: int) -> dict[str, list[float]]:
    """Each car's preventive maintenance times (s) in replication ``replication`` (cycling over the run's
    replications) of a finished operations run: its ``records/equipment_events.parquet`` rows with
    ``event == "pm"`` at the cars. A ValueError names the folder and what is missing."""
    import pyarrow.parquet as pq

    from models.datafiles import data_file

    path = data_file(f"{folder}/records/equipment_events.parquet", "operations results folder")
    table = pq.read_table(path, columns=["replication", "equipment", "event", "t_s"]).to_pydict()
    reps = sorted(set(table["replication"]))
    if not reps:
        raise ValueError(f"operations results folder {folder!r}: its equipment_events table is empty")
    rep = reps[replication % len(reps)]
    wanted = set(cars)
    out: dict[str, list[float]] = {car: [] for car in cars}
    for r, eq, ev, t in zip(table["replication"], table["equipment"], table["event"], table["t_s"]):
        if r == rep and ev == "pm" and eq in wanted:
            out[eq].append(float(t))
    if not any(out.values()):
        raise ValueError(f"operations results folder {folder!r}: no preventive maintenance of the lift cars "
                         f"({', '.join(sorted(wanted)[:4])}…) in its equipment_events — was lift PM in that run?")
    return out

