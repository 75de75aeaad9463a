"""Settings and briefs for tests of the `openai` provider against the fake OpenAI server."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr

from core.config import Settings, get_settings
from services.ai.schemas import ArticleBrief, ClusterBrief, OutlineSection
from tests.helpers.fake_openai import FakeOpenAI


def settings_with(values: dict[str, Any]) -> Settings:
    """Settings from explicit values by their environment names (they win over the env)."""
    return Settings(**values)


def provider_settings(fake: FakeOpenAI, **extra: object) -> Settings:
    """Settings for an OpenAIProvider talking to `fake`, with a short timeout."""
    values: dict[str, Any] = {
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": fake.api_key,
        "OPENAI_TIMEOUT_SECONDS": 1.0,
        **extra,
    }
    return settings_with(values)


def run_settings(fake: FakeOpenAI, task_queue: str) -> Settings:
    """The session's settings for a whole run on the `openai` provider, talking to `fake`."""
    return get_settings().model_copy(
        update={
            "task_queue": task_queue,
            "ai_provider": "openai",
            "openai_base_url": fake.base_url,
            "openai_api_key": SecretStr(fake.api_key),
            "openai_timeout_seconds": 2.0,
        }
    )


def cluster_brief() -> ClusterBrief:
    return ClusterBrief(
        id=1, name="Sourdough Bread", description="Baking sourdough at home",
        intent="informational", keywords=["sourdough bread recipe", "sourdough bread starter"],
    )  # fmt: skip


def article_brief(**overrides: object) -> ArticleBrief:
    """A brief for a 1400-word comparison page with a three-section outline."""
    values: dict[str, object] = {
        "title": "Trail Running Shoes Compared",
        "description": "Which trail shoe fits which runner.",
        "outline": [
            OutlineSection(heading="Grip on wet rock", subheadings=["Lug depth", "Rubber mix"]),
            OutlineSection(heading="Cushioning for long distances", subheadings=[]),
            OutlineSection(heading="Our verdict per terrain", subheadings=["Mud", "Gravel"]),
        ],
        "primary_keyword": "trail running shoes",
        "keywords": ["waterproof running shoes", "lightweight running shoes"],
        "content_type": "page",
        "content_structure": "comparison",
        "target_word_count": 1400,
        **overrides,
    }
    return ArticleBrief(**values)  # type: ignore[arg-type]
