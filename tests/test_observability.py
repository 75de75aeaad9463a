"""igny8's metrics, logs and tracing piece by piece: what a scraper, a log reader and a trace
viewer get (the whole picture during a real run is in test_multi_host)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from temporalio.client import Client

from api.main import create_app
from contracts.run import RunProgress
from core import metrics
from core.config import Settings, get_settings
from core.db import session_scope
from core.errors import AIProviderError
from core.logging import configure_logging, log_context
from core.temporal import connect
from services import credits
from services.ai.observed import observed
from services.ai.openai_provider import OpenAIProvider
from services.ai.schemas import ClusterBrief
from services.runs import start_run
from tests.helpers import seed_site
from tests.helpers.fake_openai import FakeOpenAI
from worker import build_worker

ROOT = Path(__file__).resolve().parents[1]
# A 429 ends the call before any answer names the model.
LIMITED = {"provider": "openai", "model": "", "function": "generate_ideas"}
OTEL_MODULES = ("opentelemetry.sdk", "temporalio.contrib.opentelemetry")


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def brief() -> ClusterBrief:
    return ClusterBrief(
        id=1, name="Trail shoes", description="Shoes for trails", intent="commercial",
        keywords=["trail running shoes", "waterproof trail shoes"],
    )  # fmt: skip


def test_ai_calls_tokens_cost_and_429s_are_counted_by_model() -> None:
    with FakeOpenAI() as fake:
        settings = Settings(
            OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY=fake.api_key, OPENAI_TIMEOUT_SECONDS=2.0
        )  # type: ignore[call-arg]
        provider = observed(OpenAIProvider.from_settings(settings))
        model = settings.model_chat
        ok = {"provider": "openai", "model": model, "function": "generate_ideas", "outcome": "ok"}
        before = {
            "calls": value("igny8_ai_calls_total", **ok),
            "in": value("igny8_ai_tokens_total", provider="openai", model=model, direction="in"),
            "out": value("igny8_ai_tokens_total", provider="openai", model=model, direction="out"),
            "cost": value("igny8_ai_cost_usd_total", provider="openai", model=model),
            "429": value(
                "igny8_ai_rate_limited_total",
                provider="openai",
                model="",
                function="generate_ideas",
            ),
        }
        fake.inject("rate_limit", times=1, retry_after=3)
        with pytest.raises(AIProviderError):
            provider.generate_ideas(brief())
        result = provider.generate_ideas(brief())
    usage = result.usage
    assert usage.tokens_in > 0 and usage.tokens_out > 0 and usage.cost_usd > 0
    assert value("igny8_ai_calls_total", **ok) == before["calls"] + 1
    tokens_in = value("igny8_ai_tokens_total", provider="openai", model=model, direction="in")
    tokens_out = value("igny8_ai_tokens_total", provider="openai", model=model, direction="out")
    assert tokens_in - before["in"] == usage.tokens_in
    assert tokens_out - before["out"] == usage.tokens_out
    cost = value("igny8_ai_cost_usd_total", provider="openai", model=model) - before["cost"]
    assert cost == pytest.approx(usage.cost_usd)
    assert value("igny8_ai_rate_limited_total", **LIMITED) == before["429"] + 1
    failed = {**ok, "model": "", "outcome": "AIProviderError"}
    assert value("igny8_ai_calls_total", **failed) >= 1


def test_credits_are_counted_only_when_the_settlement_commits() -> None:
    account_id, _ = seed_site(keywords=1, name="Metrics credits")
    labels = {"stage": "generate_content"}
    before = value("igny8_credits_charged_total", **labels)
    with log_context(stage="generate_content"):
        with pytest.raises(RuntimeError), session_scope() as session:
            credits.reserve(session, account_id, 40, "m-run:4:1", "m-run")
            credits.settle(session, account_id, "m-run:4:1", 40, "m-run")
            raise RuntimeError("the item's save failed: all of it rolls back")
        assert value("igny8_credits_charged_total", **labels) == before
        with session_scope() as session:
            credits.reserve(session, account_id, 40, "m-run:4:1", "m-run")
            credits.settle(session, account_id, "m-run:4:1", 35, "m-run")
        with session_scope() as session:  # a retry of the same settlement charges nothing
            credits.settle(session, account_id, "m-run:4:1", 35, "m-run")
    assert value("igny8_credits_charged_total", **labels) == before + 35


def test_json_log_lines_carry_the_bound_run_stage_and_item() -> None:
    stream = io.StringIO()
    handler = configure_logging(Settings(IGNY8_LOG_FORMAT="json"), stream=stream)  # type: ignore[call-arg]
    try:
        with log_context(run_id="run-42", stage="generate_content", item=7):
            logging.getLogger("igny8.test").info("drafted %s words", 1200, extra={"words": 1200})
        logging.getLogger("igny8.test").warning("outside a run")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["message"] == "drafted 1200 words" and first["level"] == "info"
    assert (first["run_id"], first["stage"], first["item"], first["words"]) == (
        "run-42",
        "generate_content",
        7,
        1200,
    )
    assert first["logger"] == "igny8.test" and first["ts"].endswith("+00:00")
    assert "run_id" not in second and second["level"] == "warning"


def test_a_process_that_set_up_basic_logging_first_prints_each_line_once() -> None:
    root = logging.getLogger()
    early = io.StringIO()
    basic = logging.StreamHandler(early)  # what `logging.basicConfig` installs at start-up
    root.addHandler(basic)
    stream = io.StringIO()
    handler = configure_logging(Settings(IGNY8_LOG_FORMAT="text"), stream=stream)  # type: ignore[call-arg]
    try:
        logging.getLogger("igny8.test").warning("worker ready")
    finally:
        root.removeHandler(handler)
        root.removeHandler(basic)
    assert (early.getvalue() + stream.getvalue()).count("worker ready") == 1


async def test_api_latency_is_labelled_by_route_template() -> None:
    app = create_app(get_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as api:
        assert (await api.get("/api/v1/sites/987654")).status_code == 401
        assert (await api.get("/no/such/page/5551212")).status_code == 404
        scraped = await api.get("/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    text = scraped.text
    assert (
        'igny8_api_request_duration_seconds_count{method="GET",route="/api/v1/sites/{site_id}",'
        'status="401"}' in text
    )
    assert 'route="unmatched",status="404"' in text
    assert "987654" not in text and "5551212" not in text
    assert 'igny8_stage_queue_items{stage="generate_content",status="pending"}' in text


def _python(code: str, **env: str) -> str:
    import os

    full = {k: v for k, v in os.environ.items() if k != "OTEL_EXPORTER_OTLP_ENDPOINT"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env={**full, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_tracing_is_off_and_not_imported_without_an_endpoint() -> None:
    probe = (
        "import sys, worker, api.main\n"
        "from core.config import get_settings\n"
        "from core.tracing import client_interceptors\n"
        "found = client_interceptors(get_settings())\n"
        f"print(len(found), any(m.startswith({OTEL_MODULES!r}) for m in sys.modules))"
    )
    assert _python(probe) == "0 False"
    on = _python(probe.replace("print(len(found), ", "print(type(found[0]).__name__, "),
                 OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:4318")  # fmt: skip
    assert on == "TracingInterceptor True"


async def test_a_traced_run_has_workflow_and_activity_spans(temporal_env, task_queue: str) -> None:  # type: ignore[no-untyped-def]
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from core import tracing

    exporter = InMemorySpanExporter()
    address = temporal_env.client.service_client.config.target_host
    settings = get_settings().model_copy(
        update={
            "task_queue": task_queue,
            "temporal_address": address,
            "otel_endpoint": "http://127.0.0.1:9",
        }
    )
    if tracing._provider is not None:
        pytest.skip("this process already traces elsewhere")
    tracing.tracer_provider(settings, exporter=exporter)
    client: Client = await connect(settings)
    account_id, site_id = seed_site(keywords=8, name="Traced")
    async with build_worker(client, settings, task_queue):
        run_id = await start_run(
            client, settings, account_id=account_id, site_id=site_id, trigger="api"
        )
        result = await client.get_workflow_handle(run_id, result_type=RunProgress).result()
    tracing.flush()
    assert result.status == "completed"
    names = {span.name for span in exporter.get_finished_spans()}
    assert "StartWorkflow:AutomationRunWorkflow" in names
    assert "RunWorkflow:AutomationRunWorkflow" in names
    assert "RunActivity:process_batch" in names


def test_metric_helpers_ignore_nothing_to_count() -> None:
    before = value("igny8_stage_items_total", stage="review", status="completed")
    metrics.item_finished(7, "completed", 0)
    assert value("igny8_stage_items_total", stage="review", status="completed") == before
    assert metrics.stage_name(4) == "generate_content" and metrics.stage_name(None) == ""


def test_the_dashboard_graphs_only_metrics_that_exist() -> None:
    import re

    from services.queue_metrics import register_queue_depth

    register_queue_depth()
    known: set[str] = set()
    for family in REGISTRY.collect():
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}
        known |= {family.name + s for s in suffixes.get(family.type, [""])}
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "igny8.json").read_text())
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\bigny8_\w+", expr)}
    assert used and used <= known, used - known
    assert len(dashboard["panels"]) >= 15
