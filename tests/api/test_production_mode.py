"""Production defaults: the compose file deploys production, where signup, self top-up and
signup credits are off unless the operator turns them on, and a secret key must be given."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml

from api.main import create_app
from core.config import ConfigurationError, Settings, log_safety_summary
from tests.helpers.tenants import Tenant

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"


def production(**overrides: object) -> Settings:
    """Production settings for one test (the environment's other values, e.g. the test DB)."""
    return Settings(env="production", **overrides)  # type: ignore[arg-type]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("service", ["api", "worker"])
def test_compose_deploys_production_without_giveaways(service: str) -> None:
    env = yaml.safe_load(COMPOSE.read_text())["services"][service]["environment"]
    assert env["IGNY8_ENV"] == "production"
    # Nothing in the compose file turns a giveaway back on.
    for name in ("IGNY8_ALLOW_SIGNUP", "IGNY8_ALLOW_SELF_TOP_UP", "IGNY8_OUTBOUND_ALLOW_PRIVATE"):
        assert str(env.get(name, "false")).lower() in ("false", "0", "no"), name
    assert str(env.get("IGNY8_SIGNUP_CREDITS", "0")) == "0"
    assert not env.get("IGNY8_OUTBOUND_ALLOW")
    # The secret key is required from the operator, not defaulted.
    assert env["IGNY8_SECRET_KEY"].startswith("${IGNY8_SECRET_KEY:?")
    settings = Settings.model_validate(
        {k: v for k, v in env.items() if not str(v).startswith("$")} | {"IGNY8_SECRET_KEY": "k"}
    )
    assert settings.production and not settings.giveaways_in_production
    assert (settings.allow_signup, settings.allow_self_top_up, settings.signup_credits) == (
        False,
        False,
        0,
    )


@pytest.mark.sqlite_only
def test_development_stays_convenient_and_production_gives_nothing_away() -> None:
    dev = Settings(env="development")  # type: ignore[call-arg]
    assert dev.allow_signup and dev.allow_self_top_up and dev.outbound_allow_private
    assert dev.signup_credits == 10_000
    prod = production()
    assert not (prod.allow_signup or prod.allow_self_top_up or prod.outbound_allow_private)
    assert prod.signup_credits == 0


@pytest.mark.sqlite_only
def test_explicit_values_win_over_the_environment_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IGNY8_ALLOW_SIGNUP", "true")
    monkeypatch.setenv("IGNY8_SIGNUP_CREDITS", "50")
    prod = production()
    assert prod.allow_signup and prod.signup_credits == 50
    assert not prod.allow_self_top_up  # still the production default
    assert production(allow_self_top_up=True).allow_self_top_up
    monkeypatch.setenv("IGNY8_ENV", "production")
    monkeypatch.setenv("IGNY8_ALLOW_SELF_TOP_UP", "false")
    assert not Settings().allow_self_top_up  # type: ignore[call-arg]


@pytest.mark.sqlite_only
def test_production_without_a_secret_key_does_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IGNY8_SECRET_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-do-not-print-me")
    with pytest.raises(ConfigurationError, match="IGNY8_SECRET_KEY must be set") as caught:
        production()
    assert "sk-do-not-print-me" not in str(caught.value)
    assert Settings(env="development").secret_key is None  # type: ignore[call-arg]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("command", [["-m", "cli.main", "worker"], ["worker.py"]])
def test_a_process_started_without_the_secret_says_so_in_one_line(
    command: list[str], tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "IGNY8_SECRET_KEY"}
    env |= {"IGNY8_ENV": "production", "IGNY8_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "IGNY8_SECRET_KEY must be set" in " ".join(output.split())
    assert "Traceback" not in output


@pytest.mark.sqlite_only
def test_start_up_says_what_is_on(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="igny8"):
        log_safety_summary(production(), "worker")
        log_safety_summary(production(allow_signup=True), "api")
    quiet, loud = caplog.records[-2:]
    assert quiet.levelno == logging.INFO
    assert "environment production: signup off (0 credits), self top-up off" in quiet.message
    assert "outbound to private networks off" in quiet.message
    assert loud.levelno == logging.WARNING and "signup on" in loud.message


@pytest.fixture
async def prod_api() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(production()))
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        yield http


async def test_signup_and_self_top_up_are_refused_in_production(
    prod_api: httpx.AsyncClient, tenant: Tenant
) -> None:
    signup = await prod_api.post("/accounts", json={"name": "Mallory"})
    assert signup.status_code == 403, signup.text
    assert "Signup is disabled" in signup.json()["error"]["message"]
    top_up = await prod_api.post(
        "/credits/top-up",
        json={"amount": 1_000_000, "idempotency_key": "free-money"},
        headers=tenant.headers,
    )
    assert top_up.status_code == 403, top_up.text
    balance = await prod_api.get("/credits", headers=tenant.headers)
    assert balance.json()["balance"] == 10_000  # what the tenant had


async def test_production_signup_turned_on_grants_no_credits_unless_configured() -> None:
    app = create_app(production(allow_signup=True))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test/api/v1") as http:
        signup = await http.post("/accounts", json={"name": "Invited"})
    assert signup.status_code == 201, signup.text
    assert signup.json()["account"]["credits_balance"] == 0
