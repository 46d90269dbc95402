"""The units the models report in, and how a person reads each of them in both languages.

A KPI or parameter names its unit by a short code (``s``, ``min``, ``share``, ``persons``…); the
CLI table, the report and the console show :data:`UNITS`' display form in the reader's language.
A share is stored as a fraction in [0, 1] and shown as a percentage.
"""

from __future__ import annotations

from twin.text import Text, pick, text

__all__ = ["UNITS", "unit_label", "format_value"]

UNITS: dict[str, Text] = {
    "s": text("s", "秒"),
    "min": text("min", "分钟"),
    "h": text("h", "小时"),
    "share": text("%", "%"),
    "persons": text("persons", "人"),
    "person·s": text("person·s", "人·秒"),
    "orders": text("orders", "单"),
    "m": text("m", "米"),
    "floors": text("floors", "层"),
    "persons/m²": text("persons/m²", "人/平方米"),
    "m/s": text("m/s", "米/秒"),
    "per_h": text("per hour", "每小时"),
    "kw": text("kW", "千瓦"),
    "kwh": text("kWh", "千瓦时"),
    "cny": text("CNY", "元"),
    "cny_per_m2_month": text("CNY/m²/month", "元/平方米/月"),
    "cny_per_month": text("CNY/month", "元/月"),
    "cny_per_h": text("CNY/h", "元/小时"),
    "m2": text("m²", "平方米"),
    "months": text("months", "个月"),
    "spaces": text("spaces", "个"),
    "d": text("days", "天"),
    "weeks": text("weeks", "周"),
    "per_month": text("per month", "每月"),
    "parts": text("parts", "件"),
    "kwh_per_m2_year": text("kWh/m²·a", "千瓦时/平方米·年"),
    "years": text("years", "年"),
    "c": text("°C", "°C"),
    "m3": text("m³", "立方米"),
    "km": text("km", "公里"),
    "per_year": text("per year", "每年"),
    "per_car_year": text("per car-year", "每台·年"),
    "starts": text("starts", "次启动"),
    "w_per_m2": text("W/m²", "瓦/平方米"),
    "w_per_m2k": text("W/m²·K", "瓦/平方米·开"),
    "l_per_person_day": text("L/person·day", "升/人·日"),
    "": text("—", "—"),
}


def unit_label(unit: str | None, lang: str | None = None) -> str:
    """The display form of a unit code in ``lang`` (the code itself when it has none)."""
    if unit is None:
        return ""
    words = UNITS.get(unit)
    return pick(words, lang) if words else unit


def format_value(value: float | None, unit: str | None) -> str:
    """A number as a person reads it: shares as percentages, large figures without false precision."""
    if value is None:
        return "—"
    if unit == "share":
        return f"{100.0 * value:.1f}"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
