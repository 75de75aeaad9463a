"""The search attributes every run carries, so an operator can filter runs in the Temporal UI,
e.g. `Igny8SiteId = 12 AND Igny8Status = "paused"`. Pure (only temporalio's key type): the
workflows, the API and the dev server's registration all use these keys."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

SA_ACCOUNT = SearchAttributeKey.for_int("Igny8AccountId")
SA_SITE = SearchAttributeKey.for_int("Igny8SiteId")
SA_STAGE = SearchAttributeKey.for_keyword("Igny8Stage")
SA_STATUS = SearchAttributeKey.for_keyword("Igny8Status")
SEARCH_ATTRIBUTES = (SA_ACCOUNT, SA_SITE, SA_STAGE, SA_STATUS)
