"""mTLS to Temporal for real: HAProxy terminates TLS in front of the dev server and checks client
certificates against a CA the test makes; a good certificate runs a workflow, a wrong or missing
one fails with a message naming the setting to fix."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr
from temporalio import workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from core.config import Settings
from core.devserver import is_listening
from core.errors import TemporalConnectionError, TemporalTLSError
from core.temporal import connect, tls_config
from tests.helpers import wait_for
from tests.helpers.process_helpers import free_port
from tests.helpers.tls_certs import Authority, Pair, issue, make_authority

HAPROXY = shutil.which("haproxy")
pytestmark = pytest.mark.skipif(HAPROXY is None, reason="haproxy missing (.ci/run installs it)")


@workflow.defn
class TLSEchoWorkflow:
    @workflow.run
    async def run(self, text: str) -> str:
        return f"echo over mTLS: {text}"


@dataclass(frozen=True)
class TLSSetup:
    address: str
    ca: Authority
    stranger: Authority
    client: Pair
    stranger_client: Pair


@pytest.fixture(scope="module")
def tls_front(
    temporal_env: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TLSSetup]:
    """HAProxy on a free port: TLS with ALPN h2 (gRPC), client certificates required and checked
    against our CA, the decrypted stream passed to the dev server."""
    folder = tmp_path_factory.mktemp("tls")
    ca, stranger = make_authority(folder, "igny8-ca"), make_authority(folder, "stranger-ca")
    server = issue(folder, ca, "server", server=True)
    bundle = folder / "server-bundle.pem"
    bundle.write_bytes(server.cert.read_bytes() + server.key.read_bytes())
    port = free_port()
    backend = temporal_env.client.service_client.config.target_host
    config = folder / "haproxy.cfg"
    config.write_text(
        "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 1m\n  timeout server 1m\n"
        f"frontend temporal_tls\n  bind 127.0.0.1:{port} ssl crt {bundle} ca-file {ca.cert_path}"
        " verify required alpn h2\n  default_backend temporal\n"
        f"backend temporal\n  server dev {backend}\n"
    )
    proc = subprocess.Popen(
        [str(HAPROXY), "-db", "-f", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        address = f"127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while not is_listening(address) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, "haproxy did not start"
        yield TLSSetup(
            address,
            ca,
            stranger,
            issue(folder, ca, "igny8-worker", server=False),
            issue(folder, stranger, "intruder", server=False),
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _settings(setup: TLSSetup, **env: object) -> Settings:
    return Settings(TEMPORAL_ADDRESS=setup.address, TEMPORAL_CONNECT_TIMEOUT_SECONDS=5, **env)  # type: ignore[arg-type]


async def test_a_client_certificate_from_the_ca_runs_a_workflow(tls_front: TLSSetup) -> None:
    settings = _settings(
        tls_front,
        TEMPORAL_TLS_CERT=tls_front.client.cert,
        TEMPORAL_TLS_KEY=tls_front.client.key,
        TEMPORAL_TLS_CA=tls_front.ca.cert_path,
    )
    client = await connect(settings)
    queue = f"tls-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[TLSEchoWorkflow],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result = await client.execute_workflow(
            TLSEchoWorkflow.run,
            "hello",
            id=f"tls-echo-{uuid.uuid4().hex[:8]}",
            task_queue=queue,
            execution_timeout=timedelta(seconds=30),
        )
    assert result == "echo over mTLS: hello"
    assert await wait_for(lambda: _listed(client, queue), timeout=15)  # visibility, too


async def _listed(client, queue: str) -> bool:  # type: ignore[no-untyped-def]
    return [wf.id async for wf in client.list_workflows(f'TaskQueue = "{queue}"')] != []


async def test_a_certificate_from_another_ca_is_refused_clearly(tls_front: TLSSetup) -> None:
    settings = _settings(
        tls_front,
        TEMPORAL_TLS_CERT=tls_front.stranger_client.cert,
        TEMPORAL_TLS_KEY=tls_front.stranger_client.key,
        TEMPORAL_TLS_CA=tls_front.ca.cert_path,
    )
    with pytest.raises(TemporalTLSError) as caught:
        await connect(settings)
    assert "TLS handshake" in caught.value.message
    assert "client certificate" in caught.value.message
    assert "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY" in caught.value.message


async def test_no_client_certificate_is_refused_clearly(tls_front: TLSSetup) -> None:
    with pytest.raises(TemporalTLSError) as caught:
        await connect(_settings(tls_front, TEMPORAL_TLS_CA=tls_front.ca.cert_path))
    assert "TLS handshake" in caught.value.message and "client certificate" in caught.value.message
    assert "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY" in caught.value.message


async def test_a_server_we_do_not_trust_is_refused_clearly(tls_front: TLSSetup) -> None:
    settings = _settings(
        tls_front,
        TEMPORAL_TLS_CERT=tls_front.client.cert,
        TEMPORAL_TLS_KEY=tls_front.client.key,
        TEMPORAL_TLS_CA=tls_front.stranger.cert_path,
    )
    with pytest.raises(TemporalTLSError, match="TEMPORAL_TLS_CA"):
        await connect(settings)


async def test_plain_text_against_tls_says_to_set_tls(tls_front: TLSSetup) -> None:
    with pytest.raises(TemporalConnectionError, match="TEMPORAL_TLS_"):
        await connect(_settings(tls_front))


async def test_a_certificate_without_its_key_is_a_settings_error(tls_front: TLSSetup) -> None:
    with pytest.raises(TemporalTLSError, match="go together"):
        tls_config(_settings(tls_front, TEMPORAL_TLS_CERT=tls_front.client.cert))
    with pytest.raises(TemporalTLSError, match="TEMPORAL_TLS_CA: cannot read"):
        tls_config(_settings(tls_front, TEMPORAL_TLS_CA=Path("/nonexistent/ca.pem")))


async def test_an_api_key_turns_tls_on_and_never_shows_in_errors() -> None:
    secret = "igny8-test-api-key-" + uuid.uuid4().hex
    settings = Settings(
        TEMPORAL_ADDRESS=f"127.0.0.1:{free_port()}",  # nothing listens there
        TEMPORAL_API_KEY=SecretStr(secret),
        TEMPORAL_CONNECT_TIMEOUT_SECONDS=2,
    )
    assert tls_config(settings) is True
    assert secret not in repr(settings)
    with pytest.raises(TemporalConnectionError) as caught:
        await connect(settings)
    assert secret not in str(caught.value) and secret not in repr(caught.value.details)
