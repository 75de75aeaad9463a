"""Benchmark of keyword clustering at scale: wall time, peak memory and cluster count per size.

    .venv/bin/python bench/clustering.py [--sizes 1000,10000,100000]

Each size runs in a fresh child process so its peak RSS (ru_maxrss) is its own. Keyword sets are
synthesised deterministically from topics × modifiers, so they contain real groups to find.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ACTIVITIES = """trail running|road running|hiking|backpacking|camping|climbing|bouldering|cycling|
mountain biking|gravel cycling|kayaking|canoeing|paddleboarding|surfing|skiing|snowboarding|
cross country skiing|ice climbing|fly fishing|bass fishing|birdwatching|swimming|open water
swimming|triathlon|ultramarathon|orienteering|yoga|crossfit|rowing|sailing|scuba diving|
snorkeling|archery|hunting|horse riding|golf|tennis|pickleball|skateboarding|roller skating"""
ITEMS = """shoes|boots|socks|jacket|rain jacket|gloves|hat|sunglasses|backpack|daypack|tent|
sleeping bag|sleeping pad|headlamp|watch|gps watch|water bottle|hydration pack|first aid kit|
stove|cooler|hammock|trekking poles|helmet|shorts|leggings|base layer|fleece|insoles|knee brace|
sunscreen|energy bars|protein powder|camera|phone mount|bike rack|roof box|dry bag|map|compass"""
ATTRIBUTES = """waterproof|lightweight|ultralight|insulated|breathable|durable|packable|
budget|premium|vegan|merino|recycled|heated|collapsible|minimalist|cushioned|wide|kids|
womens|mens"""
TEMPLATES = [
    "{item} for {activity}",
    "best {activity} {item}",
    "{attribute} {activity} {item}",
    "best {attribute} {item} for {activity}",
    "how to choose {activity} {item}",
    "how to clean {activity} {item}",
    "{activity} {item} review",
    "{activity} {item} vs {attribute} {item}",
    "cheap {activity} {item}",
    "{activity} {item} for beginners",
    "{activity} {item} near me",
    "{activity} {item} {year}",
    "{attribute} {item} for {activity} beginners",
    "how long do {activity} {item} last",
    "{activity} {item} size guide",
    "{activity} {item} sale",
]


def _words(block: str) -> list[str]:
    return [w.strip() for w in block.replace("\n", "").split("|") if w.strip()]


def synth_keywords(n: int, seed: int = 42) -> list[tuple[int, str]]:
    """n distinct keywords from topics × modifiers, the same for the same n and seed."""
    rng = random.Random(seed)
    activities, items, attributes = _words(ACTIVITIES), _words(ITEMS), _words(ATTRIBUTES)
    seen: set[str] = set()
    out: list[tuple[int, str]] = []
    while len(out) < n:
        text = rng.choice(TEMPLATES).format(
            activity=rng.choice(activities),
            item=rng.choice(items),
            attribute=rng.choice(attributes),
            year=rng.choice(("2024", "2025")),
        )
        if text not in seen:
            seen.add(text)
            out.append((len(out) + 1, text))
    return out


def run_one(n: int) -> dict[str, float | int]:
    """Cluster n synthetic keywords in this process and measure it."""
    from services.clustering import cluster_texts

    items = synth_keywords(n)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    groups = cluster_texts(items, [])
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sizes = sorted(len(g.ids) for g in groups)
    assert sum(sizes) == n, "every keyword must land in exactly one cluster"
    return {
        "keywords": n,
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "rss_before_mib": round(rss_before / 1024, 1),
        "clusters": len(groups),
        "largest": sizes[-1],
        "median": sizes[len(sizes) // 2],
        "singletons": sum(1 for s in sizes if s == 1),
    }


def main() -> None:
    """Run every requested size in a child process and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    header = (
        f"{'keywords':>9} {'seconds':>8} {'peak RSS MiB':>13} {'(before)':>9} "
        f"{'clusters':>9} {'largest':>8} {'median':>7} {'singletons':>11}"
    )
    print(header)
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        child = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(
            f"{r['keywords']:>9,} {r['seconds']:>8} {r['peak_rss_mib']:>13} "
            f"{r['rss_before_mib']:>9} {r['clusters']:>9,} {r['largest']:>8} {r['median']:>7} "
            f"{r['singletons']:>11,}",
            flush=True,
        )


if __name__ == "__main__":
    main()
