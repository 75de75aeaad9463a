"""The article contract's verdict on one article: each rule's pass/fail with a reason.
Stored per article (Content.quality) and returned by the API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RuleResult(BaseModel):
    rule: str = Field(description="Rule id, e.g. word_count, outline, meta_description")
    passed: bool
    reason: str = Field(description="What was found, for a person (and for a repair prompt)")


class ArticleQuality(BaseModel):
    passed: bool = Field(description="Every rule passed")
    rules: list[RuleResult]
    repair_rounds: int = Field(0, description="Repair rounds the writer needed to pass")

    @property
    def violations(self) -> list[RuleResult]:
        return [r for r in self.rules if not r.passed]

    def violation_text(self) -> str:
        """The failed rules as one line: `rule: reason; rule: reason`."""
        return "; ".join(f"{r.rule}: {r.reason}" for r in self.violations)
