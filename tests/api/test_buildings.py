"""Buildings over HTTP: the list, a spec, its summary, floor graph, equipment, and its Brick model.

The Brick model is checked by the ``brickschema`` package's own SHACL validation against the
Brick ontology it ships: no violation may be about a node of ours. (The packaged ontology has
violations of its own — its quantity kinds point at QUDT definitions it does not bundle; those are
allowed, and only those: every violation's focus node must be a QUDT or Brick ontology node.)
"""

from __future__ import annotations

import pytest
import rdflib

from tests.api.conftest import SMALL_TOWER


def test_list_buildings(client, api_env):
    r = client.get("/buildings", headers=api_env.auth("viewer"))
    assert r.status_code == 200
    keys = {b["key"]: b for b in r.json()}
    assert {"tower", "small_tower", "two_storey"} <= set(keys)
    assert keys["tower"]["source"] == "sample" and keys["small_tower"]["source"] == "loaded"
    assert keys["small_tower"]["equipment"] == 9 and keys["small_tower"]["floors"] == 3


def test_spec_summary_graph_equipment(client, api_env):
    h = api_env.auth("viewer")
    spec = client.get("/buildings/small_tower", headers=h).json()
    assert spec["id"] == "small-tower" and len(spec["floors"]) == 3
    by_id = client.get("/buildings/small-tower", headers=h).json()  # the building's own id works too
    assert by_id == spec
    summary = client.get("/buildings/small_tower/summary", headers=h).json()
    assert summary["elevator_cars"] == 2 and summary["occupants"] == 10
    graph = client.get("/buildings/small_tower/graph", headers=h).json()
    assert graph["multigraph"] is True
    assert {n["id"] for n in graph["nodes"]} >= {"L00-LOBBY", "EXIT-MAIN"}
    assert any(e.get("kind") == "stair" for e in graph["edges"])
    equipment = {e["id"]: e for e in client.get("/buildings/small_tower/equipment", headers=h).json()}
    assert set(equipment) == {"LIFT-1", "LIFT-2", "TX-1", "SWG-1", "PMP-1", "AHU-1", "MTR-E1", "MTR-W1", "FACP-1"}
    assert equipment["PMP-1"]["topic"] == "twin/v1/small-tower/pump/PMP-1/state"
    assert equipment["LIFT-1"]["group"] == "LG-A" and equipment["LIFT-1"]["system"] == "elevator"
    assert equipment["PMP-1"]["floor"] == "L00"


def test_unknown_building_is_404(client, api_env):
    r = client.get("/buildings/nope", headers=api_env.auth("viewer"))
    assert r.status_code == 404
    assert r.json()["detail"][0]["loc"] == ["path", "key"]


def test_brick_turtle(client, api_env):
    r = client.get("/buildings/small_tower/brick", headers=api_env.auth("viewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    g = rdflib.Graph().parse(data=r.text, format="turtle")
    brick = rdflib.Namespace("https://brickschema.org/schema/Brick#")
    rec = rdflib.Namespace("https://w3id.org/rec#")
    ref = rdflib.Namespace("https://brickschema.org/schema/Brick/ref#")
    ns = rdflib.Namespace("urn:building-twin:small-tower#")
    a = rdflib.RDF.type
    assert (ns["LIFT-1"], a, brick.Elevator) in g
    assert (ns["PMP-1"], a, brick.Booster_Pump) in g
    assert (ns["AHU-1"], a, brick.AHU) in g
    assert (ns["MTR-E1"], a, brick.Electrical_Meter) in g
    assert (ns["FACP-1"], a, brick.Fire_Alarm_Control_Panel) in g
    assert (ns["SWG-1"], a, brick.Switchgear) in g
    assert (ns["L01"], a, rec.Level) in g
    topics = {str(o) for o in g.objects(None, ref.hasTimeseriesId)}
    assert "twin/v1/small-tower/pump/PMP-1/state" in topics
    assert "twin/v1/small-tower/elevator/LIFT-2/state" in topics


@pytest.mark.slow
def test_brick_model_validates_with_brickschema():
    import brickschema
    from rdflib.namespace import SH

    from twin.brick import brick_turtle
    from twin.loader import load_building

    g = brickschema.Graph(load_brick=True)
    g.parse(data=brick_turtle(load_building(SMALL_TOWER)), format="turtle")
    conforms, results, text = g.validate()
    focus = {str(n) for n in results.objects(None, SH.focusNode)}
    ours = sorted(n for n in focus if n.startswith("urn:building-twin:"))
    assert not ours, text[:4000]
    ontology = ("http://qudt.org/", "https://brickschema.org/schema/")
    assert all(n.startswith(ontology) for n in focus), sorted(n for n in focus if not n.startswith(ontology))


def test_validate_building_answers_errors_and_named_warnings(client, api_env):
    """issue 11 item 1: ``POST /buildings/validate`` is ``twin validate`` for a building file — every
    error with its field path, and the named warnings whether or not the file loads."""
    import yaml

    h = api_env.auth("viewer")
    data = yaml.safe_load(SMALL_TOWER.read_text(encoding="utf-8"))
    data["exits"][0]["width_m"] = 2.4  # the door is 1.8 m: a warning, the building still loads
    r = client.post("/buildings/validate", json={"document": data, "file": "mine.yaml"}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["valid"] is True and body["issues"] == [] and body["id"] == "small-tower"
    assert body["warnings"] == [{"file": "mine.yaml", "path": "exits[0] 'EXIT-MAIN'.width_m", "name": "exit-width-differs",
                                 "message": "width 2.4 m differs from the 1.8 m of door 'L00-DX'; the narrower, "
                                            "1.8 m, governs the flow"}]
    data["doors"][0]["width_m"] = 1200  # millimetres typed as metres: an error, with the warning kept
    r = client.post("/buildings/validate", json={"yaml": yaml.safe_dump(data)}, headers=h)
    body = r.json()
    assert body["valid"] is False and len(body["warnings"]) == 1
    assert [i["path"] for i in body["issues"]] == ["doors[0] 'L00-D1'.width_m"]
    assert "1,200 m is not a door's clear width" in body["issues"][0]["message"]
    assert client.get("/buildings/small_tower/warnings", headers=h).json() == []
