"""What every `igny8` command shares: consoles, readable errors, JSON output, the database and
the Temporal client. The CLI works on the database and Temporal directly, through the same
services as the API; no API server is needed."""

from __future__ import annotations

import asyncio
import functools
import json
import traceback
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn, ParamSpec, TypeVar

import click
import typer
from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from temporalio.client import (
    Client,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError

from core.config import ConfigurationError, Settings, get_settings
from core.db import init_db, read_session, session_scope
from core.errors import Igny8Error, TemporalTLSError
from core.temporal import connect

console = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of text")]
CONNECT_TIMEOUT_SECONDS = 5.0
P = ParamSpec("P")
T = TypeVar("T")
_db_ready = False


def fail(message: str, code: int = 1) -> NoReturn:
    """A red line on stderr and the exit code; never a traceback."""
    err.print(f"[red]Error:[/] {escape(message)}")
    raise typer.Exit(code)


def command(fn: Callable[P, T]) -> Callable[P, T]:
    """Turn the errors a person can act on into a readable line and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # typer's own ways out (exit codes, usage errors)
        except Igny8Error as exc:
            fail(exc.message)
        except ConfigurationError as exc:
            fail(f"Configuration: {exc}")
        except RPCError as exc:
            fail(f"Temporal refused the request: {exc.message}")
        except WorkflowUpdateRPCTimeoutOrCancelledError:
            fail(
                "The run did not answer in time: is a worker running on its task queue? "
                "The request is kept and takes effect once a worker picks the run up."
            )
        except (WorkflowQueryFailedError, WorkflowUpdateFailedError) as exc:
            cause = getattr(exc, "cause", None)
            fail(f"The run could not answer: {getattr(cause, 'message', None) or exc}")
        except SQLAlchemyError as exc:
            fail(f"Database error: {str(exc.orig if hasattr(exc, 'orig') else exc)[:300]}")
        except (ConnectionError, TimeoutError, OSError) as exc:
            fail(str(exc) or type(exc).__name__)
        except KeyboardInterrupt:
            err.print("[yellow]Interrupted.[/]")
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug: still one readable line, with where it happened
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            fail(f"Unexpected {type(exc).__name__}: {exc} ({frame.filename}:{frame.lineno})")

    return wrapper


def _ensure_db() -> None:
    global _db_ready
    if not _db_ready:
        init_db()
        _db_ready = True


@contextmanager
def writing() -> Iterator[Session]:
    """A write session (committed at the end), on a database whose tables exist."""
    _ensure_db()
    with session_scope() as session:
        yield session


@contextmanager
def reading() -> Iterator[Session]:
    """A read session."""
    _ensure_db()
    with read_session() as session:
        yield session


async def temporal(settings: Settings | None = None) -> Client:
    """A Temporal client (for `settings`, by default the environment's); ConnectionError when
    Temporal does not answer in time."""
    settings = settings or get_settings()
    try:
        return await asyncio.wait_for(connect(settings), CONNECT_TIMEOUT_SECONDS)
    except TemporalTLSError:
        raise  # it already says which TEMPORAL_TLS_* setting to check
    except Exception as exc:
        raise ConnectionError(
            f"Temporal is not reachable at {settings.temporal_address}: start it with "
            "`igny8 dev` (or `make dev`), or set TEMPORAL_ADDRESS"
        ) from exc


def run(coro: Coroutine[Any, Any, T]) -> T:
    _ensure_db()
    return asyncio.run(coro)


def to_jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [to_jsonable(d) for d in data]
    if isinstance(data, dict):
        return {k: to_jsonable(v) for k, v in data.items()}
    return data


def print_json(data: Any) -> None:
    """One JSON document on stdout (plain print: no wrapping, no colours)."""
    print(json.dumps(to_jsonable(data), default=str))
