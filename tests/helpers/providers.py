"""Providers for tests: the local provider with knobs a test turns (delays, gates, failures)."""

from __future__ import annotations

import threading
import time

from core.errors import ValidationError
from services.ai.local import LocalProvider


class ControlledProvider(LocalProvider):
    """The local provider with knobs: delay per call, a gate that holds a stage, and items
    that fail permanently."""

    def __init__(self) -> None:
        super().__init__()
        self.delay: dict[str, float] = {}
        self.gates: dict[str, threading.Event] = {}
        self.fail_titles: set[str] = set()
        self.fail_next_article = False  # fail the next article asked for (and keep failing it)
        self.calls: dict[str, int] = {}

    def _enter(self, fn: str) -> None:
        self.calls[fn] = self.calls.get(fn, 0) + 1
        gate = self.gates.get(fn)
        if gate is not None:
            gate.wait(timeout=120)
        if self.delay.get(fn):
            time.sleep(self.delay[fn])

    def cluster_keywords(self, keywords, existing):  # type: ignore[no-untyped-def]
        self._enter("cluster_keywords")
        return super().cluster_keywords(keywords, existing)

    def describe_cluster_groups(self, groups, members):  # type: ignore[no-untyped-def]
        self._enter("cluster_keywords")  # stage 1's call to the local provider
        return super().describe_cluster_groups(groups, members)

    def generate_ideas(self, cluster):  # type: ignore[no-untyped-def]
        self._enter("generate_ideas")
        return super().generate_ideas(cluster)

    def generate_article(self, brief):  # type: ignore[no-untyped-def]
        self._enter("generate_article")
        if self.fail_next_article:
            self.fail_next_article = False
            self.fail_titles.add(brief.title)
        if brief.title in self.fail_titles:
            raise ValidationError(f"Refusing to write '{brief.title}' (test fault)")
        return super().generate_article(brief)

    def generate_image_prompts(self, brief):  # type: ignore[no-untyped-def]
        self._enter("generate_image_prompts")
        return super().generate_image_prompts(brief)

    def generate_image(self, prompt, width, height):  # type: ignore[no-untyped-def]
        self._enter("generate_image")
        return super().generate_image(prompt, width, height)


class TokenProvider(LocalProvider):
    """The local provider, writing one article per token the test releases."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens = threading.Semaphore(0)

    def generate_article(self, brief):  # type: ignore[no-untyped-def]
        self.tokens.acquire(timeout=120)
        return super().generate_article(brief)

    def release(self, n: int = 1) -> None:
        self.tokens.release(n)


class FailingProvider(LocalProvider):
    """The local provider, refusing the first article it is asked for until `heal()`."""

    def __init__(self) -> None:
        super().__init__()
        self.refused: str | None = None

    def generate_article(self, brief):  # type: ignore[no-untyped-def]
        if self.refused in (None, brief.title):
            self.refused = brief.title
            raise ValidationError(f"Refusing to write {brief.title!r} (test fault)")
        return super().generate_article(brief)

    def heal(self) -> None:
        self.refused = ""
