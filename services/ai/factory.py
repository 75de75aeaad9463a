"""Builds the configured AI provider."""

from __future__ import annotations

import time
from typing import Any

from core.config import Settings
from services.ai.base import AIProvider

# A worker makes a provider per AI call; the account's prompts are read at most this often, so
# an edited prompt reaches the calls that start this long after it at the latest.
PROMPTS_FRESH_SECONDS = 10.0
_prompts_read: dict[int, tuple[float, dict[str, Any]]] = {}  # account id -> (when, prompts)


def build_provider(settings: Settings, account_id: int | None = None) -> AIProvider:
    """The provider named by IGNY8_AI_PROVIDER, with the account's prompt overrides."""
    if settings.ai_provider == "openai":
        from services.ai.openai_provider import OpenAIProvider

        prompts = None if account_id is None else account_prompts(account_id)
        return OpenAIProvider.from_settings(settings, prompts=prompts)
    from services.ai.local import LocalProvider

    return LocalProvider()


def account_prompts(account_id: int) -> dict[str, Any]:
    """The account's prompts (overrides over defaults), read again once PROMPTS_FRESH_SECONDS
    have passed."""
    from core.db import session_scope
    from services.ai.prompts import load_prompts

    now = time.monotonic()
    read = _prompts_read.get(account_id)
    if read is None or now - read[0] > PROMPTS_FRESH_SECONDS:
        with session_scope() as session:
            read = (now, dict(load_prompts(session, account_id)))
        _prompts_read[account_id] = read
    return read[1]
