"""Nothing a request names is read from outside the data folder and the shipped files, and a posted
document cannot hold the server.

Issue 10 item 1: ``POST /runs`` with a library scenario and ``set: {"building": "/etc/shadow"}``
opened that file as a building and quoted it back in the 422, and answered differently for files
that exist and files that do not. A building named through the API is now a shipped sample, a
library scenario's own building, or a file inside the data folder's ``buildings/`` (or
``scenarios/``), decided on the path with its symbolic links resolved and before anything is
opened; everything else is one 422 naming the field.

Issue 10 item 2: a 400-byte YAML alias bomb posted to ``/scenarios/validate`` or ``/runs`` froze the
event loop (``/health`` too) while an error message quoted its 9^9 values; now it is refused at
the loader's alias bound, off the event loop, within the server's check budget.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient

from api.app import create_app
from api.runs import building_roots, prepare_job
from scenarios.spec import LIBRARY_DIR, building_file, parse_scenario
from tests.api.conftest import DATA, make_data_dir, settings_for
from tests.test_yaml_hardening import alias_bomb
from twin.errors import SpecError
from twin.loader import MAX_ALIAS_NODES, SAMPLES_DIR
from viewer.console import ConsoleBackend

SECRET = "hunter2-do-not-show"


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder outside the data folder holding a 'secret' file a YAML parser would accept."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "secret.yaml").write_text(f"secret_marker: {SECRET}\npassword: {SECRET}\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory, outside: Path):
    """An app whose data folder holds symbolic links to the outside file: ``buildings/leak.yaml`` and
    ``scenarios/leak.yaml`` (as an admin might link, or an attacker with write access might plant)."""
    env = make_data_dir(tmp_path_factory.mktemp("api-linked"))
    (env.data_dir / "buildings" / "leak.yaml").symlink_to(outside / "secret.yaml")
    (env.data_dir / "scenarios" / "leak.yaml").symlink_to(outside / "secret.yaml")
    app = create_app(settings_for(env))
    with TestClient(app) as c:
        yield c, env, app


def _refusals(r) -> list[dict]:
    assert r.status_code == 422, r.text
    return r.json()["detail"]


def _server_paths(outside: Path) -> list[str]:
    secret = outside / "secret.yaml"
    return [str(secret), "../" * 12 + str(secret).lstrip("/"), "/etc/passwd", "/etc/shadow",
            str(outside / "absent.yaml"), "../../../../../../../../etc/hostname"]


@pytest.mark.parametrize("from_live", [False, True])
def test_set_building_to_a_server_path_is_refused_without_reading_it(client, api_env, outside, from_live):
    """Issue 10 item 1: ``set.building`` over a library scenario naming any path on the server is a
    422 located at ``body.set.building``; the file's contents never appear."""
    for ref in _server_paths(outside):
        r = client.post("/runs", json={"scenario": "repair-desk-weekday", "set": {"building": ref},
                                       "from_live": from_live}, headers=api_env.auth("planner"))
        [item] = _refusals(r)
        assert item["loc"] == ["body", "set", "building"] and item["path"] == "building", item
        assert SECRET not in r.text and "root:" not in r.text


def test_refusal_does_not_tell_whether_a_file_exists(client, api_env, outside):
    """Issue 10 item 1: an existing and a missing file get the same answer, whichever way they are
    named (the message quotes the value, nothing found at it)."""
    h = api_env.auth("planner")
    doc = {"name": "probe", "model": "repair_desk", "params": {"technicians": 1}}
    bodies = [lambda ref: {"scenario": "repair-desk-weekday", "set": {"building": ref}},
              lambda ref: {"document": {**doc, "building": ref}},
              lambda ref: {"yaml": f"name: probe\nmodel: repair_desk\nbuilding: '{ref}'\n"}]
    for body in bodies:
        answers = []
        for name in ("secret.yaml", "absent.yaml"):
            ref = str(outside / name)
            r = client.post("/runs", json=body(ref), headers=h)
            answers.append([(i["loc"], i["msg"].replace(ref, "REF")) for i in _refusals(r)])
            assert SECRET not in r.text
        assert answers[0] == answers[1]


@pytest.mark.parametrize("route", ["/runs", "/scenarios/validate"])
def test_posted_scenarios_name_buildings_not_paths(client, api_env, outside, route):
    """Issue 10 item 1: a posted document (JSON or YAML) naming a server path is refused at its
    ``building`` field, and nothing of the file is shown."""
    h = api_env.auth("planner")
    for ref in _server_paths(outside):
        for body in ({"document": {"name": "p", "model": "repair_desk", "building": ref}},
                     {"yaml": f"name: p\nmodel: repair_desk\nbuilding: '{ref}'\n"}):
            r = client.post(route, json=body, headers=h)
            assert SECRET not in r.text
            issues = _refusals(r) if route == "/runs" else r.json()["issues"]
            assert route == "/runs" or r.json()["valid"] is False
            assert [i["path"] for i in issues] == ["building"], issues


def test_sweeping_the_building_is_refused(client, api_env, outside):
    """Issue 10 item 1: only model parameters are swept; a sweep over ``building`` reads nothing."""
    r = client.post("/runs", json={"scenario": "repair-desk-weekday",
                                   "sweep": {"building": [str(outside / "secret.yaml"), "/etc/shadow"]}},
                    headers=api_env.auth("planner"))
    assert SECRET not in r.text
    [item] = _refusals(r)
    assert item["path"] == "sweep.building"


def test_values_are_quoted_as_short_escaped_excerpts(client, api_env):
    """Issue 10 item 1: a refused value is echoed as a short, escaped excerpt (and a name too long
    for the file system is a 422 like any other, not a server error)."""
    ref = "\x1b[2J" + "A" * 5000
    r = client.post("/runs", json={"scenario": "repair-desk-weekday", "set": {"building": ref}},
                    headers=api_env.auth("planner"))
    [item] = _refusals(r)
    assert len(item["msg"]) < 300 and "\x1b" not in item["msg"] and "\\x1b" in item["msg"]
    for long_name in ("A" * 5000, "B" * 300 + ".yaml"):
        for body in ({"scenario": "repair-desk-weekday", "set": {"building": long_name}},
                     {"document": {"name": "p", "model": "repair_desk", "building": long_name}}):
            [item] = _refusals(client.post("/runs", json=body, headers=api_env.auth("planner")))
            assert item["path"] == "building" and len(item["msg"]) < 400


def test_links_out_of_the_data_folder_are_not_followed(linked):
    """Issue 10 item 1: a file in ``buildings/`` or ``scenarios/`` that links outside is neither
    listed nor used, whether named by a posted scenario, as a known scenario, or by key."""
    client, env, _ = linked
    h = env.auth("planner")
    r = client.post("/runs", json={"document": {"name": "p", "model": "repair_desk", "building": "leak"}}, headers=h)
    assert SECRET not in r.text
    [item] = _refusals(r)
    assert item["path"] == "building" and "no sample or loaded building 'leak'" in item["msg"]
    r = client.post("/scenarios/validate", json={"yaml": "name: p\nmodel: repair_desk\nbuilding: leak\n"}, headers=h)
    assert SECRET not in r.text and r.json()["valid"] is False
    r = client.post("/runs", json={"scenario": "leak"}, headers=h)
    assert r.status_code == 404 and SECRET not in r.text
    assert client.get("/scenarios/leak", headers=h).status_code == 404
    assert "leak" not in {s["name"] for s in client.get("/scenarios", headers=h).json()}
    assert "leak" not in {b["key"] for b in client.get("/buildings", headers=h).json()}
    r = client.get("/buildings/leak", headers=h)
    assert r.status_code == 404 and SECRET not in r.text


def test_shipped_and_loaded_buildings_still_resolve(api_env, tmp_path):
    """Issue 10 item 1: what the server ships and holds keeps working inside the roots — a library
    scenario's relative building, a sample name, a loaded scenario's own building, ``set`` to a
    loaded building's name."""
    roots = building_roots(api_env.data_dir / "scenarios", api_env.data_dir / "buildings")
    assert building_file("../../twin/samples/tower.yaml", LIBRARY_DIR, "x.yaml", roots) == \
        (SAMPLES_DIR / "tower.yaml").resolve()
    assert building_file("podium", LIBRARY_DIR, "x.yaml", roots) == SAMPLES_DIR / "podium.yaml"
    for ref in ("../../../../etc/passwd", "/etc/passwd", str(DATA / "two_storey.yaml")):
        with pytest.raises(SpecError, match="not a shipped sample") as info:
            building_file(ref, LIBRARY_DIR, "x.yaml", roots)
        assert info.value.issues[0].path == "building"
    job, loaded = prepare_job(library="repair_small", document=None, scenarios_dir=api_env.data_dir / "scenarios",
                              buildings_dir=api_env.data_dir / "buildings", full=True)
    assert loaded is not None and loaded.building.id == "two-storey"
    job, _ = prepare_job(library="repair_small", document=None, scenarios_dir=api_env.data_dir / "scenarios",
                         buildings_dir=api_env.data_dir / "buildings", overrides={"building": "small_tower"},
                         full=False)
    assert Path(job.building_path) == (api_env.data_dir / "buildings" / "small_tower.yaml").resolve()


def test_the_command_line_still_takes_any_path(tmp_path):
    """Only API-named buildings are confined: a person's own scenario file may name any building file."""
    building = tmp_path / "elsewhere.yaml"
    shutil.copy(DATA / "two_storey.yaml", building)
    doc = {"name": "mine", "model": "repair_desk", "building": str(building), "params": {"technicians": 1}}
    assert parse_scenario(doc, "mine.yaml", tmp_path).building.id == "two-storey"
    with pytest.raises(SpecError, match="not a shipped sample"):
        parse_scenario(doc, "mine.yaml", tmp_path, roots=(SAMPLES_DIR,))


def test_console_opens_no_path_a_run_summary_names(outside):
    """Issue 10 item 1: the console's playback finds a run's building among the samples and the
    server's building folders only; a path in a summary is never opened."""
    backend = ConsoleBackend(building=None, state=None, results_dir=lambda run_id: None)
    for ref in (str(outside / "secret.yaml"), "../" * 10 + str(outside / "secret.yaml").lstrip("/")):
        with pytest.raises(HTTPException) as info:
            backend.run_building({"scenario": {"building": ref}, "building": {"id": "x"}})
        assert info.value.status_code == 404 and SECRET not in str(info.value.detail)
    assert backend.run_building({"scenario": {"building": "podium"}}).id
    roots = ConsoleBackend(building=None, state=None, results_dir=lambda run_id: None, building_roots=(DATA,))
    assert roots.run_building({"scenario": {"building": "two_storey.yaml"}}).id == "two-storey"


def test_alias_bomb_is_refused_while_health_answers(client, api_env):
    """Issue 10 item 2: a 400-byte alias bomb sent to ``/scenarios/validate`` and ``/runs`` is refused
    at the alias bound, and ``/health`` is answered while they are checked (before the fix both
    requests ran for minutes holding the event loop, and ``/health`` waited behind them)."""
    bomb = alias_bomb()
    assert len(bomb.encode()) < 500
    h = api_env.auth("planner")
    answers: dict[str, object] = {}

    def post(route: str) -> None:
        answers[route] = client.post(route, json={"yaml": bomb}, headers=h)

    def health() -> None:
        answers["/health"] = client.get("/health")

    bombs = [threading.Thread(target=post, args=(route,), daemon=True) for route in ("/scenarios/validate", "/runs")]
    for t in bombs:
        t.start()
    probe = threading.Thread(target=health, daemon=True)
    probe.start()
    probe.join(timeout=20)  # a behaviour deadline with a wide margin: /health answers in milliseconds
    assert not probe.is_alive(), "/health was not answered while the bombs were checked"
    assert answers["/health"].status_code == 200
    for t in bombs:
        t.join(timeout=120)
        assert not t.is_alive()
    [item] = _refusals(answers["/runs"])
    assert "alias" in item["msg"] and str(MAX_ALIAS_NODES) in item["msg"] and item["file"] == "posted.yaml"
    check = answers["/scenarios/validate"].json()
    assert check["valid"] is False
    [issue] = check["issues"]
    assert "alias" in issue["message"] and str(MAX_ALIAS_NODES) in issue["message"]


def test_a_check_over_the_budget_is_a_422(linked):
    """Issue 10 item 2: parsing and checking a posted scenario has a time budget
    (``check_budget_s``); a check that overruns it is a 422 saying so, not a held request."""
    client, env, app = linked
    settings = app.state.ctx.settings
    saved = settings.check_budget_s
    settings.check_budget_s = 1e-6
    try:
        r = client.post("/scenarios/validate", json={"document": {
            "name": "p", "model": "repair_desk", "building": "tower", "params": {"technicians": 2}}},
            headers=env.auth("planner"))
    finally:
        settings.check_budget_s = saved
    [item] = _refusals(r)
    assert item["type"] == "check_timeout" and "budget" in item["msg"]


def test_console_loads_a_runs_building_once_per_file_version(tmp_path, monkeypatch):
    """A playback asks for its run's building with every chunk, picture and scene: the console loads the
    file once per version (scenarios.spec.building_and_graph), not once a request — and again when the
    file changes."""
    import scenarios.spec as spec_module

    loads: list[str] = []
    real = spec_module.load_building
    monkeypatch.setattr(spec_module, "load_building", lambda path: loads.append(str(path)) or real(path))
    spec_module._cached_building.cache_clear()
    shutil.copy(DATA / "two_storey.yaml", tmp_path / "mine.yaml")
    backend = ConsoleBackend(building=None, state=None, results_dir=lambda run_id: None, building_roots=(tmp_path,))
    summary = {"scenario": {"building": "mine.yaml"}}
    first, second = backend.run_building(summary), backend.run_building(summary)
    assert first is second and first.id == "two-storey" and len(loads) == 1
    text = (tmp_path / "mine.yaml").read_text(encoding="utf-8")
    (tmp_path / "mine.yaml").write_text(text + "\n# changed\n", encoding="utf-8")
    assert backend.run_building(summary).id == "two-storey" and len(loads) == 2
