"""A worker in its own process, so a test can kill it with SIGKILL mid-run.
Usage: python -m tests.helpers.worker_process TASK_QUEUE TEMPORAL_ADDRESS ARTICLE_DELAY"""

from __future__ import annotations

import asyncio
import sys

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from core.config import get_settings
from tests.helpers import ControlledProvider
from worker import build_worker


async def main(task_queue: str, address: str, delay: float) -> None:
    provider = ControlledProvider()
    provider.delay["generate_article"] = delay
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    settings = get_settings().model_copy(update={"task_queue": task_queue})
    async with build_worker(client, settings, task_queue, lambda _: provider):
        print("worker ready", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
