"""Activity options, one set per kind of activity, shared by every workflow.

Each kind says how long one attempt may take and how it is retried. AI items are sized from the
run's options (the provider's call timeout), so they are built by a function.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from temporalio.common import RetryPolicy

from contracts.run import RunOptions

# Errors that trying again cannot fix: the item fails at once.
PERMANENT_ERRORS = ["ValidationError", "InsufficientCreditsError"]


class ActivityOptions(TypedDict, total=False):
    """Keyword options of `workflow.execute_activity`, typed so they can be shared."""

    start_to_close_timeout: timedelta
    heartbeat_timeout: timedelta
    retry_policy: RetryPolicy


# Retried until the database (or WordPress) answers: transient by nature.
_PATIENT = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)
_BOUNDED = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=2),
    maximum_attempts=10,
)

# Bookkeeping: a few database statements (begin, plan, record, mark).
BOOKKEEPING = ActivityOptions(start_to_close_timeout=timedelta(minutes=2), retry_policy=_PATIENT)
# A WordPress request or two (connection check, the start of a sync).
WORDPRESS_SHORT = ActivityOptions(
    start_to_close_timeout=timedelta(seconds=30), retry_policy=_BOUNDED
)
# One page of a sync, or one article with its images: minutes on a slow host; the heartbeat
# notices a dead worker much sooner.
WORDPRESS_LONG = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=15),
    heartbeat_timeout=timedelta(seconds=30),
    retry_policy=_BOUNDED,
)
# Listing every post id of a site (100 per request): long on a site with 100 000 posts.
WORDPRESS_LIST = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=30),
    heartbeat_timeout=timedelta(seconds=30),
    retry_policy=_BOUNDED,
)

# Asking Temporal for link refreshes (a database read and a signal-with-start per post).
SIGNALLING = ActivityOptions(start_to_close_timeout=timedelta(minutes=1), retry_policy=_BOUNDED)
# A publish waiting for a refresh of its own article's links: seconds, unless WordPress is slow
# and the refresh's round is retried. A refresh still running after 25 minutes fails the publish
# with an error naming it (activities.link_refresh); the attempts are for a worker that died.
WAITING_FOR_REFRESH = ActivityOptions(
    start_to_close_timeout=timedelta(minutes=30),
    heartbeat_timeout=timedelta(seconds=30),
    retry_policy=RetryPolicy(initial_interval=timedelta(seconds=2), maximum_attempts=3),
)


def _item_retry(o: RunOptions) -> RetryPolicy:
    return RetryPolicy(
        initial_interval=timedelta(seconds=o.retry_initial_seconds),
        backoff_coefficient=2.0,
        maximum_interval=timedelta(seconds=o.retry_maximum_seconds),
        maximum_attempts=o.retry_maximum_attempts,
        non_retryable_error_types=PERMANENT_ERRORS,
    )


def ai_item(o: RunOptions) -> ActivityOptions:
    """One AI call (plus at most one repair round): the attempt is sized to the call timeout,
    so a hung call costs one attempt, not the half hour a fixed bound would allow."""
    return ActivityOptions(
        start_to_close_timeout=timedelta(seconds=2 * o.ai_call_timeout_seconds + 30),
        heartbeat_timeout=timedelta(seconds=o.heartbeat_timeout_seconds),
        retry_policy=_item_retry(o),
    )


def stage_batch(o: RunOptions) -> ActivityOptions:
    """A batch of database work (queueing ideas, review) or a whole clustering."""
    return ActivityOptions(
        start_to_close_timeout=timedelta(minutes=30),
        heartbeat_timeout=timedelta(seconds=o.heartbeat_timeout_seconds),
        retry_policy=_item_retry(o),
    )
