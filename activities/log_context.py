"""A worker interceptor that binds each activity's run, stage and site for the log lines (and
the metrics labels) of everything the activity does, in its own task and thread."""

from __future__ import annotations

from typing import Any

from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from core.logging import log_context
from core.metrics import stage_name

# Fields of activity inputs (contracts/) that say what the activity works on.
_FIELDS = {"run_id": "run_id", "site_id": "site_id", "content_id": "item"}


class _BindContext(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        fields: dict[str, Any] = {
            "activity": info.activity_type,
            "attempt": info.attempt,
            "workflow_id": info.workflow_id,
        }
        arg = input.args[0] if input.args else None
        for attr, name in _FIELDS.items():
            value = getattr(arg, attr, None)
            if value is not None:
                fields[name] = value
        stage = getattr(arg, "stage", None)
        if stage is not None:
            fields["stage"] = stage_name(stage)
        # Sync activities run in a thread that gets a copy of this task's context.
        with log_context(**fields):
            return await super().execute_activity(input)


class LogContextInterceptor(Interceptor):
    """Give to Worker(interceptors=[...])."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BindContext(next)
