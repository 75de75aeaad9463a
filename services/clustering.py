"""Keyword clustering that scales: sparse TF-IDF (or given embeddings), clustered in bounded blocks.

No step builds an n×n matrix. A set above `BLOCK_SIZE` is first cut into coarse blocks of about
`COARSE_BLOCK` similar rows (MiniBatchKMeans on a 64-dimension LSA projection); each block is then
clustered finely on its own, so time and memory grow linearly with n (a block's own b×b distances,
b ≤ BLOCK_SIZE, are the largest object), and average linkage is then continued across blocks
over whole groups (one sum vector each), so a topic the coarse cut spread over several blocks
comes together again. Keyword text is grouped by average-linkage agglomeration under a cosine
threshold, because k-means on short sparse texts makes catch-all clusters of unrelated leftovers;
embedding vectors use k-means with k ≈ n / 8. A loosely held group stays under `LOOSE_SIZE`, a
tight topic under `MAX_SIZE`; a big group whose members divide among distinct head phrases is
split along them. Everything is seeded.
"""

from __future__ import annotations

import heapq
import math
import warnings
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from threadpoolctl import threadpool_limits

from services.cluster_naming import ClusterGroup, name_groups
from services.keyword_terms import features

__all__ = [
    "ClusterGroup",
    "choose_k",
    "cluster_embeddings",
    "cluster_texts",
    "cluster_vectors",
    "partition",
    "text_matrix",
]

TARGET_SIZE = 8  # keywords per cluster k-means aims for (k ≈ n / TARGET_SIZE)
# A group held together loosely grows no bigger than this; bigger ones are split again. A group
# whose members are close to one another (mean pairwise similarity at least COHESION) is one
# topic up to MAX_SIZE: a topic's long tail ("paris hotels" with 150 variants at 10 000
# keywords) grows with the keyword set, and cutting it into chunks would plan one article twice.
LOOSE_SIZE = 60
# No cluster grows past this, however tight. Stage 2 plans a cluster's articles from its 60 most
# searched keywords: that stands for a topic's variants, not for several topics' worth.
MAX_SIZE = 300
MIN_SIZE = 3  # smaller groups join their nearest cluster when they are close enough
BLOCK_SIZE = 2_000  # above this a set is cut into coarse blocks before fine clustering
COARSE_BLOCK = 1_000  # coarse block size aimed for
RANDOM_STATE = 0
# Clustering runs single-threaded: a worker runs several activities at once, and OpenMP threads
# spinning against each other made a 10 000-keyword run 3x slower than one thread per call.
# Average cosine distance under which keyword groups are joined: 0.85 means members share,
# on average, a similarity of 0.15 — one distinctive term in common, not just "running".
LINK_DISTANCE = 0.85
# A small group joins a bigger one only at this centroid similarity or above: sharing just a
# niche-wide word ("running") gives about 0.06, sharing a distinctive one about 0.15.
JOIN_SIMILARITY = 0.12
# Small groups that joined nothing are grouped among themselves at this looser distance, so
# leftovers that share any term end up together instead of one cluster per keyword.
LEFTOVER_DISTANCE = 0.95
# Sentence embeddings are dense and much closer to each other than sparse term vectors: two
# keywords for one article sit at cosine ~0.6-0.9, unrelated ones at ~0.1-0.3. Average linkage
# under a 0.6 distance scored best on the labelled set (bench/cluster_quality.py).
DENSE_LINK_DISTANCE = 0.6
DENSE_JOIN_SIMILARITY = 0.5
DENSE_LEFTOVER_DISTANCE = 0.7
# Mean pairwise cosine similarity from which a group above LOOSE_SIZE is kept whole: linked groups
# have at least 0.15 (LINK_DISTANCE); one topic with its variants has 0.27-0.45 on the labelled
# set at 10 000 keywords, catch-alls tied by a niche-wide word ("fishing") 0.17-0.24.
COHESION = 0.26
DENSE_COHESION = 0.5  # for sentence embeddings: one topic has 0.51-0.6 at 10 000 keywords
# A group bigger than LOOSE_SIZE whose members divide among distinct head phrases ("alpha stove",
# "gamma stove"; "trail running shoes", "road running shoes") is split along them: each phrase a
# facet of at least FACET_MIN members and FACET_SHARE of the group, in at most FACET_MAX_SHARE
# of it (a phrase nearly all share is the topic, not a facet), overlapping the facets taken
# before it by at most FACET_OVERLAP; together they must cover FACET_COVER of the group.
FACET_MIN = TARGET_SIZE
FACET_SHARE = 0.1
FACET_MAX_SHARE = 0.6
FACET_OVERLAP = 0.3
FACET_COVER = 0.7
CHAR_WEIGHT = 0.3  # weight of character 4-grams beside whole terms (bench: fewer fragments)
_LSA_DIMS = 64
_DENSE_CELLS = 4_000_000  # a group split with k-means goes dense below this many cells
_PAIR_CHUNK = 512  # groups whose similarities to all others are computed at once when merging

Matrix = Any  # a row-normalised scipy CSR matrix or a dense numpy array
Method = Literal["agglomerative", "kmeans"]


def choose_k(n: int, target_size: int = TARGET_SIZE) -> int:
    """The number of k-means clusters for n items: about n / target_size, within 1..n."""
    return max(1, min(n, round(n / target_size)))


def cluster_texts(
    items: Sequence[tuple[int, str]],
    existing_names: Sequence[str] = (),
    *,
    max_size: int = MAX_SIZE,
) -> list[ClusterGroup]:
    """Group (id, keyword) pairs into named topical clusters; each id lands in exactly one.

    A group whose main phrase matches one of `existing_names` (ignoring case and plurals) is
    given that exact name, so the caller can merge it into the existing cluster."""
    if not items:
        return []
    ids = [item_id for item_id, _ in items]
    texts = [text for _, text in items]
    with threadpool_limits(limits=1):
        matrix = text_matrix(texts)
        parts = partition(matrix, method="agglomerative", max_size=max_size)
        parts = _split_facets(matrix, parts, texts)
    return name_groups(parts, ids, texts, existing_names)


def text_matrix(texts: Sequence[str]) -> Matrix:
    """Row-normalised sparse vectors of keywords: TF-IDF of their stemmed terms and bigrams,
    plus character 4-grams of the terms at a lower weight, so variants the stemmer misses
    ("housebreaking", "house training") still look alike."""
    feats = [features(t) for t in texts]
    words = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, dtype=np.float32)
    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(4, 4), sublinear_tf=True, dtype=np.float32
    )
    terms = [" ".join(f for f in fs if " " not in f) for fs in feats]
    matrix = sp.hstack([words.fit_transform(feats), CHAR_WEIGHT * chars.fit_transform(terms)])
    return normalize(matrix.tocsr())


def cluster_embeddings(
    items: Sequence[tuple[int, str]],
    vectors: np.ndarray,
    existing_names: Sequence[str] = (),
    *,
    max_size: int = MAX_SIZE,
) -> list[ClusterGroup]:
    """Group (id, keyword) pairs by sentence-embedding vectors (n×d, cosine), named like
    `cluster_texts` names its groups (an existing cluster's name when the phrase matches)."""
    if not items:
        return []
    data = normalize(np.asarray(vectors, dtype=np.float32))
    if data.shape[0] != len(items):
        raise ValueError(f"{len(items)} keywords but {data.shape[0]} vectors")
    with threadpool_limits(limits=1):
        parts = partition(data, method="agglomerative", max_size=max_size, dense=True)
    return name_groups(parts, [i for i, _ in items], [t for _, t in items], existing_names)


def cluster_vectors(
    ids: Sequence[int], vectors: np.ndarray, k: int | None = None
) -> list[list[int]]:
    """Group ids by their embedding vectors (n×d, cosine) with k-means; k defaults to ~n / 8."""
    if len(ids) == 0:
        return []
    data = normalize(np.asarray(vectors, dtype=np.float32))
    if data.shape[0] != len(ids):
        raise ValueError(f"{len(ids)} ids but {data.shape[0]} vectors")
    with threadpool_limits(limits=1):
        if k is not None:
            parts = _groups_from_labels(_kmeans(data, k))
        else:
            parts = partition(data, method="kmeans")
    ordered = sorted(parts, key=lambda rows: (-len(rows), int(rows[0])))
    return [[ids[int(row)] for row in rows] for rows in ordered]


def partition(
    matrix: Matrix,
    *,
    method: Method = "agglomerative",
    target_size: int = TARGET_SIZE,
    max_size: int = MAX_SIZE,
    dense: bool = False,
    _depth: int = 0,
) -> list[np.ndarray]:
    """Row indices of each cluster of a row-normalised matrix; no cluster above max_size.
    `dense` selects the thresholds for sentence embeddings instead of sparse term vectors."""
    n = matrix.shape[0]
    if n <= 1:
        return [np.arange(n)]
    link, join, leftover = (
        (DENSE_LINK_DISTANCE, DENSE_JOIN_SIMILARITY, DENSE_LEFTOVER_DISTANCE)
        if dense
        else (LINK_DISTANCE, JOIN_SIMILARITY, LEFTOVER_DISTANCE)
    )
    # k-means makes catch-alls of leftovers: its groups keep the plain size cap.
    cohesion = None if method == "kmeans" else DENSE_COHESION if dense else COHESION
    if n > BLOCK_SIZE:
        out: list[np.ndarray] = []
        for block in _coarse_blocks(matrix, _depth):
            sub = partition(
                _rows(matrix, block),
                method=method,
                target_size=target_size,
                max_size=max_size,
                dense=dense,
                _depth=_depth + 1,
            )
            out.extend(block[rows] for rows in sub)
        if method == "agglomerative":
            # A topic the coarse cut spread over several blocks is joined again.
            out = _merge_linked(matrix, out, 1.0 - link, max_size, cohesion)
        return sorted(out, key=lambda g: int(g[0]))
    if method == "agglomerative":
        labels = _agglomerate(matrix, link)
    else:
        labels = _kmeans(matrix, choose_k(n, target_size))
    groups, leftovers = _join_small(
        matrix, _groups_from_labels(labels), max_size, threshold=join, cohesion=cohesion
    )
    if len(leftovers) > 1 and method == "agglomerative":
        rows = np.sort(np.concatenate(leftovers))
        regrouped = _groups_from_labels(_agglomerate(_rows(matrix, rows), leftover))
        leftovers = [rows[g] for g in regrouped]
    # Last, a keyword still alone joins the cluster it shares most with, if it shares anything.
    groups, alone = _join_small(
        matrix, groups + leftovers, max_size, min_size=2, threshold=1e-6, cohesion=cohesion
    )
    groups = sorted(groups + alone, key=lambda g: int(g[0]))
    return _split_large(matrix, groups, max_size, cohesion)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


def _rows(matrix: Matrix, rows: np.ndarray) -> Matrix:
    """A subset of rows; for sparse input, without the columns none of them uses."""
    sub = matrix[rows]
    if sp.issparse(sub):
        sub = sub.tocsr()
        sub = sub[:, np.unique(sub.indices)]
    return sub


def _agglomerate(matrix: Matrix, distance: float) -> np.ndarray:
    """Average-linkage labels under a cosine-distance threshold (b×b for a block of b ≤ 2 000)."""
    n = matrix.shape[0]
    if n < 2:
        return np.zeros(n, dtype=np.int64)
    sims = matrix @ matrix.T
    sims = sims.toarray() if sp.issparse(sims) else np.asarray(sims)
    dist = np.clip(1.0 - sims.astype(np.float64), 0.0, 2.0)
    np.fill_diagonal(dist, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance
    )
    return np.asarray(model.fit_predict(dist))


def _kmeans(matrix: Matrix, k: int, quick: bool = False) -> np.ndarray:
    """Seeded k-means labels: exact KMeans for a block, MiniBatchKMeans beyond it. `quick`
    (splitting an oversized group in a few parts) works on dense rows when they are few:
    k-means++ seeding on sparse rows was most of the time at 10 000 keywords."""
    n = matrix.shape[0]
    if k >= n:
        return np.arange(n)
    if k <= 1:
        return np.zeros(n, dtype=np.int64)
    model: KMeans | MiniBatchKMeans
    if quick and sp.issparse(matrix) and n * matrix.shape[1] <= _DENSE_CELLS:
        matrix = matrix.toarray()  # a small group's own columns: dense distances are far cheaper
    if n <= BLOCK_SIZE:
        model = KMeans(n_clusters=k, n_init=3 if n <= 200 else 1, random_state=RANDOM_STATE)
    else:
        # k-means++ seeding costs k passes; random seeding keeps a large explicit k affordable.
        model = MiniBatchKMeans(
            n_clusters=k,
            init="k-means++" if k <= 256 else "random",
            n_init=3,
            batch_size=4096,
            random_state=RANDOM_STATE,
        )
    with warnings.catch_warnings():
        # Fewer distinct points than k (duplicate keywords) is handled by the callers.
        warnings.simplefilter("ignore", ConvergenceWarning)
        return np.asarray(model.fit_predict(matrix))


def _coarse_blocks(matrix: Matrix, depth: int) -> list[np.ndarray]:
    """Cut a large set into blocks of about COARSE_BLOCK similar rows."""
    n = matrix.shape[0]
    reduced = matrix
    if matrix.shape[1] > _LSA_DIMS + 1:
        svd = TruncatedSVD(n_components=_LSA_DIMS, n_iter=4, random_state=RANDOM_STATE)
        reduced = normalize(svd.fit_transform(matrix))
    labels = MiniBatchKMeans(
        n_clusters=math.ceil(n / COARSE_BLOCK), n_init=3, batch_size=4096, random_state=RANDOM_STATE
    ).fit_predict(reduced)
    blocks = _groups_from_labels(np.asarray(labels))
    if depth >= 3 or max(len(b) for b in blocks) >= n:
        # Rows k-means cannot tell apart (identical vectors): cut them into fixed chunks.
        return [np.arange(i, min(i + COARSE_BLOCK, n)) for i in range(0, n, COARSE_BLOCK)]
    return blocks


def _split_facets(
    matrix: Matrix, groups: list[np.ndarray], texts: Sequence[str]
) -> list[np.ndarray]:
    """Split each group above LOOSE_SIZE whose members divide among distinct head phrases
    (two-word terms, see FACET_*) along them; a member with none of them joins the facet
    whose centroid is closest."""
    out: list[np.ndarray] = []
    for group in groups:
        facets = _facets(group, texts) if len(group) > LOOSE_SIZE else []
        if len(facets) < 2:
            out.append(group)
            continue
        label = np.full(len(group), -1)
        for number, rows in enumerate(facets):
            label[rows] = number
        parts = [group[label == number] for number in range(len(facets))]
        rest = np.flatnonzero(label < 0)
        if len(rest):
            sims = _centroids(matrix, parts) @ matrix[group[rest]].T
            sims = sims.toarray() if sp.issparse(sims) else np.asarray(sims)
            label[rest] = np.argmax(sims, axis=0)
            parts = [group[label == number] for number in range(len(facets))]
        out.extend(parts)
    return sorted(out, key=lambda g: int(g[0]))


def _facets(group: np.ndarray, texts: Sequence[str]) -> list[np.ndarray]:
    """Positions in `group` of each facet (FACET_*), or [] when the group has no such division."""
    holders: dict[str, list[int]] = {}
    for position, row in enumerate(group):
        for term in set(features(texts[int(row)])):
            if " " in term:
                holders.setdefault(term, []).append(position)
    size = len(group)
    low, high = max(FACET_MIN, FACET_SHARE * size), FACET_MAX_SHARE * size
    taken = np.zeros(size, dtype=bool)
    facets: list[np.ndarray] = []
    for term in sorted(holders, key=lambda t: (-len(holders[t]), t)):
        rows = np.asarray(holders[term])
        if not low <= len(rows) <= high:
            continue
        fresh = rows[~taken[rows]]
        if len(fresh) < max(low, (1.0 - FACET_OVERLAP) * len(rows)):
            continue
        facets.append(fresh)
        taken[fresh] = True
    if len(facets) < 2 or taken.sum() < FACET_COVER * size:
        return []
    return facets


def _groups_from_labels(labels: np.ndarray) -> list[np.ndarray]:
    """Row indices per label, ordered by each group's first row."""
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return sorted((g for g in np.split(order, cuts) if len(g)), key=lambda g: int(g[0]))


def _sums(matrix: Matrix, groups: Sequence[Sequence[int] | np.ndarray]) -> Matrix:
    """Sum of each group's rows (a sparse groups×n product, never n×n)."""
    rows = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
    cols = np.concatenate([np.full(len(g), i) for i, g in enumerate(groups)])
    member = sp.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (cols, rows)), shape=(len(groups), matrix.shape[0])
    )
    out = member @ matrix
    return out.tocsr() if sp.issparse(out) else np.asarray(out)


def _centroids(matrix: Matrix, groups: Sequence[Sequence[int] | np.ndarray]) -> Matrix:
    """Row-normalised mean vector of each group."""
    return normalize(_sums(matrix, groups))


def _self_dots(sums: Matrix) -> np.ndarray:
    """Squared norm of each row of a sum matrix: n + 2 × (sum of the group's pair similarities)."""
    if sp.issparse(sums):
        return np.asarray(sums.multiply(sums).sum(axis=1), dtype=np.float64).ravel()
    return np.einsum("ij,ij->i", sums, sums).astype(np.float64)


def _cohesion(self_dot: float | np.ndarray, size: int | np.ndarray) -> Any:
    """Mean pairwise cosine similarity of a group of row-normalised vectors, from |sum|²."""
    size = np.maximum(np.asarray(size, dtype=np.float64), 2.0)
    return (np.asarray(self_dot) - size) / (size * (size - 1.0))


def _limit(size: int, self_dot: float, max_size: int, cohesion: float | None) -> int:
    """The size a group of this size and |sum|² may grow to: max_size when it is one tight
    topic (cohesion given and reached), else LOOSE_SIZE (or max_size if that is smaller)."""
    if cohesion is not None and _cohesion(self_dot, size) >= cohesion:
        return max_size
    return min(LOOSE_SIZE, max_size)


def _may_grow(size: int, self_dot: float, max_size: int, cohesion: float | None) -> bool:
    """Whether a group of this size and |sum|² may stand (see `_limit`)."""
    return size <= _limit(size, self_dot, max_size, cohesion)


def _merge_linked(
    matrix: Matrix,
    groups: list[np.ndarray],
    min_similarity: float,
    max_size: int,
    cohesion: float | None,
) -> list[np.ndarray]:
    """Average linkage continued over whole groups: the two groups whose members are most
    similar on average are joined while that average reaches `min_similarity` (the threshold
    each block was linked under) and the joined group may stand (`_may_grow`).

    Average similarity between groups is sum_a · sum_b / (|a| |b|), so each group is one sum
    vector; the group×group similarities are computed a chunk of rows at a time, and only the
    pairs above the threshold are kept (after a join, only the two groups' neighbours can
    reach it with the joined group)."""
    count = len(groups)
    if count < 2:
        return groups
    sums = _sums(matrix, groups)
    sizes = [len(g) for g in groups]
    self_dot = list(_self_dots(sums))
    size_arr = np.asarray(sizes, dtype=np.float64)
    neighbours: list[dict[int, float]] = [{} for _ in range(count)]  # other → sum · sum
    heap: list[tuple[float, int, int]] = []
    transposed = sums.T.tocsc() if sp.issparse(sums) else sums.T
    for start in range(0, count, _PAIR_CHUNK):
        stop = min(start + _PAIR_CHUNK, count)
        dots = sums[start:stop] @ transposed
        dots = dots.toarray() if sp.issparse(dots) else np.asarray(dots)
        avg = dots / np.outer(size_arr[start:stop], size_arr)
        for a, b in zip(*np.nonzero(avg >= min_similarity), strict=True):
            i, j = start + int(a), int(b)
            if i < j:
                neighbours[i][j] = neighbours[j][i] = float(dots[a, b])
                heap.append((-float(avg[a, b]), i, j))
    heapq.heapify(heap)
    members: list[list[np.ndarray] | None] = [[g] for g in groups]
    rows: list[Matrix] = [sums[i] for i in range(count)]
    while heap:
        _, i, j = heapq.heappop(heap)
        if members[i] is None or members[j] is None:
            continue  # one of the two was joined into another group since
        dot = neighbours[i][j]
        size, joined_dot = sizes[i] + sizes[j], self_dot[i] + self_dot[j] + 2.0 * dot
        if not _may_grow(size, joined_dot, max_size, cohesion):
            continue
        new = len(members)
        near = (set(neighbours[i]) | set(neighbours[j])) - {i, j}
        members.append((members[i] or []) + (members[j] or []))
        rows.append(rows[i] + rows[j])
        sizes.append(size)
        self_dot.append(joined_dot)
        neighbours.append({})
        for old in (i, j):
            for other in neighbours[old]:
                neighbours[other].pop(old, None)
            members[old], neighbours[old] = None, {}
        alive = sorted(near)
        if alive:
            stacked = sp.vstack([rows[k] for k in alive]) if sp.issparse(rows[new]) else None
            if stacked is not None:
                new_dots = np.asarray((stacked @ rows[new].T).toarray()).ravel()
            else:
                new_dots = np.asarray([float(np.dot(rows[k], rows[new])) for k in alive])
            for other, other_dot in zip(alive, new_dots, strict=True):
                avg_sim = float(other_dot) / (size * sizes[other])
                if avg_sim >= min_similarity:
                    neighbours[new][other] = neighbours[other][new] = float(other_dot)
                    heapq.heappush(heap, (-avg_sim, min(new, other), max(new, other)))
    return [np.sort(np.concatenate(m)) for m in members if m is not None]


def _join_small(
    matrix: Matrix,
    groups: list[np.ndarray],
    max_size: int,
    min_size: int = MIN_SIZE,
    threshold: float = JOIN_SIMILARITY,
    cohesion: float | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Fold each group below min_size into the most similar bigger group that has room (below
    max_size, or a tight topic: see `_may_grow`), if their centroids reach the threshold;
    returns (groups, small groups that stayed apart)."""
    small = [g for g in groups if len(g) < min_size]
    large = [list(g) for g in groups if len(g) >= min_size]
    if not small or not large:
        return [g for g in groups if len(g) >= min_size], small
    large_sums = _sums(matrix, large)
    limits = [
        _limit(len(g), dot, max_size, cohesion)
        for g, dot in zip(large, _self_dots(large_sums), strict=True)
    ]
    sims = _centroids(matrix, small) @ normalize(large_sums).T
    sims = sims.toarray() if sp.issparse(sims) else np.asarray(sims)
    apart: list[np.ndarray] = []
    for group, group_sims in zip(small, sims, strict=True):
        for target in np.argsort(-group_sims, kind="stable"):
            if group_sims[target] < threshold:
                apart.append(group)  # close to nothing: a topic of its own
                break
            if len(large[target]) + len(group) <= limits[target]:
                large[target].extend(int(r) for r in group)
                break
        else:
            apart.append(group)
    return [np.sort(np.asarray(g)) for g in large], apart


def _split_large(
    matrix: Matrix,
    groups: list[np.ndarray],
    max_size: int,
    cohesion: float | None = None,
    depth: int = 0,
) -> list[np.ndarray]:
    """Split groups above their limit (`_limit`: max_size for a tight topic, else LOOSE_SIZE)
    with k-means, or into fixed chunks when it cannot."""
    out: list[np.ndarray] = []
    loose = min(LOOSE_SIZE, max_size)
    big = [n for n, g in enumerate(groups) if len(g) > loose]
    limits = [loose] * len(groups)
    if big and cohesion is not None:
        dots = _self_dots(_sums(matrix, [groups[n] for n in big]))
        for n, dot in zip(big, dots, strict=True):
            limits[n] = _limit(len(groups[n]), dot, max_size, cohesion)
    for group, limit in zip(groups, limits, strict=True):
        if len(group) <= limit:
            out.append(group)
            continue
        sub_matrix = _rows(matrix, group)
        k = math.ceil(2 * len(group) / limit)
        parts = _groups_from_labels(_kmeans(sub_matrix, k, quick=True))
        if len(parts) < 2 or depth >= 3:
            out.extend(group[i : i + limit] for i in range(0, len(group), limit))
            continue
        out.extend(group[p] for p in _split_large(sub_matrix, parts, max_size, cohesion, depth + 1))
    return sorted(out, key=lambda g: int(g[0]))
