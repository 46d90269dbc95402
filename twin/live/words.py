"""What a person reads for live telemetry, in both languages: the points a device reports, the
words of its text values, the units, and the alarms its events raise.

A device's state is a set of points (``outlet_pressure_kpa: 312.5``, ``run_state: tripped``); the
JSON, the history and the rules keep those code names, and the console, the alarm list and the
report show these words beside them. Point names are open-ended — a site's mapping
(:mod:`twin.live.mapping`) may name any — so every lookup has a fallback: a point nobody declared
words for is read as words from its code name, with its unit from the name's last part
(``chiller_lift_kpa`` → "Chiller lift (kPa)"), and a text value nobody declared is shown as the
device sent it. The points and values the device simulator (:mod:`twin.live.simulator`) sends all
have words here (``tests/test_i18n_complete.py`` checks), as do the events it raises.

The console reads these as labels (:mod:`viewer.i18n` serves them): ``point.{name}``,
``value.{word}`` and ``value.{point}.{word}`` (a value's words for one point, e.g. a breaker's
``closed``), ``unit_symbol.{suffix}``, and ``event.{type}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twin.spec import readable_code
from twin.text import LANGUAGES, Text, text

__all__ = ["POINT_WORDS", "VALUE_WORDS", "POINT_VALUE_WORDS", "UNIT_SYMBOLS", "EVENT_WORDS", "point_unit",
           "point_words", "point_label", "value_words", "event_words", "fill", "format_words", "labels"]

UNIT_SYMBOLS: dict[str, str] = {
    "kpa": "kPa", "pa": "Pa", "bar": "bar", "c": "°C", "pct": "%", "kw": "kW", "kwh": "kWh", "kva": "kVA",
    "v": "V", "kv": "kV", "a": "A", "hz": "Hz", "m3h": "m³/h", "m3": "m³", "ls": "L/s", "m": "m", "mm": "mm",
    "mps": "m/s", "kg": "kg", "rpm": "rpm", "s": "s", "h": "h", "lux": "lx", "ppm": "ppm",
}
"""A point name's last part → its unit as written (the same in both languages: Chinese building
practice writes kPa, °C and m³/h as symbols). ``twin.spec.UNIT_SUFFIXES`` names the same parts for a
building file's rated figures."""

POINT_WORDS: dict[str, Text] = {
    # lift cars
    "floor": text("Floor", "楼层"),
    "position_m": text("Car position", "轿厢位置"),
    "speed_mps": text("Speed", "速度"),
    "direction": text("Direction", "运行方向"),
    "motion": text("Motion", "运行状态"),
    "door": text("Car door", "轿门"),
    "load_kg": text("Load", "载重"),
    "in_door_zone": text("In door zone", "在平层区"),
    "mode": text("Mode", "运行模式"),
    # pumps, fans, HVAC plant
    "run_state": text("Run state", "运行状态"),
    "speed_pct": text("Speed", "转速"),
    "speed_rpm": text("Speed", "转速"),
    "outlet_pressure_kpa": text("Outlet pressure", "出口压力"),
    "flow_m3h": text("Flow", "流量"),
    "power_kw": text("Power", "功率"),
    "fan_speed_pct": text("Fan speed", "风机转速"),
    "supply_air_c": text("Supply air temperature", "送风温度"),
    "return_air_c": text("Return air temperature", "回风温度"),
    "outdoor_air_c": text("Outdoor air temperature", "室外温度"),
    "filter_dp_pa": text("Filter pressure drop", "过滤器压差"),
    "chw_supply_c": text("Chilled water supply temperature", "冷冻水供水温度"),
    "chw_return_c": text("Chilled water return temperature", "冷冻水回水温度"),
    "cw_supply_c": text("Condenser water supply temperature", "冷却水供水温度"),
    "cw_return_c": text("Condenser water return temperature", "冷却水回水温度"),
    # power
    "voltage_v": text("Voltage", "电压"),
    "current_a": text("Current", "电流"),
    "frequency_hz": text("Frequency", "频率"),
    "power_factor": text("Power factor", "功率因数"),
    "source": text("Supply source", "供电电源"),
    "breaker": text("Breaker", "断路器"),
    # meters
    "energy_kwh": text("Energy (meter reading)", "电量（表读数）"),
    "volume_m3": text("Volume", "水量"),
    # fire alarm panel
    "panel": text("Panel state", "控制器状态"),
    "zones_in_alarm": text("Zones in alarm", "报警分区数"),
    # lighting
    "state": text("State", "状态"),
    "battery_pct": text("Battery", "电池电量"),
    # tanks
    "level_pct": text("Level", "液位"),
    "inlet_valve": text("Inlet valve", "进水阀"),
}
"""What each point the shipped devices report is called (without its unit: :func:`point_label`
adds it). A fire alarm panel reports each detection zone as ``zone_{id}``: "Zone {id}"."""

ZONE_POINT = text("Zone {zone}", "{zone} 分区")
"""A fire alarm panel's ``zone_{id}`` point."""

VALUE_WORDS: dict[str, Text] = {
    "running": text("Running", "运行"),
    "standby": text("Standby", "备用"),
    "stopped": text("Stopped", "停止"),
    "tripped": text("Tripped", "跳闸"),
    "fault": text("Fault", "故障"),
    "on": text("On", "开"),
    "off": text("Off", "关"),
    "open": text("Open", "开"),
    "opening": text("Opening", "正在打开"),
    "closed": text("Closed", "关"),
    "closing": text("Closing", "正在关闭"),
    "normal": text("Normal", "正常"),
    "alarm": text("Alarm", "报警"),
    "mains": text("Mains", "市电"),
    "generator": text("Generator", "发电机"),
    "up": text("Up", "上行"),
    "down": text("Down", "下行"),
    "none": text("None", "无"),
    "moving": text("Moving", "运行中"),
    "power_loss": text("Power loss", "断电"),
    "fire_recall": text("Fire recall", "消防返回"),
    "out_of_service": text("Out of service", "停用"),
    "inspection": text("Inspection", "检修"),
    "true": text("Yes", "是"),
    "false": text("No", "否"),
}
"""A text value's words, whichever point reports it (``true``/``false``: a yes/no point)."""

POINT_VALUE_WORDS: dict[str, dict[str, Text]] = {
    "breaker": {"closed": text("Closed", "合闸"), "open": text("Open", "分闸"), "tripped": text("Tripped", "跳闸")},
    "door": {"open": text("Open", "开门"), "closed": text("Closed", "关门"),
             "opening": text("Opening", "正在开门"), "closing": text("Closing", "正在关门")},
    "inlet_valve": {"open": text("Open (filling)", "开启（补水中）"), "closed": text("Closed", "关闭")},
    "direction": {"none": text("Idle", "停驶")},
}
"""A value's words for one point where they differ from :data:`VALUE_WORDS` (a breaker closes, a
door opens)."""

EVENT_WORDS: dict[str, Text] = {
    "fire_alarm": text("Fire alarm on {device}, zone {zone}", "{device} {zone} 分区火警"),
    "entrapment": text("Possible entrapment in lift car {device}", "{device} 轿厢困人报警"),
    "pump_trip": text("{device} has tripped", "{device} 跳闸"),
    "fan_trip": text("{device} has tripped", "{device} 跳闸"),
    "breaker_trip": text("Breaker tripped on {device}", "{device} 断路器跳闸"),
    "power_loss": text("Supply lost on {device}", "{device} 失电"),
    "door_forced": text("Door forced at {device}", "{device} 门被强行打开"),
    "door_held_open": text("Door held open at {device}", "{device} 门长时间未关"),
    "low_pressure": text("Low pressure on {device}", "{device} 压力低"),
    "high_level": text("High level in {device}", "{device} 高液位"),
    "low_level": text("Low level in {device}", "{device} 低液位"),
    "smoke": text("Smoke detected by {device}", "{device} 探测到烟雾"),
}
"""The alarm a device event raises, by event type (``{device}``, ``{zone}`` filled in); the device's
own words (its event's ``message``) follow as the detail. An event type not here reads as its code
name in words."""

_GENERIC_EVENT = text("{event} on {device}", "{device}：{event}")
_ZONE_SUFFIX = text(", zone {zone}", "，{zone} 分区")
_DETAIL = text("{words}: {detail}", "{words}：{detail}")


def point_unit(name: str) -> str | None:
    """A point's unit from its name's last part (``outlet_pressure_kpa`` → ``kPa``), or None."""
    head, sep, last = name.rpartition("_")
    return UNIT_SYMBOLS.get(last.lower()) if sep and head else None


def point_words(name: str) -> Text:
    """A point's words without its unit: declared, a fire zone's, or its code name read as words
    (without the unit part)."""
    if name in POINT_WORDS:
        return POINT_WORDS[name]
    if name.startswith("zone_") and len(name) > 5:
        return format_words(ZONE_POINT, zone=name[5:])
    head = name.rpartition("_")[0] if point_unit(name) else name
    return readable_code(head)


def point_label(name: str) -> Text:
    """A point's words with its unit: ``outlet_pressure_kpa`` → "Outlet pressure (kPa)" / "出口压力 (kPa)"."""
    words, unit = point_words(name), point_unit(name)
    return {lang: f"{w} ({unit})" if unit else w for lang, w in words.items()}


def value_words(point: str, value: Any) -> Text | None:
    """A text or yes/no value's words for ``point``; None for a number or a value nobody declared."""
    if isinstance(value, bool):
        key = "true" if value else "false"
    elif isinstance(value, str):
        key = value
    else:
        return None
    return POINT_VALUE_WORDS.get(point, {}).get(key) or VALUE_WORDS.get(key)


def fill(template: str, **values: Any) -> str:
    """``template`` with its ``{placeholders}`` filled; one that does not fit the values is kept as
    written (a site's message is not code)."""
    try:
        return template.format(**values)
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return template


def format_words(words: Text, **values: Any) -> dict[str, str]:
    """``words`` with ``{placeholders}`` filled (:func:`fill`), in each language."""
    return {lang: fill(words.get(lang) or words.get("en") or next(iter(words.values())), **values)
            for lang in LANGUAGES}


def event_words(event_type: str, device: str, zone: str | None = None, detail: str | None = None) -> dict[str, str]:
    """The alarm a device event raises, in both languages: the event's words (:data:`EVENT_WORDS`,
    else its code name as words), the zone where the words do not name it, then the device's own
    words (``detail``) after a colon."""
    template = EVENT_WORDS.get(event_type)
    if template is None:  # an event type's code name contains no braces (payloads checks its pattern)
        name = readable_code(event_type)
        template = {lang: _GENERIC_EVENT[lang].replace("{event}", name[lang]) for lang in LANGUAGES}
    words = format_words(template, device=device, zone=zone or "—")
    if zone and "{zone}" not in template["en"]:
        words = {lang: w + _ZONE_SUFFIX[lang].format(zone=zone) for lang, w in words.items()}
    if detail:
        words = {lang: _DETAIL[lang].format(words=w, detail=detail) for lang, w in words.items()}
    return words


def labels() -> dict[str, dict[str, str]]:
    """Every word here under the console's label keys, by language (what :mod:`viewer.i18n` serves)."""
    out: dict[str, dict[str, str]] = {lang: {} for lang in LANGUAGES}

    def put(key: str, words: Mapping[str, str]) -> None:
        for lang in LANGUAGES:
            out[lang][key] = words[lang]

    for name, words in POINT_WORDS.items():
        put(f"point.{name}", words)
    put("point.zone", ZONE_POINT)
    for value, words in VALUE_WORDS.items():
        put(f"value.{value}", words)
    for point, table in POINT_VALUE_WORDS.items():
        for value, words in table.items():
            put(f"value.{point}.{value}", words)
    for suffix, symbol in UNIT_SYMBOLS.items():
        put(f"unit_symbol.{suffix}", {lang: symbol for lang in LANGUAGES})
    return out
