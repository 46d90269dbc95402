"""Issue 16 item 1: sweeps that stream to disk point by point and resume after an interruption.

A sweep with a results folder writes each finished point (its records and what the summary needs)
and drops it from memory; an interrupted run continues with ``resume`` without re-running what
finished, and its results folder equals an uninterrupted run's byte for byte. A resume of a changed
scenario is refused with a message naming what changed.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from scenarios.backends import RunCancelled
from scenarios.runner import RunnerError, run_scenario
from scenarios.spec import parse_scenario

REPS = 3
POINTS = 5


def _doc(seed: int = 7) -> dict:
    return {"name": "desk-sweep", "model": "repair_desk", "building": "tower", "seed": seed, "replications": REPS,
            "horizon_s": 86_400, "params": {"emergency_per_h": 1.0, "ordinary_per_h": 5.0, "warmup_s": 3600},
            "sweep": {"params.technicians": [2, 3, 4, 5, 6]}}


def _loaded(seed: int = 7):
    return parse_scenario(_doc(seed), "desk-sweep.yaml")


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("whole")
    run_scenario(_loaded(), out=out)
    return out


def test_an_interrupted_sweep_resumes_and_equals_an_uninterrupted_one(uninterrupted, tmp_path):
    """Issue 16 item 1: stopped after two points, resumed: only the rest runs; byte-for-byte equal."""
    out = tmp_path / "run"
    cancel = threading.Event()

    def stop_after_two_points(done: int, total: int) -> None:
        if done >= 2 * REPS + 1:
            cancel.set()

    with pytest.raises(RunCancelled):
        run_scenario(_loaded(), out=out, cancel=cancel, on_progress=stop_after_two_points)
    written = sorted(p.name for p in (out / "partial").glob("point-*") if (p / "digest.json").is_file())
    assert written[:2] == ["point-000000", "point-000001"] and len(written) < POINTS
    ran: list[int] = []
    run_scenario(_loaded(), out=out, resume=True, on_progress=lambda done, total: ran.append(done))
    # Progress counts over the whole run: it starts after the points resumed from, which do not run again.
    assert ran == list(range(len(written) * REPS + 1, POINTS * REPS + 1))
    assert not (out / "partial").exists()
    assert _files(out) == _files(uninterrupted)


def test_points_are_written_while_the_sweep_runs(tmp_path):
    """Issue 16 item 1: each point is on disk as soon as it finishes (memory stays flat with the points)."""
    out = tmp_path / "run"
    seen: list[tuple[int, int]] = []

    def look(done: int, total: int) -> None:
        seen.append((done, sum(1 for p in (out / "partial").glob("point-*") if (p / "digest.json").is_file())))

    run_scenario(_loaded(), out=out, on_progress=look)
    # After each replication, every point whose replications are all done is on disk already.
    assert [on_disk for _, on_disk in seen] == [done // REPS for done, _ in seen]


def test_the_streamed_summary_and_records_are_the_in_memory_ones(uninterrupted):
    """Issue 16 item 1: streaming changes where the results go, not what they are."""
    import json

    in_memory = run_scenario(_loaded())
    assert json.loads((uninterrupted / "summary.json").read_text()) == json.loads(json.dumps(in_memory.summary))
    for table in in_memory.records:
        streamed = pd.read_parquet(uninterrupted / "records" / f"{table}.parquet")
        pd.testing.assert_frame_equal(streamed, in_memory.records[table], check_dtype=False)


def test_a_resume_of_a_changed_scenario_is_refused(tmp_path):
    """Issue 16 Tests: a resume of a changed scenario is refused with a clear message."""
    out = tmp_path / "run"
    cancel = threading.Event()
    with pytest.raises(RunCancelled):
        run_scenario(_loaded(), out=out, cancel=cancel, on_progress=lambda d, t: cancel.set())
    with pytest.raises(RunnerError, match=r"scenario changed since this run started \(seed 7 → 8\)"):
        run_scenario(_loaded(seed=8), out=out, resume=True)
    with pytest.raises(RunnerError, match="replications 3 → 4"):
        run_scenario(_loaded(), out=out, resume=True, replications=4)


def test_nothing_to_resume_is_said_so(tmp_path):
    with pytest.raises(RunnerError, match="nothing to resume"):
        run_scenario(_loaded(), out=tmp_path / "empty", resume=True)


def test_twin_run_resume_from_the_command_line(tmp_path, uninterrupted):
    """Issue 16 item 1: `twin run … --resume DIR` continues the run in DIR."""
    from api.cli import cli
    import yaml

    scenario = tmp_path / "desk-sweep.yaml"
    scenario.write_text(yaml.safe_dump(_doc()), encoding="utf-8")
    out = tmp_path / "run"
    cancel = threading.Event()
    with pytest.raises(RunCancelled):
        run_scenario(_loaded(), out=out, cancel=cancel, on_progress=lambda d, t: d >= REPS and cancel.set())
    result = CliRunner().invoke(cli, ["run", str(scenario), "--resume", str(out), "--no-report", "--no-store"])
    assert result.exit_code == 0, result.output
    assert (out / "summary.json").read_bytes() != b""
    assert _files(out)["records/kpis.parquet"] == _files(uninterrupted)["records/kpis.parquet"]
    changed = CliRunner().invoke(cli, ["run", str(scenario), "--resume", str(out), "--seed", "9", "--no-report",
                                       "--no-store"])
    assert changed.exit_code == 2 and "nothing to resume" in changed.output
