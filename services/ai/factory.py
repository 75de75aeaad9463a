"""Builds the configured AI provider."""

from __future__ import annotations

from core.config import Settings
from services.ai.base import AIProvider


def build_provider(settings: Settings) -> AIProvider:
    """The provider named by IGNY8_AI_PROVIDER."""
    if settings.ai_provider == "openai":
        from services.ai.openai_provider import OpenAIProvider

        return OpenAIProvider.from_settings(settings)
    from services.ai.local import LocalProvider

    return LocalProvider()
