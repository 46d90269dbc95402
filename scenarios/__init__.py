"""Scenario files (the what-if library), their schema and the runner of replications and sweeps."""

from scenarios.runner import RunCancelled, RunResult, run_scenario, write_results
from scenarios.spec import (LIBRARY_DIR, LoadedScenario, Scenario, apply_overrides, library_scenarios, load_scenario,
                            parse_scenario, resolve_scenario_path)

__all__ = ["LIBRARY_DIR", "LoadedScenario", "Scenario", "RunCancelled", "RunResult", "apply_overrides",
           "library_scenarios", "load_scenario", "parse_scenario", "resolve_scenario_path", "run_scenario",
           "write_results"]
