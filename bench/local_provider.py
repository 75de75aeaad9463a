"""Speed of the local provider, which runs inside the worker's activities: best and median time
of a 2,000-word article and of a 1200x675 image, over a few repeats.

    .venv/bin/python bench/local_provider.py [--repeats 5]

The targets it was built to (a run of hundreds of articles must not wait on it): an article
under 50 ms, an image under 100 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = {"article (2,000 words)": 0.05, "image (1200x675)": 0.1}


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    """Wall times of `repeats` calls, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    """Time both calls and print a table against their targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from services.ai.local import LocalProvider
    from services.ai.schemas import ArticleBrief, ClusterBrief

    provider = LocalProvider()
    cluster = ClusterBrief(
        id=1,
        name="trail running shoes",
        description="",
        intent="informational",
        keywords=["trail running shoes", "best trail running shoes", "waterproof trail shoes"],
    )
    idea = provider.generate_ideas(cluster).value.ideas[0]
    brief = ArticleBrief(
        title=idea.title,
        description=idea.description,
        outline=idea.outline,
        primary_keyword=idea.primary_keyword,
        keywords=idea.covered_keywords,
        content_type=idea.content_type,
        content_structure=idea.content_structure,
        target_word_count=2000,
    )
    calls: dict[str, Callable[[], object]] = {
        "article (2,000 words)": lambda: provider.generate_article(brief),
        "image (1200x675)": lambda: provider.generate_image("trail shoes", 1200, 675),
    }
    print(f"{'call':<24} {'best ms':>8} {'median ms':>10} {'target ms':>10}")
    for name, call in calls.items():
        times = timed(call, args.repeats)
        print(
            f"{name:<24} {min(times) * 1000:>8.1f} {statistics.median(times) * 1000:>10.1f} "
            f"{TARGET_SECONDS[name] * 1000:>10.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
