"""docker-compose.yml without a Docker engine: pinned images, Temporal's schema set up by its admin
tools (not auto-setup), a start order that holds, real igny8 commands and settings, probes, and a
Prometheus that scrapes the API and every worker."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app as igny8_cli
from core.config import Settings

ROOT = Path(__file__).resolve().parents[1]
IGNY8_SERVICES = ("igny8-migrate", "api", "worker")
pytestmark = pytest.mark.sqlite_only


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]  # type: ignore[no-any-return]


def _setting_names() -> set[str]:
    return {f.alias or name for name, f in Settings.model_fields.items()}


def test_every_image_is_pinned_and_none_is_dev_only(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        image = service["image"]
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: {image} is not pinned"
        assert re.search(r"\d+\.\d+", tag), f"{name}: {image} has no version in its tag"
        assert "auto-setup" not in image, f"{name}: auto-setup is Temporal's dev-only image"
    assert services["temporal"]["image"].startswith("temporalio/server:")


def test_temporal_schema_is_set_up_by_the_admin_tools(services: dict[str, dict[str, Any]]) -> None:
    schema = services["temporal-schema"]
    assert schema["image"].startswith("temporalio/admin-tools:")
    # The admin tools and the server come from the same Temporal release.
    assert schema["image"].split(":")[1] == services["temporal"]["image"].split(":")[1]
    script = ROOT / "deploy/temporal" / Path(schema["command"][-1]).name
    text = script.read_text()
    for needed in ("temporal-sql-tool", "--plugin postgres12", "setup-schema", "update-schema"):
        assert needed in text
    assert "temporal_visibility" in text and "visibility/versioned" in text
    assert services["temporal"]["environment"]["DB"] == "postgres12"
    namespace = (ROOT / "deploy/temporal/namespace.sh").read_text()
    for attribute in ("Igny8AccountId", "Igny8SiteId", "Igny8Stage", "Igny8Status"):
        assert attribute in namespace  # the search attributes core.temporal sets on runs


def test_start_order(services: dict[str, dict[str, Any]]) -> None:
    def needs(name: str) -> dict[str, str]:
        deps = services[name].get("depends_on", {})
        return {d: c["condition"] for d, c in deps.items()} if isinstance(deps, dict) else {}

    assert needs("temporal-schema") == {"postgres": "service_healthy"}
    assert needs("temporal") == {"temporal-schema": "service_completed_successfully"}
    assert needs("temporal-namespace") == {"temporal": "service_healthy"}
    assert needs("igny8-migrate") == {"postgres": "service_healthy"}
    for process in ("api", "worker"):
        assert needs(process) == {
            "igny8-migrate": "service_completed_successfully",
            "temporal-namespace": "service_completed_successfully",
        }
    # Every dependency exists and there is no cycle.
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name in services and name not in path, f"bad dependency chain {path + (name,)}"
        if name not in seen:
            seen.add(name)
            for dep in needs(name):
                visit(dep, path + (name,))

    for name in services:
        visit(name, ())
    for name in services:  # waiting on a service's health needs a healthcheck there
        for dep, condition in needs(name).items():
            if condition == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits on {dep}'s health"


def test_igny8_commands_are_real(services: dict[str, dict[str, Any]]) -> None:
    runner = CliRunner()
    expected = {"igny8-migrate": ["db", "upgrade"], "api": ["api"], "worker": ["worker"]}
    for name, words in expected.items():
        command = services[name]["command"]
        assert command[0] == "igny8" and command[1 : 1 + len(words)] == words
        result = runner.invoke(igny8_cli, [*words, "--help"])
        assert result.exit_code == 0, f"{name}: `{' '.join(command)}` is not a command"
    api_options = services["api"]["command"][2:]
    assert api_options == ["--host", "0.0.0.0", "--port", "8000"]


def test_igny8_environment_names_are_settings(services: dict[str, dict[str, Any]]) -> None:
    known = _setting_names()
    for name in IGNY8_SERVICES:
        env = services[name]["environment"]
        unknown = set(env) - known
        assert not unknown, f"{name} sets {unknown}, which no setting reads"
        assert env["DATABASE_URL"].startswith("postgresql://")
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    for process in ("api", "worker"):
        assert services[process]["environment"]["IGNY8_ENV"] == "production"
    assert "IGNY8_WORKER_HEALTH_PORT" in services["worker"]["environment"]


def test_processes_have_probes_and_workers_scale(services: dict[str, dict[str, Any]]) -> None:
    for name in ("postgres", "temporal", "api", "worker"):
        assert services[name]["healthcheck"]["test"], f"{name} has no healthcheck"
    assert "/healthz" in " ".join(services["api"]["healthcheck"]["test"])
    port = services["worker"]["environment"]["IGNY8_WORKER_HEALTH_PORT"]
    assert f"localhost:{port}/readyz" in " ".join(services["worker"]["healthcheck"]["test"])
    assert services["worker"]["deploy"]["replicas"] >= 2
    # Docker's SIGKILL comes after the worker's own graceful bound.
    grace = int(services["worker"]["environment"]["IGNY8_GRACEFUL_SHUTDOWN_SECONDS"])
    assert int(services["worker"]["stop_grace_period"].rstrip("s")) > grace


def test_prometheus_scrapes_the_api_and_every_worker(services: dict[str, dict[str, Any]]) -> None:
    mount = services["prometheus"]["volumes"][0].split(":")[0]
    config = yaml.safe_load((ROOT / mount).read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    api = jobs["igny8-api"]
    assert api["metrics_path"] == "/metrics" and api["static_configs"][0]["targets"] == ["api:8000"]
    workers = jobs["igny8-worker"]["dns_sd_configs"][0]
    metrics_port = int(services["worker"]["environment"]["IGNY8_METRICS_PORT"])
    assert workers["names"] == ["worker"] and workers["port"] == metrics_port == 9464
    sdk = jobs["igny8-worker-sdk"]["dns_sd_configs"][0]
    sdk_port = int(services["worker"]["environment"]["IGNY8_SDK_METRICS_PORT"])
    assert sdk["names"] == ["worker"] and sdk["port"] == sdk_port == 9465


def test_mounted_files_exist_and_the_image_holds_every_package(
    services: dict[str, dict[str, Any]],
) -> None:
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is missing"
    dockerfile = (ROOT / "Dockerfile").read_text()
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for pattern in packages["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        assert f"COPY {package} {package}" in dockerfile, f"the image lacks {package}/"
    assert "alembic.ini" in dockerfile and 'CMD ["igny8", "worker"]' in dockerfile
    # IGNY8_STORAGE=s3, tracing and semantic clustering need their extras inside the image.
    assert 'pip install --no-cache-dir ".[s3,otel,semantic]"' in dockerfile
