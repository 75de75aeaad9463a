"""The account's AI prompts: one per AI function, defaults overridable per account."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field
from sqlmodel import select

from api.deps import CurrentAccount, SessionDep
from core.db import session_scope
from core.errors import NotFoundError
from models.prompts import PromptOverride
from models.schemas import CleanStr, RequestBody
from services.ai import prompts as svc

router = APIRouter(prefix="/prompts", tags=["prompts"])
Function = Annotated[str, Path(max_length=60, description=f"One of {list(svc.PROMPT_FUNCTIONS)}")]


class PromptPublic(BaseModel):
    function: str
    system: str
    user: str
    overridden: bool = Field(description="True when this account replaced the default")
    placeholders: list[str] = Field(description="`{names}` the user template may use")


class PromptUpdate(RequestBody):
    system: Annotated[CleanStr, Field(min_length=1, max_length=20_000)]
    user: Annotated[
        CleanStr, Field(min_length=1, max_length=50_000, description="May use the placeholders")
    ]


def _public(session, account_id: int, function: str) -> PromptPublic:  # type: ignore[no-untyped-def]
    prompt = svc.get_prompt(session, account_id, function)
    return PromptPublic(
        function=function, system=prompt.system, user=prompt.user,
        overridden=prompt != svc.DEFAULT_PROMPTS[function],
        placeholders=list(svc.PLACEHOLDERS[function]),
    )  # fmt: skip


@router.get("", response_model=list[PromptPublic])
def list_prompts(session: SessionDep, account: CurrentAccount) -> list[PromptPublic]:
    """The prompt of every AI function as the `openai` provider will use it for this account."""
    assert account.id is not None
    return [_public(session, account.id, f) for f in svc.PROMPT_FUNCTIONS]


@router.put("/{function}", response_model=PromptPublic)
def set_prompt(function: Function, body: PromptUpdate, account: CurrentAccount) -> PromptPublic:
    """Replace the prompt of one AI function for this account (422 on an unknown placeholder).
    Required values (e.g. the outline for articles) are still appended if left out."""
    assert account.id is not None
    with session_scope() as session:
        svc.save_prompt_override(session, account.id, function, body.system, body.user)
        session.flush()
        return _public(session, account.id, function)


@router.delete("/{function}", status_code=204, response_class=Response)
def reset_prompt(function: Function, account: CurrentAccount) -> Response:
    """Go back to the default prompt for one AI function."""
    svc.check_template(function, "")
    with session_scope() as session:
        row = session.exec(
            select(PromptOverride).where(
                PromptOverride.account_id == account.id, PromptOverride.function == function
            )
        ).first()
        if row is None:
            raise NotFoundError(f"No prompt override for {function}")
        session.delete(row)
    return Response(status_code=204)
