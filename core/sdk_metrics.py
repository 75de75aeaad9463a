"""The Temporal SDK's own metrics (task slots, polls, latencies, ...) from its Rust core.

The core serves them on its own port (IGNY8_SDK_METRICS_PORT, default 9465): the Runtime is made
once per process and handed to every client through core.temporal.connect(..., runtime=...).
"""

from __future__ import annotations

import threading

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from core.config import Settings

_lock = threading.Lock()
_runtime: Runtime | None = None


def sdk_runtime(settings: Settings) -> Runtime | None:
    """The process's Runtime exporting SDK metrics; None (the SDK default) when the port is 0."""
    global _runtime
    if not settings.sdk_metrics_port:
        return None
    with _lock:
        if _runtime is None:
            address = f"{settings.metrics_host}:{settings.sdk_metrics_port}"
            telemetry = TelemetryConfig(
                metrics=PrometheusConfig(bind_address=address, durations_as_seconds=True)
            )
            _runtime = Runtime(telemetry=telemetry)
        return _runtime
