"""Retrofits: what a measure costs, what it saves a year, and when it pays back.

A supervisor asked to cut the common areas' bill weighs measures by their money: LED tubes in
place of 32 W T8 fluorescent (≈ 38 % of the lamp power, lumen-matched — REFERENCES.md "Energy"),
occupancy sensors in stairs and corridors, variable-speed drives on the booster pumps, regenerative
drives on the lifts, a higher summer set-point or a shorter schedule for the lobbies' air
conditioning. Each measure is a change of the energy model's parameters (``changes``: a field path
and its new value, the defaults of each kind below) plus its capital cost. The model runs the
year with and without it; the difference is the annual saving in kWh and in money at the tariff,
from which come:

* **simple payback** = capital / annual saving (years; infinite when nothing is saved);
* **NPV** at the discount rate over the measure's life: −capital + Σₜ (saving + maintenance saved)
  · (1 + escalation)^(t−1) / (1 + r)^t, t = 1 … life (``numpy_financial.npv`` on that cash flow);
* **IRR**: the rate at which that NPV is zero (``numpy_financial.irr``; NaN when there is none,
  as when nothing is saved).

Measures interact (LED lamps leave less for occupancy sensors to switch off), so each is judged
alone against the baseline and, in a last row, all of them together; the rows of the table are
the retrofit table of the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy_financial as npf
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.harness import param_label
from twin.spec import Id
from twin.text import Text, text

__all__ = ["RetrofitKind", "RETROFIT_KINDS", "DEFAULT_CHANGES", "Retrofit", "Economics", "economics", "set_path",
           "apply_changes", "retrofit_rows"]

RetrofitKind = Literal["led", "occupancy_sensors", "vfd_pumps", "lift_regenerative", "setpoint", "schedule", "other"]

RETROFIT_KINDS: dict[str, Text] = {
    "led": text("LED tubes replacing fluorescent (lumen-matched)", "LED 灯管替换荧光灯（等光通量）"),
    "occupancy_sensors": text("Occupancy sensors on common-area lighting", "公共区域照明加装人体感应"),
    "vfd_pumps": text("Variable-speed drives on the pumps", "水泵加装变频器"),
    "lift_regenerative": text("Regenerative drives on the lifts", "电梯能量回馈装置"),
    "setpoint": text("Air-conditioning set-point change", "空调设定温度调整"),
    "schedule": text("Operating schedule change", "运行时间表调整"),
    "other": text("Other measure", "其他措施"),
}

DEFAULT_CHANGES: dict[str, dict[str, Any]] = {
    "led": {"lighting.lamp": "led"},
    "occupancy_sensors": {"lighting.controls.occupancy_sensors": True},
    "vfd_pumps": {"pumps.control": "vfd"},
    "lift_regenerative": {"lifts.regenerative": True},
    "setpoint": {"hvac.cooling_setpoint_c": 26.0},
    "schedule": {},
    "other": {},
}
"""What each kind of measure changes when the scenario gives no ``changes`` (field paths of the
energy parameters, the load sections of :mod:`models.energy.loads`)."""


class Retrofit(BaseModel):
    """One energy-saving measure: its kind, what it changes in the model and what it costs."""

    model_config = ConfigDict(extra="forbid")

    id: Id = Field(json_schema_extra=param_label(
        "Measure", "措施", "A short name for the measure (its row in the table)", "措施的简称（表中的一行）"))
    kind: RetrofitKind = Field(json_schema_extra=param_label(
        "Kind", "类型", "led, occupancy_sensors, vfd_pumps, lift_regenerative, setpoint, schedule or other",
        "led、occupancy_sensors、vfd_pumps、lift_regenerative、setpoint、schedule 或 other"))
    capital_cny: float = Field(ge=0, le=1e9, json_schema_extra=param_label(
        "Capital cost", "投资", "Installed cost of the measure, paid in year 0", "措施的安装费用（第 0 年支付）", "cny"))
    life_years: int = Field(15, ge=1, le=50, json_schema_extra=param_label(
        "Life", "寿命", "Years the measure saves (the NPV's horizon)", "措施产生节能效益的年数（净现值的计算期）", "years"))
    maintenance_saved_cny_per_year: float = Field(0.0, ge=-1e8, le=1e8, json_schema_extra=param_label(
        "Maintenance saved a year", "每年节省的维护费", "Maintenance money saved (LED tubes last longer); negative for "
        "an added cost", "节省的维护费用（LED 灯管寿命更长）；负值表示增加的费用", "cny"))
    changes: dict[str, Any] | None = Field(None, json_schema_extra=param_label(
        "Changes", "参数变更", "Field path of the energy parameters → new value (default: the kind's usual change, "
        "e.g. lighting.lamp: led)", "能耗参数字段路径 → 新值（缺省为该类型的常规变更，如 lighting.lamp: led）"))

    @model_validator(mode="after")
    def _has_changes(self) -> "Retrofit":
        if not self.effective_changes():
            raise ValueError(f"retrofit {self.id!r} of kind {self.kind!r} changes nothing: give changes "
                             "(a field path and its new value, e.g. hvac.occupied_start_h: 8)")
        return self

    def effective_changes(self) -> dict[str, Any]:
        return dict(self.changes) if self.changes else dict(DEFAULT_CHANGES[self.kind])


def set_path(data: dict, path: str, value: Any) -> None:
    """Set ``a.b.c`` in a nested dict (a dumped pydantic model), naming the path when it does not exist."""
    keys = path.split(".")
    node: Any = data
    for i, key in enumerate(keys[:-1]):
        if not isinstance(node, dict) or key not in node:
            raise ValueError(f"no parameter {'.'.join(keys[:i + 1])!r} (in the change {path!r})")
        if node[key] is None:
            node[key] = {}
        node = node[key]
    if not isinstance(node, dict) or (keys[-1] not in node and keys[:-1]):
        raise ValueError(f"no parameter {path!r}")
    node[keys[-1]] = value


def apply_changes(params: BaseModel, changes: Mapping[str, Any]) -> BaseModel:
    """The parameters with ``changes`` applied (validated again: a change to an impossible value is refused)."""
    data = params.model_dump(mode="python")
    for path, value in changes.items():
        set_path(data, path, value)
    return type(params).model_validate(data)


class Economics(BaseModel):
    """A measure's money: annual saving, simple payback, NPV and IRR."""

    saved_kwh: float
    saved_cny: float
    payback_years: float
    npv_cny: float
    irr: float


def economics(capital_cny: float, saved_kwh: float, saved_cny_per_year: float, *, life_years: int,
              discount_rate: float, escalation: float = 0.0, maintenance_saved_cny_per_year: float = 0.0) -> Economics:
    """Simple payback, NPV and IRR of a measure costing ``capital_cny`` now that saves
    ``saved_cny_per_year`` (growing by ``escalation`` a year) plus maintenance for ``life_years``."""
    yearly = saved_cny_per_year + maintenance_saved_cny_per_year
    flows = [-capital_cny] + [saved_cny_per_year * (1 + escalation) ** (t - 1) + maintenance_saved_cny_per_year
                              for t in range(1, life_years + 1)]
    payback = capital_cny / yearly if yearly > 0 else math.inf
    if capital_cny == 0 and yearly > 0:
        payback = 0.0
    npv = float(npf.npv(discount_rate, flows))
    irr = math.nan
    if capital_cny > 0 and yearly > 0:
        value = float(npf.irr(flows))
        irr = value if math.isfinite(value) else math.nan
    return Economics(saved_kwh=saved_kwh, saved_cny=saved_cny_per_year, payback_years=payback, npv_cny=npv, irr=irr)


def retrofit_rows(baseline: Mapping[str, float], measures: list[tuple[str, str, Text, float, float, Mapping[str, float],
                                                                    Economics]]) -> list[dict]:
    """The retrofit table's rows: the baseline, then one per measure (and the package), each with
    its annual kWh and cost, the savings, payback, NPV and IRR. ``baseline`` and each measure's
    figures are ``{"kwh": …, "cost_cny": …}``; a measure is (id, kind, label, capital, life, figures, economics)."""
    rows = [{"measure": "baseline", "kind": "baseline", "label": "Baseline (as built)", "label_zh_cn": "基准（现状）",
             "capital_cny": 0.0, "life_years": math.nan, "kwh": baseline["kwh"], "cost_cny": baseline["cost_cny"],
             "saved_kwh": 0.0, "saved_share": 0.0, "saved_cny": 0.0, "payback_years": math.nan, "npv_cny": 0.0,
             "irr": math.nan}]
    for ident, kind, label, capital, life, figures, eco in measures:
        rows.append({"measure": ident, "kind": kind, "label": label["en"], "label_zh_cn": label["zh-CN"],
                     "capital_cny": capital, "life_years": float(life), "kwh": figures["kwh"],
                     "cost_cny": figures["cost_cny"], "saved_kwh": eco.saved_kwh,
                     "saved_share": eco.saved_kwh / baseline["kwh"] if baseline["kwh"] > 0 else math.nan,
                     "saved_cny": eco.saved_cny, "payback_years": eco.payback_years if math.isfinite(eco.payback_years)
                     else math.nan, "npv_cny": eco.npv_cny, "irr": eco.irr})
    return rows
