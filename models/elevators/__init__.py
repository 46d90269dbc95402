"""Lifts: whether a group serves the building, and how long someone stays trapped — the model of
engineers and safety officers.

Engineers ask whether the cars carry the building: how long people wait at the landings, how long
a journey takes, how many a group moves in the busiest five minutes (the handling capacity, as a
share of the population), where passengers are left behind because a car arrived full. Safety
officers ask what happens when a car stops with people inside: how long until it is noticed (the
car's monitoring at once, or a passenger's call over the EN 81-28 voice link), until a rescuer is
on site — a certified on-site person on shift, else the maintenance contractor — and until the
people are out; and whether the maintenance unit arrives within the 30 minutes TSG T5002 asks of
it in cities with districts (1 h elsewhere). A loss of the mains at the evening peak stops every
car not fed by the generator at once, and the trapped cars compete for the same rescuers.

One registered model, ``elevators``, with three modes (:class:`~models.elevators.params.ElevatorParams`):
``traffic`` simulates a day (or a window) of passengers, every one, through a group dispatcher
(:mod:`models.elevators.traffic`, :mod:`models.elevators.dispatch`, :mod:`models.kinematics`);
``entrapment`` draws a year of failures of every car, shaped by the hour and by the days since
maintenance, with the persons aboard drawn from the traffic, and rescues them
(:mod:`models.elevators.entrapment`, :mod:`models.elevators.rescue`); ``power_loss`` runs the
traffic until the mains fail and rescues everyone trapped. From a live alarm (the twin's
``lift-possible-entrapment`` rule or an ``entrapment`` event) the rescue forecast starts from the
snapshot — these cars, these people, the shift on duty now, the contractor's response at this
hour (:func:`models.elevators.model.from_live`).

KPIs a mode does not produce are absent from its replications (the summary says "not applicable").
The rescue figures come first: they are what the console shows beside an entrapment alarm —
"expected release in N min" (``trapped_min``; the summary's ``p95`` across replications gives
"95 % within") and "30-min rule met with probability p" (``arrival_within_30``).
"""

from __future__ import annotations

from models.elevators.model import MAX_HORIZON_S, advise, check, cost, from_live, review, run
from models.elevators.params import ElevatorParams
from models.harness import KPI, Chart, ModelSpec, Target, register
from twin.text import text

__all__ = ["ElevatorParams", "SPEC", "KPIS"]

_TSG = text("TSG T5002 (Lift maintenance rules): the maintenance unit on site within 30 min of a report of an "
            "entrapment in a city with districts (1 h elsewhere)",
            "TSG T5002《电梯维护保养规则》：设区的市接到困人报告后维保单位 30 分钟内到达现场（其他地区 1 小时）")
_BCO_HC5 = text("BCO Guide to Specification 2014 (offices): up-peak five-minute handling capacity at least 12 % of "
                "the population (CIBSE Guide D)",
                "BCO 2014 办公建筑规范指南：上行高峰五分钟运载能力不低于总人数的 12%（CIBSE Guide D）")
_BCO_AWT = text("BCO Guide to Specification 2014 (offices): average waiting time at most 30 s (CIBSE Guide D)",
                "BCO 2014 办公建筑规范指南：平均候梯时间不超过 30 秒（CIBSE Guide D）")

RESCUE_KPIS: tuple[KPI, ...] = (
    KPI("trapped_min", "min", text("Expected release", "预计解困时间"),
        text("Mean time from the car stopping until the people are out (per replication: the mean of its "
             "entrapments; across a forecast's replications its p95 is the time 95 % are out within)",
             "从轿厢停止到乘客脱困的平均时间（每次重复取其各次困人的平均；预测中跨重复的 p95 即 95% 情况下的脱困时间）"),
        "duration", "lower"),
    KPI("arrival_within_30", "share", text("30-min rule met", "30 分钟到场达标率"),
        text("Share of entrapments with a rescuer on site within the rule's limit of the report (30 min in a city "
             "with districts, 1 h elsewhere); in a forecast, the probability the rule is met",
             "救援人员在报告后规定时限内（设区的市 30 分钟，其他地区 1 小时）到场的困人比例；预测中即满足规定的概率"),
        "share", "higher", Target(">=", 0.95, "mean", _TSG)),
    KPI("release_within_30", "share", text("Released within 30 min", "30 分钟内解困率"),
        text("Share of entrapments whose people are out within 30 min of the car stopping",
             "轿厢停止后 30 分钟内乘客脱困的困人比例"), "share", "higher"),
    KPI("trapped_p95_min", "min", text("Time trapped, 95th percentile", "被困时间第 95 百分位"),
        text("95th percentile of the time from the car stopping until release", "从轿厢停止到脱困时间的第 95 百分位"),
        "duration", "lower"),
    KPI("trapped_worst_min", "min", text("Time trapped, worst", "最长被困时间"),
        text("Longest time any car's people were trapped", "各次困人中最长的被困时间"), "duration", "lower"),
    KPI("arrival_min", "min", text("Rescuer arrival", "救援人员到场时间"),
        text("Mean time from the report (detection) until a rescuer is at the car", "从报告（发现）到救援人员到达轿厢的平均时间"),
        "duration", "lower"),
    KPI("arrival_within_60", "share", text("Rescuer on site within 1 h", "1 小时内到场率"),
        text("Share of entrapments with a rescuer on site within 60 min of the report",
             "报告后 60 分钟内救援人员到场的困人比例"), "share", "higher"),
    KPI("detect_min", "min", text("Time to detection", "发现时间"),
        text("Mean time from the car stopping until the entrapment is known (monitoring at once, else a passenger's "
             "call over the EN 81-28 voice link)",
             "从轿厢停止到困人被知晓的平均时间（远程监测即时报警，否则为乘客通过 EN 81-28 对讲呼叫）"),
        "duration", "lower"),
    KPI("entrapments_per_year", "per_year", text("Entrapments per year", "年困人次数"),
        text("Entrapments of all cars, per year of the run", "全部轿厢每年的困人次数"), "count", "lower"),
    KPI("persons_trapped_per_year", "per_year", text("Persons trapped per year", "年被困人数"),
        text("Persons trapped in all cars, per year of the run", "全部轿厢每年被困的人数"), "count", "lower"),
    KPI("entrapments", "", text("Entrapments", "困人次数"),
        text("Entrapments in the run (a power loss: cars stopped with people inside)", "模拟期内的困人次数（停电时：停止且有人的轿厢数）"),
        "count", None),
    KPI("persons_trapped", "persons", text("Persons trapped", "被困人数"),
        text("Persons trapped in the run", "模拟期内被困的人数"), "count", None),
    KPI("staff_rescue_share", "share", text("Released by on-site staff", "由现场人员解困比例"),
        text("Share of entrapments whose rescuer was a certified on-site person rather than the contractor",
             "由持证现场人员（而非维保单位）救援的困人比例"), "share", None),
)

TRAFFIC_KPIS: tuple[KPI, ...] = (
    KPI("awt_s", "s", text("Average waiting time", "平均候梯时间"),
        text("Mean time from a passenger's arrival at the landing until boarding a car", "乘客到达候梯厅至进入轿厢的平均时间"),
        "duration", "lower", Target("<=", 30.0, "mean", _BCO_AWT)),
    KPI("p95_wait_s", "s", text("Waiting time, 95th percentile", "候梯时间第 95 百分位"),
        text("95th percentile of the passengers' waiting times", "乘客候梯时间的第 95 百分位"), "duration", "lower"),
    KPI("ttd_s", "s", text("Time to destination", "到达目的地时间"),
        text("Mean time from arrival at the landing until leaving the car at the destination", "从到达候梯厅到在目的层离开轿厢的平均时间"),
        "duration", "lower"),
    KPI("hc5_capacity_share", "share", text("Five-minute handling capacity", "五分钟运载能力"),
        text("What the groups can carry from the main lobby in five minutes of an up-peak (the round-trip formula's "
             "assumptions: cars leave with 80 % of their capacity), as a share of the population",
             "按往返时间公式的假设（轿厢以 80% 额定载客离开主层），电梯群在上行高峰五分钟内可从主层运送的人数占总人数的比例"),
        "share", "higher", Target(">=", 0.12, "mean", _BCO_HC5)),
    KPI("hc5_share", "share", text("Five-minute flow carried", "五分钟实际运送量"),
        text("Passengers the groups carried from the main lobby in five minutes of the busiest hour of the day, as a "
             "share of the population (the demand carried, not the capacity)",
             "当天最繁忙时段五分钟内电梯群从主层实际运送的乘客数占总人数的比例（实际需求，而非运载能力）"),
        "share", None),
    KPI("interval_s", "s", text("Interval", "发车间隔"),
        text("Mean time between car departures from the main lobby in the busiest hour", "最繁忙时段主层轿厢相继离站的平均间隔"),
        "duration", "lower"),
    KPI("rtt_s", "s", text("Round trip time", "往返时间"),
        text("Mean time of a car's round trip from the main lobby and back", "轿厢从主层出发并返回主层的平均往返时间"),
        "duration", None),
    KPI("car_loading", "share", text("Car loading", "轿厢载客率"),
        text("Mean persons aboard leaving the main lobby over the car's capacity", "离开主层时轿厢内人数与额定载客人数之比的平均值"),
        "share", None),
    KPI("left_behind_share", "share", text("Passengers left behind", "滞留乘客比例"),
        text("Share of passengers who could not board the first car that came (it was full)",
             "因第一部到达的轿厢满载而未能进入的乘客比例"), "share", "lower"),
    KPI("passengers", "persons", text("Passengers", "乘客人数"),
        text("Passengers who arrived at a landing in the run", "模拟期内到达候梯厅的乘客人数"), "count", None),
    KPI("starts_per_car", "starts", text("Starts per car", "每台轿厢启动次数"),
        text("Mean number of motor starts of a car in service (feeds the energy model)", "在用轿厢的平均启动次数（供能耗模型使用）"),
        "count", None),
    KPI("distance_km_per_car", "km", text("Distance per car", "每台轿厢运行距离"),
        text("Mean distance travelled by a car in service (feeds the energy model)", "在用轿厢的平均运行距离（供能耗模型使用）"),
        "quantity", None),
    KPI("cars_stopped", "", text("Cars stopped by the power loss", "停电停梯数"),
        text("Cars not fed by the generator that stopped when the mains failed", "市电中断时未由发电机供电而停止的轿厢数"),
        "count", None),
)

KPIS: tuple[KPI, ...] = RESCUE_KPIS + TRAFFIC_KPIS
"""The rescue KPIs first (the console shows a forecast's first two with a better direction), then traffic."""

_RULE_MARKS = ((30.0, text("30 min: the maintenance unit's arrival limit in city districts (TSG T5002)",
                          "30 分钟：设区的市维保单位到场时限（TSG T5002）")),)

SPEC = register(ModelSpec(
    name="elevators",
    title=text("Lifts: traffic, entrapment and rescue", "电梯：交通、困人与救援"),
    description=text(
        "A day of passengers through the lift groups (waiting time, time to destination, handling capacity, "
        "passengers left behind, starts and distance per car), or a year of entrapments and their rescue by on-site "
        "staff or the maintenance contractor (detection, arrival against the 30-min rule of TSG T5002, time "
        "trapped), or a power loss at the evening peak stopping every car at once; from a live alarm, the rescue "
        "forecast of the trapped car.",
        "模拟电梯群一天的乘客交通（候梯时间、到达时间、运载能力、滞留乘客、每台轿厢启动次数与运行距离），或一年的困人故障及由现场人员或"
        "维保单位实施的救援（发现时间、按 TSG T5002 的 30 分钟到场要求、被困时间），或晚高峰停电时所有电梯同时停止；由实时告警触发时，"
        "预测困人轿厢的救援。"),
    params=ElevatorParams,
    kpis=KPIS,
    run=run,
    charts=(
        Chart(text("Rescuer on site after the report, against the 30-min rule (TSG T5002)",
                   "报告后救援人员到场时间（对照 TSG T5002 的 30 分钟规定）"), "entrapments", "hist",
              x="arrival_min", x_label=text("rescuer on site after detection (min)", "发现后救援人员到场时间（分钟）"),
              y_label=text("entrapments", "困人次数"), marks=_RULE_MARKS),
        Chart(text("Time trapped (30-min rule: TSG T5002)", "被困时间分布（30 分钟规定：TSG T5002）"), "entrapments", "hist",
              x="trapped_min", x_label=text("time trapped (min)", "被困时间（分钟）"),
              y_label=text("entrapments", "困人次数"), marks=_RULE_MARKS),
        Chart(text("Entrapments by time trapped, against the 30-min line", "按被困时长分段的困人次数（以 30 分钟为界）"),
              "entrapments", "bar", x="trapped_band_min",
              x_label=text("time trapped, band from (min): 0–10, 10–20, 20–30 | 30–60, 60 and more",
                           "被困时间分段起点（分钟）：0–10、10–20、20–30 | 30–60、60 以上"),
              y_label=text("entrapments per replication", "每次重复的困人次数")),
        Chart(text("Rescuer on site within the rule, by hour", "按时段的救援到场达标率"), "entrapments", "bar", x="hour",
              y="within_rule", x_label=text("hour of day", "时刻（时）"),
              y_label=text("share on site within the rule", "规定时限内到场比例")),
        Chart(text("Entrapments by cause", "按原因的困人次数"), "entrapments", "bar", x="cause",
              x_label=text("cause", "原因"), y_label=text("entrapments per replication", "每次重复的困人次数")),
        Chart(text("Time trapped by cause", "按原因的被困时间"), "entrapments", "bar", x="cause", y="trapped_min",
              x_label=text("cause", "原因"), y_label=text("mean time trapped (min)", "平均被困时间（分钟）")),
        Chart(text("Waiting time of the passengers", "乘客候梯时间分布"), "passengers", "hist", x="wait_s",
              x_label=text("waiting time (s)", "候梯时间（秒）"), y_label=text("passengers", "乘客人数")),
        Chart(text("Waiting time by hour", "按时段的平均候梯时间"), "passengers", "bar", x="hour", y="wait_s",
              x_label=text("hour of day", "时刻（时）"), y_label=text("mean waiting time (s)", "平均候梯时间（秒）")),
        Chart(text("Starts per car", "每台轿厢启动次数"), "cars", "bar", x="car", y="starts",
              x_label=text("car", "轿厢"), y_label=text("starts", "启动次数")),
        Chart(text("Distance per car", "每台轿厢运行距离"), "cars", "bar", x="car", y="distance_km",
              x_label=text("car", "轿厢"), y_label=text("distance (km)", "运行距离（公里）")),
        Chart(text("The cars in the busiest quarter-hour", "最繁忙一刻钟内的轿厢运行时间线"), "car_timeline", "gantt", x="start_s",
              y="end_s", group="car", colour="activity",
              x_label=text("hours from the start of the busiest quarter-hour", "自最繁忙一刻钟开始起的小时数")),
    ),
    check=check,
    from_live=from_live,
    cost=cost,
    max_horizon_s=MAX_HORIZON_S,
    advise=advise,
    review=review,
))
