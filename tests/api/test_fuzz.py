"""Schemathesis over the OpenAPI spec: generated valid and invalid requests to every operation
never make the API answer 5xx."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from temporalio.client import Client

from api.main import create_app
from core.config import get_settings
from tests.helpers import make_tenant

# Examples per operation and variant: ~35 operations x 2-3 variants x 8 stays well under a
# minute; IGNY8_FUZZ_EXAMPLES=100 for a deeper search.
EXAMPLES = int(os.environ.get("IGNY8_FUZZ_EXAMPLES", "8"))


def _fuzz(app: object, headers: dict[str, str], site_id: int) -> tuple[list[str], Counter[int]]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/events"):
            continue  # a stream; covered by the run tests (404/401 here would be the same)
        variants = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        if "{site_id}" in operation.path and operation.method.upper() != "DELETE":
            # The caller's real site, so bodies reach the code behind the ownership check.
            variants.append((GenerationMode.POSITIVE, {"site_id": site_id}))
        for mode, path_parameters in variants:

            @given(
                case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)
            )
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case) -> None:
                response = case.call(headers={**(case.headers or {}), **headers})
                statuses[response.status_code // 100 * 100] += 1
                if response.status_code >= 500:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.query} "
                        f"{str(case.body)[:200]} -> {response.status_code} {response.text[:300]}"
                    )

            # Unsatisfiable: nothing to make invalid (an operation without parameters or body).
            with contextlib.suppress(Unsatisfiable):
                check()
    return failures, statuses


async def test_generated_requests_never_get_a_server_error(client: Client, task_queue: str) -> None:
    tenant = make_tenant("Fuzz")
    address = client.service_client.config.target_host
    app = create_app(
        get_settings().model_copy(update={"task_queue": task_queue, "temporal_address": address})
    )
    failures, statuses = await asyncio.to_thread(_fuzz, app, tenant.headers, tenant.site_id)
    assert not failures, "\n".join(failures[:20])
    assert statuses[200] > 20 and statuses[400] > 100, statuses  # both paths were exercised
