"""`worker.serve` (what `igny8 worker` runs) with a slow AI provider, so a test can SIGTERM it
mid-activity. Usage: python -m tests.graceful_worker ARTICLE_DELAY (settings from the
environment)."""

from __future__ import annotations

import asyncio
import logging
import sys

from core.config import get_settings
from tests.helpers import ControlledProvider
from worker import serve


async def main(delay: float) -> None:
    provider = ControlledProvider()
    provider.delay["generate_article"] = delay
    if not await serve(get_settings(), lambda _account_id: provider):
        raise SystemExit(3)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(main(float(sys.argv[1])))
