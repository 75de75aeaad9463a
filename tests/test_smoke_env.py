"""The test environment itself: a real dev server and a real database."""

from sqlmodel import select

from core.db import session_scope
from models import Account


async def test_dev_server_answers(client) -> None:
    info = await client.workflow_service.get_system_info(
        __import__("temporalio.api.workflowservice.v1", fromlist=["x"]).GetSystemInfoRequest()
    )
    assert info.server_version


def test_database_round_trip() -> None:
    with session_scope() as s:
        s.add(Account(name="round trip"))
    with session_scope() as s:
        assert s.exec(select(Account).where(Account.name == "round trip")).first() is not None
