"""Naming one group of keywords (stage 1's last AI step): by the provider's model when it names
clusters (the openai provider, one small call per group that is retried on its own), else from
the keywords themselves (the local provider)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.ai.base import AIProvider
from services.ai.local import describe_group
from services.ai.schemas import KeywordInput
from services.keyword_clusters import GroupName, KeywordGroup

GROUPS_PER_NAMING_CALL = 5  # small: a failed call costs only these groups
EXISTING_NAMES_OFFERED = 200


def names_by_model(provider: AIProvider) -> bool:
    """Whether the provider asks a model for cluster names (a paid call per group)."""
    return hasattr(provider, "name_cluster_groups")


def name_groups(
    provider: AIProvider,
    groups: Sequence[KeywordGroup],
    members: Sequence[Sequence[KeywordInput]],
    offered: Sequence[str] = (),
) -> list[GroupName]:
    """Names for a few groups in one call (GROUPS_PER_NAMING_CALL at most), in group order."""
    namer: Any = getattr(provider, "name_cluster_groups", None)
    if namer is None:
        describer: Any = getattr(provider, "describe_cluster_groups", None)
        if describer is not None:  # the local provider: stage 1's one call to it
            described = describer([(g.name, g.terms) for g in groups], [list(k) for k in members])
        else:
            described = [
                describe_group(g.name, g.terms, list(k))
                for g, k in zip(groups, members, strict=True)
            ]
        return [
            GroupName(name=g.name, description=description, intent=intent)
            for g, (description, intent) in zip(groups, described, strict=True)
        ]
    answer = namer([list(k) for k in members], list(offered)[:EXISTING_NAMES_OFFERED])
    labels = answer.value
    names = [GroupName(lab.name.strip(), lab.description, lab.intent) for lab in labels]
    if names:
        names[0].usage = answer.usage  # the call's cost, counted once
    return names


def name_group(
    provider: AIProvider,
    group: KeywordGroup,
    members: Sequence[KeywordInput],
    offered: Sequence[str] = (),
) -> GroupName:
    """The name, description and intent of one group."""
    return name_groups(provider, [group], [members], offered)[0]
