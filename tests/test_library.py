"""Every scenario in the library validates and runs (a short run: two replications), as Mesa
smoke-tests every example; and the main job's report is written."""

from __future__ import annotations

import pytest

from scenarios.runner import run_scenario
from scenarios.spec import library_scenarios, load_scenario

LIBRARY = library_scenarios()


def test_library_is_not_empty() -> None:
    assert len(LIBRARY) >= 1


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_library_scenario_runs(path, tmp_path) -> None:
    from viewer.report import write_report

    loaded = load_scenario(path)
    assert loaded.scenario.name == path.stem, "a library scenario's name is its file name"
    result = run_scenario(loaded, replications=2, out=tmp_path)
    for point in result.summary["points"]:
        for name, kpi in point["kpis"].items():
            assert kpi["n"] in (0, 2), name
        assert any(k["n"] == 2 for k in point["kpis"].values())
    report = write_report(tmp_path)
    assert report.stat().st_size > 1000
