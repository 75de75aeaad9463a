"""Every error the API answers with has one shape: `{"error": {"type", "message", "details"}}`.

Domain errors (core.errors) are mapped to HTTP statuses here, once; so are request validation
errors, HTTP errors raised by FastAPI/Starlette and Temporal errors. Anything unexpected is a
500 with the same shape and no traceback (the traceback goes to the log).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from core.errors import (
    AIProviderError,
    ConflictError,
    Igny8Error,
    InsufficientCreditsError,
    NotFoundError,
    ValidationError,
    WordPressConflictError,
    WordPressError,
)
from integrations.storage.errors import StorageError

log = logging.getLogger("igny8.api")

# The first match wins: subclasses before their bases.
DOMAIN_STATUS: list[tuple[type[Igny8Error], int]] = [
    (WordPressConflictError, 409),
    (ValidationError, 422),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InsufficientCreditsError, 402),
    (WordPressError, 502),
    (AIProviderError, 502),
    (StorageError, 503),
]
HTTP_TYPES = {
    400: "BadRequest",
    401: "AuthenticationError",
    403: "PermissionDenied",
    404: "NotFoundError",
    405: "MethodNotAllowed",
    409: "ConflictError",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "ValidationError",
    429: "RateLimited",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}


def error_response(
    status: int,
    type_: str,
    message: str,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"type": type_, "message": message, "details": details}}
    return JSONResponse(body, status_code=status, headers=headers)


def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Igny8Error)
    status = next((code for cls, code in DOMAIN_STATUS if isinstance(exc, cls)), 400)
    return error_response(status, exc.error_type, exc.message, exc.details)


def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "Request failed"
    details = None if isinstance(exc.detail, str) else exc.detail
    return error_response(
        exc.status_code,
        HTTP_TYPES.get(exc.status_code, "HTTPError"),
        message,
        details,
        headers=getattr(exc, "headers", None),
    )


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # The offending input is not echoed back: it may be megabytes long.
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg")), "type": e.get("type")}
        for e in exc.errors()[:50]
    ]
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = _location(tuple(first["loc"]))
    message = f"Invalid request: {where}: {first['msg']}" if where else str(first["msg"])
    return error_response(422, "ValidationError", message, details)


def _temporal_rpc(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RPCError)
    if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
        return error_response(409, "ConflictError", "The run is no longer running", exc.message)
    if exc.status == RPCStatusCode.UNAVAILABLE:
        return error_response(503, "ServiceUnavailable", "Temporal is not reachable", exc.message)
    if exc.status in (RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED):
        return error_response(504, "GatewayTimeout", "Temporal did not answer in time")
    log.warning("Temporal RPC error: %s", exc)
    return error_response(502, "BadGateway", f"Temporal refused the request: {exc.message}")


def _update_failed(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, WorkflowUpdateFailedError)
    cause = exc.cause
    message = getattr(cause, "message", None) or str(cause or exc)
    return error_response(409, "ConflictError", message)


def _update_timeout(_: Request, exc: Exception) -> JSONResponse:
    return error_response(
        504, "GatewayTimeout", "The run did not answer in time: is a worker running?"
    )


def _timeout(_: Request, exc: Exception) -> JSONResponse:
    return error_response(504, "GatewayTimeout", str(exc) or "Timed out")


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("Unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "InternalError", "Something went wrong on our side")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""
    app.add_exception_handler(Igny8Error, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(RPCError, _temporal_rpc)
    app.add_exception_handler(WorkflowUpdateFailedError, _update_failed)
    app.add_exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError, _update_timeout)
    app.add_exception_handler(TimeoutError, _timeout)
    app.add_exception_handler(Exception, _unexpected)
