"""The Dask distributed back end of the runner: same results as inline, byte for byte; clear errors.

A real scheduler and two worker processes listen on a free loopback port for the whole module.
"""

from __future__ import annotations

import json

import socket
import threading
import time

import pandas as pd
import pytest

from scenarios import backends
from scenarios.runner import RunCancelled, RunnerError, run_scenario
from scenarios.spec import load_scenario
from tests.conftest import run_twin

distributed = pytest.importorskip("distributed")

SMALL_RUNS = [
    ("repair-desk-weekday", 3, ["horizon_s=86400"]),
    ("podium-day-stair-blocked", 2, []),  # a sweep of two points
]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0,
                                  host="127.0.0.1", dashboard_address=None) as local_cluster:
        yield local_cluster


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _assert_same_results(a, b) -> None:
    summary_a, summary_b = (a / "summary.json").read_bytes(), (b / "summary.json").read_bytes()
    if b'"changes"' in summary_b and b'"changes"' not in summary_a:
        # `twin run` adds what the run changed from its library scenario (its -n and --set) at the
        # end; the rest must be the same bytes.
        assert all({"path", "from", "to"} <= set(c) for c in json.loads(summary_b)["changes"])
        summary_b = (json.dumps({k: v for k, v in json.loads(summary_b).items() if k != "changes"},
                                indent=2, allow_nan=False) + "\n").encode()
    assert summary_a == summary_b
    tables = sorted(p.name for p in (a / "records").glob("*.parquet"))
    assert tables == sorted(p.name for p in (b / "records").glob("*.parquet")) and tables
    for name in tables:
        pd.testing.assert_frame_equal(pd.read_parquet(a / "records" / name), pd.read_parquet(b / "records" / name))


@pytest.mark.parametrize("name, replications, overrides", SMALL_RUNS)
def test_dask_results_identical_to_inline(cluster, tmp_path, name: str, replications: int,
                                          overrides: list[str]) -> None:
    loaded = load_scenario(name, overrides)
    seen: list[tuple[int, int]] = []
    run_scenario(loaded, replications=replications, out=tmp_path / "inline")
    run_scenario(loaded, replications=replications, out=tmp_path / "dask", scheduler=cluster.scheduler_address,
                 on_progress=lambda done, total: seen.append((done, total)))
    _assert_same_results(tmp_path / "inline", tmp_path / "dask")
    total = replications * len(loaded.points)
    assert seen == [(i, total) for i in range(1, total + 1)]


def test_dask_cancel_drops_pending_replications(cluster) -> None:
    loaded = load_scenario("repair-desk-weekday")
    cancel = threading.Event()
    task_name = backends.run_batch.__name__  # Dask names a mapped task after its function

    def tasks_on_scheduler(dask_scheduler) -> list[str]:
        return [str(key) for key in dask_scheduler.tasks if task_name in str(key)]

    during: list[str] = []

    def first_progress(done, total) -> None:
        if not cancel.is_set():  # the run's tasks, seen on the scheduler while it runs: the check below can fail
            with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
                during.extend(client.run_on_scheduler(tasks_on_scheduler))
        cancel.set()

    with pytest.raises(RunCancelled):
        run_scenario(loaded, replications=40, scheduler=cluster.scheduler_address, on_progress=first_progress,
                     cancel=cancel)
    assert during, f"no task named {task_name!r} on the scheduler while the run was under way"
    # The run's client is closed and its tasks are soon gone from the scheduler.
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        deadline = time.monotonic() + 10
        while (remaining := client.run_on_scheduler(tasks_on_scheduler)) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert remaining == []


def test_unreachable_scheduler_names_its_address(monkeypatch) -> None:
    monkeypatch.setattr(backends, "DASK_CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"
    with pytest.raises(RunnerError, match=f"cannot reach the Dask scheduler at {address}"):
        run_scenario(load_scenario("repair-desk-weekday"), replications=1, scheduler=address)


def test_malformed_scheduler_address() -> None:
    with pytest.raises(RunnerError, match="Dask scheduler 'tcp://127.0.0.1': .*expected tcp://HOST:PORT"):
        run_scenario(load_scenario("repair-desk-weekday"), replications=1, scheduler="tcp://127.0.0.1")


def test_cli_run_on_scheduler(cluster, tmp_path) -> None:
    overrides = ["horizon_s=86400"]
    run_scenario(load_scenario("repair-desk-weekday", overrides), replications=3, out=tmp_path / "inline")
    res = run_twin("run", "repair-desk-weekday", "-n", "3", "--set", overrides[0], "--no-report",
                   "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "cli"))
    assert res.returncode == 0, res.stderr
    assert "emergency_wait_min" in res.stdout
    _assert_same_results(tmp_path / "inline", tmp_path / "cli")


def test_cli_bad_scheduler_exits_2_without_traceback(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("TWIN_SCHEDULER", "tcp://127.0.0.1")  # the environment's default: no port
    res = run_twin("run", "repair-desk-weekday", "-n", "1", "--no-report", "--out", str(tmp_path / "out"))
    assert res.returncode == 2
    assert "twin run: Dask scheduler 'tcp://127.0.0.1'" in res.stderr
    assert "Traceback" not in res.stderr


def test_api_runs_on_the_scheduler_of_its_settings(cluster, tmp_path) -> None:
    """TWIN_SCHEDULER: the server's runs go to the Dask cluster, with the CLI's results."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from tests.api.conftest import make_data_dir, settings_for, wait_run

    env = make_data_dir(tmp_path / "data")
    app = create_app(settings_for(env, scheduler=cluster.scheduler_address))
    with TestClient(app) as client:
        r = client.post("/runs", json={"scenario": "repair-desk-weekday", "replications": 3,
                                       "set": {"horizon_s": 86400}}, headers=env.auth("planner"))
        assert r.status_code == 202, r.text
        run = wait_run(client, r.json()["id"], env.auth("viewer"))
        assert run["status"] == "done", run
        served = client.get(f"/runs/{run['id']}/summary", headers=env.auth("viewer")).json()
    inline = run_scenario(load_scenario("repair-desk-weekday", ["horizon_s=86400"]), replications=3)
    assert served["kpis"] == inline.summary["kpis"]
    # The setting really reaches the pool process: a malformed address fails the run, naming it.
    bad_env = make_data_dir(tmp_path / "bad")
    with TestClient(create_app(settings_for(bad_env, scheduler="tcp://127.0.0.1"))) as client:
        r = client.post("/runs", json={"scenario": "repair-desk-weekday", "replications": 1},
                        headers=bad_env.auth("planner"))
        assert r.status_code == 202, r.text
        run = wait_run(client, r.json()["id"], bad_env.auth("viewer"))
    assert run["status"] == "failed" and "tcp://127.0.0.1" in (run["error"] or ""), run


def test_short_replications_are_batched_on_dask() -> None:
    """Issue 16 item 2: replications of a few milliseconds go to Dask in batches (about DASK_BATCH_S of
    estimated work each, at least four per worker), each replication keeping its own seed."""
    loaded = load_scenario("repair-desk-weekday", ["horizon_s=86400"])
    shared = backends.SharedInputs(loaded.model.name, loaded.scenario.horizon_s, loaded.building, loaded.graph)
    seeds = __import__("numpy").random.SeedSequence(1).spawn(200)
    tasks = [backends.Replication(0, r, loaded.params, seeds[r]) for r in range(200)]
    batches = backends.dask_batches(tasks, shared, workers=2)
    assert 8 <= len(batches) < 200, "several replications a task, yet work for every worker to the end"
    assert [t.replication for b in batches for t in b] == list(range(200))
    few = backends.dask_batches(tasks[:6], shared, workers=2)
    assert [len(b) for b in few] == [1] * 6, "too few replications to batch: one a task"


def test_a_dask_worker_killed_mid_run_changes_nothing(tmp_path) -> None:
    """Issue 16 Tests: same-seed equality across back ends with a Dask worker killed mid-sweep — Dask
    runs the lost worker's tasks again elsewhere; the summary and records equal the inline run's."""
    import os
    import signal

    loaded = load_scenario("repair-desk-weekday", ["horizon_s=604800"])
    inline = run_scenario(loaded, replications=40, out=tmp_path / "inline")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, scheduler_port=0,
                                  host="127.0.0.1", dashboard_address=None) as own:
        with distributed.Client(own.scheduler_address, set_as_default=False) as client:
            pids = sorted(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_one(done: int, total: int) -> None:
            if done >= 4 and not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        dasked = run_scenario(loaded, replications=40, scheduler=own.scheduler_address, on_progress=kill_one,
                              out=tmp_path / "dask")
    assert killed, "the run ended before a worker could be killed"
    assert dasked.summary == inline.summary
    _assert_same_results(tmp_path / "inline", tmp_path / "dask")
