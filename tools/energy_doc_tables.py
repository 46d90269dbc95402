"""Regenerate the field tables of docs/energy.md (everything after "## Every field") from the energy model's
parameter classes: labels, units, defaults and bounds from the pydantic fields, examples from EX (else the
default, or the other value of a flag). Run: ``.venv/bin/python tools/energy_doc_tables.py``."""

from pathlib import Path

import json
from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from models.energy.params import EnergyParams, VariationParams, CalibrationParams, CalibrationParameter, BenchmarkParams
from models.energy.retrofits import Retrofit
from models.energy.loads import LightingParams, LightingControls, PumpParams, LiftEnergyParams, FixedLoadParams
from models.energy.hvac import HvacParams, VentilationParams
from models.energy.schedules import DaySchedule

EX = {
 ("EnergyParams","climate"): "climate: guangzhou", ("EnergyParams","epw"): "epw: weather/shanghai-2023.epw",
 ("EnergyParams","tariff"): "tariff: guangdong-commercial", ("EnergyParams","step_min"): "step_min: 15",
 ("EnergyParams","start_date"): "start_date: 2027-04-01", ("EnergyParams","include_water"): "include_water: true",
 ("EnergyParams","discount_rate"): "discount_rate: 0.08", ("EnergyParams","price_escalation"): "price_escalation: 0.02",
 ("EnergyParams","lighting"): "lighting: {lamp: led}", ("EnergyParams","pumps"): "pumps: {control: vfd}",
 ("EnergyParams","lifts"): "lifts: {regenerative: true}", ("EnergyParams","hvac"): "hvac: {cooling_setpoint_c: 26}",
 ("EnergyParams","ventilation"): "ventilation: {control: co_control}", ("EnergyParams","other"): "other: {it_kw: 3}",
 ("EnergyParams","variation"): "variation: {weather_sd_c: 0, use_sd: 0}",
 ("EnergyParams","lift_traffic"): "lift_traffic: {trips_per_person_day: 5}",
 ("EnergyParams","retrofits"): "retrofits: [{id: led, kind: led, capital_cny: 204000}]",
 ("EnergyParams","benchmark"): "benchmark: {kwh_per_m2_year: 12, source_en: …, source_zh_cn: …}",
 ("EnergyParams","calibration"): "calibration: {source: csv, file: tower-meters-2027.csv, parameters: […]}",
 ("VariationParams","weather_sd_c"): "weather_sd_c: 1.5", ("VariationParams","use_sd"): "use_sd: 0.1",
 ("Retrofit","id"): "id: led-tubes", ("Retrofit","kind"): "kind: vfd_pumps", ("Retrofit","capital_cny"): "capital_cny: 60000",
 ("Retrofit","life_years"): "life_years: 12", ("Retrofit","maintenance_saved_cny_per_year"): "maintenance_saved_cny_per_year: 10000",
 ("Retrofit","changes"): "changes: {hvac.occupied_end_h: 22}",
 ("BenchmarkParams","kwh_per_m2_year"): "kwh_per_m2_year: 12", ("BenchmarkParams","guide_kwh_per_m2_year"): "guide_kwh_per_m2_year: 9",
 ("BenchmarkParams","source_en"): "source_en: the estate's 2024–25 bills", ("BenchmarkParams","source_zh_cn"): "source_zh_cn: 本项目 2024–25 年账单",
 ("CalibrationParams","source"): "source: live", ("CalibrationParams","file"): "file: tower-meters-2027.csv",
 ("CalibrationParams","history"): "history: history.sqlite", ("CalibrationParams","meters"): "meters: {MTR-E-LTG: [lighting], MTR-E-LIFT: [lifts]}",
 ("CalibrationParams","parameters"): "parameters: [{path: lifts.standby_kw_per_car, lower: 0.1, upper: 1.5}]",
 ("CalibrationParameter","path"): "path: hvac.cooling_setpoint_c", ("CalibrationParameter","lower"): "lower: 22",
 ("CalibrationParameter","upper"): "upper: 29", ("CalibrationParameter","initial"): "initial: 25",
}
MARK = "## Every field"


def fmt(v):
    if isinstance(v, BaseModel): return "(see below)"
    if isinstance(v, bool): return "true" if v else "false"
    if v is None: return "null"
    if isinstance(v, list): return "[]" if not v else f"{len(v)} items"
    if isinstance(v, dict): return json.dumps(v, ensure_ascii=False) if len(json.dumps(v))<60 else f"{len(v)} entries"
    return str(v)
def bounds(f):
    out=[]
    kind = "items" if "list" in str(f.annotation) else "characters"
    for m in f.metadata:
        for attr, sym in (("ge","≥"),("gt",">"),("le","≤"),("lt","<")):
            if hasattr(m, attr) and getattr(m, attr) is not None: out.append(f"{sym} {getattr(m, attr):g}")
        if hasattr(m, "min_length") and m.min_length: out.append(f"≥ {m.min_length} {kind}")
        if hasattr(m, "max_length") and m.max_length: out.append(f"≤ {m.max_length} {kind}")
    return ", ".join(out)
def example(cls, name, f, default):
    if (cls.__name__, name) in EX: return EX[(cls.__name__, name)]
    if isinstance(default, bool): return f"{name}: {'false' if default else 'true'}"
    if isinstance(default, BaseModel) or default is None or isinstance(default,(dict,list)): return f"{name}: …"
    return f"{name}: {default}"
def table(cls, title):
    lines=[f"### {cls.__name__} — {title}", "", "| field | unit | default | bounds | meaning | example |", "|---|---|---|---|---|---|"]
    for name, f in cls.model_fields.items():
        extra = f.json_schema_extra or {}
        unit = extra.get("x-unit","") or ""
        desc = (extra.get("x-description") or {}).get("en","")
        if f.default is not PydanticUndefined: d = f.default
        elif f.default_factory is not None:
            try: d = f.default_factory()
            except TypeError: d = None
        else: d = "(required)"
        dd = "(required)" if d == "(required)" else fmt(d)
        if isinstance(d, DaySchedule): dd = "(a day schedule)"
        lines.append(f"| `{name}` | {unit} | {dd} | {bounds(f)} | {desc} | `{example(cls,name,f,d)}` |")
    return "\n".join(lines)+"\n"
def tables() -> str:
    out = []
    for cls, title in [(EnergyParams,"`params`"),(VariationParams,"`variation`"),(Retrofit,"each of `retrofits`"),
                   (BenchmarkParams,"`benchmark`"),(CalibrationParams,"`calibration`"),(CalibrationParameter,"each of `calibration.parameters`"),
                   (LightingParams,"`lighting`"),(LightingControls,"`lighting.controls`"),(PumpParams,"`pumps`"),(LiftEnergyParams,"`lifts`"),
                   (HvacParams,"`hvac`"),(VentilationParams,"`ventilation`"),(FixedLoadParams,"`other`"),(DaySchedule,"a day schedule (`lighting.schedule`, `pumps.demand_profile`…)")]:
        out.append(table(cls, title))
    return "\n".join(out)


if __name__ == "__main__":
    doc = Path(__file__).resolve().parents[1] / "docs" / "energy.md"
    head = doc.read_text(encoding="utf-8").split(MARK, 1)[0]
    doc.write_text(head + MARK + "\n\n" + tables(), encoding="utf-8")
    print(f"wrote {doc}")
