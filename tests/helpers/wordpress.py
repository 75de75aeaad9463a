"""The local WordPress the publishing tests run against (set up by scripts/wordpress_setup.sh),
and the fault proxy that goes in front of it (scripts/wp_fault_proxy.py)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from core.db import session_scope
from integrations.wordpress.client import WordPressClient
from models import Content
from services.wp_markup import post_marker

REPO = Path(__file__).resolve().parents[2]
WP_DIR = Path(os.environ.get("IGNY8_WP_DIR", REPO / ".data" / "wordpress"))


def _load_fault_proxy():  # type: ignore[no-untyped-def]
    """scripts/ is not a package: load the proxy's module from its file."""
    spec = importlib.util.spec_from_file_location(
        "wp_fault_proxy", REPO / "scripts" / "wp_fault_proxy.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["wp_fault_proxy"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


FaultProxy = _load_fault_proxy().FaultProxy


@dataclass(frozen=True)
class WP:
    url: str
    username: str
    app_password: str

    def client(self, url: str | None = None) -> WordPressClient:
        return WordPressClient(url or self.url, self.username, self.app_password)


def read_credentials() -> WP | None:
    """The running WordPress's admin login, or None when it is not set up or not answering."""
    path = WP_DIR / "credentials.env"
    if not path.exists():
        return None
    env = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    wp = WP(env["WP_URL"], env["WP_USERNAME"], env["WP_APP_PASSWORD"])
    try:
        httpx.get(
            f"{wp.url}/wp-json/wp/v2/users/me", auth=(wp.username, wp.app_password), timeout=10
        ).raise_for_status()
    except httpx.HTTPError:
        return None
    return wp


def setup_script(action: str) -> subprocess.CompletedProcess[str]:
    """Run scripts/wordpress_setup.sh with `action` (start, stop, status) on WP_DIR."""
    script = REPO / "scripts" / "wordpress_setup.sh"
    return subprocess.run(
        ["bash", str(script), action, "--dir", str(WP_DIR)],
        capture_output=True,
        text=True,
        timeout=900,
    )


def wp_posts_with_marker(wp: WP, content_id: int) -> list[dict[str, Any]]:
    """The WordPress posts (any status) that carry the article's igny8 marker."""
    with session_scope() as s:
        marker = post_marker(s.get(Content, content_id))  # type: ignore[arg-type]
    found = httpx.get(
        f"{wp.url}/wp-json/wp/v2/posts",
        auth=(wp.username, wp.app_password),
        params={"search": marker, "status": "any", "context": "edit"},
        timeout=30,
    ).json()
    return [p for p in found if marker in p["content"]["raw"]]
