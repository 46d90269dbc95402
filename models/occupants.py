"""Who is in the building: occupant profiles shared by every model that moves or serves people.

An evacuation, a lift study or a staffing plan all start from the same question — how many
people are where, and how fast can each of them move or respond? This module answers it once:

* **Distributions** of a quantity (a walking speed in m/s, a pre-movement or response time in s):
  fixed, uniform, (truncated) normal, lognormal, gamma and Weibull. Each is a pydantic model that
  refuses impossible parameters (a negative scale, ``low > high``) when it is read, samples from a
  caller's :class:`numpy.random.Generator` (never the global one), and gives the matching frozen
  :mod:`scipy.stats` distribution for verification (a Kolmogorov–Smirnov test, a mean).
* **Occupant groups**: horizontal, stair-down and stair-up walking speeds, whether the group can use
  stairs at all, and how many places it takes in a lift car. The built-in groups cite their source:
  adults by age and sex from IMO MSC.1/Circ.1533 Annex 3 (Tables 3.4 and 3.5, uniform ranges);
  elderly, children and mobility-impaired people from the studies named on each.
* **Population mixes** (share of each group) and **occupancy profiles** (share of a space's design
  load present at night, on a weekday, at the weekend).

Nothing here knows about SimPy, floors or routes: a model turns these into entities.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from collections.abc import Mapping
from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.harness import param_label
from twin.text import Text, text

__all__ = [
    "Fixed",
    "Uniform",
    "Normal",
    "Lognormal",
    "Gamma",
    "Weibull",
    "Distribution",
    "OccupantGroup",
    "GROUPS",
    "POPULATIONS",
    "OCCUPANCY_PROFILES",
    "PreMovement",
    "PRE_MOVEMENT_SOURCE",
    "POPULATION_BY_USE",
    "POPULATION_BY_KIND",
    "POPULATION_LABELS",
    "population_for_kind",
    "resolve_population",
    "presence_fraction",
    "group_counts",
    "sample_population",
]


def _stats():
    """:mod:`scipy.stats`, imported when a distribution's scipy twin is first asked for (it costs
    most of a second to import, and a run only needs numpy's sampling)."""
    from scipy import stats

    return stats


def _normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))

_Finite = Annotated[float, Field(allow_inf_nan=False)]
_NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
_Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]


# Labels of the distributions' fields (a distribution may be a speed in m/s or a time in s: the
# field that holds it carries the unit).
_KIND = param_label("Distribution", "分布类型", "Which distribution the quantity follows", "该量所服从的分布")
_LOW = param_label("Lowest value", "最小值", "Smallest value a draw can take", "抽样可取的最小值")
_HIGH = param_label("Highest value", "最大值", "Largest value a draw can take", "抽样可取的最大值")
_OFFSET = param_label("Offset", "偏移量", "Shift added to every draw (the smallest value)", "加到每次抽样上的平移量（最小值）")
_SHAPE = param_label("Shape", "形状参数", "Shape parameter k of the distribution", "分布的形状参数 k")
_SCALE = param_label("Scale", "尺度参数", "Scale parameter of the distribution (θ, λ)", "分布的尺度参数（θ、λ）")


class _Dist(BaseModel):
    """Common behaviour of the distributions: sampling and the scipy twin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws from ``rng``."""
        raise NotImplementedError

    def scipy(self):
        """The same distribution as a frozen :mod:`scipy.stats` distribution."""
        raise NotImplementedError

    @property
    def lower_bound(self) -> float:
        """The smallest value the distribution can produce: its shift (``offset``) or its lower
        truncation (``low``), read without building the scipy twin (which costs a scipy.stats import)."""
        fields = type(self).model_fields
        if "offset" in fields:
            return float(self.offset)
        if "low" in fields:
            return float(self.low)
        return float(self.scipy().support()[0])

    @property
    def mean(self) -> float:
        """The distribution's mean, in closed form (the scipy twin's ``mean()`` gives the same, and
        the verification tests compare them), without importing scipy.stats."""
        kind = getattr(self, "kind", None)
        if kind == "fixed":
            return float(self.value)
        if kind == "uniform":
            return 0.5 * (self.low + self.high)
        if kind == "lognormal":
            return self.offset + math.exp(self.mu + 0.5 * self.sigma ** 2)
        if kind == "gamma":
            return self.offset + self.shape * self.scale
        if kind == "weibull":
            return self.offset + self.scale * math.gamma(1.0 + 1.0 / self.shape)
        if kind == "normal":
            # Truncated normal: μ + σ (φ(a) − φ(b)) / (Φ(b) − Φ(a)).
            a, b = self._bounds()
            phi = lambda z: 0.0 if math.isinf(z) else math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)  # noqa: E731
            return self.mean_ + self.std * (phi(a) - phi(b)) / (_normal_cdf(b) - _normal_cdf(a))
        return float(self.scipy().mean())

    def quantile(self, q: float) -> float:
        """The ``q`` quantile, in closed form where there is one (the scipy twin's ``ppf`` otherwise)."""
        kind = getattr(self, "kind", None)
        if kind == "fixed":
            return float(self.value)
        if kind == "uniform":
            return self.low + q * (self.high - self.low)
        if kind == "lognormal":
            return self.offset + math.exp(self.mu + self.sigma * NormalDist().inv_cdf(q))
        if kind == "weibull":
            return self.offset + self.scale * (-math.log1p(-q)) ** (1.0 / self.shape)
        return float(self.scipy().ppf(q))


class Fixed(_Dist):
    """Always the same value."""

    kind: Literal["fixed"] = Field("fixed", json_schema_extra=_KIND)
    value: _NonNegative = Field(json_schema_extra=param_label(
        "Value", "取值", "The value every draw takes", "每次抽样都取的固定值"))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=float)

    def scipy(self):
        # A point mass, expressed as a degenerate uniform for the scipy API.
        return _stats().uniform(loc=self.value, scale=0.0)

    @property
    def lower_bound(self) -> float:
        return self.value

    @property
    def mean(self) -> float:
        return self.value


class Uniform(_Dist):
    """Uniform on ``[low, high]``."""

    kind: Literal["uniform"] = Field("uniform", json_schema_extra=_KIND)
    low: _NonNegative = Field(json_schema_extra=_LOW)
    high: _NonNegative = Field(json_schema_extra=_HIGH)

    @model_validator(mode="after")
    def _ordered(self) -> "Uniform":
        if self.high <= self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def scipy(self):
        return _stats().uniform(loc=self.low, scale=self.high - self.low)


class Normal(_Dist):
    """Normal with ``mean`` and ``std``, truncated to ``[low, high]`` (``low`` defaults to 0, so a
    time or a speed is never negative)."""

    kind: Literal["normal"] = Field("normal", json_schema_extra=_KIND)
    mean_: _Finite = Field(alias="mean", json_schema_extra=param_label(
        "Mean", "均值", "Mean of the normal distribution before truncation", "截断前正态分布的均值"))
    std: _Positive = Field(json_schema_extra=param_label(
        "Standard deviation", "标准差", "Standard deviation before truncation", "截断前的标准差"))
    low: _Finite = Field(0.0, json_schema_extra=_LOW)
    high: _Finite | None = Field(None, json_schema_extra=_HIGH)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="after")
    def _interval(self) -> "Normal":
        if self.high is not None and self.high <= self.low:
            raise ValueError(f"high ({self.high}) must be greater than low ({self.low})")
        # The truncation interval must hold some probability mass, or sampling never ends.
        a, b = self._bounds()
        if _normal_cdf(b) - _normal_cdf(a) < 1e-9:
            raise ValueError(f"the interval [{self.low}, {self.high}] holds no probability for mean {self.mean_} "
                             f"and std {self.std}")
        return self

    def _bounds(self) -> tuple[float, float]:
        a = (self.low - self.mean_) / self.std
        b = math.inf if self.high is None else (self.high - self.mean_) / self.std
        return a, b

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.asarray(self.scipy().rvs(size=size, random_state=rng), dtype=float).reshape(size)

    def scipy(self):
        a, b = self._bounds()
        return _stats().truncnorm(a, b, loc=self.mean_, scale=self.std)


class Lognormal(_Dist):
    """Lognormal: ``ln(X − offset)`` is normal with mean ``mu`` and standard deviation ``sigma``."""

    kind: Literal["lognormal"] = Field("lognormal", json_schema_extra=_KIND)
    mu: _Finite = Field(json_schema_extra=param_label(
        "Log-mean μ", "对数均值 μ", "Mean of ln(X − offset); the median is offset + e^μ",
        "ln(X − 偏移量) 的均值；中位数为 偏移量 + e^μ"))
    sigma: _Positive = Field(json_schema_extra=param_label(
        "Log-standard deviation σ", "对数标准差 σ", "Standard deviation of ln(X − offset)", "ln(X − 偏移量) 的标准差"))
    offset: _NonNegative = Field(0.0, json_schema_extra=_OFFSET)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.offset + rng.lognormal(self.mu, self.sigma, size)

    def scipy(self):
        return _stats().lognorm(s=self.sigma, scale=math.exp(self.mu), loc=self.offset)


class Gamma(_Dist):
    """Gamma with ``shape`` k and ``scale`` θ (mean kθ), shifted by ``offset``."""

    kind: Literal["gamma"] = Field("gamma", json_schema_extra=_KIND)
    shape: _Positive = Field(json_schema_extra=_SHAPE)
    scale: _Positive = Field(json_schema_extra=_SCALE)
    offset: _NonNegative = Field(0.0, json_schema_extra=_OFFSET)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.offset + rng.gamma(self.shape, self.scale, size)

    def scipy(self):
        return _stats().gamma(a=self.shape, scale=self.scale, loc=self.offset)


class Weibull(_Dist):
    """Weibull with ``shape`` k and ``scale`` λ, shifted by ``offset``."""

    kind: Literal["weibull"] = Field("weibull", json_schema_extra=_KIND)
    shape: _Positive = Field(json_schema_extra=_SHAPE)
    scale: _Positive = Field(json_schema_extra=_SCALE)
    offset: _NonNegative = Field(0.0, json_schema_extra=_OFFSET)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.offset + self.scale * rng.weibull(self.shape, size)

    def scipy(self):
        return _stats().weibull_min(c=self.shape, scale=self.scale, loc=self.offset)


Distribution = Annotated[Union[Fixed, Uniform, Normal, Lognormal, Gamma, Weibull], Field(discriminator="kind")]
"""Any of the distributions, told apart by ``kind`` in a scenario file::

    {kind: lognormal, mu: 4.586, sigma: 0.967}
"""


class OccupantGroup(BaseModel):
    """How a kind of person moves: walking speeds (m/s) on the level and along a stair's slope.

    A group that cannot use stairs (``uses_stairs: false``, e.g. wheelchair users) needs a lift or
    a step-free route; its stair speeds may be left out. ``lift_places`` is how many standard places
    one such person takes in a lift car (a wheelchair with a companion takes about two).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = Field("", json_schema_extra=param_label(
        "Description", "说明", "Who the group is, and the source of its speeds", "该人群是谁，及其速度数据来源"))
    horizontal_mps: Distribution = Field(json_schema_extra=param_label(
        "Walking speed on the level", "水平步行速度", "Free walking speed on the level, per person",
        "每人在水平面上的自由步行速度", "m/s"))
    stair_down_mps: Distribution | None = Field(None, json_schema_extra=param_label(
        "Speed down stairs", "下楼梯速度", "Free speed going down a stair, along its slope",
        "沿楼梯坡度下行的自由速度", "m/s"))
    stair_up_mps: Distribution | None = Field(None, json_schema_extra=param_label(
        "Speed up stairs", "上楼梯速度", "Free speed going up a stair, along its slope", "沿楼梯坡度上行的自由速度", "m/s"))
    uses_stairs: bool = Field(True, json_schema_extra=param_label(
        "Can use stairs", "可使用楼梯", "False for people who need a lift or a step-free route (wheelchair users)",
        "需要电梯或无台阶路线的人员（如轮椅使用者）为否"))
    lift_places: Annotated[float, Field(gt=0, le=10)] = Field(1.0, json_schema_extra=param_label(
        "Places in a lift car", "占用电梯位数", "Standard places one such person takes in a lift car",
        "每名此类人员在电梯轿厢中占用的标准位数", "persons"))

    @model_validator(mode="after")
    def _speeds_positive(self) -> "OccupantGroup":
        if self.uses_stairs and (self.stair_down_mps is None or self.stair_up_mps is None):
            raise ValueError("a group that uses stairs needs stair_down_mps and stair_up_mps")
        for name in ("horizontal_mps", "stair_down_mps", "stair_up_mps"):
            dist = getattr(self, name)
            if dist is not None and dist.lower_bound <= 0:
                raise ValueError(f"{name} can be 0 m/s (lowest value {dist.lower_bound:g}); "
                                 "a walking speed must stay above 0 — raise 'low' or 'value'")
        return self


def _imo(h: tuple[float, float], down: tuple[float, float], up: tuple[float, float], text: str) -> OccupantGroup:
    return OccupantGroup(description=f"{text} (IMO MSC.1/Circ.1533 Annex 3, Tables 3.4/3.5)",
                         horizontal_mps=Uniform(low=h[0], high=h[1]), stair_down_mps=Uniform(low=down[0], high=down[1]),
                         stair_up_mps=Uniform(low=up[0], high=up[1]))


GROUPS: dict[str, OccupantGroup] = {
    "female_under_30": _imo((0.93, 1.55), (0.56, 0.94), (0.47, 0.79), "females younger than 30"),
    "female_30_50": _imo((0.71, 1.19), (0.49, 0.81), (0.44, 0.74), "females 30-50"),
    "female_over_50": _imo((0.56, 0.94), (0.45, 0.75), (0.37, 0.61), "females older than 50"),
    "male_under_30": _imo((1.11, 1.85), (0.76, 1.26), (0.50, 0.84), "males younger than 30"),
    "male_30_50": _imo((0.97, 1.62), (0.64, 1.07), (0.47, 0.79), "males 30-50"),
    "male_over_50": _imo((0.84, 1.40), (0.50, 0.84), (0.38, 0.64), "males older than 50"),
    "elderly": OccupantGroup(
        description="older adults: horizontal as IMO 'older than 50, mobility impaired (1)' (female and male "
                    "ranges joined); stair descent around the 0.28 m/s NIST TN 1839 measured in older-adult "
                    "housing (spread and ascent assumed)",
        horizontal_mps=Uniform(low=0.43, high=1.06),
        stair_down_mps=Normal(mean=0.28, std=0.08, low=0.12, high=0.56),
        stair_up_mps=Normal(mean=0.25, std=0.07, low=0.10, high=0.49),
    ),
    "child": OccupantGroup(
        description="primary-school children: 1.02 m/s on the level and 0.85 m/s descending, CV over 20 % "
                    "(Ono, Valentin & Vittorino 2024, Fire Safety Journal 142); ascent assumed 0.7 of descent",
        horizontal_mps=Normal(mean=1.02, std=0.25, low=0.4, high=2.0),
        stair_down_mps=Normal(mean=0.85, std=0.2, low=0.3, high=1.6),
        stair_up_mps=Normal(mean=0.6, std=0.15, low=0.2, high=1.2),
    ),
    "mobility_impaired": OccupantGroup(
        description="wheelchair users: 0.69 m/s mean on the level, sd 0.35 (manual wheelchair, Boyce, Shields "
                    "& Silcock 1999, Fire Technology 35); cannot use stairs unaided",
        horizontal_mps=Normal(mean=0.69, std=0.35, low=0.2, high=1.6),
        uses_stairs=False,
        lift_places=2.0,
    ),
    "sfpe": OccupantGroup(
        description="the SFPE hydraulic free speeds: 0.85·k with k 1.40 on the level (1.19 m/s) and 1.08 on a "
                    "7/11 stair (0.918 m/s) — for hand-calculation comparisons",
        horizontal_mps=Fixed(value=0.85 * 1.40),
        stair_down_mps=Fixed(value=0.85 * 1.08),
        stair_up_mps=Fixed(value=0.85 * 1.08),
    ),
}
"""Built-in occupant groups by name; a scenario may add or override groups."""

_ADULTS = ("female_under_30", "female_30_50", "female_over_50", "male_under_30", "male_30_50", "male_over_50")

POPULATIONS: dict[str, dict[str, float]] = {
    "adults": {g: 1 / 6 for g in _ADULTS},
    "office": {"male_under_30": 0.12, "female_under_30": 0.12, "male_30_50": 0.28, "female_30_50": 0.28,
               "male_over_50": 0.09, "female_over_50": 0.09, "mobility_impaired": 0.02},
    "residential": {"male_under_30": 0.08, "female_under_30": 0.08, "male_30_50": 0.15, "female_30_50": 0.15,
                    "male_over_50": 0.12, "female_over_50": 0.12, "elderly": 0.12, "child": 0.16,
                    "mobility_impaired": 0.02},
    "retail": {"male_under_30": 0.12, "female_under_30": 0.14, "male_30_50": 0.20, "female_30_50": 0.22,
               "male_over_50": 0.08, "female_over_50": 0.10, "elderly": 0.05, "child": 0.07,
               "mobility_impaired": 0.02},
    "sfpe": {"sfpe": 1.0},
}
"""Named population mixes (shares need not sum to 1; they are normalised). The office, residential
and retail shares are planning assumptions, not survey data: give a building's own mix when known."""

POPULATION_LABELS: dict[str, Text] = {
    "adults": text("adults (IMO MSC.1/Circ.1533 age and sex groups, equal shares)",
                   "成年人（IMO MSC.1/Circ.1533 年龄与性别分组，等比例）"),
    "office": text("office workers: working-age adults, 2 % wheelchair users (planning shares)",
                   "办公人员：工作年龄成年人，含 2% 轮椅使用者（规划假设比例）"),
    "residential": text("residents at home: all ages, 12 % older adults, 16 % children, 2 % wheelchair users "
                        "(planning shares)",
                        "在家居民：各年龄段，含 12% 老年人、16% 儿童、2% 轮椅使用者（规划假设比例）"),
    "retail": text("shoppers: the general public, 7 % children, 5 % older adults, 2 % wheelchair users "
                   "(planning shares)",
                   "购物人群：一般公众，含 7% 儿童、5% 老年人、2% 轮椅使用者（规划假设比例）"),
    "sfpe": text("SFPE hydraulic free speeds (for hand-calculation comparisons)", "SFPE 水力模型自由速度（用于手算对比）"),
}
"""What each named mix is, in words (for the run's notes)."""

POPULATION_BY_USE: dict[str, str | None] = {
    "residential": "residential",
    "office": "office",
    "retail": "retail",
    "mixed": None,
    "other": "adults",
}
"""The mix a building's ``use`` implies when a scenario gives none; ``None`` (mixed use): by space
kind (:data:`POPULATION_BY_KIND`) — the apartments of a mixed tower hold residents, its offices
office workers, its shops shoppers."""

POPULATION_BY_KIND: dict[str, str] = {
    "apartment": "residential",
    "office": "office",
    "management_office": "office",
    "shop": "retail",
    "restaurant": "retail",
    "default": "adults",
}
"""The mix of a space of a mixed-use building, by space kind (``default`` for other kinds)."""


def population_for_kind(use: str, kind: str) -> str:
    """The named mix for the occupants of a space of ``kind`` in a building of ``use``."""
    mix = POPULATION_BY_USE.get(use, "adults")
    if mix is not None:
        return mix
    return POPULATION_BY_KIND.get(kind, POPULATION_BY_KIND["default"])

OCCUPANCY_PROFILES: dict[str, dict[str, float]] = {
    "design": {"default": 1.0},
    "night_residential": {"default": 0.0, "apartment": 0.95, "management_office": 0.1, "office": 0.02,
                          "restaurant": 0.05, "shop": 0.0, "car_park": 0.01, "room": 0.2},
    "weekday": {"default": 0.3, "apartment": 0.35, "office": 0.9, "management_office": 1.0, "shop": 0.6,
                "restaurant": 0.5, "car_park": 0.3, "room": 0.5},
    "weekend": {"default": 0.3, "apartment": 0.7, "office": 0.1, "management_office": 0.3, "shop": 0.9,
                "restaurant": 0.8, "car_park": 0.5, "room": 0.5},
}
"""Share of a space's design load present, by space kind (``default`` for other kinds): the whole
design load (``design``), night-time residential (nearly everyone at home), weekday office hours,
weekend. Assumed planning figures; a scenario may give its own shares by kind."""


MAX_PRE_MOVEMENT_MEAN_S = 6 * 3600.0
"""Largest mean pre-movement time accepted: six hours (published means reach tens of minutes,
an hour or two for people asleep in a hotel); more is a typo, not a scenario."""


PRE_MOVEMENT_SOURCE: Text = text(
    "Default pre-movement time: lognormal, median 170 s, mean 230 s (95th percentile about 610 s, 99th about "
    "1,040 s), fitted to the alarm-to-stair-entry times measured in the 14 high-rise drills of NIST TN 1839 "
    "(Kuligowski et al., 2014, 'Stairwell Evacuation from Buildings: What We Know We Don't Know'); it includes "
    "some walking, so it is conservative for a room next to a stair.",
    "默认预动作时间：对数正态分布，中位数 170 秒、均值 230 秒（95% 分位约 610 秒，99% 分位约 1,040 秒），"
    "拟合自 NIST TN 1839（Kuligowski 等，2014，《建筑楼梯间疏散：已知与未知》）14 次高层建筑演练中实测的"
    "从报警到进入楼梯间的时间；其中包含部分步行时间，对紧邻楼梯的房间偏保守。")
"""Where the default pre-movement distribution comes from, in both languages: the report shows it
beside the RSET and the 95th/99th percentile times it drives."""


class PreMovement(BaseModel):
    """Time from the cue (alarm) to the start of purposeful movement, by location.

    The most specific entry wins: ``by_floor`` (a floor id), then ``by_kind`` (a space kind), then
    ``default``. The default is a lognormal fitted to the NIST TN 1839 drills' alarm-to-stair-entry
    times (median 170 s, mean 230 s): it includes some walking, so it is conservative for a room
    next to a stair.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: Distribution = Field(
        default_factory=lambda: Lognormal(mu=math.log(170.0), sigma=math.sqrt(2 * math.log(230 / 170))),
        json_schema_extra=param_label(
            "Pre-movement time", "预动作时间", "Time from the alarm to the start of purposeful movement, per person "
            "(default: lognormal, median 170 s, mean 230 s, NIST TN 1839 drills)",
            "每人从报警到开始有目的疏散行动的时间（默认：对数正态分布，中位数 170 秒，均值 230 秒，NIST TN 1839 演练数据）", "s"))
    by_kind: dict[str, Distribution] = Field(default_factory=dict, json_schema_extra=param_label(
        "Pre-movement by space kind", "按空间类型的预动作时间", "Pre-movement times for spaces of a kind (office, apartment…)",
        "某类空间（办公、住宅等）人员的预动作时间", "s", pick="space_kind"))
    by_floor: dict[str, Distribution] = Field(default_factory=dict, json_schema_extra=param_label(
        "Pre-movement by floor", "按楼层的预动作时间", "Pre-movement times on a given floor (wins over the space kind)",
        "指定楼层人员的预动作时间（优先于空间类型）", "s", pick="floor"))

    @model_validator(mode="after")
    def _plausible_means(self) -> "PreMovement":
        where = [("default", self.default), *((f"by_kind.{k}", d) for k, d in self.by_kind.items()),
                 *((f"by_floor.{f}", d) for f, d in self.by_floor.items())]
        for name, dist in where:
            try:
                mean = dist.mean
            except (OverflowError, ValueError, ZeroDivisionError):
                mean = math.inf
            if not mean <= MAX_PRE_MOVEMENT_MEAN_S:
                raise ValueError(f"{name}: a mean pre-movement time of {mean:g} s is more than the plausible "
                                 f"{MAX_PRE_MOVEMENT_MEAN_S:g} s ({MAX_PRE_MOVEMENT_MEAN_S / 3600:g} h)")
        return self

    def for_location(self, floor: str, kind: str):
        """The distribution that applies to a space of ``kind`` on ``floor``."""
        if floor in self.by_floor:
            return self.by_floor[floor]
        if kind in self.by_kind:
            return self.by_kind[kind]
        return self.default


def resolve_population(population: str | Mapping[str, float], extra_groups: Mapping[str, OccupantGroup] | None = None
                       ) -> list[tuple[str, OccupantGroup, float]]:
    """``(name, group, share)`` for a named mix or a mapping of group → share, shares normalised.

    Raises ``KeyError`` naming an unknown mix or group and ``ValueError`` when the shares sum to 0.
    """
    groups = {**GROUPS, **(extra_groups or {})}
    if isinstance(population, str):
        if population not in POPULATIONS:
            raise KeyError(f"unknown population {population!r} (known: {', '.join(sorted(POPULATIONS))})")
        mix = POPULATIONS[population]
    else:
        mix = dict(population)
    unknown = [g for g in mix if g not in groups]
    if unknown:
        raise KeyError(f"unknown occupant group {unknown[0]!r} (known: {', '.join(sorted(groups))})")
    total = sum(mix.values())
    if not total > 0:
        raise ValueError("population shares sum to 0")
    return [(name, groups[name], share / total) for name, share in mix.items() if share > 0]


def presence_fraction(profile: str | Mapping[str, float], kind: str) -> float:
    """Share of a space's design load present under an occupancy profile (a name or shares by kind)."""
    shares = OCCUPANCY_PROFILES[profile] if isinstance(profile, str) else profile
    if kind in shares:
        return float(shares[kind])
    return float(shares.get("default", 1.0 if isinstance(profile, str) and profile == "design" else 0.0))


def group_counts(shares: np.ndarray, size: int) -> np.ndarray:
    """Whole numbers of people per group closest to ``shares × size`` (largest remainders)."""
    if size == 0:
        return np.zeros(len(shares), dtype=int)
    exact = shares / shares.sum() * size
    counts = np.floor(exact).astype(int)
    short = size - counts.sum()
    if short:
        # Ties go to the earlier group, so the result does not depend on float noise order.
        order = sorted(range(len(shares)), key=lambda i: (-(exact[i] - counts[i]), i))
        for i in order[:short]:
            counts[i] += 1
    return counts


def sample_population(rng: np.random.Generator, mix: list[tuple[str, OccupantGroup, float]], size: int) -> dict:
    """Draw ``size`` people from a mix: their group index and their three walking speeds.

    The mix is *stratified*: each group gets the whole number of people closest to its share (a
    mix of 24 walkers and 1 wheelchair user gives exactly that), shuffled over the people with
    ``rng``. Returns arrays ``group`` (index into ``mix``), ``horizontal_mps``, ``stair_down_mps``
    and ``stair_up_mps`` (NaN where the group does not use stairs). Speeds are sampled group by
    group in the mix's order, so the same generator state gives the same people.
    """
    shares = np.array([share for _, _, share in mix], dtype=float)
    counts = group_counts(shares, size)
    group = rng.permutation(np.repeat(np.arange(len(mix)), counts)) if size else np.zeros(0, dtype=int)
    out = {"group": group, "horizontal_mps": np.full(size, np.nan), "stair_down_mps": np.full(size, np.nan),
           "stair_up_mps": np.full(size, np.nan)}
    for gi, (_, grp, _) in enumerate(mix):
        members = np.flatnonzero(group == gi)
        if members.size == 0:
            continue
        out["horizontal_mps"][members] = grp.horizontal_mps.sample(rng, members.size)
        if grp.stair_down_mps is not None:
            out["stair_down_mps"][members] = grp.stair_down_mps.sample(rng, members.size)
        if grp.stair_up_mps is not None:
            out["stair_up_mps"][members] = grp.stair_up_mps.sample(rng, members.size)
    return out
