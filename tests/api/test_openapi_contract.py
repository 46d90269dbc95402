"""The OpenAPI document says what the API does (issue 10 item 12).

Each test pins one place where the document and the server used to disagree: the one-of rule of
a run request and of a scenario check, a wait given as true/false, dictionary keys the server
refuses, limits the server enforces, the ``Allow`` of a 405, the ``/scenarios/validate`` path
taken for a scenario's name, and query parameters the server silently ignored.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def doc(client) -> dict:
    return client.get("/openapi.json").json()


def _schema(doc: dict, name: str) -> dict:
    return doc["components"]["schemas"][name]


@pytest.mark.parametrize(("model", "fields"), [("RunCreate", ["scenario", "document", "yaml"]),
                                                ("ScenarioCheck", ["document", "yaml"])])
def test_exactly_one_source_is_a_one_of_in_the_schema(doc, model: str, fields: list[str]) -> None:
    one_of = _schema(doc, model)["oneOf"]
    assert [branch["required"] for branch in one_of] == [[f] for f in fields]
    for branch, field in zip(one_of, fields):
        assert branch["properties"][field] == {"not": {"type": "null"}}  # null counts as not given


@pytest.mark.parametrize("body", [{}, {"scenario": "repair_small", "yaml": "name: x"},
                                  {"scenario": None, "document": None}])
def test_a_run_request_with_none_or_two_sources_is_a_422_naming_them(client, api_env, body: dict) -> None:
    r = client.post("/runs", json=body, headers=api_env.auth("planner"))
    assert r.status_code == 422, r.text
    msg = r.json()["detail"][0]["msg"]
    assert all(f"'{name}'" in msg for name in ("scenario", "document", "yaml")), msg


def test_a_scenario_check_with_both_forms_is_a_422(client, api_env) -> None:
    r = client.post("/scenarios/validate", json={"document": {}, "yaml": "a: 1"}, headers=api_env.auth("viewer"))
    assert r.status_code == 422 and "'document'" in r.json()["detail"][0]["msg"], r.text


def test_a_commands_wait_is_a_number_not_a_boolean(doc, client, api_env) -> None:
    wait = _schema(doc, "CommandCreate")["properties"]["wait_s"]
    assert wait["type"] == "number" and wait["minimum"] == 0 and wait["maximum"] == 30
    r = client.post("/twin/equipment/PMP-1/commands", json={"desired": {"mode": "auto"}, "wait_s": True},
                    headers=api_env.auth("engineer"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "wait_s"]


def test_a_commands_point_names_are_constrained_by_property_names(doc) -> None:
    desired = _schema(doc, "CommandCreate")["properties"]["desired"]
    # patternProperties would let any other key through with any value; the server refuses them
    assert "patternProperties" not in desired
    assert desired["propertyNames"] == {"pattern": "^[A-Za-z0-9_.-]+$", "maxLength": 64}
    assert {"type": "boolean"} in desired["additionalProperties"]["anyOf"]


def test_the_limits_the_server_enforces_are_in_the_schema(doc) -> None:
    run = _schema(doc, "RunCreate")["properties"]
    assert run["replications"]["anyOf"][0] == {"type": "integer", "minimum": 1, "maximum": 10_000}
    assert run["seed"]["anyOf"][0]["minimum"] == 0 and run["seed"]["anyOf"][0]["exclusiveMaximum"] == 2**63
    assert run["set"]["maxProperties"] == 100
    sweep = run["sweep"]["anyOf"][0]
    assert sweep["maxProperties"] == 20 and sweep["additionalProperties"]["maxItems"] == 1000
    params = {p["name"]: p["schema"] for p in doc["paths"]["/runs"]["get"]["parameters"]}
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 1000)
    assert params["offset"]["minimum"] == 0
    run_id = next(p for p in doc["paths"]["/runs/{run_id}"]["get"]["parameters"] if p["name"] == "run_id")
    assert run_id["schema"]["pattern"] == "^[A-Za-z0-9_-]+$"


def test_too_many_overrides_are_refused_as_the_schema_says(client, api_env) -> None:
    body = {"scenario": "repair_small", "set": {f"params.x{i}": 1 for i in range(101)}}
    r = client.post("/runs", json=body, headers=api_env.auth("planner"))
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "set"], r.text


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("PUT", "/runs", "GET, POST"),            # two routes on one path: both are listed
    ("DELETE", "/runs/20261124T093012-4f2a1c", "GET"),
    ("GET", "/scenarios/validate", "POST"),   # not read as a scenario named "validate"
    ("POST", "/scenarios/repair_small", "GET"),
])
def test_a_405_lists_every_method_the_path_answers(client, api_env, method: str, path: str, allow: str) -> None:
    r = client.request(method, path, headers=api_env.auth("admin"))
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allow
    assert r.json()["detail"][0]["type"] == "method_not_allowed"


def test_a_scenario_is_still_read_by_name(client, api_env) -> None:
    assert client.get("/scenarios/repair_small", headers=api_env.auth("viewer")).status_code == 200
    r = client.get("/scenarios/validated", headers=api_env.auth("viewer"))
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["path", "name"]


def test_the_document_keeps_the_scenario_path_plain(doc) -> None:
    assert "/scenarios/{name}" in doc["paths"] and "/scenarios/validate" in doc["paths"]
    assert not any(":" in path for path in doc["paths"])


def test_an_unknown_query_parameter_is_a_422_naming_it(client, api_env) -> None:
    r = client.get("/runs", params={"stauts": "done"}, headers=api_env.auth("viewer"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["query", "stauts"]
    assert "status" in r.json()["detail"][0]["msg"]  # says what the route takes
    assert client.get("/runs", params={"status": "done"}, headers=api_env.auth("viewer")).status_code == 200


def test_an_unknown_query_parameter_without_a_token_is_a_401(client) -> None:
    assert client.get("/runs", params={"stauts": "done"}).status_code == 401


@pytest.mark.parametrize("value", [0, 1, "yes"])
def test_from_live_is_true_or_false_not_a_number_or_word(client, api_env, value) -> None:
    r = client.post("/runs", json={"scenario": "repair_small", "from_live": value}, headers=api_env.auth("planner"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", "from_live"] and r.json()["detail"][0]["type"] == "bool_type"


@pytest.mark.parametrize("field", ["replications", "seed"])
def test_a_run_requests_whole_numbers_are_numbers_not_booleans(client, api_env, field: str) -> None:
    r = client.post("/runs", json={"scenario": "repair_small", field: True}, headers=api_env.auth("planner"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"][0]["loc"] == ["body", field] and r.json()["detail"][0]["type"] == "int_type"
