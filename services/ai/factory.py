"""Builds the configured AI provider."""

from __future__ import annotations

from core.config import Settings
from services.ai.base import AIProvider


def build_provider(settings: Settings, account_id: int | None = None) -> AIProvider:
    """The provider named by IGNY8_AI_PROVIDER, with the account's prompt overrides."""
    if settings.ai_provider == "openai":
        from core.db import session_scope
        from services.ai.openai_provider import OpenAIProvider
        from services.ai.prompts import load_prompts

        prompts = None
        if account_id is not None:
            with session_scope() as session:
                prompts = load_prompts(session, account_id)
        return OpenAIProvider.from_settings(settings, prompts=prompts)
    from services.ai.local import LocalProvider

    return LocalProvider()
