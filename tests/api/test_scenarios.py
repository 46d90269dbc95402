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
