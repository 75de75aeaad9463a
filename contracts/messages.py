"""The words of progress: what a person reads while a stage runs and when it is done.
Pure functions (the workflow uses them), defined once."""

from __future__ import annotations

from contracts.stages import Stage


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def running_message(stage: int, item_name: str, items_in_flight: int = 1) -> str:
    """What the stage is doing right now, naming the item."""
    match Stage(stage):
        case Stage.CLUSTER_KEYWORDS:
            return f"Clustering {plural(items_in_flight, 'keyword')}"
        case Stage.GENERATE_IDEAS:
            return f"Generating ideas for cluster: {item_name}"
        case Stage.QUEUE_IDEAS:
            return f"Queueing idea: {item_name}"
        case Stage.GENERATE_CONTENT:
            return f"Writing article: {item_name}"
        case Stage.GENERATE_IMAGE_PROMPTS:
            return f"Writing image prompts for: {item_name}"
        case Stage.GENERATE_IMAGES:
            return f"Generating image: {item_name}"
        case Stage.REVIEW:
            return f"Reviewing: {item_name}"


def done_message(stage: int, result: dict[str, int]) -> str:
    """The stage's success line, with real counts."""
    r = result.get
    match Stage(stage):
        case Stage.CLUSTER_KEYWORDS:
            return (
                f"{plural(r('keywords', 0), 'keyword')} mapped into "
                f"{plural(r('clusters', 0), 'cluster')}"
            )
        case Stage.GENERATE_IDEAS:
            return (
                f"Generated {plural(r('ideas', 0), 'content idea')} for "
                f"{plural(r('clusters', 0), 'cluster')}"
            )
        case Stage.QUEUE_IDEAS:
            return f"{plural(r('tasks', 0), 'idea')} queued as writer tasks"
        case Stage.GENERATE_CONTENT:
            if r("articles", 0) == 1:
                drafted = f"{r('words', 0):,}-word article drafted"
            else:
                drafted = f"{plural(r('articles', 0), 'article')} drafted ({r('words', 0):,} words)"
            return drafted + _contract(r("contract_passed", 0), r("contract_repaired", 0))
        case Stage.GENERATE_IMAGE_PROMPTS:
            return (
                f"{r('featured', 0):,} featured + {r('in_article', 0):,} "
                "in-article image prompts ready"
            )
        case Stage.GENERATE_IMAGES:
            return f"{plural(r('images', 0), 'image')} generated"
        case Stage.REVIEW:
            parts = []
            if r("review"):
                parts.append(f"{plural(r('review', 0), 'article')} ready for review")
            if r("approved"):
                parts.append(f"{plural(r('approved', 0), 'article')} approved for publishing")
            if r("published"):
                parts.append(f"{r('published', 0):,} published to WordPress")
            if r("publish_failed"):
                parts.append(f"{r('publish_failed', 0):,} failed to publish")
            return "; ".join(parts) or "No articles reviewed"


def _contract(passed: int, repaired: int) -> str:
    """How many drafts passed the article contract (every saved one did; failures are failed
    items), and how many needed the writer's repair round."""
    if not passed:
        return ""
    after = f" ({repaired:,} after a repair round)" if repaired else ""
    return f", {passed:,} passed the article contract{after}"


def failed_suffix(failed: int) -> str:
    return f" ({plural(failed, 'item')} failed)" if failed else ""
