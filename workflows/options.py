"""Typed keyword options for `workflow.execute_activity*`, shareable between calls."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from temporalio.common import RetryPolicy


class ActivityOptions(TypedDict, total=False):
    """Keyword options of `workflow.execute_activity`, typed so they can be shared."""

    start_to_close_timeout: timedelta
    heartbeat_timeout: timedelta
    retry_policy: RetryPolicy
