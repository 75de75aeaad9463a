"""The Temporal client factory (and, for its callers, the search attribute keys)."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from core.config import Settings
from core.search_attributes import SA_ACCOUNT, SA_SITE, SA_STAGE, SA_STATUS, SEARCH_ATTRIBUTES

__all__ = ["SA_ACCOUNT", "SA_SITE", "SA_STAGE", "SA_STATUS", "SEARCH_ATTRIBUTES", "connect"]


async def connect(settings: Settings) -> Client:
    """A client with the pydantic data converter (every payload is a pydantic model)."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
