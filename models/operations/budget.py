"""The estate's budget: what running it costs, month by month, and what the fees bring in.

A Chinese property-management office budgets zero-based: every line of the year's budget is a cost
driver times its rate — a technician group's regular hours times their wage, a contractor's
call-outs times the call-out fee, the area charged times the fee rate — and the supervisor reviews
actual against budget each month (the work plans' 零基预算 and 月度预实分析). This module turns the
operations model's records into such lines:

* **Labour** — from the ``staff_time`` records (one row per person and shift, paid by
  :func:`models.staff.pay`): per staff group and month, the regular hours at the group's wage
  (``labour``), the overtime hours at their overtime pay (``overtime``: 150 % on a working day,
  200 % on a rest day, 300 % on a statutory holiday, Labour Law of the PRC art. 44) and the night,
  rest-day and holiday premiums (``premium``).
* **Contractors** — from the ``work_orders`` a contractor took: per skill and month, the call-outs
  times their fee, the contractor's hours on site times their hourly charge, and the preventive
  maintenance visits of a maintenance contractor (lifts: TSG T5002) times the price of a visit.
* **Parts** — the parts and materials of each work order (a failure's own cost, a PM's materials
  included), per work-order category and month.
* **Energy, materials and other lines** — fixed annual figures spread over the days of the year
  (energy until the energy model provides it). When a figure is not given, energy and materials are
  estimated from the area the fees are charged on (:data:`ENERGY_CNY_PER_M2_YEAR`,
  :data:`MATERIALS_CNY_PER_M2_YEAR`), and the line's driver says so.
* **Income** — the management fee (rate per m² of charged area per month) times the collection
  rate (物业费收缴率), the arrears of earlier months recovered (a share of what was not paid,
  in equal parts over the following months), and car-park income (spaces × occupancy × monthly fee).

Each record is counted once, in the calendar month its cost falls in (a shift in the month it
starts, a work order in the month it was completed, or dispatched or reported when it was not).
Amounts are in yuan and rounded to the fen so that each category's lines add up exactly to the
rounded total of its records: the budget balances to the cent. Rows with ``month`` 1–12 are what
the simulated period cost in that calendar month; rows with ``month`` 0 are the year: the sum of
the months when the run covers 365 days, and that sum scaled to 365 days otherwise (the driver
says "annualised from N days").

A fee is billed for each calendar month (or the share of it the run covers); a fixed annual line is
spread evenly over 365 days. What is not modelled: VAT and income tax, depreciation, reserves for
major repairs (专项维修资金 is the owners' fund, not the manager's), the timing of payments
(accruals only).
"""

from __future__ import annotations

import calendar as _monthdays
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from models.harness import KPI, param_label
from models.staff import ROLE_LABELS, SKILL_LABELS
from twin.text import text

__all__ = ["BudgetParams", "OtherLine", "budget", "budget_kpis", "BUDGET_KPIS", "CATEGORIES", "COST_CATEGORIES",
           "YEAR_S", "ENERGY_CNY_PER_M2_YEAR", "MATERIALS_CNY_PER_M2_YEAR", "PARKING_M2_PER_SPACE", "FEE_SPACE_KINDS",
           "charged_area_m2", "car_park_spaces"]

YEAR_S = 365 * 86_400.0
"""A budget year: 365 days. A run of another length is scaled to it (``month`` 0 rows)."""
DAY_S = 86_400.0
CATEGORIES = ("labour", "overtime", "premium", "contractor", "parts", "energy", "materials", "other", "income")
COST_CATEGORIES = CATEGORIES[:-1]
FEE_SPACE_KINDS = ("apartment", "shop", "restaurant", "office")
"""Spaces whose floor area the management fee is charged on (the owners' and tenants' units)."""
ENERGY_CNY_PER_M2_YEAR = 4.5
"""Common-area electricity and water per m² of charged area and year when no figure is given: lifts,
pumps, corridor and car-park lighting and fans of a high-rise residential estate, about 0.35–0.4 CNY
per m² and month, some 15 % of a 2.5 CNY/m² fee (an assumption from published fee cost breakdowns
of Chinese residential estates; give ``energy_cny_per_year`` from the estate's bills instead)."""
MATERIALS_CNY_PER_M2_YEAR = 1.0
"""Cleaning consumables, small tools and repair materials not booked as parts, per m² and year,
when no figure is given (an assumption; give ``materials_cny_per_year`` from the estate's books)."""
PARKING_M2_PER_SPACE = 35.0
"""Gross car-park floor area per parking space (bays, aisles, ramps) used to count the spaces when
none are given: 30–40 m² in Chinese basement car parks (JGJ 100 design practice)."""

_MAX_CNY = 1e10
_MAX_RATE = 1e4


class OtherLine(BaseModel):
    """A cost line of the scenario's own (greening, waste removal, insurance, office costs…)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: dict[str, str] = Field(
        description="what the line pays for, in both languages",
        json_schema_extra=param_label("Name", "名称", "What the line pays for, in English and Chinese",
                                      "该费用项目的内容（中英文）"))
    cny_per_year: float = Field(ge=0, le=_MAX_CNY, allow_inf_nan=False, description="cost per year",
                                json_schema_extra=param_label("Cost per year", "年费用", "Cost of the line per year",
                                                              "该项目每年的费用", "cny"))

    @field_validator("name", mode="before")
    @classmethod
    def _both_languages(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(f"give the line's name in both languages as {{en: …, zh-CN: …}}, not {value!r}")
        if isinstance(value, Mapping):
            missing = [code for code in ("en", "zh-CN") if not str(value.get(code) or "").strip()]
            unknown = [code for code in value if code not in ("en", "zh-CN")]
            if missing or unknown:
                raise ValueError(f"a line's name needs en and zh-CN (missing: {missing}, unknown: {unknown}): "
                                 f"{dict(value)!r}")
        return value


class BudgetParams(BaseModel):
    """The budget's rates and fixed lines: fees, parking, energy, materials, other lines, the budget."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fee_cny_per_m2_month: float = Field(
        2.5, ge=0, le=100, allow_inf_nan=False, description="management fee per m² of charged area and month",
        json_schema_extra=param_label(
            "Management fee rate", "物业费单价",
            "Management fee per m² of charged floor area per month",
            "每月每平方米计费面积的物业服务费", "cny_per_m2_month"))
    area_m2: float | None = Field(
        None, gt=0, le=1e8, allow_inf_nan=False,
        description="charged floor area; None: apartments, shops, restaurants and offices of the building",
        json_schema_extra=param_label(
            "Charged area", "计费面积",
            "Floor area the fee is charged on; empty: the apartments, shops, restaurants and offices of the building",
            "收取物业费的建筑面积；留空则取建筑内住宅、商铺、餐饮和办公空间的面积之和", "m2"))
    collection_rate: float = Field(
        0.92, ge=0, le=1, allow_inf_nan=False, description="share of the fees billed that is paid in the month",
        json_schema_extra=param_label(
            "Fee collection rate", "物业费收缴率",
            "Share of the fees billed that owners pay in the month they are due",
            "当月应收物业费中业主按时缴纳的比例", "share"))
    arrears_recovered_share: float = Field(
        0.5, ge=0, le=1, allow_inf_nan=False, description="share of the unpaid fees recovered later",
        json_schema_extra=param_label(
            "Arrears recovered", "欠费追缴比例",
            "Share of the unpaid fees recovered later (reminders, settlements)",
            "未按时缴纳的物业费中日后追缴回来的比例", "share"))
    arrears_recovery_months: int = Field(
        6, ge=1, le=36, description="months over which a month's arrears are recovered, in equal parts",
        json_schema_extra=param_label(
            "Arrears recovery period", "欠费追缴周期",
            "Months over which a month's recovered arrears come in, in equal parts",
            "每月欠费中可追缴部分在此后若干个月内平均收回", "months"))
    arrears_before_start: bool = Field(
        True, description="arrears of the months before the run are being recovered (an estate already running)",
        json_schema_extra=param_label(
            "Arrears from before the start", "期初已有欠费",
            "Arrears of the months before the run are being recovered, as in an estate already running "
            "(off: a new estate's first year)",
            "模拟开始前各月的欠费也在追缴中（已运营的项目）；关闭表示新接管项目的第一年"))
    parking_spaces: int | None = Field(
        None, ge=0, le=100_000,
        description="parking spaces the estate manages; None: car-park floor area / 35 m² per space",
        json_schema_extra=param_label(
            "Parking spaces", "车位数",
            "Parking spaces the estate manages; empty: the car-park floor area at 35 m² per space",
            "物业管理的车位数；留空则按车库面积每 35 平方米一个车位估算", "spaces"))
    parking_fee_cny_per_month: float = Field(
        150.0, ge=0, le=_MAX_RATE, allow_inf_nan=False, description="income per occupied space and month",
        json_schema_extra=param_label(
            "Parking fee", "车位费",
            "Income per occupied parking space and month (management fee or rent kept by the manager)",
            "每个在用车位每月给物业带来的收入（车位管理费或租金）", "cny_per_month"))
    parking_occupancy: float = Field(
        0.8, ge=0, le=1, allow_inf_nan=False, description="share of the spaces occupied and paying",
        json_schema_extra=param_label(
            "Parking occupancy", "车位使用率", "Share of the parking spaces occupied and paying",
            "在用并缴费的车位比例", "share"))
    energy_cny_per_year: float | None = Field(
        None, ge=0, le=_MAX_CNY, allow_inf_nan=False,
        description="common-area energy per year; None: 4.5 CNY per m² of charged area",
        json_schema_extra=param_label(
            "Energy per year", "年能耗费用",
            "Common-area electricity and water per year (until the energy model provides it); "
            "empty: 4.5 CNY per m² of charged area",
            "公共区域年度电费和水费（能耗模型完成前为固定值）；留空则按每平方米计费面积 4.5 元估算", "cny"))
    energy_model: dict[str, Any] | None = Field(
        None, description="the energy model's parameters: the energy line is its annual bill for this building",
        json_schema_extra=param_label(
            "Energy from the energy model", "能耗费用取自能耗模型",
            "The energy model's parameters (as an energy scenario's params): the energy line is that model's "
            "annual bill for this building, run alongside (weather and use as designed, no variation)",
            "能耗模型参数（同能耗场景的 params）：能耗费用取该模型对本建筑的年度费用（与本模型同时运行，设计年气候、无波动）"))
    energy_results: str | None = Field(
        None, max_length=300, description="a finished energy run's results folder: its mean annual bill",
        json_schema_extra=param_label(
            "Energy from a results folder", "能耗费用取自运行结果",
            "A finished energy run's results folder relative to the data directory (runs/<id>): the energy line is "
            "the mean annual bill of its summary", "已完成的能耗运行结果目录（相对于数据目录，如 runs/<id>）：能耗费用取其汇总的年度费用均值"))
    materials_cny_per_year: float | None = Field(
        None, ge=0, le=_MAX_CNY, allow_inf_nan=False,
        description="materials per year; None: 1 CNY per m² of charged area",
        json_schema_extra=param_label(
            "Materials per year", "年物料费用",
            "Cleaning consumables, small tools and repair materials not booked as parts; "
            "empty: 1 CNY per m² of charged area",
            "清洁耗材、小工具及未计入备件的维修材料；留空则按每平方米计费面积 1 元估算", "cny"))
    other_lines: list[OtherLine] = Field(
        default_factory=list, max_length=100, description="further fixed cost lines per year",
        json_schema_extra=param_label(
            "Other cost lines", "其他费用项目",
            "Further fixed costs per year: greening, waste removal, insurance, office, management overhead…",
            "其他年度固定费用：绿化、垃圾清运、保险、办公、管理费用等"))
    budget_cny_per_year: float | None = Field(
        None, ge=0, le=_MAX_CNY, allow_inf_nan=False,
        description="the year's cost budget; None: no budget to compare with",
        json_schema_extra=param_label(
            "Cost budget per year", "年度费用预算",
            "The year's approved cost budget; a replication whose annual cost is above it is over budget",
            "批准的年度费用预算；年度费用超过预算的模拟次即为超支", "cny"))

    @field_validator("energy_model")
    @classmethod
    def _energy_model(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            from models.energy.params import EnergyParams  # imported when used: the energy model is a sibling

            EnergyParams.model_validate(value)
        return value

    @model_validator(mode="after")
    def _one_energy_source(self) -> "BudgetParams":
        given = [n for n in ("energy_cny_per_year", "energy_model", "energy_results") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give one source of the energy line, not {' and '.join(given)}")
        return self


# --- KPIs ----------------------------------------------------------------------------------------

BUDGET_KPIS: tuple[KPI, ...] = (
    KPI("annual_cost_cny", "cny", text("Annual cost", "年度总费用"),
        text("Every cost line of the year: labour, contractors, parts, energy, materials and other lines",
             "全年各项费用之和：人工、外包、备件、能耗、物料及其他"), "money"),
    KPI("annual_income_cny", "cny", text("Annual income", "年度总收入"),
        text("Management fees collected, arrears recovered and parking income over the year",
             "全年实收物业费、追缴欠费及车位收入之和"), "money", "higher"),
    KPI("margin_cny", "cny", text("Annual margin", "年度收支结余"),
        text("Annual income less annual cost (negative: the estate runs at a loss)",
             "年度收入减年度费用（负值表示亏损）"), "money", "higher"),
    KPI("labour_cost_cny", "cny", text("Labour cost", "人工费用"),
        text("Regular pay, overtime pay and night, rest-day and holiday premiums of the estate's staff",
             "员工的正常工资、加班工资及夜班、休息日和节假日补贴"), "money"),
    KPI("contractor_cost_cny", "cny", text("Contractor cost", "外包费用"),
        text("Contractors' call-out fees and labour charged over the year", "全年外包单位的出车费和人工费"), "money"),
    KPI("parts_cost_cny", "cny", text("Spare parts cost", "备件费用"),
        text("Spare parts used by the year's work orders", "全年工单消耗的备品备件费用"), "money"),
    KPI("over_budget", "share", text("Over budget", "超出预算"),
        text("1 when the annual cost exceeds the year's budget; its mean over replications is the probability "
             "of exceeding it", "年度费用超出预算时为 1；多次模拟的平均值即超支概率"), "share"),
)
"""The budget's KPIs, for the operations model's spec (annualised when the run is not a year)."""


# --- Quantities from the building ----------------------------------------------------------------

def charged_area_m2(building) -> float:
    """Floor area of the apartments, shops, restaurants and offices: what the fee is charged on."""
    return float(sum(s.floor_area_m2 for s in building.spaces if s.kind in FEE_SPACE_KINDS and not s.void))


def car_park_spaces(building) -> int:
    """Parking spaces estimated from the car-park floor area (:data:`PARKING_M2_PER_SPACE` each)."""
    area = sum(s.floor_area_m2 for s in building.spaces if s.kind == "car_park")
    return int(area // PARKING_M2_PER_SPACE)


# --- The lines -----------------------------------------------------------------------------------

@dataclass
class _Line:
    """One cost driver: its amount and quantity in each calendar month the run covers."""

    line: str
    category: str
    driver: tuple[str, str]
    unit: str
    rate_cny: float | None = None
    """The driver's rate when it has one (a wage, a fee); otherwise amount / quantity."""
    quantity: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    amount: dict[int, float] = field(default_factory=lambda: defaultdict(float))
    rates: set = field(default_factory=set)

    def add(self, month: int, quantity: float, amount: float, rate: float | None = None) -> None:
        self.quantity[month] += quantity
        self.amount[month] += amount
        if rate is not None:
            self.rates.add(round(float(rate), 6))


def _num(value: Any) -> float:
    """A record's number, 0 for what did not happen (NaN, None)."""
    if value is None:
        return 0.0
    x = float(value)
    return x if math.isfinite(x) else 0.0


@dataclass(frozen=True)
class _Slot:
    """A calendar month (or the part of it) the run covers, in the order the run passes through them."""

    month: int
    months: float
    """Share of the calendar month covered (a fee month)."""
    days: float
    """Days covered."""


def _slots(start_s: float, horizon_s: float, calendar) -> list[_Slot]:
    """The calendar months the run [start_s, start_s + horizon_s) covers, each with the share of it and
    the days it covers."""
    slots: list[_Slot] = []
    key = None
    end_s = start_s + horizon_s
    for k in range(math.floor(start_s / DAY_S), math.ceil(end_s / DAY_S - 1e-9)):
        share = (min(end_s, (k + 1) * DAY_S) - max(start_s, k * DAY_S)) / DAY_S
        day = calendar.date_of(k * DAY_S + 1.0)
        length = _monthdays.monthrange(day.year, day.month)[1]
        if key != (day.year, day.month):
            key = (day.year, day.month)
            slots.append(_Slot(day.month, 0.0, 0.0))
        last = slots[-1]
        slots[-1] = _Slot(last.month, last.months + share / length, last.days + share)
    return slots


def _months(times: Sequence[float], span: tuple[float, float], calendar) -> list[int]:
    """The calendar month (1–12) of each time, clipped into the run (at once when the calendar can)."""
    clipped = np.clip(np.asarray(times, dtype=float), span[0], max(span[1] - 1e-6, span[0]))
    if hasattr(calendar, "months"):
        return [int(m) for m in calendar.months(clipped)]
    return [int(calendar.month(float(t))) for t in clipped]


def _labour_lines(rows: Sequence[Mapping[str, Any]], span: tuple[float, float], calendar,
                  columns: Mapping[str, Any] | None = None) -> list[_Line]:
    """The labour lines from the ``staff_time`` rows; ``columns``, when given, holds the same rows
    column by column (name -> a sequence as long as ``rows``), read instead of the rows."""
    lines: dict[tuple[str, str], _Line] = {}

    def line(kind: str, group: str, role_code: str) -> _Line:
        key = (kind, group)
        if key not in lines:
            words = ROLE_LABELS.get(role_code, {"en": role_code, "zh-CN": role_code})
            role, role_zh = words["en"].lower(), words["zh-CN"]
            driver, unit = {
                "labour": ((f"regular hours of staff group {group} ({role}) × wage",
                            f"员工组 {group}（{role_zh}）正常工时 × 时薪"), "h"),
                "overtime": ((f"overtime hours of staff group {group} ({role}) × overtime pay "
                              f"(150 % / 200 % / 300 %, Labour Law art. 44)",
                              f"员工组 {group}（{role_zh}）加班工时 × 加班工资（150%/200%/300%，《劳动法》第 44 条）"), "h"),
                "premium": ((f"shifts of staff group {group} ({role}) with a night, rest-day or holiday premium",
                             f"员工组 {group}（{role_zh}）享有夜班、休息日或节假日补贴的班次"), "shifts"),
            }[kind]
            lines[key] = _Line(f"{kind}:{group}", kind, driver, unit)
        return lines[key]

    if not rows:
        return []
    # Column by column (a year's ~9,000 shifts): the sums per line and month run over the rows in
    # their order (np.bincount adds its weights in order, from 0.0), so they equal a row-by-row sum
    # to the bit; a line and its months appear in the order their first row does.
    def column(name: str) -> np.ndarray:
        x = np.array(columns[name] if columns is not None else [row.get(name) for row in rows], dtype=float)
        return np.where(np.isfinite(x), x, 0.0)

    def words(name: str) -> list:
        return list(columns[name]) if columns is not None else [row.get(name, "") for row in rows]

    month = np.array(_months(column("start_s"), span, calendar), dtype=np.int64)
    codes: dict[str, int] = {}
    gcode = np.array([codes.setdefault(str(g), len(codes)) for g in words("group")], dtype=np.int64)
    by_code = {c: g for g, c in codes.items()}
    role = words("role")
    n_bins = len(codes) * 13
    cell = gcode * 13 + month
    wage = column("wage_cny_per_h")
    regular, overtime, premium = column("regular_cny"), column("overtime_cny"), column("premium_cny")
    regular_h, overtime_h = column("regular_h"), column("overtime_h")
    index = np.arange(len(rows))
    found = []  # (first row, kind rank, kind, group code, quantity, amount, mask)
    for rank, (kind, amount, quantity, mask) in enumerate((
            ("labour", regular, regular_h, (regular != 0.0) | (regular_h != 0.0)),
            ("overtime", overtime, overtime_h, (overtime != 0.0) | (overtime_h != 0.0)),
            ("premium", premium, None, premium != 0.0))):
        if not mask.any():
            continue
        cells = cell[mask]
        rows_in = index[mask]
        counts = np.bincount(cells, minlength=n_bins)
        amounts = np.bincount(cells, weights=amount[mask], minlength=n_bins)
        quantities = (counts.astype(float) if quantity is None
                      else np.bincount(cells, weights=quantity[mask], minlength=n_bins))
        first = np.full(n_bins, len(rows), dtype=np.int64)
        np.minimum.at(first, cells, rows_in)
        for g in np.unique(gcode[mask]).tolist():
            months = [m for m in range(13) if counts[g * 13 + m]]
            months.sort(key=lambda m: first[g * 13 + m])
            found.append((int(first[g * 13 + months[0]]), rank, kind, g, months, quantities, amounts,
                          mask & (gcode == g)))
    found.sort(key=lambda f: (f[0], f[1]))
    for first_row, _, kind, g, months, quantities, amounts, mask in found:
        ln = line(kind, by_code[g], str(role[first_row]))
        for m in months:
            ln.quantity[m] += float(quantities[g * 13 + m])
            ln.amount[m] += float(amounts[g * 13 + m])
        if kind == "labour":
            ln.rates.update(round(float(w), 6) for w in np.unique(wage[mask]).tolist())
    for ln in lines.values():
        if ln.category == "labour" and len(ln.rates) == 1:
            ln.rate_cny = next(iter(ln.rates))
    return list(lines.values())


def _order_lines(rows: Sequence[Mapping[str, Any]], span: tuple[float, float], calendar,
                 labour_cny_per_h: float | None) -> list[_Line]:
    lines: dict[tuple[str, str], _Line] = {}

    def line(key: tuple[str, str], category: str, driver, unit: str) -> _Line:
        """The line of ``key``, made on first use (``driver`` is called then only: its words are the same)."""
        ln = lines.get(key)
        if ln is None:
            ln = lines[key] = _Line(f"{key[0]}:{key[1]}", category, driver(), unit)
        return ln

    def skill_words(skill: str) -> tuple[str, str]:
        words = SKILL_LABELS.get(skill, {"en": skill, "zh-CN": skill})
        return words["en"].lower(), words["zh-CN"]

    if not rows:
        return []

    names = ("completed_s", "dispatched_s", "reported_s", "callout_fee_cny", "contractor_labour_cny",
             "parts_cost_cny", "contractor")
    try:  # the number columns read at once, one C-level pass over the rows (the model's rows have every key)
        get = itemgetter(*names)
        table = np.array([get(row) for row in rows], dtype=float)
    except (KeyError, TypeError, ValueError):
        table = np.array([[row.get(n) for n in names] for row in rows], dtype=float)
    table = table.reshape(len(rows), len(names))
    completed, dispatched, reported = table[:, 0], table[:, 1], table[:, 2]
    money = np.where(np.isfinite(table[:, 3:6]), table[:, 3:6], 0.0)
    contracted = np.nan_to_num(table[:, 6]) != 0.0
    # Only orders with a contractor or a cost make a line: the others are passed over at once.
    costly = np.flatnonzero(contracted | (money != 0.0).any(axis=1))
    # when an order's cost falls: completed, else dispatched, else reported (0 without any)
    when = np.where(np.isfinite(completed), completed, np.where(
        np.isfinite(dispatched), dispatched, np.where(np.isfinite(reported), reported, 0.0)))[costly]
    fees, labours, partss = (money[costly, k].tolist() for k in range(3))
    for row, month, fee, labour, parts in zip((rows[i] for i in costly.tolist()), _months(when, span, calendar),
                                              fees, labours, partss):
        skill = str(row.get("skill", "") or "general")
        category = str(row.get("category", "") or "other")
        if bool(row.get("contractor")) and row.get("source") == "pm":
            # Planned maintenance by a maintenance contractor (lifts: TSG T5002): a price per visit.
            line(("contractor_pm", skill), "contractor",
                 lambda: (f"preventive maintenance visits by a contractor ({skill_words(skill)[0]}) × price per visit",
                          f"{skill_words(skill)[1]}维保单位预防性维护次数 × 每次价格"),
                 "visits").add(month, 1.0, fee + labour, fee + labour)
        elif bool(row.get("contractor")) or fee or labour:
            line(("callout", skill), "contractor",
                 lambda: (f"contractor call-outs ({skill_words(skill)[0]}) × call-out fee",
                          f"{skill_words(skill)[1]}类外包出车次数 × 出车费"),
                 "callouts").add(month, 1.0, fee, fee)
            if labour:
                hours = labour / labour_cny_per_h if labour_cny_per_h else _num(row.get("repair_s")) / 3600.0
                line(("contractor_labour", skill), "contractor",
                     lambda: (f"contractor hours on site ({skill_words(skill)[0]}) × hourly charge",
                              f"{skill_words(skill)[1]}类外包现场工时 × 小时费率"),
                     "h").add(month, hours, labour, labour_cny_per_h)
        if parts:
            line(("parts", category), "parts",
                 lambda: (f"work orders of category {category} with parts or materials × cost per order",
                          f"{category} 类使用备件或材料的工单数 × 每单费用"), "orders").add(month, 1.0, parts)
    for ln in lines.values():
        if ln.unit in ("callouts", "visits", "h") and len(ln.rates) == 1:
            ln.rate_cny = next(iter(ln.rates))
    return list(lines.values())


def _fixed_lines(p: BudgetParams, area_m2: float, slots: Sequence[_Slot], building: Any = None) -> list[_Line]:
    """Energy, materials and the scenario's other lines: a figure per year spread over 365 days."""
    lines = []
    fixed: list[tuple[str, str, tuple[str, str], float]] = []
    if p.energy_model is not None or p.energy_results is not None:
        from models.energy.model import budget_energy

        amount, words = budget_energy(p.energy_model, p.energy_results, building)
        fixed.append(("energy", "energy", words, amount))
    elif p.energy_cny_per_year is not None:
        fixed.append(("energy", "energy", ("common-area energy per year (fixed until the energy model provides it)",
                                           "公共区域年度能耗费用（能耗模型完成前为固定值）"), p.energy_cny_per_year))
    else:
        fixed.append(("energy", "energy",
                      (f"common-area energy estimated at {ENERGY_CNY_PER_M2_YEAR:g} CNY per m² of {area_m2:,.0f} m² "
                       f"and year (no figure given)",
                       f"公共区域能耗按每平方米每年 {ENERGY_CNY_PER_M2_YEAR:g} 元 × {area_m2:,.0f} 平方米估算（未给定数值）"),
                      ENERGY_CNY_PER_M2_YEAR * area_m2))
    if p.materials_cny_per_year is not None:
        fixed.append(("materials", "materials", ("materials per year", "年度物料费用"), p.materials_cny_per_year))
    else:
        fixed.append(("materials", "materials",
                      (f"materials estimated at {MATERIALS_CNY_PER_M2_YEAR:g} CNY per m² of {area_m2:,.0f} m² and "
                       f"year (no figure given)",
                       f"物料按每平方米每年 {MATERIALS_CNY_PER_M2_YEAR:g} 元 × {area_m2:,.0f} 平方米估算（未给定数值）"),
                      MATERIALS_CNY_PER_M2_YEAR * area_m2))
    for i, other in enumerate(p.other_lines, start=1):
        fixed.append((f"other:{i}", "other", (other.name["en"], other.name["zh-CN"]), other.cny_per_year))
    for line_id, category, driver, per_year in fixed:
        ln = _Line(line_id, category, (driver[0] + " — days × cost per day", driver[1] + "——天数 × 每日费用"), "days",
                   rate_cny=per_year / 365.0)
        for slot in slots:
            ln.add(slot.month, slot.days, per_year * slot.days / 365.0)
        lines.append(ln)
    return lines


def _income_lines(p: BudgetParams, area_m2: float, spaces: int, slots: Sequence[_Slot]) -> list[_Line]:
    monthly_fee = p.fee_cny_per_m2_month * area_m2
    unpaid = 1.0 - p.collection_rate
    collected = _Line("fees_collected", "income",
                      (f"management fees collected: {area_m2:,.0f} m² × months × {p.fee_cny_per_m2_month:g} CNY/m² "
                       f"× collection rate {p.collection_rate:.0%}",
                       f"实收物业费：{area_m2:,.0f} 平方米 × 月数 × {p.fee_cny_per_m2_month:g} 元/平方米 × 收缴率 "
                       f"{p.collection_rate:.0%}"), "m2·months", rate_cny=p.fee_cny_per_m2_month * p.collection_rate)
    recovered = _Line("arrears_recovered", "income",
                      (f"arrears recovered: {p.arrears_recovered_share:.0%} of the {unpaid:.0%} unpaid, in equal "
                       f"parts over the next {p.arrears_recovery_months} months",
                       f"追缴欠费：未缴的 {unpaid:.0%} 中追回 {p.arrears_recovered_share:.0%}，在此后 "
                       f"{p.arrears_recovery_months} 个月内平均收回"), "m2·months",
                      rate_cny=p.fee_cny_per_m2_month * unpaid * p.arrears_recovered_share)
    parking = _Line("parking", "income",
                    (f"parking: {spaces} spaces × {p.parking_occupancy:.0%} occupied × months × "
                     f"{p.parking_fee_cny_per_month:g} CNY per month",
                     f"车位收入：{spaces} 个车位 × 使用率 {p.parking_occupancy:.0%} × 月数 × 每月 "
                     f"{p.parking_fee_cny_per_month:g} 元"), "space·months", rate_cny=p.parking_fee_cny_per_month)
    k = p.arrears_recovery_months
    # What each month billed, in months of fees: an estate already running billed every month in full
    # (the run's first month too, though the run covers only part of it); a new one from its first day.
    billed_months = [1.0 if p.arrears_before_start else slot.months for slot in slots]
    for i, slot in enumerate(slots):
        collected.add(slot.month, area_m2 * slot.months, monthly_fee * slot.months * p.collection_rate)
        # The arrears recovered in this month: 1/k of the recoverable arrears of each of the k months before.
        earlier = sum(billed_months[j] if j >= 0 else (1.0 if p.arrears_before_start else 0.0)
                      for j in range(i - k, i)) / k
        recovered.add(slot.month, area_m2 * earlier * slot.months,
                      monthly_fee * earlier * slot.months * unpaid * p.arrears_recovered_share)
        occupied = spaces * p.parking_occupancy * slot.months
        parking.add(slot.month, occupied, occupied * p.parking_fee_cny_per_month)
    return [collected, recovered, parking]


def _cents(amounts: Sequence[float], total: int | None = None) -> list[int]:
    """The amounts in fen, each within a fen of its exact value, adding up exactly to ``total`` (by
    default their rounded sum): the largest-remainder rounding."""
    raw = [a * 100.0 for a in amounts]
    if total is None:
        total = round(math.fsum(raw))
    floors = [math.floor(r) for r in raw]
    short = total - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)
    for i in order[:max(short, 0)]:
        floors[i] += 1
    return floors


def budget(params, building, records: Mapping[str, Sequence[Mapping[str, Any]]], horizon_s: float,
           calendar, *, start_s: float | None = None,
           staff_columns: Mapping[str, Any] | None = None) -> tuple[list[dict], dict[str, float]]:
    """The budget lines of one replication and its budget KPIs (see the module's text).

    ``params`` is the operations model's parameters (their ``budget``) or a :class:`BudgetParams`;
    ``records`` the replication's record tables (``staff_time`` and ``work_orders`` are read);
    ``calendar`` a :class:`models.staff.Calendar` (``date_of`` and ``months`` are used). The run
    covers ``[start_s, start_s + horizon_s)``; ``start_s`` defaults to the params' ``start_s`` (a run
    from the live twin starts at the time of day), else 0. ``staff_columns``, when given, is the
    ``staff_time`` table column by column (the model has it so: read at once, not row by row).
    """
    p: BudgetParams = params if isinstance(params, BudgetParams) else params.budget
    if horizon_s <= 0:
        raise ValueError(f"budget: horizon_s {horizon_s!r} must be positive")
    area = p.area_m2 if p.area_m2 is not None else charged_area_m2(building)
    spaces = p.parking_spaces if p.parking_spaces is not None else car_park_spaces(building)
    t0 = float(getattr(params, "start_s", 0.0) or 0.0) if start_s is None else float(start_s)
    span = (t0, t0 + horizon_s)
    slots = _slots(t0, horizon_s, calendar)
    contractor = getattr(params, "contractor", None)
    labour_rate = getattr(contractor, "labour_cny_per_h", None)
    lines = (_labour_lines(records.get("staff_time", ()), span, calendar, staff_columns)
             + _order_lines(records.get("work_orders", ()), span, calendar, labour_rate)
             + _fixed_lines(p, area, slots, building)
             + _income_lines(p, area, spaces, slots))

    scale = YEAR_S / horizon_s
    days = horizon_s / DAY_S
    annualised = abs(scale - 1.0) > 1e-9
    note = (f" (annualised from {days:.4g} days)", f"（由 {days:.4g} 天折算为全年）") if annualised else ("", "")

    # Amounts in fen, balanced twice: a category's lines add up to the category's rounded total, and
    # a line's months to the line's year (each amount within a fen of its exact value).
    line_cents: dict[int, int] = {}
    annual_cents: dict[int, int] = {}
    for category in CATEGORIES:
        idx = [i for i, ln in enumerate(lines) if ln.category == category]
        totals = [math.fsum(lines[i].amount.values()) for i in idx]
        line_cents.update(zip(idx, _cents(totals)))
        annual_cents.update(zip(idx, _cents([t * scale for t in totals]) if annualised else
                                [line_cents[i] for i in idx]))
    monthly_cents: dict[tuple[int, int], int] = {}
    for i, ln in enumerate(lines):
        months = sorted(ln.amount)
        monthly_cents.update(zip(((i, m) for m in months), _cents([ln.amount[m] for m in months], line_cents[i])))

    rows: list[dict] = []
    for i, ln in enumerate(lines):
        for month in [0, *sorted(ln.amount)]:
            if month == 0:
                amount = annual_cents[i] / 100.0
                quantity = sum(ln.quantity.values()) * scale
                driver = (ln.driver[0] + note[0], ln.driver[1] + note[1])
            else:
                amount = monthly_cents[(i, month)] / 100.0
                quantity = ln.quantity[month]
                driver = ln.driver
            rate = ln.rate_cny if ln.rate_cny is not None else (amount / quantity if quantity else 0.0)
            rows.append({"line": ln.line, "category": ln.category, "month": month, "driver": driver[0],
                         "driver_zh_cn": driver[1], "quantity": quantity, "unit": ln.unit, "rate_cny": rate,
                         "amount_cny": amount})
    return rows, budget_kpis(rows, p)


def budget_kpis(rows: Sequence[Mapping[str, Any]], params: BudgetParams) -> dict[str, float]:
    """The budget KPIs from the year's rows (``month`` 0), summed in fen."""
    by: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["month"] == 0:
            by[row["category"]] += round(row["amount_cny"] * 100)
    cost = sum(by[c] for c in COST_CATEGORIES) / 100.0
    income = by["income"] / 100.0
    budget_cny = params.budget_cny_per_year
    return {
        "annual_cost_cny": cost,
        "annual_income_cny": income,
        "margin_cny": (by["income"] - sum(by[c] for c in COST_CATEGORIES)) / 100.0,
        "labour_cost_cny": (by["labour"] + by["overtime"] + by["premium"]) / 100.0,
        "contractor_cost_cny": by["contractor"] / 100.0,
        "parts_cost_cny": by["parts"] / 100.0,
        "over_budget": float("nan") if budget_cny is None else float(cost > budget_cny),
    }
