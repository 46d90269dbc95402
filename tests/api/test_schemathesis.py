"""Property-based tests of the whole API from its own OpenAPI document (schemathesis, issue 10 item 12).

schemathesis's own engine runs in-process, as ``schemathesis run --checks all`` would, over every
operation and all its phases: the document's examples; coverage (each boundary of each
constraint, each required field missing or null, methods the path does not declare); generated
requests, valid (positive) and invalid (negative); and the stateful phase. Every request is
authenticated as an admin, and every check runs on every answer: no 5xx; a documented status
code, content type, headers and body; invalid input refused with a 4xx, valid input accepted; a
405 with a complete ``Allow`` for an undeclared method; 401 without the token the document
requires. The app runs with its live twin connected to a real Mosquitto, so the twin routes
answer too.

Bounded for a shared two-core machine: 8 generated examples per operation and mode, one worker,
no shrinking, no example database, derandomized — about a minute and a half.
"""

from __future__ import annotations

import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.engine import Status, events, from_schema

EXAMPLES = 8



def _error_type(response) -> str | None:
    try:
        return response.json()["detail"][0]["type"]
    except (ValueError, KeyError, IndexError, TypeError):
        return None


# Where a check does not apply, and why: (operation, check) -> whether a failing answer is one of
# the cases it cannot judge.
INAPPLICABLE = {
    # Whether a posted scenario runs depends on its model's parameters, on a building the server
    # has and on the server's run limits, which JSON Schema cannot say: a schema-valid request for
    # a scenario that cannot run is refused with 404 / 422 naming the field (the status, type and
    # body of that answer are still checked against the document).
    ("POST /runs", "positive_data_acceptance"): lambda response: True,
    ("POST /optimise", "positive_data_acceptance"): lambda response: True,  # the same, plus the search's names
    # A saved variant is checked as a run of it would be (its based_on scenario, the changes against
    # the model's parameters and the building): a schema-valid save that cannot run is a 422 naming the field.
    # A seed just under 2**63 is beyond a JSON number's exact range: the bound the document states
    # (exclusiveMaximum 2**63) reads the same as the integer above it, so only the integer check can refuse it.
    ("POST /scenarios/variants", "positive_data_acceptance"): lambda response: _error_type(response) in (
        "spec_error", "invalid", "too_large") or (_error_type(response) == "less_than" and
                                                  response.json()["detail"][0]["loc"] == ["body", "seed"]),
    # start_ms must be before end_ms: a relation between two query parameters, which OpenAPI's
    # parameter schemas cannot state (the description does); only that refusal is excused.
    ("GET /twin/equipment/{equipment}/history", "positive_data_acceptance"):
        lambda response: _error_type(response) == "range",
    # The same relation, a window of at most 366 days, and filter values the building must have (a
    # system, floor or device it does not have is a 422 naming the field); the dashboard's buckets.
    ("GET /twin/alarms/history", "positive_data_acceptance"):
        lambda response: _error_type(response) in ("range", "unknown_value"),
    ("GET /twin/dashboard", "positive_data_acceptance"):
        lambda response: _error_type(response) in ("range", "too_many"),
}


def _operation(recorder, case_id: str) -> str:
    """The operation a case called (the stateful phase's recorder covers several, under one label)."""
    case = recorder.cases[case_id].value
    operation = getattr(case, "operation", None)
    return getattr(operation, "label", None) or recorder.label


def _inapplicable(recorder, case_id: str, check: str) -> bool:
    excuse = INAPPLICABLE.get((_operation(recorder, case_id), check))
    interaction = recorder.interactions.get(case_id)
    return excuse is not None and interaction is not None and excuse(interaction.response)


def _describe(recorder, case_id: str, node) -> str:
    case = recorder.cases[case_id].value
    interaction = recorder.interactions.get(case_id)
    status = interaction.response.status_code if interaction is not None and interaction.response else "?"
    body = repr(case.body)[:300] if case.body is not None else ""
    return (f"{recorder.label} [{node.name}] -> {status}: {str(node.failure_info.failure)[:600]}\n"
            f"    path={case.path_parameters} query={case.query} body={body}")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_api_conforms_to_its_openapi(live_env):
    _client, env, _broker, app = live_env
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # A command may wait up to wait_s = 30 s for its device's acknowledgement (none comes here):
    # the client waits longer than that, not schemathesis's default 10 s.
    schema.config.update(headers=env.auth("admin"), workers=1, request_timeout=45)
    # --checks all. (max_response_time stays off: it needs a limit, and these tests assert no wall-clock times.)
    schema.config.checks.update(included_check_names=["all"], excluded_check_names=["max_response_time"])
    # A body over the server's size limit is refused with 413 — documented on every operation —
    # before it is parsed; that is a rejection of invalid data as much as a 422 is.
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "413"]
    schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                    max_examples=EXAMPLES, no_shrink=True, deterministic=True, database="none")
    failures: list[str] = []
    errors: list[str] = []
    operations: set[str] = set()
    phases: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phases.add(event.phase.name)
            operations.add(event.recorder.label)
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    if node.status == Status.FAILURE and not _inapplicable(event.recorder, case_id, node.name):
                        failures.append(f"{event.phase.name}: {_describe(event.recorder, case_id, node)}")
        elif isinstance(event, (events.NonFatalError, events.FatalError)):
            errors.append(str(getattr(event, "value", event))[:1000])
    assert not errors, "\n".join(errors)
    assert {"EXAMPLES", "COVERAGE", "FUZZING"} <= phases, phases
    assert len(operations) >= 30, sorted(operations)
    assert not failures, f"{len(failures)} failure(s):\n" + "\n\n".join(dict.fromkeys(failures))
