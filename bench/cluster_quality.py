"""Clustering quality and cost against hand-labelled keywords, for each clustering method.

    .venv/bin/python bench/cluster_quality.py [--sizes 1000,10000,100000] [--methods ...]

Quality: V-measure, ARI and the number of clusters against `data/labelled_keywords.csv` (one
label per keyword = one article an SEO would write). Cost: wall time and peak RSS at each size,
each (method, size) in a fresh child process so the peak is its own; CPU seconds beside the
wall time, because a shared machine's load stretches the wall time. Sets above the labelled
set's size are made from its keywords with extra modifiers (year, audience, place, "near me",
"vs ..."), so they keep their labels and the quality is measured at scale too.

Methods: `lexical` (this checkout), `lexical-base` (the lexical method of the commit given by
--base, loaded from git), `tfidf-kmeans` (word TF-IDF + k-means with k = the true number of
topics, a baseline that is told the answer's size), `semantic` (the embedded MiniLM option, when
the `semantic` extra is installed).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LABELLED = ROOT / "data" / "labelled_keywords.csv"
BASE_COMMIT = "7e6faf7"  # the first lexical method, for comparison ("lexical-base")
BASE_MODULES = ("services/keyword_terms.py", "services/cluster_naming.py", "services/clustering.py")
METHODS = ("lexical", "lexical-base", "tfidf-kmeans", "semantic")

PREFIXES = ["best", "cheap", "top", "affordable", "good", "easy", "quick", "new"]
SUFFIXES = [
    "2024", "2025", "for women", "for men", "for beginners", "for seniors", "for kids",
    "near me", "online", "reddit", "uk", "canada", "australia", "in texas", "in london",
    "guide", "tips", "review", "reviews", "ideas", "checklist", "for students", "on a budget",
    "step by step", "at home", "for families", "explained", "faq", "pros and cons", "deals",
]  # fmt: skip


def labelled() -> list[tuple[str, str]]:
    """(keyword, topic) rows of the labelled set."""
    with LABELLED.open(newline="") as fh:
        return [(r["keyword"], r["topic"]) for r in csv.DictReader(fh)]


def keyword_set(n: int, seed: int = 13) -> list[tuple[str, str]]:
    """n distinct labelled keywords: the labelled set, then its keywords with added modifiers."""
    rows = labelled()
    if n <= len(rows):
        return random.Random(seed).sample(rows, n) if n < len(rows) else rows
    rng = random.Random(seed)
    seen = {k for k, _ in rows}
    out = list(rows)
    while len(out) < n:
        text, topic = rng.choice(rows)
        roll = rng.random()
        if roll < 0.3:
            text = f"{rng.choice(PREFIXES)} {text}"
        if roll > 0.2:
            text = f"{text} {rng.choice(SUFFIXES)}"
        if roll > 0.85:
            text = f"{text} {rng.choice(SUFFIXES)}"
        if text not in seen:
            seen.add(text)
            out.append((text, topic))
    return out


# --- the methods: texts -> one cluster label per text ------------------------------------------


def _lexical(texts: list[str]) -> list[int]:
    from services.clustering import cluster_texts

    return _labels_from_groups(len(texts), [g.ids for g in cluster_texts(list(enumerate(texts)))])


def _lexical_base(texts: list[str]) -> list[int]:
    module = _load_base()
    groups = module.cluster_texts(list(enumerate(texts)), [])
    return _labels_from_groups(len(texts), [g.ids for g in groups])


def _tfidf_kmeans(texts: list[str], k: int) -> list[int]:
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.feature_extraction.text import TfidfVectorizer

    matrix = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(texts)
    model: KMeans | MiniBatchKMeans
    if len(texts) <= 5_000:
        model = KMeans(n_clusters=k, n_init=3, random_state=0)
    else:
        model = MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=4096, random_state=0)
    return [int(x) for x in model.fit_predict(matrix)]


def _semantic(texts: list[str]) -> list[int]:
    from services.ai.local_embeddings import MiniLMEmbedder
    from services.clustering import cluster_embeddings

    vectors = MiniLMEmbedder().embed(texts)
    groups = cluster_embeddings(list(enumerate(texts)), vectors)
    return _labels_from_groups(len(texts), [g.ids for g in groups])


def _labels_from_groups(n: int, groups: list[list[int]]) -> list[int]:
    labels = [-1] * n
    for number, ids in enumerate(groups):
        for i in ids:
            labels[i] = number
    assert -1 not in labels, "every keyword must land in exactly one cluster"
    return labels


def _load_base():  # type: ignore[no-untyped-def]
    """The lexical method as it was at BASE_COMMIT, imported under the package `base_services`."""
    folder = Path(tempfile.mkdtemp(prefix="igny8-base-"))
    package = folder / "base_services"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for path in BASE_MODULES:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{BASE_COMMIT}:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        (package / Path(path).name).write_text(source.replace("services.", "base_services."))
    sys.path.insert(0, str(folder))
    return importlib.import_module("base_services.clustering")


def run_one(method: str, n: int) -> dict[str, object]:
    """Cluster n labelled keywords with one method in this process; quality, time and memory."""
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    rows = keyword_set(n)
    texts = [t for t, _ in rows]
    truth = [topic for _, topic in rows]
    runners: dict[str, Callable[[list[str]], list[int]]] = {
        "lexical": _lexical,
        "lexical-base": _lexical_base,
        "tfidf-kmeans": lambda t: _tfidf_kmeans(t, len(set(truth))),
        "semantic": _semantic,
    }
    if method == "semantic":
        try:
            from services.ai.local_embeddings import MiniLMEmbedder

            MiniLMEmbedder()
        except Exception as exc:  # the extra is not installed: say so instead of a number
            return {"method": method, "keywords": n, "skipped": str(exc)}
    if method == "lexical-base":
        _load_base()  # loading the old modules is not part of its clustering time
    start, cpu_start = time.perf_counter(), time.process_time()
    labels = runners[method](texts)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "method": method,
        "keywords": n,
        "topics": len(set(truth)),
        "clusters": len(set(labels)),
        "v_measure": round(v_measure_score(truth, labels), 3),
        "ari": round(adjusted_rand_score(truth, labels), 3),
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mib": round(peak, 1),
    }


def main() -> None:
    """Run every (method, size) in a child process and print a table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default=f"{len(labelled())},10000,100000")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # child mode: method size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    print(
        f"{'method':<13} {'keywords':>9} {'topics':>7} {'clusters':>9} {'V-measure':>10} "
        f"{'ARI':>6} {'seconds':>8} {'CPU s':>8} {'peak RSS MiB':>13}"
    )
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        for method in (m.strip() for m in args.methods.split(",") if m.strip()):
            child = subprocess.run(
                [sys.executable, __file__, "--one", method, str(size)],
                capture_output=True,
                text=True,
            )
            if child.returncode != 0:
                print(f"{method:<13} {size:>9,} failed: {child.stderr.strip()[-300:]}", flush=True)
                continue
            r = json.loads(child.stdout.strip().splitlines()[-1])
            if "skipped" in r:
                print(f"{method:<13} {size:>9,} skipped: {r['skipped']}", flush=True)
                continue
            print(
                f"{r['method']:<13} {r['keywords']:>9,} {r['topics']:>7} {r['clusters']:>9,} "
                f"{r['v_measure']:>10} {r['ari']:>6} {r['seconds']:>8} {r['cpu_seconds']:>8} "
                f"{r['peak_rss_mib']:>13}",
                flush=True,
            )


if __name__ == "__main__":
    main()
