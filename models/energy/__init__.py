"""The common areas' energy over a year: what each end use consumes, what it costs, what a retrofit
saves, and how well the model matches the meters — the supervisors' energy bill.

Supervisors pay the common areas' electricity — corridor, stair and car-park lighting, the booster
pumps, the lifts, the air conditioning of lobbies and offices, car-park ventilation, security and
IT — and the water. This model answers, hour by hour (or quarter-hour) over a year: what does each
end use consume; what does that cost under the local time-of-use tariff, with its demand charge;
how does the intensity compare with the benchmark for the building's use and climate zone; what
would a retrofit save and when does it pay back; and how well does the model, fitted to the
building's meters, match them by ASHRAE Guideline 14.

The package is split by concern: :mod:`~models.energy.weather` (design years, EPW files),
:mod:`~models.energy.tariff` (time-of-use prices, demand charges, water),
:mod:`~models.energy.schedules` (the time axis and day-type schedules), :mod:`~models.energy.hvac`
(ISO 13790 5R1C) and :mod:`~models.energy.loads` (lighting, pumps, lifts, ventilation, other
loads), :mod:`~models.energy.params` (the parameters), :mod:`~models.energy.model` (a replication,
its KPIs and records), :mod:`~models.energy.retrofits` (payback, NPV, IRR) and
:mod:`~models.energy.calibration` (meter data, the fit, Guideline 14).
"""

from __future__ import annotations

from models.energy.model import MAX_HORIZON_S, advise, check, cost, review, run
from models.energy.params import END_USE_WORDS, END_USES, EnergyParams
from models.harness import KPI, Chart, ModelSpec, ReportTable, Target, register
from twin.text import text

__all__ = ["EnergyParams", "SPEC", "KPIS"]

_G14 = text("ASHRAE Guideline 14: calibrated when CV(RMSE) ≤ 15 % and |NMBE| ≤ 5 % monthly, ≤ 30 % and ≤ 10 % hourly",
            "ASHRAE Guideline 14：月度 CV(RMSE) ≤ 15% 且 |NMBE| ≤ 5%，逐时 ≤ 30% 且 ≤ 10% 即为已校准")

_BENCH = text("The constraint value for the building's use and climate zone: GB/T 51161-2016 民用建筑能耗标准 (offices) "
              "or the scenario's own benchmark, named in the notes",
              "建筑用途及气候区的约束值：GB/T 51161-2016《民用建筑能耗标准》（办公建筑）或场景给定的基准，见说明")


def _end_use_kpis() -> tuple[KPI, ...]:
    out = []
    for use in END_USES:
        en, zh = END_USE_WORDS[use]
        out.append(KPI(f"kwh_{use}", "kwh", text(f"{en}: electricity a year", f"{zh}年用电量"),
                       text(f"Electricity used by {en.lower()} over the year", f"全年{zh}用电量"), "quantity", "lower"))
        out.append(KPI(f"cost_{use}_cny", "cny", text(f"{en}: energy charge a year", f"{zh}年电费"),
                       text(f"Σ kWh × time-of-use price of {en.lower()} over the year (demand charge not split)",
                            f"全年{zh}用电量 × 分时电价之和（不含分摊的需量电费）"), "money", "lower"))
    return tuple(out)


KPIS: tuple[KPI, ...] = (
    KPI("total_kwh", "kwh", text("Electricity a year", "年用电量"),
        text("The common areas' electricity over the year: the sum of the end uses", "公共区域全年用电量：各分项之和"),
        "quantity", "lower"),
    KPI("annual_cost_cny", "cny", text("Energy bill a year", "年能源费用"),
        text("Energy charge at the time-of-use tariff, demand or capacity charges, and water when the estate pays it",
             "分时电价电费、需量或容量电费，以及物业承担的水费之和"),
        "money", "lower"),
    KPI("energy_charge_cny", "cny", text("Energy charge a year", "年电度电费"),
        text("Σ kWh × price, period by period, over the year", "全年各时段用电量 × 电价之和"), "money", "lower"),
    KPI("demand_charge_cny", "cny", text("Demand charges a year", "年需量（容量）电费"),
        text("The tariff's demand or capacity charge, month by month", "电价规定的逐月需量或容量电费"), "money", "lower"),
    KPI("water_m3", "m3", text("Water a year", "年用水量"),
        text("Water pumped for the residents and common areas over the year", "全年加压供水量"), "quantity", "lower"),
    KPI("water_cost_cny", "cny", text("Water bill a year", "年水费"),
        text("Water at the tariff's price when the estate pays it (include_water), else 0",
             "物业承担水费时（include_water）按水价计算的水费，否则为 0"), "money", "lower"),
    *_end_use_kpis(),
    KPI("peak_kw", "kw", text("Peak demand", "最大需量"),
        text("The highest mean load of a step (an hour, or 15 min) over the year", "全年各时段（1 小时或 15 分钟）平均负荷的最大值"),
        "quantity", "lower"),
    KPI("load_factor", "share", text("Load factor", "负荷率"),
        text("Mean load over peak load", "平均负荷与最大负荷之比"), "share", "higher"),
    KPI("kwh_per_m2_year", "kwh_per_m2_year", text("Energy use intensity", "单位面积能耗"),
        text("Common-area electricity a year per m² of the building's floor area, against the benchmark for its use "
             "and climate zone (scenario's or GB/T 51161-2016)",
             "每平方米建筑面积的公共区域年用电量，与其用途和气候区的基准比较（场景给定或 GB/T 51161-2016）"),
        "quantity", "lower"),
    KPI("benchmark_ratio", "", text("Intensity against the benchmark", "单位面积能耗与基准之比"),
        text("Energy use intensity over the benchmark's constraint value (≤ 1: within it); the benchmark and its "
             "source are named in the notes", "单位面积能耗与基准约束值之比（≤ 1 为达标）；基准数值及来源见说明"),
        "quantity", "lower", Target("<=", 1.0, "mean", _BENCH)),
    KPI("retrofit_saved_kwh", "kwh", text("Retrofits: electricity saved a year", "改造年节电量"),
        text("Saved against the baseline by the measures (all together when there are several)",
             "各项措施（多项时为全部实施）相对基准的年节电量"), "quantity", "higher"),
    KPI("retrofit_saved_cny", "cny", text("Retrofits: money saved a year", "改造年节省费用"),
        text("Energy bill saved against the baseline by the measures", "各项措施相对基准节省的年能源费用"), "money", "higher"),
    KPI("retrofit_npv_cny", "cny", text("Retrofits: net present value", "改造净现值"),
        text("−capital + discounted savings over the measures' life", "−投资 + 寿命期内折现节省之和"), "money", "higher"),
    KPI("retrofit_payback_years", "years", text("Retrofits: simple payback", "改造静态回收期"),
        text("Capital over the money saved a year", "投资除以年节省费用"), "duration", "lower"),
    KPI("cv_rmse_monthly", "share", text("Calibration: CV(RMSE), monthly", "校准：月度 CV(RMSE)"),
        text("Coefficient of variation of the root mean square error of the monthly totals of the meters",
             "各计量表月度合计的均方根误差变异系数"), "share", "lower", Target("<=", 0.15, "every", _G14)),
    KPI("abs_nmbe_monthly", "share", text("Calibration: |NMBE|, monthly", "校准：月度 |NMBE|"),
        text("Normalised mean bias error of the monthly totals (its size; the sign is in the records)",
             "月度合计的标准化平均偏差（绝对值；符号见记录表）"), "share", "lower", Target("<=", 0.05, "every", _G14)),
    KPI("cv_rmse_hourly", "share", text("Calibration: CV(RMSE), hourly", "校准：逐时 CV(RMSE)"),
        text("CV(RMSE) of the hourly totals of the meters (interval data only)", "各计量表逐时合计的 CV(RMSE)（仅限区间数据）"),
        "share", "lower", Target("<=", 0.30, "every", _G14)),
    KPI("abs_nmbe_hourly", "share", text("Calibration: |NMBE|, hourly", "校准：逐时 |NMBE|"),
        text("|NMBE| of the hourly totals (interval data only)", "逐时合计的 |NMBE|（仅限区间数据）"),
        "share", "lower", Target("<=", 0.10, "every", _G14)),
    KPI("calibrated", "share", text("Calibrated (Guideline 14)", "已校准（Guideline 14）"),
        text("1 when the fitted model meets Guideline 14 on the total of the meters and on each meter, at the data's "
             "resolution (and monthly), else 0",
             "拟合后模型在计量合计及每块计量表上按数据分辨率（及月度）均满足 Guideline 14 时为 1，否则为 0"),
        "share", "higher", Target(">=", 1.0, "every", _G14)),
)

_MONTH = text("month", "月份")
_KWH = text("electricity (kWh)", "用电量（千瓦时）")

SPEC = register(ModelSpec(
    name="energy",
    title=text("Common-area energy (loads, tariff, retrofits, calibration)", "公共区域能耗（负荷、电价、节能改造与校准）"),
    description=text(
        "A year of the common areas' electricity and water, hour by hour: lighting, pumps, lifts, air conditioning "
        "(ISO 13790 5R1C), ventilation and other loads from the building's equipment and a design-year climate; the "
        "bill at the time-of-use tariff with demand charges; the intensity against its benchmark; retrofits with "
        "payback, NPV and IRR; calibration to meter data with ASHRAE Guideline 14's figures.",
        "逐时模拟公共区域全年用电和用水：依据建筑设备与设计年气候计算照明、水泵、电梯、空调（ISO 13790 5R1C）、通风及其他负荷；"
        "按分时电价及需量电费计算费用；单位面积能耗与基准对比；节能改造的回收期、净现值与内部收益率；"
        "将模型校准到计量数据并给出 ASHRAE Guideline 14 指标。"),
    params=EnergyParams,
    kpis=KPIS,
    run=run,
    charts=(
        Chart(text("Monthly electricity by end use", "各分项逐月用电量"), "monthly", "line", x="month", y="kwh",
              group="end_use", x_label=_MONTH, y_label=_KWH),
        Chart(text("Monthly energy bill", "逐月能源费用"), "monthly_totals", "bar", x="month", y="total_cny",
              x_label=_MONTH, y_label=text("bill (CNY)", "费用（元）")),
        Chart(text("Load-duration curve", "负荷持续曲线"), "load_duration", "line", x="hours", y="kw",
              x_label=text("hours a year at or above the load", "全年不低于该负荷的小时数"),
              y_label=text("load (kW)", "负荷（千瓦）")),
        Chart(text("A typical day (median consumption) by end use", "典型日（用电量中位数）各分项负荷"), "typical_day", "line",
              x="hour", y="kw", group="end_use", x_label=text("hour of day", "时刻（时）"),
              y_label=text("load (kW)", "负荷（千瓦）")),
        Chart(text("The peak day by end use", "峰值日各分项负荷"), "peak_day", "line", x="hour", y="kw", group="end_use",
              x_label=text("hour of day", "时刻（时）"), y_label=text("load (kW)", "负荷（千瓦）")),
        Chart(text("Calibration: metered and modelled by month", "校准：逐月计量值与模型值"), "calibration_monthly",
              "line", x="month", y="kwh", group="series", x_label=_MONTH, y_label=_KWH),
    ),
    tables=(
        ReportTable(
            text("Retrofits against the baseline", "节能改造与基准对比"), "retrofits",
            columns=(("label", text("Measure", "措施")), ("capital_cny", text("Capital (CNY)", "投资（元）")),
                     ("kwh", text("kWh a year", "年用电量（千瓦时）")), ("cost_cny", text("Bill a year (CNY)", "年费用（元）")),
                     ("saved_kwh", text("kWh saved", "节电量（千瓦时）")), ("saved_share", text("Share saved", "节电比例")),
                     ("saved_cny", text("CNY saved a year", "年节省（元）")),
                     ("payback_years", text("Simple payback (years)", "静态回收期（年）")),
                     ("npv_cny", text("NPV (CNY)", "净现值（元）")), ("irr", text("IRR", "内部收益率"))),
            by=("measure",), average=("kwh", "cost_cny", "saved_kwh", "saved_share", "saved_cny", "payback_years",
                                      "npv_cny", "irr"),
            localised={"label": {"zh-CN": "label_zh_cn"}},
            description=text("Each measure alone against the baseline, then all together (measures interact); savings "
                             "at the tariff, NPV at the discount rate over the measure's life, IRR where there is one.",
                             "各项措施单独实施与基准比较，最后一行为全部实施（措施之间相互影响）；按电价计算节省，"
                             "按折现率和寿命计算净现值，存在时给出内部收益率。")),
        ReportTable(
            text("Energy by end use", "分项能耗"), "end_uses",
            columns=(("label", text("End use", "分项")), ("kwh", text("kWh a year", "年用电量（千瓦时）")),
                     ("share", text("Share", "占比")), ("energy_cny", text("Energy charge (CNY)", "电度电费（元）")),
                     ("peak_kw", text("Peak (kW)", "峰值（千瓦）"))),
            by=("end_use",), average=("kwh", "share", "energy_cny", "peak_kw"),
            localised={"label": {"zh-CN": "label_zh_cn"}}),
        ReportTable(
            text("Calibration: Guideline 14", "校准：Guideline 14 指标"), "calibration_fit",
            columns=(("resolution", text("Data", "数据")), ("meter", text("Meter", "计量表")), ("n", text("Periods", "期数")),
                     ("cv_rmse", text("CV(RMSE)", "CV(RMSE)")), ("nmbe", text("NMBE", "NMBE")),
                     ("passed", text("Passed", "是否通过"))),
            by=("resolution", "meter"), average=("cv_rmse", "nmbe", "passed"),
            description=_G14),
        ReportTable(
            text("Calibration: fitted parameters", "校准：拟合参数"), "calibration_params",
            columns=(("parameter", text("Parameter", "参数")), ("initial", text("Initial", "初值")),
                     ("fitted", text("Fitted", "拟合值")), ("lower", text("Lower bound", "下限")),
                     ("upper", text("Upper bound", "上限")), ("at_bound", text("At a bound", "位于边界"))),
            by=("parameter",), average=("initial", "fitted", "lower", "upper", "at_bound")),
    ),
    check=check,
    cost=cost,
    max_horizon_s=MAX_HORIZON_S,
    advise=advise,
    review=review,
))
