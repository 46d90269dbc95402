"""Property-based tests of the whole API from its own OpenAPI document (schemathesis).

For every operation schemathesis generates requests — valid ones (positive) and invalid ones
(negative) — and every answer must be: no 5xx, a documented status code, a documented content
type, and a body matching the documented schema. The app runs with its live twin connected to a
real Mosquitto, so the twin routes answer too. Bounded: 20 examples per operation and mode, no
shrinking, no example database; all failures are collected and reported together.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_schema_conformance,
                                 status_code_conformance)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 20


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_api_conforms_to_its_openapi(live_env):
    client, env, broker, app = live_env
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = env.auth("admin")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            def check(case):
                if operation.path == "/runs" and operation.method.upper() == "POST" and isinstance(case.body, dict):
                    case.body["replications"] = 1  # generated runs stay small on the shared pool
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                check()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE  # nothing to make invalid (no parameters, no body)
            except (Exception, BaseExceptionGroup) as exc:  # collect, report all at the end
                failures.append(f"{operation.method.upper()} {operation.path} [{mode.value}]: {exc}"[:3000])
    assert operations >= 25
    assert not failures, "\n\n".join(failures)
