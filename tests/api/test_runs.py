"""Runs over HTTP: the same results as ``twin run``, progress, cancel, results, compare, limits, restarts.

The scenario is the repair desk on the two-storey test building (``tests/data/repair_small.yaml``,
a sweep of 3 vs 4 technicians) with few replications, loaded into the server's data folder.
"""

from __future__ import annotations

import io
import json
import time

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import DATA, make_data_dir, settings_for, wait_run
from tests.conftest import run_twin

SEED, REPS = 11, 2


@pytest.fixture(scope="module")
def finished_run(client, api_env) -> dict:
    r = client.post("/runs", json={"scenario": "repair_small", "replications": REPS, "seed": SEED},
                    headers=api_env.auth("planner"))
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] in ("queued", "running") and run["progress"]["total"] == REPS * 2
    done = wait_run(client, run["id"], api_env.auth("viewer"))
    assert done["status"] == "done", done
    return done


def test_http_run_gives_the_same_summary_as_twin_run(client, api_env, finished_run, tmp_path):
    out = tmp_path / "cli"
    result = run_twin("run", str(DATA / "repair_small.yaml"), "--seed", str(SEED), "-n", str(REPS), "--out", str(out),
                      "--no-report")
    assert result.returncode == 0, result.stderr
    http_summary = (api_env.data_dir / "runs" / finished_run["id"] / "summary.json").read_bytes()
    assert http_summary == (out / "summary.json").read_bytes()
    # and the API serves that file's content
    served = client.get(f"/runs/{finished_run['id']}/summary", headers=api_env.auth("viewer")).json()
    assert served == json.loads(http_summary)


def test_run_record_and_progress(client, api_env, finished_run):
    run = client.get(f"/runs/{finished_run['id']}", headers=api_env.auth("viewer")).json()
    assert run["progress"] == {"done": REPS * 2, "total": REPS * 2, "fraction": 1.0}
    assert run["building"] == "two-storey" and run["model"] == "repair_desk" and run["points"] == 2
    assert run["started_at"] and run["finished_at"] and run["duration_s"] >= 0
    listed = client.get("/runs", params={"status": "done"}, headers=api_env.auth("viewer")).json()["runs"]
    assert finished_run["id"] in [r["id"] for r in listed]


def test_kpi_table_of_a_sweep(client, api_env, finished_run):
    table = client.get(f"/runs/{finished_run['id']}/kpis", headers=api_env.auth("viewer")).json()
    points = {row["point"] for row in table["rows"]}
    assert points == {0, 1}
    assert {row["set"]["params.technicians"] for row in table["rows"]} == {3, 4}
    assert all(row["n"] == REPS for row in table["rows"])


def test_records_as_json_and_parquet(client, api_env, finished_run):
    h = api_env.auth("viewer")
    rid = finished_run["id"]
    tables = client.get(f"/runs/{rid}/records", headers=h).json()["tables"]
    names = {t["name"] for t in tables}
    assert "work_orders" in names
    wo = next(t for t in tables if t["name"] == "work_orders")
    page = client.get(f"/runs/{rid}/records/work_orders", params={"limit": 5, "point": 1, "replication": 0},
                      headers=h).json()
    assert len(page["rows"]) == 5 and all(r["point"] == 1 and r["replication"] == 0 for r in page["rows"])
    assert page["total"] < wo["rows"]
    parquet = client.get(f"/runs/{rid}/records/work_orders", params={"format": "parquet"}, headers=h)
    assert parquet.status_code == 200
    assert parquet.headers["content-type"].startswith("application/vnd.apache.parquet")
    assert pq.read_table(io.BytesIO(parquet.content)).num_rows == wo["rows"]
    missing = client.get(f"/runs/{rid}/records/nope", headers=h)
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "table"]


def test_records_as_csv(client, api_env, finished_run):
    """Issue 12 item 6 (the budget as CSV): any record table as CSV with a header row, optionally of one
    sweep point and replication — the rows are the JSON pages' rows."""
    import csv

    h = api_env.auth("viewer")
    rid = finished_run["id"]
    r = client.get(f"/runs/{rid}/records/work_orders", params={"format": "csv", "point": 1, "replication": 0},
                   headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    page = client.get(f"/runs/{rid}/records/work_orders", params={"point": 1, "replication": 0, "limit": 10_000},
                      headers=h).json()
    assert len(rows) == page["total"] > 0
    assert [int(x["order"]) for x in rows] == [x["order"] for x in page["rows"]]
    assert all(x["point"] == "1" and x["replication"] == "0" for x in rows)


def test_report(client, api_env, finished_run):
    r = client.get(f"/runs/{finished_run['id']}/report", headers=api_env.auth("viewer"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<html" in r.text.lower()


def test_report_in_the_language_asked_for(client, api_env, finished_run):
    """issue 11 item 4: the report route gives the report in zh-CN when asked (the console passes its
    language); an unsupported language or an unknown parameter is a 422, not an English report."""
    rid, h = finished_run["id"], api_env.auth("viewer")
    r = client.get(f"/runs/{rid}/report", params={"lang": "zh-CN"}, headers=h)
    assert r.status_code == 200 and '<html lang="zh-CN">' in r.text and "关键绩效指标" in r.text
    assert client.get(f"/runs/{rid}/report", params={"lang": "fr"}, headers=h).status_code == 422
    assert client.get(f"/runs/{rid}/report", params={"langue": "zh-CN"}, headers=h).status_code == 422


def test_compare_points_and_runs(client, api_env, finished_run):
    rid = finished_run["id"]
    h = api_env.auth("viewer")
    r = client.get("/runs/compare", params=[("runs", f"{rid}:0"), ("runs", f"{rid}:1")], headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["baseline"] == f"{rid}:0" and len(body["runs"]) == 2
    wait = next(k for k in body["kpis"] if k["kpi"] == "ordinary_wait_min")
    base, other = wait["values"]
    assert base["verdict"] == "baseline" and base["delta"] == 0
    assert other["delta"] == pytest.approx(other["mean"] - base["mean"])
    overlap = not (other["ci95_high"] < base["ci95_low"] or other["ci95_low"] > base["ci95_high"])
    assert other["ci_overlap"] == overlap
    if not overlap:
        assert other["verdict"] == ("better" if other["delta"] < 0 else "worse")
    # bad references name the parameter
    r = client.get("/runs/compare", params=[("runs", rid)], headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["query", "runs"]
    r = client.get("/runs/compare", params=[("runs", rid), ("runs", "nope")], headers=h)
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["query", "runs", 1]
    r = client.get("/runs/compare", params=[("runs", rid), ("runs", f"{rid}:7")], headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "runs", 1]


def test_posted_scenario_with_overrides_and_sweep(client, api_env):
    doc = {"name": "desk-posted", "model": "repair_desk", "building": "two_storey", "seed": 3, "replications": 2,
           "horizon_s": 36000, "params": {"emergency_per_h": 1.0, "ordinary_per_h": 4.0, "repair_mean_min": 30}}
    r = client.post("/runs", json={"document": doc, "set": {"params.technicians": 2},
                                   "sweep": {"params.ordinary_per_h": [2.0, 4.0]}},
                    headers=api_env.auth("supervisor"))
    assert r.status_code == 202, r.text
    run = wait_run(client, r.json()["id"], api_env.auth("viewer"))
    assert run["status"] == "done", run
    summary = client.get(f"/runs/{run['id']}/summary", headers=api_env.auth("viewer")).json()
    assert [p["set"] for p in summary["points"]] == [{"params.ordinary_per_h": 2.0}, {"params.ordinary_per_h": 4.0}]
    assert all(p["parameters"]["technicians"] == 2 for p in summary["points"])


def test_scenario_errors_are_422_with_field_paths(client, api_env):
    h = api_env.auth("planner")
    doc = {"name": "bad", "model": "repair_desk", "building": "two_storey", "params": {"technicians": 0}}
    r = client.post("/runs", json={"document": doc}, headers=h)
    assert r.status_code == 422
    item = r.json()["detail"][0]
    assert item["loc"] == ["body", "document", "params.technicians"] and item["path"] == "params.technicians"
    r = client.post("/runs", json={"document": {**doc, "params": {}, "building": "../../etc/passwd"}}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "building"
    r = client.post("/runs", json={"document": {**doc, "params": {}, "model": "nope"}}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "model"
    r = client.post("/runs", json={"yaml": "name: [unclosed"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "yaml"]
    r = client.post("/runs", json={"scenario": "repair_small", "set": {"params.repair_mean_min": -1}}, headers=h)
    assert r.status_code == 422 and "params.repair_mean_min" in r.json()["detail"][0]["path"]
    r = client.post("/runs", json={"scenario": "repair_small", "sweep": {f"params.x{i}": [1, 2, 3, 4] for i in range(12)}},
                    headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["path"] == "sweep"


def test_cancel(client, api_env):
    h = api_env.auth("planner")
    r = client.post("/runs", json={"scenario": "repair_small", "replications": 2000}, headers=h)
    assert r.status_code == 202
    rid = r.json()["id"]
    cancelled = client.post(f"/runs/{rid}/cancel", headers=h)
    assert cancelled.status_code == 200
    run = wait_run(client, rid, h, timeout_s=60)
    assert run["status"] == "cancelled"
    assert client.get(f"/runs/{rid}/summary", headers=h).status_code == 409
    assert client.post("/runs/nope/cancel", headers=h).status_code == 404


def test_limits(tmp_path):
    env = make_data_dir(tmp_path)
    app = create_app(settings_for(env, max_concurrent_runs=1, max_run_size=100))
    with TestClient(app) as c:
        h = env.auth("planner")
        r = c.post("/runs", json={"scenario": "repair_small", "replications": 51}, headers=h)
        assert r.status_code == 422
        item = r.json()["detail"][0]
        assert item["loc"] == ["body", "replications"] and "102" in item["msg"] and "100" in item["msg"]
        first = c.post("/runs", json={"scenario": "repair_small", "replications": 50}, headers=h)
        assert first.status_code == 202
        second = c.post("/runs", json={"scenario": "repair_small", "replications": 1}, headers=h)
        assert second.status_code == 429 and second.headers.get("retry-after")
        assert "already queued or running" in second.json()["detail"][0]["msg"]
        c.post(f"/runs/{first.json()['id']}/cancel", headers=h)
        assert wait_run(c, first.json()["id"], h, timeout_s=60)["status"] == "cancelled"


def test_submitting_returns_at_once(client, api_env):
    """The request only checks and queues; the size of the run does not matter (figures in bench/)."""
    h = api_env.auth("planner")
    started = time.perf_counter()
    r = client.post("/runs", json={"scenario": "repair_small", "replications": 2000}, headers=h)
    elapsed = time.perf_counter() - started
    assert r.status_code == 202
    client.post(f"/runs/{r.json()['id']}/cancel", headers=h)
    assert elapsed < 5  # generous: a loaded CI machine; the benchmark reports the real figure
    wait_run(client, r.json()["id"], h, timeout_s=60)


def test_runs_survive_a_restart(tmp_path):
    env = make_data_dir(tmp_path)
    h = env.auth("planner")
    with TestClient(create_app(settings_for(env))) as c:
        done = c.post("/runs", json={"scenario": "repair_small", "replications": 1, "seed": 1}, headers=h).json()
        assert wait_run(c, done["id"], h)["status"] == "done"
        pending = c.post("/runs", json={"scenario": "repair_small", "replications": 2, "seed": 2}, headers=h).json()
    # the server stopped with the second run unfinished; a new one picks both up
    with TestClient(create_app(settings_for(env))) as c:
        old = c.get(f"/runs/{done['id']}", headers=h).json()
        assert old["status"] == "done"
        assert c.get(f"/runs/{done['id']}/summary", headers=h).status_code == 200
        again = wait_run(c, pending["id"], h)
        assert again["status"] == "done", again
        summary = c.get(f"/runs/{pending['id']}/summary", headers=h).json()
        assert summary["seed"] == 2 and summary["replications"] == 2


# --- issue 11 section 5: what a run changed, and one run store for the console and the command line ---

def _library_doc(name: str) -> dict:
    import yaml

    from scenarios.spec import LIBRARY_DIR

    return yaml.safe_load((LIBRARY_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def test_an_edited_form_records_what_it_changed_from_the_library(client, api_env):
    """issue 11 item 5.1: the console's form posts the whole edited document; the run records only what
    differs from the library scenario of that name (technicians 4 → 3, a shorter horizon, fewer
    replications), in GET /runs, in summary.json and in the compare view's label."""
    doc = _library_doc("repair-desk-weekday")
    doc["params"] = {**doc["params"], "technicians": 3, "ordinary_sla_min": 120.0}  # 120 min is the default: no change
    doc.update(horizon_s=7200, replications=2)
    r = client.post("/runs", json={"document": doc}, headers=api_env.auth("planner"))
    assert r.status_code == 202, r.text
    changes = r.json()["changes"]
    assert [(c["path"], c["from"], c["to"]) for c in changes] == [
        ("horizon_s", 604800, 7200), ("params.technicians", 4, 3), ("replications", 10, 2)]
    technicians = changes[1]
    assert technicians["label"]["en"] and technicians["label"]["zh-CN"]  # the parameter's own label
    assert "4 → 3" in r.json()["changes_text"]["en"] and "4 → 3" in r.json()["changes_text"]["zh-CN"]
    run = wait_run(client, r.json()["id"], api_env.auth("viewer"))
    assert run["status"] == "done", run
    listed = client.get("/runs", headers=api_env.auth("viewer")).json()["runs"]
    assert next(x for x in listed if x["id"] == run["id"])["changes"] == changes
    summary = client.get(f"/runs/{run['id']}/summary", headers=api_env.auth("viewer")).json()
    assert summary["changes"] == changes
    compared = client.get("/runs/compare", params=[("runs", run["id"]), ("runs", run["id"])],
                          headers=api_env.auth("viewer")).json()
    assert compared["runs"][0]["changes_text"] == r.json()["changes_text"]


@pytest.mark.parametrize("request_body, expected", [
    ({"set": {"params.technicians": 3}}, [("params.technicians", 4, 3, False)]),
    ({"sweep": {"params.technicians": [3, 5]}}, [("params.technicians", 4, [3, 5], True)]),
    ({"replications": 3, "seed": 5}, [("replications", 10, 3, False), ("seed", 20261124, 5, False)]),
    ({}, []),
])
def test_set_sweep_and_overrides_of_a_library_run_are_its_changes(client, api_env, request_body, expected):
    """issue 11 item 5.1: a library scenario run with `set`, a `sweep`, or other replications and seed
    records each as a change (a sweep's `to` is its values); run as written, it records none."""
    h = api_env.auth("planner")
    r = client.post("/runs", json={"scenario": "repair-desk-weekday", **request_body}, headers=h)
    assert r.status_code == 202, r.text
    client.post(f"/runs/{r.json()['id']}/cancel", headers=h)  # the changes are known when it is accepted
    changes = r.json()["changes"]
    assert [(c["path"], c["from"], c["to"], c["sweep"]) for c in changes] == expected
    assert (r.json()["changes_text"] is None) == (not expected)
    wait_run(client, r.json()["id"], h, timeout_s=60)


def test_command_line_runs_are_in_the_consoles_run_list(tmp_path):
    """issue 11 item 5.2: `twin run` keeps its results in the data directory's run store too, so the
    console (GET /runs, the summary, the report) shows a run made at a terminal, with what it changed;
    `twin runs import` adds a results folder made with --no-store."""
    env = make_data_dir(tmp_path / "data")
    out = tmp_path / "results"
    res = run_twin("run", "repair-desk-weekday", "-n", "2", "--set", "horizon_s=7200", "--set",
                   "params.technicians=3", "--out", str(out), "--data-dir", str(env.data_dir))
    assert res.returncode == 0, res.stderr
    assert "changed: " in res.stdout and "4 → 3" in res.stdout
    assert "stored:" in res.stdout
    assert "4 → 3" in (out / "report.html").read_text(encoding="utf-8")  # the report's title block says it too
    loose = tmp_path / "loose"
    res = run_twin("run", str(DATA / "repair_small.yaml"), "-n", "1", "--set", "sweep=null", "--out", str(loose),
                   "--no-report", "--no-store", "--data-dir", str(env.data_dir))
    assert res.returncode == 0, res.stderr and "stored:" not in res.stdout
    imported = run_twin("runs", "import", str(loose), "--data-dir", str(env.data_dir))
    assert imported.returncode == 0, imported.stderr
    h = env.auth("viewer")
    with TestClient(create_app(settings_for(env))) as c:
        runs = c.get("/runs", headers=h).json()["runs"]
        assert [r["scenario"] for r in runs] == ["repair-small", "repair-desk-weekday"]
        cli_run = runs[1]
        assert cli_run["status"] == "done" and cli_run["source"] == "cli" and cli_run["model"] == "repair_desk"
        assert [(x["path"], x["from"], x["to"]) for x in cli_run["changes"]] == [
            ("horizon_s", 604800, 7200), ("params.technicians", 4, 3), ("replications", 10, 2)]
        summary = c.get(f"/runs/{cli_run['id']}/summary", headers=h)
        assert summary.status_code == 200 and summary.json() == json.loads((out / "summary.json").read_text())
        assert c.get(f"/runs/{cli_run['id']}/report", headers=h).status_code == 200
        assert c.get(f"/runs/{runs[0]['id']}/kpis", headers=h).status_code == 200
    bad = run_twin("runs", "import", str(tmp_path), "--data-dir", str(env.data_dir))
    assert bad.returncode == 2 and "summary.json" in bad.stderr and "Traceback" not in bad.stderr


# --- issue 16 item 1: a cancelled sweep resumes from the points it finished ---

def test_a_cancelled_sweep_resumes_from_its_finished_points(client, api_env):
    """Issue 16 item 1 (the API's resume): cancel a sweep after some points, resume it: only the rest
    run, and its summary and record tables equal an uninterrupted run's byte for byte."""
    h = api_env.auth("planner")
    doc = {"name": "desk-resume", "model": "repair_desk", "building": "two_storey", "seed": 5, "replications": 10,
           "horizon_s": 14 * 86400, "params": {"emergency_per_h": 1.0, "ordinary_per_h": 5.0, "repair_mean_min": 30},
           "sweep": {"params.technicians": [3, 4, 5, 6, 7, 8]}}
    first = client.post("/runs", json={"document": doc}, headers=h).json()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = client.get(f"/runs/{first['id']}", headers=h).json()
        if run["progress"]["done"] >= 21 or run["status"] == "done":
            break
        time.sleep(0.05)
    client.post(f"/runs/{first['id']}/cancel", headers=h)
    stopped = wait_run(client, first["id"], h, timeout_s=60)
    if stopped["status"] == "done":
        pytest.skip("the sweep finished before it could be cancelled (a fast machine): nothing to resume")
    assert stopped["status"] == "cancelled"
    # A run that is not cancelled or failed, and an unknown one, cannot be resumed.
    assert client.post("/runs/nope/resume", headers=h).status_code == 404
    resumed = client.post(f"/runs/{first['id']}/resume", headers=h)
    assert resumed.status_code == 202, resumed.text
    done = wait_run(client, first["id"], h, timeout_s=120)
    assert done["status"] == "done", done
    assert done["progress"]["done"] == done["progress"]["total"] == 60
    folder = api_env.data_dir / "runs" / first["id"]
    assert not (folder / "partial").exists()
    assert client.post(f"/runs/{first['id']}/resume", headers=h).status_code == 409
    whole = client.post("/runs", json={"document": doc}, headers=h).json()
    assert wait_run(client, whole["id"], h, timeout_s=120)["status"] == "done"
    runs = api_env.data_dir / "runs"
    for name in ("summary.json", "records/kpis.parquet"):
        assert (runs / first["id"] / name).read_bytes() == (runs / whole["id"] / name).read_bytes(), name
