"""Scenarios and models over HTTP: the library, reading one, checking a posted one, the models."""

from __future__ import annotations


def test_list_and_read(client, api_env):
    h = api_env.auth("viewer")
    listed = {s["name"]: s for s in client.get("/scenarios", headers=h).json()}
    assert "repair-desk-weekday" in listed and listed["repair-desk-weekday"]["source"] == "library"
    assert listed["repair_small"]["source"] == "loaded"
    assert listed["repair_small"]["sweep"] == {"params.technicians": [3, 4]}
    doc = client.get("/scenarios/repair-desk-weekday", headers=h).json()
    assert doc["document"]["model"] == "repair_desk" and "technicians" in doc["text"]
    missing = client.get("/scenarios/nope", headers=h)
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "name"]


def test_validate_a_good_scenario(client, api_env):
    doc = {"name": "desk-3", "model": "repair_desk", "building": "two_storey", "replications": 4,
           "horizon_s": 3600, "params": {"technicians": 3}, "sweep": {"params.ordinary_per_h": [4, 5, 6]}}
    r = client.post("/scenarios/validate", json={"document": doc}, headers=api_env.auth("viewer"))
    assert r.status_code == 200
    assert r.json() == {"valid": True, "issues": [], "name": "desk-3", "model": "repair_desk",
                        "building": "two-storey", "points": 3, "replications": 4}


def test_validate_reports_every_field(client, api_env):
    text = "name: bad one\nmodel: repair_desk\nbuilding: two_storey\nreplications: 0\nparams: {technicians: 2}\n"
    r = client.post("/scenarios/validate", json={"yaml": text}, headers=api_env.auth("viewer"))
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is False
    paths = {i["path"] for i in body["issues"]}
    assert {"name", "replications"} <= paths
    assert all(i["file"] == "posted.yaml" for i in body["issues"])
    bad_param = {"name": "x", "model": "repair_desk", "building": "two_storey", "params": {"technicians": "many"}}
    body = client.post("/scenarios/validate", json={"document": bad_param}, headers=api_env.auth("viewer")).json()
    assert body["valid"] is False and body["issues"][0]["path"] == "params.technicians"
    assert "'many'" in body["issues"][0]["message"]


def test_validate_needs_one_form(client, api_env):
    r = client.post("/scenarios/validate", json={}, headers=api_env.auth("viewer"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][0] == "body"


def test_models_are_listed_generically(client, api_env):
    models = {m["name"]: m for m in client.get("/models", headers=api_env.auth("viewer")).json()}
    assert "repair_desk" in models
    desk = models["repair_desk"]
    assert "technicians" in desk["params_schema"]["properties"]
    assert any(k["name"] == "emergency_wait_min" and k["unit"] == "min" for k in desk["kpis"])


def test_models_say_every_label_in_both_languages(client, api_env):
    """issue 11 item 4.1: /models gives each model's title and description, each KPI's label,
    description, unit display form, kind and target, and the parameters' x-label/x-description
    from the JSON Schema, in en and zh-CN; code names stay the keys."""
    from models import get_model

    models = {m["name"]: m for m in client.get("/models", headers=api_env.auth("viewer")).json()}
    evac = models["evacuation"]
    assert evac["title"] == {"en": "Fire evacuation", "zh-CN": "火灾疏散"}
    rset = next(k for k in evac["kpis"] if k["name"] == "rset_s")
    assert rset["label"] == dict(get_model("evacuation").kpi("rset_s").label)
    assert "必需安全疏散时间" in rset["label"]["zh-CN"]
    assert rset["unit"] == "s" and rset["unit_label"] == {"en": "s", "zh-CN": "秒"} and rset["kind"] == "duration"
    margin = next(k for k in evac["kpis"] if k["name"] == "min_margin_s")
    assert margin["target"]["op"] == ">=" and margin["target"]["rule"] == "every"
    assert set(margin["target"]["source"]) == {"en", "zh-CN"}
    desk = models["repair_desk"]
    share = next(k for k in desk["kpis"] if k["name"] == "emergency_within_sla")
    assert share["kind"] == "share" and share["unit_label"]["en"] == "%" and share["label"]["zh-CN"].startswith("紧急报修")
    assert set(desk["units"]) >= {"min", "share", "orders"}
    assert all(set(c["title"]) == {"en", "zh-CN"} for c in desk["charts"])
    # Parameters: the schema is the model's own, labels included where the model declares them.
    assert desk["params_schema"] == get_model("repair_desk").params.model_json_schema()


def test_scenarios_carry_title_and_description_by_language(client, api_env):
    """issue 11 item 4.1: /scenarios gives title and description as words by language; a scenario
    written with one plain string keeps it (as English) rather than losing it."""
    from api.routers.scenarios import scenario_words

    listed = {s["name"]: s for s in client.get("/scenarios", headers=api_env.auth("viewer")).json()}
    for s in listed.values():
        assert isinstance(s["title"], dict) and isinstance(s["description"], dict)
        assert s["title"], s  # at least its name
    assert scenario_words({"en": "Drill", "zh-CN": "演练", "zh": "x"}) == {"en": "Drill", "zh-CN": "演练"}
    assert scenario_words("Weekday desk") == {"en": "Weekday desk"}
    assert scenario_words(None) == {} and scenario_words("  ") == {}
    doc = client.get("/scenarios/repair-desk-weekday", headers=api_env.auth("viewer")).json()
    assert doc["title"] == listed["repair-desk-weekday"]["title"]
