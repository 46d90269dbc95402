"""Saved variants over HTTP (issue 15 §2, second bullet): a changed scenario saved under a name, as a
validated scenario file in the data folder's scenarios/, listed, run and deleted.

Each test names what it verifies. The app is a real one on its own data folder (a variant written
here must not show in the other API tests' scenario list); runs go through its real run pool.
"""

from __future__ import annotations

import os

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import create_app
from api.routers.scenarios import MAX_VARIANT_BYTES
from tests.api.conftest import make_data_dir, settings_for, wait_run

BASE = "repair-desk-weekday"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return make_data_dir(tmp_path_factory.mktemp("variants"))


@pytest.fixture(scope="module")
def client(env):
    with TestClient(create_app(settings_for(env))) as c:
        yield c


def _folder(env):
    return env.data_dir / "scenarios"


def _files(env) -> dict[str, bytes]:
    """Every file of the scenarios folder, hidden ones too, with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(_folder(env).iterdir())}


def _save(client, env, body, role="planner"):
    return client.post("/scenarios/variants", json=body, headers=env.auth(role))


def _delete(client, env, name):
    return client.delete(f"/scenarios/variants/{name}", headers=env.auth("planner"))


def test_a_saved_variant_is_a_validated_file_based_on_its_library_scenario(client, env):
    """issue 15 §2: POST /scenarios/variants writes scenarios/NAME.yaml — the library scenario with the
    changes applied and based_on naming it — answers 201 with its changes, and GET /scenarios lists it."""
    body = {"name": "desk-three", "based_on": BASE, "set": {"params.technicians": 3, "horizon_s": 7200},
            "replications": 2, "seed": 11, "title": {"en": "Three technicians", "zh-CN": "三名维修人员"}}
    r = _save(client, env, body)
    assert r.status_code == 201, r.text
    info = r.json()
    assert info["name"] == "desk-three" and info["based_on"] == BASE and info["source"] == "loaded"
    assert info["title"] == body["title"]
    assert [(c["path"], c["from"], c["to"]) for c in info["changes"]] == [
        ("horizon_s", 604800, 7200), ("params.technicians", 4, 3), ("replications", 10, 2), ("seed", 20261124, 11)]
    assert "4 → 3" in info["changes_text"]["en"] and "4 → 3" in info["changes_text"]["zh-CN"]
    doc = yaml.safe_load((_folder(env) / "desk-three.yaml").read_text(encoding="utf-8"))
    assert doc["name"] == "desk-three" and doc["based_on"] == BASE
    assert doc["params"]["technicians"] == 3 and doc["horizon_s"] == 7200 and doc["replications"] == 2
    assert doc["targets"]["emergency_within_sla"]["value"] == 0.95  # the rest is the library scenario's
    listed = {s["name"]: s for s in client.get("/scenarios", headers=env.auth("viewer")).json()}
    assert listed["desk-three"]["based_on"] == BASE and listed["desk-three"]["changes"] == info["changes"]
    assert listed[BASE]["based_on"] is None and listed[BASE]["changes"] is None
    read = client.get("/scenarios/desk-three", headers=env.auth("viewer")).json()
    assert read["document"]["based_on"] == BASE and "based_on: repair-desk-weekday" in read["text"]
    # The file is a scenario like any other: `twin validate` accepts it.
    from scenarios.spec import load_scenario

    assert load_scenario(_folder(env) / "desk-three.yaml").scenario.based_on == BASE


def test_a_run_of_a_variant_shows_what_changed_from_its_library_scenario(client, env):
    """issue 15 §2: re-running a saved variant by name records its changes from the library scenario
    (not "no change" from its own file) in the run, the run list, summary.json and compare."""
    assert _save(client, env, {"name": "desk-rerun", "based_on": BASE, "set": {"params.technicians": 5,
                                                                                 "horizon_s": 3600},
                               "replications": 2}).status_code == 201
    r = client.post("/runs", json={"scenario": "desk-rerun"}, headers=env.auth("planner"))
    assert r.status_code == 202, r.text
    assert [(c["path"], c["from"], c["to"]) for c in r.json()["changes"]] == [
        ("horizon_s", 604800, 3600), ("params.technicians", 4, 5), ("replications", 10, 2)]
    run = wait_run(client, r.json()["id"], env.auth("viewer"))
    assert run["status"] == "done", run
    summary = client.get(f"/runs/{run['id']}/summary", headers=env.auth("viewer")).json()
    assert summary["scenario"]["name"] == "desk-rerun" and summary["changes"] == r.json()["changes"]
    compared = client.get("/runs/compare", params=[("runs", run["id"]), ("runs", run["id"])],
                          headers=env.auth("viewer")).json()
    assert "4 → 5" in compared["runs"][0]["changes_text"]["en"]


def test_a_variant_of_a_variant_is_based_on_the_library_scenario(client, env):
    """issue 15 §2: a variant saved from another variant keeps the first one's changes, adds its own,
    and is based on the library scenario (deleting the first one leaves it whole)."""
    assert _save(client, env, {"name": "desk-first", "based_on": BASE,
                               "set": {"params.technicians": 3}}).status_code == 201
    r = _save(client, env, {"name": "desk-second", "based_on": "desk-first", "set": {"params.repair_mean_min": 45}})
    assert r.status_code == 201, r.text
    assert r.json()["based_on"] == BASE
    assert [(c["path"], c["from"], c["to"]) for c in r.json()["changes"]] == [
        ("params.repair_mean_min", 30, 45), ("params.technicians", 4, 3)]
    assert r.json()["title"]["en"] == "Repair desk on a weekday · desk-first · desk-second"
    assert _delete(client, env, "desk-first").status_code == 204
    listed = {s["name"]: s for s in client.get("/scenarios", headers=env.auth("viewer")).json()}
    assert "desk-first" not in listed and len(listed["desk-second"]["changes"]) == 2


def test_name_taken_is_409_unless_replace(client, env):
    """issue 15 §2 (contract): a second save under a variant's name is 409 unless replace: true; a
    library scenario's or a loaded non-variant's name is 409 whatever replace says."""
    body = {"name": "desk-twice", "based_on": BASE, "set": {"params.technicians": 2}}
    assert _save(client, env, body).status_code == 201
    again = _save(client, env, {**body, "set": {"params.technicians": 6}})
    assert again.status_code == 409 and again.json()["detail"][0]["loc"] == ["body", "name"]
    replaced = _save(client, env, {**body, "set": {"params.technicians": 6}, "replace": True})
    assert replaced.status_code == 201, replaced.text
    assert yaml.safe_load((_folder(env) / "desk-twice.yaml").read_text())["params"]["technicians"] == 6
    r = _save(client, env, {**body, "name": BASE, "replace": True})  # a library scenario's name
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["body", "name"], r.text
    (_folder(env) / "plain-loaded.yaml").write_text((_folder(env) / "repair_small.yaml").read_text()
                                                     .replace("name: repair-small", "name: plain-loaded"))
    before = _files(env)
    r = _save(client, env, {**body, "name": "plain-loaded", "replace": True})
    assert r.status_code == 409 and "not a saved variant" in r.json()["detail"][0]["msg"]
    assert _files(env) == before


@pytest.mark.parametrize("name", ["../evil", "a/b", "Upper", "with space", "dot.yaml", "", "x" * 65, "..",
                                  "%2e%2e", "ü"])
def test_bad_names_are_422_and_nothing_is_written(client, env, name):
    """issue 15 §2: a name outside [a-z0-9-]{1,64} (path traversal, a slash, capitals, a dot, too long)
    is a 422 naming body.name, and nothing is written in the scenarios folder."""
    before = _files(env)
    r = _save(client, env, {"name": name, "based_on": BASE, "set": {"params.technicians": 3}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "name"], r.text
    assert _files(env) == before
    assert not (env.data_dir / "evil.yaml").exists()


def test_path_traversal_in_based_on_and_delete_is_refused(client, env):
    """issue 15 §2: based_on and the deleted name are names, never paths: ../ walks are refused (422/404)
    and no file outside the scenarios folder is read or removed."""
    outside = env.data_dir / "outside.yaml"
    outside.write_text((_folder(env) / "repair_small.yaml").read_text().replace("repair-small", "outside"))
    before = _files(env)
    r = _save(client, env, {"name": "walk", "based_on": "../outside"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "based_on"], r.text
    r = _save(client, env, {"name": "walk", "based_on": "nothing-like-it"})
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["body", "based_on"], r.text
    for path in ("/scenarios/variants/..%2Foutside", "/scenarios/variants/%2E%2E", "/scenarios/variants/Outside"):
        assert client.delete(path, headers=env.auth("planner")).status_code in (404, 422)
    assert outside.is_file() and _files(env) == before
    # A link in the folder pointing outside is not a scenario: not listed, not deleted, not replaced.
    os.symlink(outside, _folder(env) / "linked.yaml")
    try:
        assert _delete(client, env, "linked").status_code == 404
        r = _save(client, env, {"name": "linked", "based_on": BASE, "replace": True})
        assert r.status_code == 409, r.text
        assert outside.read_text().startswith("# A short repair-desk")
    finally:
        (_folder(env) / "linked.yaml").unlink()


@pytest.mark.parametrize("change, loc", [
    ({"set": {"params.technicians": "many"}}, ["body", "set", "params.technicians"]),
    ({"set": {"params.technicians": 0}}, ["body", "set", "params.technicians"]),
    ({"set": {"params.no_such_parameter": 1}}, ["body", "set", "params.no_such_parameter"]),
    ({"set": {"params.technicians.deeper": 1}}, ["body", "set", "params.technicians.deeper"]),
    ({"set": {"horizon_s": -5}}, ["body", "set", "horizon_s"]),
    ({"set": {"model": "evacuation"}}, ["body", "set", "model"]),
    ({"set": {"name": "other"}}, ["body", "set", "name"]),
    ({"set": {"building": "../../etc/passwd"}}, ["body", "set", "building"]),
    ({"set": {"targets.no_such_kpi.op": ">="}}, ["body", "set", "targets.no_such_kpi.op"]),
    ({"set": {"params.../../x": 1}}, ["body", "set", "params.../../x"]),
    ({"set": {"params.a b": 1}}, ["body", "set", "params.a b"]),
    ({"sweep": {"params.technicians": [3, "x"]}}, ["body", "sweep", "params.technicians"]),
    ({"sweep": {"technicians": [3, 4]}}, ["body", "sweep", "technicians"]),
    ({"replications": 0}, ["body", "replications"]),
    ({"replications": True}, ["body", "replications"]),
    ({"seed": -1}, ["body", "seed"]),
    ({"title": {"en": "Only English"}}, ["body", "title", "zh-CN"]),
    ({"title": {"fr": "Non"}}, ["body", "title", "fr", "[key]"]),
    ({"unknown_field": 1}, ["body", "unknown_field"]),
])
def test_invalid_changes_are_422_naming_the_field_and_write_nothing(client, env, change, loc):
    """issue 15 §2: an invalid change is a 422 whose item names the request's field (the `set` key,
    the sweep's path, replications…), and the scenarios folder is unchanged."""
    before = _files(env)
    r = _save(client, env, {"name": "bad-change", "based_on": BASE, **change})
    assert r.status_code == 422, r.text
    locs = [item["loc"] for item in r.json()["detail"]]
    assert loc in locs, locs
    assert _files(env) == before


def test_size_bounds(client, env):
    """issue 15 §2: every count and size a save names is bounded — set entries (100), sweep paths (20)
    and values (1000), title length, and the file it would write (MAX_VARIANT_BYTES) — each a 422."""
    before = _files(env)
    too_many = {f"params.p{i}": i for i in range(101)}
    r = _save(client, env, {"name": "big", "based_on": BASE, "set": too_many})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "set"], r.text
    r = _save(client, env, {"name": "big", "based_on": BASE, "sweep": {"params.technicians": list(range(1, 1002))}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", "sweep", "params.technicians"]
    r = _save(client, env, {"name": "big", "based_on": BASE, "title": {"en": "x" * 201, "zh-CN": "y"}})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:3] == ["body", "title", "en"], r.text
    # A description is free text: a huge one would make a huge file.
    big = {"targets.emergency_within_sla.source": {"en": "x" * (MAX_VARIANT_BYTES // 2),
                                                    "zh-CN": "y" * (MAX_VARIANT_BYTES // 2)}}
    r = _save(client, env, {"name": "big", "based_on": BASE, "set": big})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body"], r.text
    assert "KiB" in r.json()["detail"][0]["msg"]
    assert _files(env) == before


def test_other_methods_on_the_variants_path_are_405(client, env):
    """issue 15 §2: /scenarios/variants is no scenario's name: GET there is a 405 allowing POST alone."""
    r = client.get("/scenarios/variants", headers=env.auth("viewer"))
    assert r.status_code == 405 and r.headers["allow"] == "POST"


def test_delete(client, env):
    """issue 15 §2: DELETE /scenarios/variants/NAME removes a variant's file (204); an unknown name is
    404, a library or loaded scenario that is no variant 409 — their files stay."""
    assert _save(client, env, {"name": "desk-gone", "based_on": BASE}).status_code == 201
    assert _delete(client, env, "desk-gone").status_code == 204
    assert not (_folder(env) / "desk-gone.yaml").exists()
    assert _delete(client, env, "desk-gone").status_code == 404
    r = _delete(client, env, BASE)
    assert r.status_code == 409 and r.json()["detail"][0]["loc"] == ["path", "name"]
    (_folder(env) / "plain-two.yaml").write_text((_folder(env) / "repair_small.yaml").read_text()
                                                  .replace("name: repair-small", "name: plain-two"))
    assert _delete(client, env, "plain-two").status_code == 409
    assert (_folder(env) / "plain-two.yaml").is_file()


def test_roles(client, env):
    """issue 15 §2: saving and deleting a variant is a planner's (a viewer gets 403); listing is anyone's."""
    r = _save(client, env, {"name": "desk-viewer", "based_on": BASE}, role="viewer")
    assert r.status_code == 403
    assert client.delete("/scenarios/variants/desk-three", headers=env.auth("viewer")).status_code == 403
    assert client.get("/scenarios", headers=env.auth("viewer")).status_code == 200


def test_the_command_line_counts_a_variant_file_from_its_library_scenario(client, env):
    """issue 15 §2: `twin run DATA_DIR/scenarios/NAME.yaml` of a saved variant records its changes from
    the library scenario it is based on (as a run over HTTP does), not from its own file."""
    from api.cli import _changes
    from scenarios.spec import load_scenario

    assert _save(client, env, {"name": "desk-cli", "based_on": BASE, "set": {"params.technicians": 6}}).status_code == 201
    path = _folder(env) / "desk-cli.yaml"
    changes = _changes(str(path), load_scenario(path), None, None)
    assert [(c["path"], c["from"], c["to"]) for c in changes] == [("params.technicians", 4, 6)]


def test_a_variant_names_a_building_as_its_runs_resolve_it(client, env):
    """A building ``set`` on a variant is looked for as a run of it looks for it (api.runs.loaded_building):
    a file of the data folder's buildings/ first, then a sample — so a loaded building that shares a sample's
    name is the one the variant's file names, and a sample's name alone is kept as it is."""
    import shutil

    loaded = env.data_dir / "buildings" / "podium.yaml"  # a loaded building under a sample's name
    shutil.copy(env.data_dir / "buildings" / "two_storey.yaml", loaded)
    try:
        r = _save(client, env, {"name": "desk-loaded-podium", "based_on": BASE, "set": {"building": "podium"}})
        assert r.status_code == 201, r.text
        doc = yaml.safe_load((_folder(env) / "desk-loaded-podium.yaml").read_text(encoding="utf-8"))
        assert doc["building"] == "../buildings/podium.yaml"
    finally:
        loaded.unlink()
        _delete(client, env, "desk-loaded-podium")
    r = _save(client, env, {"name": "desk-sample-podium", "based_on": BASE, "set": {"building": "podium"}})
    assert r.status_code == 201, r.text
    assert yaml.safe_load((_folder(env) / "desk-sample-podium.yaml").read_text(encoding="utf-8"))["building"] == "podium"
    _delete(client, env, "desk-sample-podium")
