"""Relays: an AI item's activity, carried across its run's continue-as-new.

Within a run every AI item is an activity (cheap). But a run continues as new only once no
activity of its own is in the air, and with AI calls of 30-60 s every slot would empty for up to
a minute at each continue-as-new. So while continue-as-new is due (and the run is not paused), a
slot of an AI stage that frees gets a relay instead: a workflow of its own, which outlives the
run that started it and runs the same `process_item` activity with the same options. Its report
of the item is its result. The run carries its relays in its state; the next run fills the slots
they free with activities again. This is the shape of Temporal's batch sliding-window sample.

Nothing of a relay's may arrive in the run's history while the run might continue as new:
Temporal fails a workflow task that continues a run as new if a new event came in while it ran
(UnhandledCommand), the worker then drops the run from its cache and replays its whole history,
during which more events come in. So a run starts its relays with an activity, and learns how
they ended through a collector activity that waits briefly for their results, started only while
the run is not due to continue as new (activities/relays.py). The relays a run starts while it
drains are collected by the next run of its chain. A relay that ended without a result
(terminated by hand, timed out at its bound) is collected as cancelled, and its item settled by
asking the database, as after a cancelled activity.

Runs started before that (RELAYS_COLLECTED_PATCH) keep their relays as child workflows that
signal the run's workflow id; a relay that never signals is settled once its bound has passed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, FailureError, is_cancelled_exception

with workflow.unsafe.imports_passed_through():
    from contracts.relay import (
        ACT_COLLECT_RELAYS,
        ACT_START_RELAYS,
        RELAY_WORKFLOW,
        RELAYS_COLLECTED_PATCH,
        SIGNAL_REPORT_RELAY,
        CollectedRelays,
        CollectRelaysInput,
        RelayInput,
        RelayReport,
        StartRelaysInput,
        relay_summary,
        relay_workflow_id,
    )
    from contracts.run import (
        ACT_PROCESS_ITEM,
        ErrorInfo,
        ItemInput,
        ItemRef,
        ItemResult,
        RelayedItem,
        RunOptions,
        RunState,
    )
    from core.error_info import error_info
    from workflows.options import BOOKKEEPING, ActivityOptions, ai_item

# Beyond every attempt and backoff of its activity: a Retry-After longer than the backoff, and
# a wait for a free slot on a busy AI task queue.
RELAY_MARGIN = timedelta(minutes=15)
# Between the run starting a relay and the relay's own clock starting.
START_GRACE = timedelta(minutes=1)
REPORT_TRIES = 3
# The longest a collector waits for a relay to end: a continue-as-new that falls due meanwhile
# waits for the collector, so this is the most it is held up.
COLLECT_WAIT = timedelta(seconds=5)
COLLECTING = ActivityOptions(
    start_to_close_timeout=COLLECT_WAIT + timedelta(seconds=30),
    retry_policy=BOOKKEEPING["retry_policy"],
)


async def process_item(inp: ItemInput, o: RunOptions) -> ItemResult:
    """The item's one activity, as a flight and a relay run it: on the AI task queue, and a
    cancel waits until the activity has stopped (the database then says what it left)."""
    return await workflow.execute_activity(
        ACT_PROCESS_ITEM,
        inp,
        result_type=ItemResult,
        task_queue=o.ai_task_queue or None,
        cancellation_type=workflow.ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
        **ai_item(o),
    )


def unfinished_error(exc: BaseException, cancel_asked: bool) -> ErrorInfo | None:
    """Why work ended without a result: None when it was cancelled (its items go back to the
    window, those the database says are unfinished), else the error it failed with for good."""
    if cancel_asked or is_cancelled_exception(exc):
        return None
    return error_info(exc, "AI_CALL", workflow.now())


def relay_bound(o: RunOptions) -> timedelta:
    """How long a relay may run (its execution timeout): every attempt of its activity, the
    longest backoff after each, and a margin."""
    attempt = ai_item(o)["start_to_close_timeout"] + timedelta(seconds=o.retry_maximum_seconds)
    return o.retry_maximum_attempts * attempt + RELAY_MARGIN


def relay_stop_wait(o: RunOptions) -> timedelta:
    """How long a cancelled run waits for its cancelled relays' reports: the activity notices
    the cancel at its next heartbeat."""
    return timedelta(seconds=2 * o.heartbeat_timeout_seconds + 30)


@workflow.defn(name=RELAY_WORKFLOW)
class ItemRelayWorkflow:
    """One AI item of a run whose continue-as-new was due: its activity; its result is the
    report the run collects. Cancel it to put the item back in the run's queue at once."""

    @workflow.run
    async def run(self, inp: RelayInput) -> RelayReport:
        report = RelayReport(batch_no=inp.batch_no)
        try:
            report.result = await process_item(inp.item, inp.options)
        except (ActivityError, asyncio.CancelledError) as exc:
            report.error = unfinished_error(exc, workflow.cancellation_reason() is not None)
            report.cancelled = report.error is None
        if inp.report_by_signal:  # started by a run from before RELAYS_COLLECTED_PATCH
            await _report(inp.run_id, report)
        return report


async def _report(run_id: str, report: RelayReport) -> None:
    run = workflow.get_external_workflow_handle(run_id)
    for _ in range(REPORT_TRIES):
        try:
            await run.signal(SIGNAL_REPORT_RELAY, report)
            return
        except (FailureError, asyncio.CancelledError) as exc:
            if not is_cancelled_exception(exc):
                workflow.logger.warning(
                    "Run %s took no report of relay %s (it has ended): %s",
                    run_id,
                    report.batch_no,
                    exc,
                )
                return
            # Cancelled while reporting: the run must still hear of the item (it ignores a
            # report it already has).


class Relays:
    """The run's side of its relays: starting them, collecting their reports, cancelling them,
    and (for signalling relays) settling one that will never report. The scheduler counts their
    items (`RunState.relays`) and applies reports."""

    def __init__(
        self,
        state: RunState,
        run_id: str,
        options: RunOptions,
        reported: Callable[[RelayReport], None],
        changed: Callable[[], None],
    ) -> None:
        self.s = state
        self.run_id = run_id
        self.options = options
        self.reported = reported
        self.changed = changed
        self._to_start: dict[int, ItemInput] = {}  # this turn's, started together at its end
        self._starting: dict[int, asyncio.Task[None]] = {}
        # Kept once done: each relay is asked to stop once per run.
        self._cancelling: dict[int, asyncio.Task[None]] = {}
        self._collecting: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None

    def collected(self) -> bool:
        """Whether this run's relays are started and collected by activities; one begun before
        (RELAYS_COLLECTED_PATCH) keeps child relays that signal, so its history replays."""
        return workflow.patched(RELAYS_COLLECTED_PATCH)

    def of_stage(self, stage: int) -> list[RelayedItem]:
        return [r for r in self.s.relays.values() if r.stage == stage]

    def requests(self) -> list[asyncio.Task[None]]:
        """Starts, cancel requests and the collector in the air (short: continue-as-new waits
        for them)."""
        tasks = [*self._starting.values(), *self._cancelling.values(), self._collecting]
        return [t for t in dict.fromkeys(tasks) if t is not None and not t.done()]

    def start(self, batch_no: int, stage: int, item: ItemRef, inp: ItemInput) -> None:
        # In the state before the start resolves: its report may arrive in the same task.
        self.s.relays[batch_no] = RelayedItem(stage=stage, item=item, started_at=workflow.now())
        if self.collected():
            self._to_start[batch_no] = inp
        else:
            self._starting[batch_no] = asyncio.create_task(self._start_child(batch_no, inp))

    async def _start_child(self, batch_no: int, inp: ItemInput) -> None:
        try:
            await workflow.start_child_workflow(
                RELAY_WORKFLOW,
                RelayInput(run_id=self.run_id, batch_no=batch_no, item=inp, options=self.options),
                id=relay_workflow_id(self.run_id, batch_no),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                execution_timeout=relay_bound(self.options),
                static_summary=relay_summary(self.run_id, inp),
            )
        except FailureError as exc:  # its id is taken: the database says where the item is
            workflow.logger.warning("Relay %s did not start: %s", batch_no, exc)
            self.reported(RelayReport(batch_no=batch_no, cancelled=True))
        finally:
            self._starting.pop(batch_no, None)
            self.changed()

    def follow(self, collect: bool) -> None:
        """At the end of a dispatch turn: the turn's relays start, and those out are collected
        (only while `collect`: the run is not due to continue as new, so no collector can end
        while it does) or, if they signal, watched."""
        if self._to_start:
            task = asyncio.create_task(self._start_turn(self._to_start))
            self._starting.update(dict.fromkeys(self._to_start, task))
            self._to_start = {}
        if not self.s.relays:
            return
        if not self.collected():
            self.watch()
        elif collect:
            self.collect()

    async def _start_turn(self, items: dict[int, ItemInput]) -> None:
        try:
            await workflow.execute_activity(
                ACT_START_RELAYS,
                StartRelaysInput(
                    run_id=self.run_id,
                    task_queue=workflow.info().task_queue,
                    options=self.options,
                    execution_timeout=relay_bound(self.options),
                    items=items,
                ),
                **BOOKKEEPING,
            )
        except ActivityError as exc:
            # A relay that did not start is not found by the collector: reported cancelled.
            workflow.logger.warning("Relays %s may not have started: %s", list(items), exc)
        finally:
            for batch_no in items:
                self._starting.pop(batch_no, None)
            self.changed()

    def collect(self) -> asyncio.Task[None] | None:
        """One collector at a time, for the relays started so far (None when there are none)."""
        if self._collecting is None or self._collecting.done():
            started = [n for n in self.s.relays if n not in self._starting]
            if not started:
                return None
            self._collecting = asyncio.create_task(self._collect(started))
        return self._collecting

    async def _collect(self, batch_nos: list[int]) -> None:
        try:
            collected = await workflow.execute_activity(
                ACT_COLLECT_RELAYS,
                CollectRelaysInput(
                    run_id=self.run_id,
                    batch_nos=batch_nos,
                    wait_seconds=COLLECT_WAIT.total_seconds(),
                ),
                result_type=CollectedRelays,
                **COLLECTING,
            )
            for report in collected.reports:
                self.reported(report)
        except ActivityError as exc:  # the next collector asks again
            workflow.logger.warning("Relays were not collected: %s", exc)
        finally:
            self.changed()

    def cancel_all(self) -> None:
        """Each relay cancels its activity and ends `cancelled` (or with the result it had)."""
        for batch_no in self.s.relays:
            if batch_no not in self._cancelling:
                self._cancelling[batch_no] = asyncio.create_task(self._cancel(batch_no))

    async def _cancel(self, batch_no: int) -> None:
        starting = self._starting.get(batch_no)
        if starting is not None:
            await starting  # a relay not yet started cannot be found to cancel
        if batch_no not in self.s.relays:
            return
        try:
            # Any workflow of the namespace, not only a child, can be cancelled this way.
            await workflow.get_external_workflow_handle(
                relay_workflow_id(self.run_id, batch_no)
            ).cancel()
        except FailureError as exc:  # it ended meanwhile: its report is on its way
            workflow.logger.info("Relay %s was not cancelled: %s", batch_no, exc)

    async def reports(self) -> None:
        """After `cancel_all`: every relay's report, waited for at most `relay_stop_wait` (a
        signalling relay terminated by hand never reports; its item is released with the
        run)."""
        if not self.s.relays:
            return
        stop_wait = relay_stop_wait(self.options)
        if self.collected():
            await self._collect_until(workflow.now() + stop_wait)
        else:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: not self.s.relays, timeout=stop_wait)
        if self.s.relays:
            workflow.logger.warning("%d relays did not report after a cancel", len(self.s.relays))

    async def _collect_until(self, deadline: datetime) -> None:
        """Collectors one after another, until every relay has reported or `deadline`."""
        while self.s.relays and workflow.now() < deadline:
            collector = self.collect()
            if collector is None:
                return
            await collector

    def watch(self) -> None:
        """Signalling relays: while they are out, one timer at a time at the earliest relay's
        bound."""
        if self.s.relays and (self._watch is None or self._watch.done()):
            self._watch = asyncio.create_task(self._settle_lost())

    async def _settle_lost(self) -> None:
        """A signalling relay past its bound has ended without reporting (terminated by hand, or
        timed out): its item is settled as after a cancel, by what the database says. (The
        collector finds such relays at once.)"""
        bound = relay_bound(self.options) + START_GRACE
        first = min(r.started_at for r in self.s.relays.values())
        await workflow.sleep(max(first + bound - workflow.now(), timedelta(seconds=1)))
        for batch_no, relay in list(self.s.relays.items()):
            if batch_no not in self._starting and relay.started_at + bound <= workflow.now():
                workflow.logger.warning(
                    "Relay %s never reported; item %s is settled from the database",
                    batch_no,
                    relay.item.id,
                )
                self.reported(RelayReport(batch_no=batch_no, cancelled=True))
        self.changed()  # the run loop watches the rest
