"""Scenario files (the what-if library), their schema and the runner of replications and sweeps."""

from scenarios.spec import (LIBRARY_DIR, LoadedScenario, Scenario, apply_overrides, library_scenarios, load_scenario,
                            parse_scenario, resolve_scenario_path)

__all__ = ["LIBRARY_DIR", "LoadedScenario", "Scenario", "RunCancelled", "RunResult", "apply_overrides",
           "library_scenarios", "load_scenario", "parse_scenario", "resolve_scenario_path", "run_scenario",
           "write_results"]

_RUNNER = {"RunCancelled", "RunResult", "run_scenario", "write_results"}


def __getattr__(name: str):
    # The runner pulls in pandas and pyarrow; load it only when asked for (keeps `twin validate` quick).
    if name in _RUNNER:
        from scenarios import runner

        return getattr(runner, name)
    raise AttributeError(name)
