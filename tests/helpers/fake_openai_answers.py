"""Deterministic answers for the fake OpenAI server, built from the request the way a model
would: from the requested JSON schema's name and the facts in the prompt."""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import re
from collections import Counter
from typing import Any

import numpy as np
from PIL import Image

EMBEDDING_DIMS = 64
_STOP = {"a", "an", "the", "for", "to", "of", "in", "on", "and", "or", "with", "best", "how"}
_WORD = re.compile(r"[a-z0-9]+")
_FILLER_TEXT = (
    "This part explains the topic with practical detail, clear examples and advice a reader "
    "can act on today without special tools or prior experience"
)
_FILLER = _FILLER_TEXT.split()


def _field(prompt: str, label: str, default: str = "") -> str:
    match = re.search(rf"^{re.escape(label)}:\s*(.+)$", prompt, re.MULTILINE)
    return match[1].strip() if match else default


def _words(text: str) -> list[str]:
    return [w.rstrip("s") if len(w) > 3 else w for w in _WORD.findall(text.lower())]


def cluster_labels(prompt: str) -> dict[str, Any]:
    """ClusterLabelSet: a name from each cluster's most common words; existing names reused."""
    existing = re.findall(r"^- (.+)$", prompt.split("Clusters to name:")[0], re.MULTILINE)
    clusters = []
    for number, keywords in re.findall(r"^Cluster (\d+): (.+)$", prompt, re.MULTILINE):
        words = [w for w in _words(keywords) if w not in _STOP]
        counts = Counter(words)
        top = sorted(counts, key=lambda w: (-counts[w], words.index(w)))[:2]
        name = " ".join(top).title() or f"Topic {number}"
        name = next((e for e in existing if e.casefold() == name.casefold()), name)
        commercial = any(w in keywords.lower() for w in ("buy", "price", "best", "cheap"))
        clusters.append(
            {
                "number": int(number),
                "name": name,
                "description": f"Searches about {name.lower()}: {keywords[:120]}",
                "intent": "commercial" if commercial else "informational",
            }
        )
    return {"clusters": clusters}


def idea_set(prompt: str) -> dict[str, Any]:
    """IdeaSet: three ideas on the cluster's keywords, each with a three-section outline."""
    cluster = _field(prompt, "Cluster", "Topic")
    keywords = [k.strip() for k in _field(prompt, "Keywords (most searched first)").split(",")]
    keywords = [k for k in keywords if k] or [cluster.lower()]
    angles = ("The Complete Guide to", "Common Mistakes with", "How to Choose")
    ideas = []
    for i, angle in enumerate(angles):
        primary = keywords[i % len(keywords)]
        ideas.append(
            {
                "title": f"{angle} {primary.title()}",
                "role": ("hub", "supporting", "attribute")[i],
                "description": f"An article about {primary} for readers new to {cluster}.",
                "outline": [
                    {"heading": f"What {primary} means", "subheadings": ["Key terms"]},
                    {"heading": f"Getting started with {primary}", "subheadings": []},
                    {"heading": "Next steps", "subheadings": ["Tools", "Checklist"]},
                ],
                "primary_keyword": primary,
                "covered_keywords": [k for k in keywords if k != primary][:5],
                "content_type": "post",
                "content_structure": ("guide", "listicle", "comparison")[i],
                "target_word_count": 1200 + 300 * i,
            }
        )
    return {"ideas": ideas}


def article_draft(prompt: str) -> dict[str, Any]:
    """ArticleDraft: the prompt's outline as <h2>/<h3>, filled up to the target word count."""
    primary = _field(prompt, "Primary keyword", "article")
    title = _field(prompt, "Title", primary.title())
    match = re.search(r"(?:Target length|Target word count):\s*(\d+)", prompt)
    target = int(match[1]) if match else 600
    sections: list[tuple[str, list[str]]] = []
    for level, text in re.findall(r"^\s*(H2|H3): (.+)$", prompt, re.MULTILINE):
        if level == "H2":
            sections.append((text.strip(), []))
        elif sections:
            sections[-1][1].append(text.strip())
    sections = sections or [("Overview", [])]
    # The sibling articles to link to: `- "Title" (role article): href="#igny8-idea-12"`.
    links = re.findall(r'^- "(.+)" \(\w+ article\): href="([^"]+)"$', prompt, re.MULTILINE)
    anchors = " ".join(f'<a href="{href}">{text}</a>' for text, href in links)
    link_words = sum(len(text.split()) for text, _ in links)
    headings = sum(len(h.split()) + sum(len(s.split()) for s in subs) for h, subs in sections)
    per_section = max((target - headings) // len(sections), 20)
    parts: list[str] = [f"<p>{primary.capitalize()} matters: {' '.join(_FILLER[:10])}.</p>"]
    if links:
        parts.append(f"<p>{anchors}</p>")
    budget = target - headings - 11 - link_words
    for i, (heading, subs) in enumerate(sections):
        parts.append(f"<h2>{heading}</h2>")
        share = budget if i == len(sections) - 1 else min(per_section, budget)
        blocks = subs or [""]
        for j, sub in enumerate(blocks):
            if sub:
                parts.append(f"<h3>{sub}</h3>")
            n = share // len(blocks) + (share % len(blocks) if j == len(blocks) - 1 else 0)
            words = [_FILLER[k % len(_FILLER)] for k in range(max(n, 1))]
            parts.append(f"<p>{' '.join(words)}.</p>")
        budget -= share
    return {
        "title": title,
        "content_html": "\n".join(parts),
        "excerpt": f"What to know about {primary}.",
        "meta_title": title[:60],
        "meta_description": _meta_description(primary),
        "primary_keyword": primary,
        "secondary_keywords": [k.strip() for k in _field(prompt, "Secondary keywords").split(",")],
        "tags": [primary, "guide", "tips"],
        "categories": ["Guides"],
    }


def _meta_description(primary: str) -> str:
    """120-160 characters naming the primary keyword (what the article contract asks)."""
    text = f"A practical article about {primary}: {_FILLER_TEXT}"
    return text[:160].rsplit(" ", 1)[0] if len(text) > 160 else text.ljust(120, ".")


def image_prompt_set(prompt: str) -> dict[str, Any]:
    """ImagePromptSet: a featured prompt and one per listed section, up to the maximum."""
    title = re.search(r'article "(.+?)"', prompt)
    subject = title[1] if title else "the topic"
    most = re.search(r"at most (\d+)", prompt)
    limit = int(most[1]) if most else 2
    sections = re.findall(r"^- (.+)$", prompt, re.MULTILINE)[:limit]
    return {
        "featured": {"prompt": f"A bright photo illustrating {subject}", "alt_text": subject},
        "in_article": [
            {"prompt": f"An illustration of {s}, soft light", "alt_text": s} for s in sections
        ],
    }


def minimal_instance(schema: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The smallest value that validates against a JSON schema (for schemas we don't know)."""
    if "$ref" in schema:
        return minimal_instance(defs[schema["$ref"].split("/")[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: minimal_instance(props[k], defs) for k in schema.get("required", props)}
    if kind == "array":
        return [minimal_instance(schema["items"], defs) for _ in range(schema.get("minItems", 0))]
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    return "x" * max(schema.get("minLength", 1), 1)


BUILDERS = {
    "ClusterLabelSet": cluster_labels,
    "IdeaSet": idea_set,
    "ArticleDraft": article_draft,
    "ImagePromptSet": image_prompt_set,
}


def embedding(text: str) -> np.ndarray:
    """A hashed bag of words: keywords sharing words get close vectors."""
    vector = np.zeros(EMBEDDING_DIMS, dtype=np.float32)
    for word in _words(text) or [text.lower()]:
        digest = hashlib.md5(word.encode()).digest()
        vector[digest[0] % EMBEDDING_DIMS] += 1.0 if digest[1] % 2 else -1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


def embedding_payload(text: str, encoding: str) -> list[float] | str:
    vector = embedding(text)
    if encoding == "base64":
        return base64.b64encode(vector.astype("<f4").tobytes()).decode()
    return [float(x) for x in vector]


def png_b64(width: int, height: int, seed: str) -> str:
    """A solid-colour PNG, its colour (one of 16) derived from the prompt."""
    return _solid_png_b64(width, height, hashlib.md5(seed.encode()).digest()[0] % 16)


@functools.lru_cache(maxsize=256)
def _solid_png_b64(width: int, height: int, shade: int) -> str:
    # Made once per size and shade: encoding a 1024×1024 PNG takes ~30 ms of the test process's
    # CPU (and GIL), which a real provider would not take from igny8's worker.
    out = io.BytesIO()
    Image.new("RGB", (width, height), (shade * 16, 255 - shade * 16, 128)).save(out, format="PNG")
    return base64.b64encode(out.getvalue()).decode()
