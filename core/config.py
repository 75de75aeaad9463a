"""Settings from the environment (and a `.env` file where present): one place for config."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob of igny8. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", populate_by_name=True
    )

    data_dir: Path = Field(Path(".data"), alias="IGNY8_DATA_DIR")
    database_url: str | None = Field(None, alias="DATABASE_URL")

    temporal_address: str = Field("localhost:7233", alias="TEMPORAL_ADDRESS")
    temporal_namespace: str = Field("default", alias="TEMPORAL_NAMESPACE")
    task_queue: str = Field("igny8", alias="IGNY8_TASK_QUEUE")
    temporal_ui_port: int = Field(8233, alias="IGNY8_TEMPORAL_UI_PORT")

    ai_provider: Literal["local", "openai"] = Field("local", alias="IGNY8_AI_PROVIDER")
    openai_base_url: str | None = Field(None, alias="OPENAI_BASE_URL")
    openai_api_key: SecretStr | None = Field(None, alias="OPENAI_API_KEY")
    openai_timeout_seconds: float = Field(120.0, alias="OPENAI_TIMEOUT_SECONDS")
    model_chat: str = Field("gpt-4o-mini", alias="IGNY8_MODEL_CHAT")
    model_embeddings: str = Field("text-embedding-3-small", alias="IGNY8_MODEL_EMBEDDINGS")
    model_images: str = Field("gpt-image-1", alias="IGNY8_MODEL_IMAGES")
    # USD per 1M tokens (and per image) by model, overriding services.ai.pricing defaults, e.g.
    # IGNY8_MODEL_PRICES='{"gpt-4o-mini": {"input": 0.15, "output": 0.6}, "my-llm": {}}'.
    model_prices: dict[str, dict[str, float]] = Field(
        default_factory=dict, alias="IGNY8_MODEL_PRICES"
    )

    secret_key: SecretStr | None = Field(None, alias="IGNY8_SECRET_KEY")

    api_host: str = Field("127.0.0.1", alias="IGNY8_API_HOST")
    api_port: int = Field(8000, alias="IGNY8_API_PORT")
    cors_origins: list[str] = Field(default_factory=list, alias="IGNY8_CORS_ORIGINS")

    # How long an activity may go without a heartbeat before Temporal retries it elsewhere.
    # Short enough that a crashed worker's batch is picked up quickly.
    heartbeat_timeout_seconds: float = Field(30.0, alias="IGNY8_HEARTBEAT_TIMEOUT_SECONDS")
    retry_initial_seconds: float = Field(2.0, alias="IGNY8_RETRY_INITIAL_SECONDS")
    retry_maximum_seconds: float = Field(120.0, alias="IGNY8_RETRY_MAXIMUM_SECONDS")
    retry_maximum_attempts: int = Field(10, ge=1, alias="IGNY8_RETRY_MAXIMUM_ATTEMPTS")

    # --- the AI provider's limits, held for every run and worker together --------------------
    # AI calls are activities on their own task queue (default: "<IGNY8_TASK_QUEUE>-ai").
    ai_task_queue_name: str | None = Field(None, alias="IGNY8_AI_TASK_QUEUE")
    # Calls in flight per AI worker (async: one worker holds this many on one connection pool).
    ai_max_in_flight: int = Field(64, ge=1, le=1000, alias="IGNY8_AI_MAX_IN_FLIGHT")
    # Calls started per minute on the whole AI queue, enforced by the Temporal server across
    # every worker (0: no limit). Set it to the provider plan's requests-per-minute.
    ai_calls_per_minute: float = Field(0, ge=0, alias="IGNY8_AI_CALLS_PER_MINUTE")
    # AI calls in flight per run and stage (the default of each site's concurrency): one site
    # never takes every slot, so many runs at once all make progress.
    ai_run_concurrency: int = Field(32, ge=1, le=1000, alias="IGNY8_AI_RUN_CONCURRENCY")
    # Open signup (POST /api/v1/accounts); turn off where accounts are made by operators.
    allow_signup: bool = Field(True, alias="IGNY8_ALLOW_SIGNUP")
    # Whether an API key may top up its own account (POST /credits/top-up). On for the embedded
    # default; in production turn it off and top up from billing or `igny8 credits top-up`.
    allow_self_top_up: bool = Field(True, alias="IGNY8_ALLOW_SELF_TOP_UP")
    signup_credits: int = Field(10_000, alias="IGNY8_SIGNUP_CREDITS")
    # Credits per item, by stage name, overriding contracts.stages defaults, e.g.
    # IGNY8_CREDIT_COSTS='{"generate_content": 40}'.
    credit_costs: dict[str, int] = Field(default_factory=dict, alias="IGNY8_CREDIT_COSTS")

    # --- Production shape: Temporal beyond localhost, processes, start-up ---
    # mTLS to a self-hosted cluster: PEM file paths. The CA is needed when the server's
    # certificate is not signed by a public authority; the server name when the address is not
    # the name in that certificate (e.g. an IP, or a load balancer).
    temporal_tls_cert: Path | None = Field(None, alias="TEMPORAL_TLS_CERT")
    temporal_tls_key: Path | None = Field(None, alias="TEMPORAL_TLS_KEY")
    temporal_tls_ca: Path | None = Field(None, alias="TEMPORAL_TLS_CA")
    temporal_tls_server_name: str | None = Field(None, alias="TEMPORAL_TLS_SERVER_NAME")
    # TLS with the system's roots and no client certificate (implied by the settings above and by
    # an API key).
    temporal_tls: bool = Field(False, alias="TEMPORAL_TLS")
    # Temporal Cloud: an API key (TLS on). Never logged, never in a workflow payload.
    temporal_api_key: SecretStr | None = Field(None, alias="TEMPORAL_API_KEY")
    temporal_connect_timeout_seconds: float = Field(10.0, alias="TEMPORAL_CONNECT_TIMEOUT_SECONDS")
    # How long a worker waits for Temporal and the database at start before giving up (unset:
    # forever), retrying with backoff up to the maximum pause.
    startup_wait_seconds: float | None = Field(None, alias="IGNY8_STARTUP_WAIT_SECONDS")
    startup_retry_max_seconds: float = Field(30.0, alias="IGNY8_STARTUP_RETRY_MAX_SECONDS")
    # On SIGTERM a worker stops polling and gives activities in flight this long to finish;
    # then they are cancelled and Temporal retries them on another worker.
    graceful_shutdown_seconds: float = Field(30.0, alias="IGNY8_GRACEFUL_SHUTDOWN_SECONDS")
    # The worker's probes: /livez and /readyz over HTTP on this port (unset: no probe server).
    worker_health_host: str = Field("0.0.0.0", alias="IGNY8_WORKER_HEALTH_HOST")
    worker_health_port: int | None = Field(None, alias="IGNY8_WORKER_HEALTH_PORT")

    # --- storage (integrations/storage): where images and other shared files live ---------------
    # `local`: under IGNY8_DATA_DIR (one host). `s3`: an S3-compatible bucket every worker reaches.
    storage: Literal["local", "s3"] = Field("local", alias="IGNY8_STORAGE")
    s3_bucket: str | None = Field(None, alias="IGNY8_S3_BUCKET")
    s3_endpoint_url: str | None = Field(None, alias="IGNY8_S3_ENDPOINT_URL")  # MinIO, R2, ...
    s3_region: str | None = Field(None, alias="IGNY8_S3_REGION")
    s3_access_key_id: str | None = Field(None, alias="IGNY8_S3_ACCESS_KEY_ID")
    s3_secret_access_key: SecretStr | None = Field(None, alias="IGNY8_S3_SECRET_ACCESS_KEY")
    s3_prefix: str = Field("", alias="IGNY8_S3_PREFIX")  # e.g. "igny8/prod/"

    # --- observability (core/metrics.py, core/logging.py, core/tracing.py) ----------------------
    # Prometheus endpoints: igny8's own metrics on workers (the API serves /metrics), and the
    # Temporal SDK's metrics from its Rust core. 0 turns an endpoint off.
    metrics_port: int = Field(9464, alias="IGNY8_METRICS_PORT", ge=0, le=65535)
    sdk_metrics_port: int = Field(9465, alias="IGNY8_SDK_METRICS_PORT", ge=0, le=65535)
    metrics_host: str = Field("0.0.0.0", alias="IGNY8_METRICS_HOST")
    log_format: Literal["json", "text"] = Field("json", alias="IGNY8_LOG_FORMAT")
    log_level: str = Field("INFO", alias="IGNY8_LOG_LEVEL")
    otel_endpoint: str | None = Field(None, alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    otel_service_name: str = Field("igny8", alias="OTEL_SERVICE_NAME")

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL, with SQLite under the data folder as the embedded default."""
        if not self.database_url:
            return f"sqlite:///{(self.data_dir / 'igny8.db').resolve()}"
        url = self.database_url
        # psycopg (v3) is the chosen driver; accept the common spellings of a PostgreSQL URL.
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def ai_task_queue(self) -> str:
        return self.ai_task_queue_name or f"{self.task_queue}-ai"

    @property
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def heartbeat_timeout(self) -> timedelta:
        return timedelta(seconds=self.heartbeat_timeout_seconds)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache after changing the environment)."""
    return Settings()
