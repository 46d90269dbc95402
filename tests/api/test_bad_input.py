"""Bad input gets a 4xx whose body names the field, never a 500.

Malformed JSON, wrong types, unknown ids, oversize bodies, scenario files with errors (the broken
building files of the spine's tests, posted as scenarios' buildings are not: those are checked as
scenarios), out-of-range query parameters.
"""

from __future__ import annotations

import pytest

from tests.api.conftest import DATA


def _detail(r):
    body = r.json()
    assert list(body) == ["detail"] and isinstance(body["detail"], list) and body["detail"], body
    for item in body["detail"]:
        assert {"loc", "msg", "type"} <= set(item), item
    return body["detail"]


@pytest.mark.parametrize("path", ["/runs", "/scenarios/validate", "/tokens"])
def test_malformed_json(client, api_env, path):
    r = client.post(path, content=b'{"scenario": "repair_small",', headers={**api_env.auth("admin"),
                                                                            "Content-Type": "application/json"})
    assert r.status_code == 422
    assert _detail(r)[0]["loc"][0] == "body"


def test_wrong_types_name_the_field(client, api_env):
    h = api_env.auth("admin")
    r = client.post("/runs", json={"scenario": "repair_small", "replications": "many"}, headers=h)
    assert r.status_code == 422 and _detail(r)[0]["loc"] == ["body", "replications"]
    r = client.post("/runs", json={"scenario": "repair_small", "replications": 0}, headers=h)
    assert r.status_code == 422 and _detail(r)[0]["loc"] == ["body", "replications"]
    r = client.post("/runs", json={"scenario": "repair_small", "colour": "red"}, headers=h)
    assert r.status_code == 422 and _detail(r)[0]["loc"] == ["body", "colour"]
    r = client.post("/runs", json={"scenario": "repair_small", "document": {}}, headers=h)
    assert r.status_code == 422 and "exactly one" in _detail(r)[0]["msg"]
    r = client.post("/tokens", json={"role": "emperor"}, headers=h)
    assert r.status_code == 422 and _detail(r)[0]["loc"] == ["body", "role"]
    r = client.post("/runs", content=b"[1, 2]", headers={**h, "Content-Type": "application/json"})
    assert r.status_code == 422 and _detail(r)[0]["loc"][0] == "body"


def test_unknown_ids(client, api_env):
    h = api_env.auth("admin")
    for path, loc in [("/runs/nope", ["path", "run_id"]), ("/runs/nope/summary", ["path", "run_id"]),
                      ("/runs/nope/records", ["path", "run_id"]), ("/runs/nope/report", ["path", "run_id"]),
                      ("/buildings/nope/graph", ["path", "key"]), ("/scenarios/nope", ["path", "name"])]:
        r = client.get(path, headers=h)
        assert r.status_code == 404, path
        assert _detail(r)[0]["loc"] == loc, path
    r = client.post("/tokens/abcdef0123/revoke", headers=h)
    assert r.status_code == 404 and _detail(r)[0]["loc"] == ["path", "token_id"]
    r = client.get("/runs/bad%20id!", headers=h)
    assert r.status_code == 422 and _detail(r)[0]["loc"] == ["path", "run_id"]


def test_out_of_range_query_parameters(client, api_env):
    h = api_env.auth("admin")
    for params, field in [({"limit": 0}, "limit"), ({"limit": 10**9}, "limit"), ({"offset": -1}, "offset"),
                          ({"status": "exploded"}, "status"), ({"limit": "ten"}, "limit")]:
        r = client.get("/runs", params=params, headers=h)
        assert r.status_code == 422, params
        assert _detail(r)[0]["loc"] == ["query", field], params


def test_oversize_body(client, api_env):
    big = b'{"yaml": "' + b"x" * 2_000_000 + b'"}'
    r = client.post("/runs", content=big, headers={**api_env.auth("planner"), "Content-Type": "application/json"})
    assert r.status_code == 413
    assert _detail(r)[0]["loc"] == ["body"]

    def chunks():  # no Content-Length: counted while read
        for _ in range(40):
            yield b"x" * 65536

    r = client.post("/scenarios/validate", content=chunks(),
                    headers={**api_env.auth("viewer"), "Content-Type": "application/json"})
    assert r.status_code == 413


@pytest.mark.parametrize("broken", sorted(p.name for p in (DATA / "broken").glob("*.yaml")))
def test_broken_files_posted_as_scenarios(client, api_env, broken):
    """A file with errors is a 200 check result naming the problems, or a 422 for a run — never 500."""
    text = (DATA / "broken" / broken).read_text(encoding="utf-8", errors="replace")
    check = client.post("/scenarios/validate", json={"yaml": text}, headers=api_env.auth("viewer"))
    assert check.status_code == 200, check.text
    assert check.json()["valid"] is False and check.json()["issues"]
    run = client.post("/runs", json={"yaml": text}, headers=api_env.auth("planner"))
    assert run.status_code == 422, run.text
    assert _detail(run)[0]["loc"][:2] == ["body", "yaml"]


def test_scenario_with_building_errors(client, api_env, tmp_path):
    """A scenario whose building has errors: the check names the building file's fields."""
    doc = {"name": "on-broken", "model": "repair_desk", "building": "two_storey", "params": {"technicians": 1}}
    r = client.post("/scenarios/validate", json={"document": {**doc, "sweep": {"technicians": [1, 2]}}},
                    headers=api_env.auth("viewer"))
    assert r.json()["valid"] is False and r.json()["issues"][0]["path"] == "sweep.technicians"
    r = client.post("/scenarios/validate", json={"document": {**doc, "building": "/etc/passwd"}},
                    headers=api_env.auth("viewer"))
    assert r.json()["valid"] is False and r.json()["issues"][0]["path"] == "building"


def test_run_refuted_by_its_building_is_a_422(client, api_env):
    """Parameters the building refutes (an event naming an unknown stair) are refused when the run is
    submitted, naming the field — not accepted and then failed."""
    r = client.post("/runs", json={"scenario": "tower-full-drill", "replications": 1,
                                   "set": {"params.events": [{"type": "closed", "stair": "ST-NOWHERE", "at_s": 0}]}},
                    headers=api_env.auth("planner"))
    assert r.status_code == 422, r.text
    item = _detail(r)[0]
    assert "ST-NOWHERE" in item["msg"] and "params.events[0].stair" in " ".join(map(str, item["loc"])) + item.get(
        "path", "")
