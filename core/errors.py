"""Domain errors, one tree. Activities map them to Temporal `ApplicationError` types once
(activities/errors.py); the API maps them to HTTP once (api/errors.py)."""

from __future__ import annotations


class Igny8Error(Exception):
    """Base of every domain error. `retryable` says whether trying again can help."""

    retryable = False
    action = "fix_input"  # what a person should do: retry | top_up | fix_input

    def __init__(self, message: str, *, details: object | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    @property
    def error_type(self) -> str:
        return type(self).__name__


class ValidationError(Igny8Error):
    """Input (from a user or from a model's output) does not meet the contract."""


class NotFoundError(Igny8Error):
    """The resource does not exist, or belongs to another account."""


class ConflictError(Igny8Error):
    """The request clashes with the current state (e.g. a site already has an active run)."""


class InsufficientCreditsError(Igny8Error):
    action = "top_up"

    def __init__(self, needed: int, available: int) -> None:
        super().__init__(
            f"Not enough credits: {needed} needed, {available} available",
            details={"needed": needed, "available": available},
        )
        self.needed = needed
        self.available = available


class AIProviderError(Igny8Error):
    """The AI provider failed. Retryable unless the request itself was refused (4xx)."""

    action = "retry"

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        retry_after_seconds: float | None = None,
        details: object | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retryable = retryable
        self.retry_after_seconds = retry_after_seconds
        if not retryable:
            self.action = "fix_input"


class AIOutputError(AIProviderError):
    """The model answered, but with invalid, truncated or off-schema output."""

    def __init__(self, message: str, *, details: object | None = None) -> None:
        super().__init__(message, retryable=True, details=details)


class ProviderTimeoutError(AIProviderError):
    """The provider did not answer in time. Reported with error_type `TimeoutError`."""

    @property
    def error_type(self) -> str:
        return "TimeoutError"


class WordPressError(Igny8Error):
    """WordPress refused or failed a request."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        status_code: int | None = None,
        details: object | None = None,
    ) -> None:
        super().__init__(message, details=details)
        self.retryable = retryable
        self.status_code = status_code
        self.action = "retry" if retryable else "fix_input"


# Deployment: what stops a process from starting, with what to do about it.


class SchemaOutOfDateError(Igny8Error):
    """The database schema is not at the revision this code needs (run `igny8 db upgrade`)."""

    action = "retry"


class TemporalConnectionError(Igny8Error):
    """Temporal could not be reached (address, network, server down)."""

    retryable = True
    action = "retry"


class TemporalTLSError(TemporalConnectionError):
    """The TLS handshake with Temporal failed: certificates, CA, server name or API key."""

    retryable = False
    action = "fix_input"


class WordPressConflictError(ConflictError):
    """The post was changed or deleted on WordPress since igny8 last published it: publishing
    now would overwrite (or re-create) an editor's work. Permanent until a person chooses."""

    def __init__(
        self,
        content_id: int,
        post_id: int | None,
        reason: str,  # changed | deleted
        *,
        changed_at: str | None = None,
        fields: list[str] | None = None,
    ) -> None:
        where = f"Content {content_id}: its WordPress post {post_id}"
        if reason == "deleted":
            message = (
                f"{where} was deleted on WordPress; publishing would re-create it. Choose first: "
                f"POST /content/{content_id}/wordpress/keep (re-create it on the next publish) "
                'or publish with {"overwrite": true}'
            )
        else:
            what = f" ({', '.join(fields)})" if fields else ""
            when = f" at {changed_at}" if changed_at else ""
            message = (
                f"{where} was changed on WordPress{when}{what}; publishing would overwrite that "
                f"edit. Choose first: POST /content/{content_id}/wordpress/adopt (take the "
                f"WordPress version into igny8), POST /content/{content_id}/wordpress/keep (keep "
                'igny8\'s; the next publish overwrites) or publish with {"overwrite": true}'
            )
        super().__init__(
            message,
            details={
                "content_id": content_id,
                "post_id": post_id,
                "reason": reason,
                "changed_at": changed_at,
                "fields": fields or [],
            },
        )
        self.reason = reason
