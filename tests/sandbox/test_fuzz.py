"""A bounded fuzz run: generated requests from the sandbox's own route table (issue 10, step 7).

Every answer is a well-formed HTTP response, with HubSpot's JSON error body on 4xx; never a 5xx
(faults off), never a dropped connection, and the sandbox logs no traceback. The long run is
`python benchmarks/sandbox_fuzz.py --cases 20000`.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from connector.sandbox.server import SandboxHTTPServer
from tests.conftest import MakeSandbox
from tests.sandbox import nps_contact_properties, small_portal
from tests.sandbox.fuzzing import FuzzRequest, fuzz_requests, send

CASES = 400
TOKEN = "fuzz-token"


@pytest.fixture(scope="module")
def server(make_module_sandbox: MakeSandbox) -> SandboxHTTPServer:
    return make_module_sandbox({**small_portal(), **nps_contact_properties()}, token=TOKEN)


def test_generated_requests_always_get_a_proper_answer(
    server: SandboxHTTPServer, capfd: pytest.CaptureFixture[str]
) -> None:
    """A few hundred generated requests: no drop, no 5xx, JSON error bodies, no traceback (issue 10)."""
    seen: list[int] = []

    @settings(
        max_examples=CASES,
        deadline=None,
        database=None,
        derandomize=True,  # the same cases on every run: a failure here reproduces
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=fuzz_requests(TOKEN))
    def run(request: FuzzRequest) -> None:
        outcome = send(server.url, request)
        problem = outcome.problem()
        assert problem is None, f"{problem}: {request}"
        seen.append(outcome.status or 0)

    run()
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert server.sandbox.internal_errors == 0
    assert len(seen) >= CASES
    assert {200, 400, 401, 404} <= set(seen)  # the run reached handlers, validation, auth and routing
