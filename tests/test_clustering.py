"""Keyword clustering: the shipped sample set falls into topical groups a person would recognise,
every keyword lands in exactly one cluster, and the algorithm scales past one block."""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from services.cluster_naming import name_groups
from services.clustering import (
    BLOCK_SIZE,
    COHESION,
    LOOSE_SIZE,
    MAX_SIZE,
    ClusterGroup,
    _merge_linked,
    _split_large,
    cluster_texts,
    cluster_vectors,
    text_matrix,
)
from services.keyword_terms import segments
from tests.helpers import SAMPLE_KEYWORDS


@pytest.fixture(scope="module")
def sample() -> list[tuple[int, str]]:
    with SAMPLE_KEYWORDS.open(newline="") as fh:
        return [(i, row["keyword"]) for i, row in enumerate(csv.DictReader(fh), start=1)]


@pytest.fixture(scope="module")
def groups(sample: list[tuple[int, str]]) -> list[ClusterGroup]:
    return cluster_texts(sample, [])


def _cluster_of(groups: list[ClusterGroup]) -> dict[int, int]:
    return {i: n for n, g in enumerate(groups) for i in g.ids}


def test_sample_file_is_a_realistic_keyword_set() -> None:
    with SAMPLE_KEYWORDS.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["keyword", "volume", "difficulty", "cpc", "intent", "country"]
    assert 300 <= len(rows) <= 400
    assert len({r["keyword"].casefold() for r in rows}) == len(rows), "duplicate keywords"
    for r in rows:
        assert 10 <= int(r["volume"]) <= 50_000
        assert 0 <= int(r["difficulty"]) <= 100
        assert float(r["cpc"]) >= 0
        assert r["intent"] in {"informational", "commercial", "transactional", "navigational"}
        assert r["country"] == "US"


def test_every_keyword_lands_in_exactly_one_cluster(
    sample: list[tuple[int, str]], groups: list[ClusterGroup]
) -> None:
    ids = [i for g in groups for i in g.ids]
    assert sorted(ids) == sorted(i for i, _ in sample)


@pytest.mark.parametrize(
    "phrase",
    ["marathon training plan", "shin splints", "hydration bladder", "garmin forerunner", "taper"],
)
def test_keywords_sharing_a_topic_share_a_cluster(
    sample: list[tuple[int, str]], groups: list[ClusterGroup], phrase: str
) -> None:
    where = _cluster_of(groups)
    members = [i for i, text in sample if phrase in text]
    assert len(members) >= 3
    assert len({where[i] for i in members}) == 1, f"“{phrase}” keywords were split up"


@pytest.mark.parametrize("phrase", ["hiking boots", "trail running shoes", "hydration vest"])
def test_big_topics_stay_mostly_together(
    sample: list[tuple[int, str]], groups: list[ClusterGroup], phrase: str
) -> None:
    where = _cluster_of(groups)
    members = [i for i, text in sample if phrase in text]
    _, biggest = Counter(where[i] for i in members).most_common(1)[0]
    assert biggest / len(members) >= 0.8


def test_cluster_count_and_sizes_are_sensible(
    sample: list[tuple[int, str]], groups: list[ClusterGroup]
) -> None:
    sizes = [len(g.ids) for g in groups]
    assert len(sample) / 20 <= len(groups) <= len(sample) / 4  # not one per keyword, not one
    assert max(sizes) <= MAX_SIZE
    assert sum(1 for s in sizes if s == 1) <= len(sample) * 0.05


def test_clusters_are_named_after_their_shared_phrase(groups: list[ClusterGroup]) -> None:
    by_name = {g.name: g for g in groups}
    assert {"shin splints", "hydration bladder", "hiking boots", "trail running shoes"} <= set(
        by_name
    )
    assert len({g.name.casefold() for g in groups}) == len(groups), "names must be unique"
    assert all(g.terms for g in groups if len(g.ids) > 1)


def test_same_input_gives_the_same_clusters(sample: list[tuple[int, str]]) -> None:
    first = cluster_texts(sample, [])
    second = cluster_texts(sample, [])
    assert [(g.name, g.ids) for g in first] == [(g.name, g.ids) for g in second]


def test_existing_cluster_name_is_reused_so_the_caller_merges(
    sample: list[tuple[int, str]],
) -> None:
    groups = cluster_texts(sample, ["Hiking Boot", "Something Else"])
    boots = next(g for g in groups if any(t == "hiking boots" for i, t in sample if i in g.ids))
    assert boots.name == "Hiking Boot"  # exact spelling of the existing cluster
    assert boots.existing
    assert not any(g.name == "Something Else" for g in groups)


def test_a_generic_existing_name_does_not_swallow_a_specific_group(
    sample: list[tuple[int, str]],
) -> None:
    groups = cluster_texts(sample, ["Running", "Trail"])
    assert "trail running shoes" in {g.name for g in groups}


def test_tiny_and_empty_inputs() -> None:
    assert cluster_texts([], []) == []
    [only] = cluster_texts([(7, "yasso 800s")], [])
    assert only.ids == [7] and only.name == "yasso 800s"
    mixed = cluster_texts([(1, "best"), (2, "2024"), (3, "a b c"), (4, "x"), (5, "best 2024")], [])
    assert sorted(i for g in mixed for i in g.ids) == [1, 2, 3, 4, 5]


def test_a_set_larger_than_one_block_is_clustered_in_blocks() -> None:
    rng = random.Random(3)
    topics = [f"{a} {b}" for a in ("alpha", "bravo", "delta", "gamma", "kilo") for b in (
        "tent", "stove", "kayak", "helmet", "lamp", "rope", "boots", "gloves"
    )]  # fmt: skip
    mods = ["best", "cheap", "how to clean", "review", "for kids", "waterproof", "2025", "sale"]
    texts: set[str] = set()
    while len(texts) < BLOCK_SIZE + 1_000:
        texts.add(
            f"{rng.choice(mods)} {rng.choice(topics)} {rng.choice(mods)} {rng.randint(1, 40)}"
        )
    items = list(enumerate(sorted(texts)))
    groups = cluster_texts(items, [])
    assert sorted(i for g in groups for i in g.ids) == [i for i, _ in items]
    assert max(len(g.ids) for g in groups) <= MAX_SIZE
    # Each cluster is about one topic: its members overwhelmingly share the topic phrase.
    text = dict(items)
    for g in groups:
        if len(g.ids) >= 5:
            topic_counts = Counter(t for i in g.ids for t in topics if t in text[i])
            assert topic_counts.most_common(1)[0][1] / len(g.ids) >= 0.8


def test_cluster_vectors_separates_embedding_blobs() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(3, 16)) * 5
    vectors = np.vstack([c + rng.normal(scale=0.3, size=(30, 16)) for c in centres])
    ids = list(range(100, 190))
    blob = {i: n // 30 for n, i in enumerate(ids)}

    exact = cluster_vectors(ids, vectors, k=3)
    assert sorted(len(g) for g in exact) == [30, 30, 30]
    assert all(len({blob[i] for i in g}) == 1 for g in exact)

    auto = cluster_vectors(ids, vectors)
    assert sorted(i for g in auto for i in g) == ids
    assert all(len({blob[i] for i in g}) == 1 for g in auto)
    assert cluster_vectors(ids, vectors) == auto
    assert cluster_vectors([], np.zeros((0, 16))) == []


LABELLED = Path(__file__).resolve().parent.parent / "data" / "labelled_keywords.csv"


def test_labelled_set_is_large_varied_and_unique() -> None:
    with LABELLED.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    topics = {r["topic"] for r in rows}
    assert len(rows) >= 1_000 and len(topics) >= 40
    assert len({r["topic"].split("/")[0] for r in rows}) >= 8  # industries
    assert len({r["keyword"] for r in rows}) == len(rows)


def test_lexical_clusters_agree_with_an_seo_on_the_labelled_set() -> None:
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    with LABELLED.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    groups = cluster_texts([(i, r["keyword"]) for i, r in enumerate(rows)])
    where = _cluster_of(groups)
    labels = [where[i] for i in range(len(rows))]
    truth = [r["topic"] for r in rows]
    assert v_measure_score(truth, labels) >= 0.92
    assert adjusted_rand_score(truth, labels) >= 0.75
    assert len(groups) <= 2 * len({r["topic"] for r in rows})


@pytest.mark.parametrize(
    "variants",
    [
        ["long run pace", "long running pace", "long runs for runners pace"],
        ["hydration pack for trail", "hydration vest for trail", "trail hydration vests"],
        ["fix dripping faucet", "fix dripping tap", "dripping taps fix"],
        ["fish tank setup", "aquarium setup", "setting up an aquarium"],
    ],
)
def test_variants_and_near_synonyms_land_together(variants: list[str]) -> None:
    filler = [
        "mortgage refinance rates",
        "roth ira limits",
        "banana bread recipe",
        "paris hotels",
        "dog anxiety vest",
    ]
    groups = cluster_texts(list(enumerate(variants + filler)))
    where = _cluster_of(groups)
    assert len({where[i] for i in range(len(variants))}) == 1, groups


def test_big_groups_are_named_by_a_head_phrase_not_a_generic_word() -> None:
    with LABELLED.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    groups = cluster_texts([(i, r["keyword"]) for i, r in enumerate(rows)])
    big = [g for g in groups if len(g.ids) >= 10]
    multi_word = [g for g in big if len(g.name.split()) >= 2]
    assert len(multi_word) >= 0.9 * len(big), [g.name for g in big if g not in multi_word]
    names = {g.name for g in groups}
    assert {"paris hotels", "mold removal", "japan itinerary", "drywall repair"} <= names


def _labelled_rows() -> list[dict[str, str]]:
    with LABELLED.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_a_topics_long_tail_stays_one_cluster_at_scale() -> None:
    """At 10 000 keywords each labelled topic has ~160 variants: far more than LOOSE_SIZE, and
    spread over several coarse blocks. A tight topic stays whole and comes together again."""
    from sklearn.metrics import adjusted_rand_score, v_measure_score

    rows = _labelled_rows()
    rng = random.Random(5)
    prefixes = ["best", "cheap", "top", "easy", "new"]
    suffixes = ["2025", "for women", "for beginners", "near me", "online", "uk", "in texas",
                "guide", "tips", "review", "for students", "on a budget", "faq"]  # fmt: skip
    seen = {r["keyword"] for r in rows}
    data = [(r["keyword"], r["topic"]) for r in rows]
    while len(data) < 10_000:
        row = rng.choice(rows)
        text = f"{row['keyword']} {rng.choice(suffixes)}"
        if rng.random() < 0.3:
            text = f"{rng.choice(prefixes)} {text}"
        if text not in seen:
            seen.add(text)
            data.append((text, row["topic"]))
    groups = cluster_texts(list(enumerate(t for t, _ in data)))
    where = _cluster_of(groups)
    labels = [where[i] for i in range(len(data))]
    truth = [topic for _, topic in data]
    assert v_measure_score(truth, labels) >= 0.85
    assert adjusted_rand_score(truth, labels) >= 0.6
    assert max(len(g.ids) for g in groups) <= MAX_SIZE


def test_groups_split_over_blocks_are_joined_again() -> None:
    texts = [f"{topic} {mod}" for topic in ("paris hotels", "roth ira", "cast iron", "dog anxiety")
             for mod in ("best", "cheap", "guide", "uk", "review", "2025", "near me", "tips",
                         "for women", "for men", "online", "deals")]  # fmt: skip
    matrix = text_matrix(texts)
    # Each topic's 12 keywords come in three pieces, as three coarse blocks would leave them.
    pieces = [np.arange(start, start + 4) for start in range(0, len(texts), 4)]
    merged = _merge_linked(matrix, pieces, 0.15, MAX_SIZE, 0.26)
    assert sorted(sorted(int(r) for r in g) for g in merged) == [
        list(range(start, start + 12)) for start in range(0, len(texts), 12)
    ]


def test_only_a_tight_topic_grows_past_the_loose_size() -> None:
    mods = ["best", "cheap", "guide", "uk", "review", "2025", "near me", "tips", "for women",
            "for men", "online", "deals", "in texas", "canada", "australia", "london",
            "checklist", "for seniors", "pros and cons", "explained"]  # fmt: skip
    kinds = ["", "top", "new", "luxury", "boutique", "family", "central", "quiet", "romantic",
             "budget"]  # fmt: skip
    tight = sorted({f"{kind} paris hotels {mod}".strip() for kind in kinds for mod in mods})
    items = ["kayak", "tent", "stove", "lamp", "rope", "boots", "gloves", "helmet", "jacket",
             "socks", "map", "compass", "watch", "bottle", "knife"]  # fmt: skip
    places = ["alpine", "coastal", "desert", "forest", "river", "canyon", "glacier", "prairie",
              "tundra", "island", "valley", "summit", "marsh", "lagoon", "ridge"]  # fmt: skip
    loose = [f"{item} {place}" for item in items for place in places][:200]
    for texts, whole in ((tight, True), (loose, False)):
        matrix = text_matrix(texts)
        parts = _split_large(matrix, [np.arange(len(texts))], MAX_SIZE, COHESION)
        if whole:
            assert len(parts) == 1  # 200 variants of one topic: one cluster
        else:
            assert max(len(p) for p in parts) <= LOOSE_SIZE
    # k-means groups (no cohesion given) keep the plain cap.
    parts = _split_large(text_matrix(tight), [np.arange(len(tight))], MAX_SIZE, None)
    assert max(len(p) for p in parts) <= LOOSE_SIZE


def test_question_frames_neither_hold_a_cluster_together_nor_name_it() -> None:
    assert [[w for _, w in run] for run in segments("how long do trail running shoes last")] == [
        ["trail", "running", "shoes"]
    ]
    assert [[w for _, w in run] for run in segments("do i need a hydration vest")] == [
        ["hydration", "vest"]
    ]
    assert [[w for _, w in run] for run in segments("best way to build credit")] == [
        ["build", "credit"]
    ]
    assert [[w for _, w in run] for run in segments("marathon training long run")] == [
        ["marathon", "training", "long", "run"]
    ]
    subjects = {
        "trail running shoes": ["trail running shoes", "best trail running shoes",
                                "trail running shoes for women"],
        "hiking boots": ["hiking boots", "waterproof hiking boots", "hiking boots for men"],
        "sourdough starter": ["sourdough starter", "sourdough starter recipe",
                              "feeding sourdough starter"],
    }  # fmt: skip
    questions = {
        "trail running shoes": "how long do trail running shoes last",
        "hiking boots": "how long do hiking boots last",
        "sourdough starter": "how long does a sourdough starter take",
    }
    texts = [t for ts in subjects.values() for t in ts] + list(questions.values())
    groups = cluster_texts(list(enumerate(texts)))
    where = _cluster_of(groups)
    for subject, question in questions.items():
        assert where[texts.index(question)] == where[texts.index(subjects[subject][0])]
    assert not any({"long", "last", "take"} & set(g.name.split()) for g in groups)


def test_a_lone_word_names_a_group_only_when_it_is_a_keyword_of_it(
    sample: list[tuple[int, str]], groups: list[ClusterGroup]
) -> None:
    text = dict(sample)
    for g in groups:
        if len(g.ids) > 1 and len(g.name.split()) == 1:
            assert g.name in {text[i].lower() for i in g.ids}, g
    names = {g.name for g in groups}
    # Pairs and small groups that used to be named "eat", "running", "burn", "protein".
    assert {"what to eat after a run", "stomach cramps", "calories burned running"} <= names
    assert "protein intake" in names or "protein powder" in names


def test_the_head_phrase_is_the_one_whose_other_words_the_group_shares() -> None:
    texts = [
        "marathon pace calculator",
        "marathon pace chart",
        "half marathon pace chart",
        "marathon training pace",
        "tempo run pace",
        "coros pace 3",
        "coros pace 3 review",
    ]
    [group] = name_groups([np.arange(len(texts))], list(range(len(texts))), texts)
    assert group.name == "marathon pace"
    # A catch-all held together by a word the whole set uses is not named "<rare word> running".
    catch_all = [
        "chocolate milk after running",
        "pre run snack",
        "caffeine before running",
        "best foods for runners",
        "metatarsalgia running",
        "blisters from running",
        "how to prevent blisters when running",
        "best recovery foods after running",
    ]
    others = [f"{w} running shoes" for w in ("trail", "road", "cushioned", "wide", "neutral")]
    texts = catch_all + others
    named = name_groups(
        [np.arange(len(catch_all)), np.arange(len(catch_all), len(texts))],
        list(range(len(texts))),
        texts,
    )
    assert named[0].name != "metatarsalgia running"
    assert named[0].name in catch_all
