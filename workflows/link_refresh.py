"""RefreshInternalLinksWorkflow: one article's post gets its links to live siblings filled in,
in rounds, until nobody asks for another (see services.link_refresh for what a round does).

Why a workflow per article (id from the content id), asked for by signal-with-start: two
siblings going live at the same moment both ask to refresh the hub, and both requests land in
the one workflow of the hub. Its rounds run one after another, so igny8 never has two updates
of one post in flight, where each would see the other's write as an edit made on WordPress. A
request that arrives during a round earns one more round (which reads the URLs live by then);
one that arrives while the workflow completes makes Temporal refuse the completion and hand
the signal over first, so no request is lost. A database claim would need a column and a
sweeper for claims whose worker died; Temporal already gives both. The publish workflow keeps
its side of the bargain: it waits for a running refresh of its article before it writes, and
a round steps aside (defers) while a publish of the article may still write, that publish
asking for a refresh when it ends.

Deterministic workflow code: contracts and temporalio only.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from contracts.link_refresh import (
        ACT_REFRESH_INTERNAL_LINKS,
        REFRESH_LINKS_WORKFLOW,
        SIGNAL_REFRESH_LINKS,
        LinkRefreshInput,
        RefreshLinksResult,
        RefreshLinksSignal,
        RefreshRoundResult,
    )
    from workflows.options import WORDPRESS_LONG


@workflow.defn(name=REFRESH_LINKS_WORKFLOW)
class RefreshInternalLinksWorkflow:
    """Rounds of refresh_internal_links while asked for; a round that fails for good (after
    its retries) fails the workflow, where an operator sees it."""

    def __init__(self) -> None:
        # Started without a signal (from the Temporal UI, say) it still does one round.
        self._wanted = True
        self._rounds = 0
        self._updated = 0

    @workflow.signal(
        name=SIGNAL_REFRESH_LINKS,
        description="Refresh the post's links once more (no input needed).",
    )
    def refresh_links(self, _inp: RefreshLinksSignal | None = None) -> None:
        self._wanted = True

    @workflow.run
    async def run(self, inp: LinkRefreshInput) -> RefreshLinksResult:
        last: RefreshRoundResult | None = None
        while self._wanted:
            if workflow.info().is_continue_as_new_suggested():
                workflow.continue_as_new(inp)  # the new run starts with a round wanted
            self._wanted = False
            last = await workflow.execute_activity(
                ACT_REFRESH_INTERNAL_LINKS, inp, result_type=RefreshRoundResult, **WORDPRESS_LONG
            )
            self._rounds += 1
            self._updated += last.outcome == "updated"
        assert last is not None  # _wanted starts True: at least one round ran
        return RefreshLinksResult(
            content_id=inp.content_id, rounds=self._rounds, updated=self._updated, last=last
        )
