"""What a worker or API process turns on at start: JSON logs, its metrics endpoints, and the
Temporal Runtime that exports the SDK's metrics (tracing rides on the client: core.tracing)."""

from __future__ import annotations

import logging

from temporalio.runtime import Runtime

from core import metrics
from core.config import Settings
from core.logging import configure_logging
from core.sdk_metrics import sdk_runtime

log = logging.getLogger("igny8.observability")
_served: set[int] = set()


def start_worker_observability(settings: Settings) -> Runtime | None:
    """Logging, igny8's metrics on IGNY8_METRICS_PORT; returns the Runtime for connect()."""
    configure_logging(settings)
    if settings.metrics_port and settings.metrics_port not in _served:
        metrics.serve(settings.metrics_port, settings.metrics_host)
        _served.add(settings.metrics_port)
        log.info("igny8 metrics on :%s/metrics", settings.metrics_port)
    metrics.process_up("worker")
    runtime = sdk_runtime(settings)
    if runtime is not None:
        log.info("Temporal SDK metrics on :%s/metrics", settings.sdk_metrics_port)
    return runtime
