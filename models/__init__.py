"""SQLModel tables (imported here so `SQLModel.metadata` knows every one of them)."""

from models.automation import AutomationConfig, AutomationRun, StageItem
from models.content import Content, ContentTaxonomy, ContentTaxonomyLink, Image
from models.credits import AIUsage, CreditTransaction
from models.planning import Cluster, ClusteringGroup, ContentIdea, Keyword, KeywordEmbedding, Task
from models.prompts import PromptOverride
from models.tenancy import Account, ApiKey, Sector, Site

__all__ = [
    "AIUsage",
    "Account",
    "ApiKey",
    "AutomationConfig",
    "AutomationRun",
    "Cluster",
    "ClusteringGroup",
    "Content",
    "ContentIdea",
    "ContentTaxonomy",
    "ContentTaxonomyLink",
    "CreditTransaction",
    "Image",
    "Keyword",
    "KeywordEmbedding",
    "PromptOverride",
    "Sector",
    "Site",
    "StageItem",
    "Task",
]
