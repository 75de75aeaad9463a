"""OpenTelemetry tracing of workflows and activities, on only when an OTLP endpoint is set.

With OTEL_EXPORTER_OTLP_ENDPOINT unset nothing of OpenTelemetry is imported. With it set (and
`igny8[otel]` installed) spans go over OTLP/HTTP to `<endpoint>/v1/traces`, and Temporal's
TracingInterceptor, given to the client, traces every workflow and activity the client starts
and every worker built on it runs, carrying the trace across processes in Temporal headers.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from core.config import Settings

log = logging.getLogger("igny8.tracing")
_lock = threading.Lock()
_provider: Any = None


def client_interceptors(settings: Settings) -> list[Any]:
    """The Temporal client interceptors for the settings: [] when tracing is off."""
    if not settings.otel_endpoint:
        return []
    try:
        from temporalio.contrib.opentelemetry import TracingInterceptor
    except ImportError:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set but igny8[otel] is not installed")
        return []
    return [TracingInterceptor(tracer_provider(settings).get_tracer("igny8"))]


def tracer_provider(settings: Settings, exporter: Any = None) -> Any:
    """The process's tracer provider (made once); `exporter` replaces OTLP (tests)."""
    global _provider
    with _lock:
        if _provider is None:
            from opentelemetry import trace
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            if exporter is None:
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

                endpoint = (settings.otel_endpoint or "").rstrip("/") + "/v1/traces"
                exporter = OTLPSpanExporter(endpoint=endpoint)
            resource = Resource.create({"service.name": settings.otel_service_name})
            _provider = TracerProvider(resource=resource)
            _provider.add_span_processor(BatchSpanProcessor(exporter))
            trace.set_tracer_provider(_provider)
            log.info("tracing to %s", settings.otel_endpoint)
        return _provider


def flush(timeout_seconds: float = 5.0) -> None:
    """Send the spans still buffered (at shutdown)."""
    if _provider is not None:
        _provider.force_flush(int(timeout_seconds * 1000))
