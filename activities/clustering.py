"""Stage 1's steps as activities, for a provider that charges per call (services/cluster_steps).

Grouping is database and CPU work on the run's own task queue. Each embeddings request and each
naming call is an async activity on the AI task queue, beside the item stages' calls: the same
limits (calls in flight per worker, calls per second for the whole queue) hold for all of them,
and a transient failure costs that one call.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import pydantic
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.heartbeat import heartbeating, interval_for, while_awaiting
from activities.stages import StageActivities, given_up, retry_later
from contracts.run import (
    ACT_CLUSTER_PREPARE,
    ACT_EMBED_KEYWORDS,
    ACT_GROUP_KEYWORDS,
    ACT_NAME_CLUSTERS,
    ClusterCallInput,
    ClusterGroups,
    ClusterPlan,
    ClusterStepInput,
    Cost,
    ErrorInfo,
)
from contracts.stages import Stage
from core.errors import Igny8Error
from services import cluster_steps
from services.stages.base import StageContext
from services.stages.runner import cost_of


class ClusteringActivities:
    """Registered as bound methods; shares the stage activities' provider and database threads."""

    def __init__(self, stages: StageActivities) -> None:
        self.stages = stages
        self.settings = stages.settings

    def _context(self, inp: ClusterStepInput | ClusterCallInput) -> StageContext:
        return self.stages._context(
            inp.run_id, inp.account_id, inp.site_id, int(Stage.CLUSTER_KEYWORDS)
        )

    async def _acontext(self, inp: ClusterCallInput) -> StageContext:
        """The context, made in a database thread (the provider reads the account's prompts)."""
        ctx, _ = await self.stages._in_db(self._context, inp)
        return ctx

    @activity.defn(name=ACT_CLUSTER_PREPARE)
    def prepare(self, inp: ClusterStepInput) -> ClusterPlan:
        """By calls or in one batch activity; the keyword id ranges still to embed."""
        return cluster_steps.plan(self._context(inp), inp.item_ids)

    @activity.defn(name=ACT_GROUP_KEYWORDS)
    def group(self, inp: ClusterStepInput) -> ClusterGroups:
        """Group the run's keywords once and store the groups; the naming calls to make."""
        with heartbeating(interval_for(self.settings.heartbeat_timeout_seconds)) as beat:
            beat("grouping keywords")
            return cluster_steps.group(self._context(inp), inp.item_ids)

    @activity.defn(name=ACT_EMBED_KEYWORDS)
    async def embed(self, inp: ClusterCallInput) -> Cost:
        """One embeddings request for the range's keywords still without a vector."""
        ctx = await self._acontext(inp)
        part, _ = await self.stages._in_db(
            cluster_steps.embedding_work, ctx, inp.first_id, inp.last_id
        )
        if not part:
            return Cost()  # an earlier attempt stored them: nothing to pay for again
        provider: Any = ctx.provider
        answer = await self._paid(
            provider.aembed_once([text for _, text, _ in part]),
            inp,
            f"embedding {len(part)} keywords",
        )
        if isinstance(answer, ErrorInfo):
            # Without vectors nothing can be grouped: the batch fails with the provider's words.
            raise ApplicationError(answer.error_message, type=answer.error_type, non_retryable=True)
        await self.stages._in_db(cluster_steps.store_vectors, ctx, part, answer)
        return cost_of(answer)

    @activity.defn(name=ACT_NAME_CLUSTERS)
    async def name(self, inp: ClusterCallInput) -> Cost:
        """One naming call for its few groups; failed for good, those groups' keywords fail."""
        ctx = await self._acontext(inp)
        work, _ = await self.stages._in_db(cluster_steps.naming_work, ctx, inp.call_no)
        if work is None:
            return Cost()  # named by an earlier attempt
        provider: Any = ctx.provider
        answer = await self._paid(
            provider.aname_cluster_groups(work.members, work.offered),
            inp,
            f"naming {len(work.group_nos)} clusters",
        )
        if isinstance(answer, ErrorInfo):
            await self.stages._in_db(cluster_steps.fail_naming, ctx, inp.call_no, answer)
            return Cost()
        # The provider's check made the answer name each group once, in order (see
        # OpenAIProvider._naming_request): a short answer is an error retried above.
        await self.stages._in_db(cluster_steps.store_names, ctx, work, answer)
        return cost_of(answer)

    async def _paid(self, call: Coroutine[Any, Any, Any], inp: ClusterCallInput, doing: str) -> Any:
        """The call's answer, or its error once retrying cannot help (a permanent error, or the
        last attempt); a transient error raises for Temporal to retry this call alone, after
        Retry-After or a jittered backoff. Cancellation reaches the call itself."""
        interval = interval_for(self.settings.heartbeat_timeout_seconds)
        try:
            return await while_awaiting(self.stages.provider_call(call), interval, doing)
        except (Igny8Error, pydantic.ValidationError) as exc:
            info = given_up(exc, inp.max_attempts)
            if info is None:
                raise retry_later(exc, activity.info().attempt, self.settings) from exc
            return info

    def main_queue(self) -> list[Any]:
        return [self.prepare, self.group]

    def ai_queue(self) -> list[Any]:
        return [self.embed, self.name]
