"""Shared test helpers (fixtures live in tests/conftest.py). The names most tests use are
importable from here: `from tests.helpers import seed_site, count, wait_for, ControlledProvider`."""

from tests.helpers.data import SAMPLE_KEYWORDS, count, seed_site
from tests.helpers.polling import wait_for
from tests.helpers.providers import ControlledProvider, FailingProvider, TokenProvider
from tests.helpers.tenants import Tenant, make_tenant

__all__ = [
    "SAMPLE_KEYWORDS",
    "ControlledProvider",
    "FailingProvider",
    "Tenant",
    "TokenProvider",
    "count",
    "make_tenant",
    "seed_site",
    "wait_for",
]
