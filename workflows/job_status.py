"""What the one-off job workflows (publish, WordPress import) share: their status, kept in the
Igny8Status search attribute, and a failed activity turned into the workflow's own failure.

Deterministic workflow code: imports contracts, core helpers without I/O, and temporalio only.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

from contracts.run import ErrorInfo
from core.error_info import error_info
from core.search_attributes import SA_STATUS


class JobStatus:
    """A mixin for a workflow class that sets these attributes in its `__init__`."""

    _status: str
    _phase: str
    _message: str
    _error: ErrorInfo | None
    _finished_at: datetime | None

    def _failed(self, err: ActivityError) -> ApplicationError:
        """Record the failure; the error to raise carries the person-readable message and the
        domain type, with the action in its details (as activities do)."""
        self._error = error_info(err, self._phase, workflow.now())
        self._mark("failed")
        self._message = self._error.error_message
        self._finished_at = workflow.now()
        return ApplicationError(
            self._error.error_message,
            {"action": self._error.action},
            type=self._error.error_type,
            non_retryable=True,
        )

    def _mark(self, status: str) -> None:
        """Keep the Igny8Status search attribute current (when the starter set one)."""
        self._status = status
        if workflow.info().typed_search_attributes.get(SA_STATUS) is not None:
            workflow.upsert_search_attributes([SA_STATUS.value_set(status)])
