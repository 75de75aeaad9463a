"""A worker as one host of a deployment runs it: settings from its own environment (data folder,
storage, metrics ports), observability started as `python worker.py` does, and the local
provider with a delay per image so a test can catch it mid-stage.
Usage: python -m tests.worker_host IMAGE_DELAY_SECONDS"""

from __future__ import annotations

import asyncio
import sys

from core.config import get_settings
from core.observability import start_worker_observability
from core.temporal import connect
from tests.helpers import ControlledProvider
from worker import build_worker


async def main(image_delay: float) -> None:
    settings = get_settings()
    runtime = start_worker_observability(settings)
    client = await connect(settings, runtime=runtime)
    provider = ControlledProvider()
    provider.delay["generate_image"] = image_delay
    async with build_worker(client, settings, provider_for_account=lambda _: provider):
        print("worker ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(float(sys.argv[1])))
