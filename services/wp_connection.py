"""A site's WordPress connection: its client, built from the decrypted application password
(only ever inside the process that calls WordPress), and the connection test."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from core.crypto import decrypt
from core.db import read_session
from core.errors import NotFoundError, ValidationError
from core.outbound import OutboundPolicy
from integrations.wordpress.client import WordPressClient
from integrations.wordpress.diagnostics import ConnectionReport, check_connection
from models import Site

# Long enough for a large image upload on a slow host; Temporal retries anything slower.
DEFAULT_TIMEOUT_SECONDS = 30.0

ClientFactory = Callable[[Site], WordPressClient]


def site_client(
    site: Site, timeout: float = DEFAULT_TIMEOUT_SECONDS, policy: OutboundPolicy | None = None
) -> WordPressClient:
    """A client for the site's WordPress, every request checked by the outbound policy
    (default: the settings'); ValidationError when no connection is configured."""
    if not (site.wp_url and site.wp_username and site.wp_app_password_encrypted):
        raise ValidationError(
            f"Site {site.id} has no WordPress connection: set its WordPress URL, username and "
            "application password first"
        )
    return WordPressClient(
        site.wp_url,
        site.wp_username,
        decrypt(site.wp_app_password_encrypted),
        timeout=timeout,
        policy=policy,
    )


def client_factory(
    timeout: float = DEFAULT_TIMEOUT_SECONDS, policy: OutboundPolicy | None = None
) -> ClientFactory:
    """A factory of site clients with this HTTP timeout and outbound policy."""
    return lambda site: site_client(site, timeout=timeout, policy=policy)


def load_site(session: Session, account_id: int, site_id: int) -> Site:
    """The site, if it belongs to the account; NotFoundError otherwise."""
    site = session.get(Site, site_id)
    if site is None or site.account_id != account_id:
        raise NotFoundError(f"Site {site_id} not found")
    return site


def check_site_connection(
    account_id: int, site_id: int, factory: ClientFactory | None = None
) -> ConnectionReport:
    """Run the connection test against the site's stored WordPress connection."""
    with read_session() as session:
        site = load_site(session, account_id, site_id)
        client = (factory or client_factory())(site)
    with client:
        return check_connection(client)
