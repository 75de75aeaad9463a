"""Temporal client factory and the search attributes every run carries."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime

from core.config import Settings
from core.tracing import client_interceptors

# Registered on the dev server at start-up (core/devserver.py) so an operator can filter runs,
# e.g. `Igny8SiteId = 12 AND Igny8Status = "paused"`.
SA_ACCOUNT = SearchAttributeKey.for_int("Igny8AccountId")
SA_SITE = SearchAttributeKey.for_int("Igny8SiteId")
SA_STAGE = SearchAttributeKey.for_keyword("Igny8Stage")
SA_STATUS = SearchAttributeKey.for_keyword("Igny8Status")
SEARCH_ATTRIBUTES = (SA_ACCOUNT, SA_SITE, SA_STAGE, SA_STATUS)


async def connect(settings: Settings, runtime: Runtime | None = None) -> Client:
    """A client with the pydantic data converter (every payload is a pydantic model);
    `runtime` exports the SDK's metrics (core.sdk_metrics), tracing is on when configured."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        runtime=runtime,
        interceptors=client_interceptors(settings),
    )
