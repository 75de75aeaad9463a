"""The connection test: can igny8 reach this WordPress, log in, and do what publishing needs?
Every finding is reported in words a site owner can act on."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from core.errors import WordPressError
from integrations.wordpress.client import WordPressClient
from integrations.wordpress.errors import (
    WordPressAuthError,
    WordPressNotFoundError,
    WordPressRejectedError,
    WordPressUnavailableError,
)

# Capability → what igny8 cannot do without it, and whether publishing fails outright.
CAPABILITIES: dict[str, tuple[str, bool]] = {
    "edit_posts": ("create or edit posts", True),
    "publish_posts": ("publish posts (only drafts would be possible)", False),
    "upload_files": ("upload images to the media library (no featured or in-article images)", True),
    "manage_categories": ("create new categories and tags (existing ones still work)", False),
}


class ConnectionReport(BaseModel):
    """What the connection test found. `ok` is False when publishing cannot work."""

    ok: bool
    message: str
    url: str
    rest_mode: str | None = None  # pretty (/wp-json/) | plain (?rest_route=)
    site_name: str | None = None
    user: str | None = None
    roles: list[str] = Field(default_factory=list)
    missing_capabilities: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)  # publishing cannot work until fixed
    warnings: list[str] = Field(default_factory=list)  # publishing works, with limits


def _index_findings(client: WordPressClient, report: ConnectionReport) -> bool:
    """Read the REST index; False when WordPress cannot be talked to at all."""
    try:
        index: dict[str, Any] = client.index()
    except WordPressUnavailableError as exc:
        report.problems.append(exc.message)
        return False
    except (WordPressNotFoundError, WordPressRejectedError) as exc:
        report.problems.append(
            f"The REST API does not answer at {client.base_url} (tried /wp-json/ and "
            f"?rest_route=): {exc.message}"
        )
        return False
    except WordPressError as exc:
        # Some security plugins close the index to anonymous and logged-in users alike;
        # the user endpoint below still tells whether publishing works.
        report.warnings.append(f"The REST API index is not readable: {exc.message}")
        return True
    report.site_name = str(index.get("name") or "") or None
    if "application-passwords" not in (index.get("authentication") or {}):
        report.warnings.append(
            "WordPress does not advertise application passwords: they need HTTPS (or "
            "WP_ENVIRONMENT_TYPE 'local'), WordPress 5.6+, and no plugin disabling them."
        )
    return True


def check_connection(client: WordPressClient) -> ConnectionReport:
    """Check reachability, REST API, credentials, role and capabilities."""
    report = ConnectionReport(ok=False, message="", url=client.base_url)
    if _index_findings(client, report):
        try:
            me = client.me()
        except WordPressAuthError as exc:
            report.problems.append(exc.message)
        except WordPressError as exc:
            report.problems.append(f"Could not read the WordPress user: {exc.message}")
        else:
            _user_findings(me, report)
    report.rest_mode = client.rest_mode
    if report.rest_mode == "plain":
        report.warnings.append(
            "Pretty permalinks are off, so the REST API answers only at ?rest_route=; igny8 "
            "works with that, but turning permalinks on gives /wp-json/ URLs."
        )
    report.ok = not report.problems
    if report.ok:
        role = ", ".join(report.roles) or "no role"
        report.message = (
            f"Connected to {report.site_name or report.url} as {report.user} ({role})"
            + (f"; {len(report.warnings)} warning(s)" if report.warnings else "")
        )
    else:
        report.message = report.problems[0]
    return report


def _user_findings(me: dict[str, Any], report: ConnectionReport) -> None:
    report.user = str(me.get("username") or me.get("slug") or me.get("name") or "?")
    report.roles = [str(r) for r in me.get("roles") or []]
    capabilities = me.get("capabilities")
    if not isinstance(capabilities, dict):
        report.warnings.append("WordPress did not list the user's capabilities (context=edit).")
        return
    for capability, (what, blocking) in CAPABILITIES.items():
        if capabilities.get(capability):
            continue
        report.missing_capabilities.append(capability)
        role = ", ".join(report.roles) or "no role"
        text = (
            f"The WordPress user {report.user} ({role}) lacks `{capability}`, so igny8 cannot "
            f"{what}. Give the user the Editor or Administrator role."
        )
        (report.problems if blocking else report.warnings).append(text)
