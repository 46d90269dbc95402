"""What a scenario's parameters may name in a building: ``GET /buildings/{key}/choices`` (issue 15 §2).

The console's scenario form offers, for a parameter whose schema says ``x-pick``, the building's
own stairs, spaces, floors, cars… with their words in both languages and their floor. These tests
check the answer's shape and words, its errors, and that every id the shipped library scenarios
name in a picked parameter is among the choices of the scenario's building (so the form can show
every library scenario's values as chosen, not as unknown text).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.harness import PICK_KINDS, get_model
from scenarios.spec import read_yaml
from tests.test_param_picks import picked_values

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios" / "library"


def test_choices_offer_every_pick_kind_with_words_in_both_languages(client, api_env):
    """issue 15 §2: the choices of a building list every pick kind; each thing has its id, its label in
    en and zh-CN and its floor (a space's floor is one of the building's floors)."""
    r = client.get("/buildings/small_tower/choices", headers=api_env.auth("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == set(PICK_KINDS)
    spec = client.get("/buildings/small_tower", headers=api_env.auth("viewer")).json()
    assert [c["id"] for c in body["space"]] == [s["id"] for s in spec["spaces"]]
    assert [c["id"] for c in body["stair"]] == [s["id"] for s in spec["stairs"]]
    assert [c["id"] for c in body["door"]] == [d["id"] for d in spec["doors"]]
    assert [c["id"] for c in body["exit"]] == [e["id"] for e in spec["exits"]]
    assert [c["id"] for c in body["floor"]] == [f["id"] for f in spec["floors"]]
    assert [c["id"] for c in body["car"]] == [c["id"] for g in spec["elevators"] for c in g["cars"]]
    assert [c["id"] for c in body["lift_group"]] == [g["id"] for g in spec["elevators"]]
    assert [c["id"] for c in body["equipment"]] == [e["id"] for e in spec["equipment"]]
    floors = {f["id"] for f in spec["floors"]}
    for kind, things in body.items():
        for thing in things:
            assert set(thing["label"]) == {"en", "zh-CN"} and all(thing["label"].values()), (kind, thing)
    assert all(c["floor"] in floors for c in body["space"] + body["exit"] + body["equipment"])
    assert "lift_car" in {c["id"] for c in body["equipment_kind"]}  # the operations model's kind of a car
    kinds = {c["id"]: c["label"] for c in body["space_kind"]}
    assert kinds["lobby"] == {"en": "Lobby (lobby)", "zh-CN": "大堂 (lobby)"}


def _has_cjk(words: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in words)


def test_tower_equipment_kinds_and_systems_read_in_chinese_with_their_code(client, api_env):
    """H-WORDS: every kind of equipment and every system of the sample tower is offered by its words —
    Chinese words in zh-CN, English in en, never the bare code name — with the code name after them
    ("消防稳压泵 (fire_jockey_pump)"), as the other choices show their ids."""
    from twin.spec import SYSTEMS

    body = client.get("/buildings/tower/choices", headers=api_env.auth("viewer")).json()
    spec = client.get("/buildings/tower", headers=api_env.auth("viewer")).json()
    assert {c["id"] for c in body["equipment_kind"]} == {e["kind"] for e in spec["equipment"]} | {"lift_car"}
    systems = {c["id"] for c in body["system"]}
    assert systems <= set(SYSTEMS) and {"security", "pump", "elevator"} <= systems
    problems = []
    for pick in ("equipment_kind", "system"):
        for c in body[pick]:
            code, zh, en = c["id"], c["label"]["zh-CN"], c["label"]["en"]
            words_zh, words_en = zh.removesuffix(f" ({code})"), en.removesuffix(f" ({code})")
            if zh == words_zh or en == words_en:
                problems.append(f"{pick} {code}: the label {c['label']} lacks the code name as secondary text")
            if not _has_cjk(words_zh) or code in words_zh:
                problems.append(f"{pick} {code}: zh-CN label {zh!r} is not Chinese words")
            if words_en == code or "_" in words_en or _has_cjk(words_en):
                problems.append(f"{pick} {code}: en label {en!r} is not English words")
    assert not problems, "\n  ".join(problems)
    kinds = {c["id"]: c["label"] for c in body["equipment_kind"]}
    assert kinds["fire_jockey_pump"] == {"en": "Fire jockey pump (fire_jockey_pump)",
                                         "zh-CN": "消防稳压泵 (fire_jockey_pump)"}
    assert {c["id"]: c["label"] for c in body["system"]}["security"]["zh-CN"] == "安防 (security)"


def test_a_kind_nobody_named_reads_as_words_of_its_code():
    """H-WORDS: a building file may name any kind of equipment; one without declared words is offered
    as its code name read as words ("LV board (lv_board)") in both languages, a Chinese kind as it is,
    and a known kind written in capitals or with hyphens still finds its words."""
    from api.routers.buildings import choices_of
    from twin.loader import load_building
    from twin.spec import Building

    doc = load_building(Path(__file__).parent / "data" / "small_tower.yaml").model_dump(mode="json")
    odd = ["lv_board", "生活水泵", "Fire-Jockey-Pump"]
    for e, kind in zip(doc["equipment"], odd):
        e["kind"] = kind
    kinds = {c.id: c.label for c in choices_of(Building.model_validate(doc)).equipment_kind}
    assert kinds["lv_board"] == {"en": "LV board (lv_board)", "zh-CN": "LV board (lv_board)"}
    assert kinds["生活水泵"] == {"en": "生活水泵", "zh-CN": "生活水泵"}
    assert kinds["Fire-Jockey-Pump"] == {"en": "Fire jockey pump (Fire-Jockey-Pump)",
                                         "zh-CN": "消防稳压泵 (Fire-Jockey-Pump)"}


def test_choices_of_the_tower_name_its_stairs_floors_in_chinese(client, api_env):
    """issue 15 §2: the tower's stairs are offered by name; its floors read as Chinese practice counts them."""
    body = client.get("/buildings/tower/choices", headers=api_env.auth("viewer")).json()
    stairs = {c["id"]: c["label"]["en"] for c in body["stair"]}
    assert "ST-C1-A" in stairs and "Core 1 stair A" in stairs["ST-C1-A"]
    ground = next(c for c in body["floor"] if c["id"] == "F01")
    assert ground["label"]["zh-CN"].startswith("1层")
    assert len(body["space"]) > 1000  # every space, not a page of them


@pytest.mark.parametrize("key, status", [("nope", 404), ("a" * 129, 422), ("bad%20key", 422), ("..%2F..%2Fetc", 404)])
def test_choices_of_an_unknown_or_bad_building_name_the_key(client, api_env, key, status):
    """issue 15 §2: an unknown building is a 404 naming the key and the known ones; a malformed key a 422."""
    r = client.get(f"/buildings/{key}/choices", headers=api_env.auth("viewer"))
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    if "%2F" not in key:  # a slash leaves the route: no building route answers, nothing is read
        assert detail[0]["loc"][-1] == "key"
    assert "Traceback" not in r.text


def test_choices_need_a_token(client):
    """issue 15 §2: the choices are read with any role's token, never without one."""
    assert client.get("/buildings/tower/choices").status_code == 401


def _library():
    return sorted(LIBRARY.glob("*.yaml"))


@pytest.mark.parametrize("path", _library(), ids=lambda p: p.stem)
def test_every_id_a_library_scenario_picks_is_among_its_buildings_choices(client, api_env, path):
    """issue 15 §2: every id a shipped scenario names in a picked parameter (a closed stair, a smoke
    space, a car out of service, a post's space…) is offered by its building's choices."""
    doc = read_yaml(path)
    spec = get_model(doc["model"])
    params = spec.params.model_validate(doc.get("params") or {}).model_dump(mode="json")
    choices = client.get(f"/buildings/{doc['building']}/choices", headers=api_env.auth("viewer"))
    assert choices.status_code == 200, choices.text
    offered = {kind: {c["id"] for c in things} for kind, things in choices.json().items()}
    schema = spec.params.model_json_schema()
    for where, pick, value in picked_values(schema, params):
        allowed = set().union(*(offered[k] for k in pick.split("|")))
        if value == "default" and pick == "space_kind":
            continue
        assert value in allowed, f"{path.name}: {where} = {value!r} is not a {pick} of {doc['building']}"


def test_a_scenario_is_read_with_its_parameters_every_default_filled(client, api_env):
    """issue 15 §2: GET /scenarios/{name} gives ``params`` — the parameters as the model reads them,
    every default filled in — which the form starts from (a list the file leaves out shows its rows)."""
    r = client.get("/scenarios/ops-tower-baseline", headers=api_env.auth("viewer"))
    assert r.status_code == 200, r.text
    body = r.json()
    spec = get_model("operations")
    assert body["params"] == spec.params.model_validate(body["document"].get("params") or {}).model_dump(mode="json")
    assert body["params"]["groups"] and body["params"]["sla"]  # default_factory values are there, not only the file's
    drill = client.get("/scenarios/tower-full-drill", headers=api_env.auth("viewer")).json()
    assert drill["params"]["lifts"]["boarding_s"] > 0 and isinstance(drill["params"]["events"], list)
