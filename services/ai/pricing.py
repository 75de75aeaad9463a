"""What a model call costs in USD: list prices per model, overridable by IGNY8_MODEL_PRICES."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from core.config import Settings
from core.errors import AIProviderError


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M input/output tokens, and per image when an image answer reports no tokens."""

    input: float = 0.0
    output: float = 0.0
    image: float = 0.0


# OpenAI list prices (standard tier). Prices drift and deployments differ (Azure, self-hosted):
# override any of them, or add models, with IGNY8_MODEL_PRICES instead of editing this table.
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "gpt-4o-mini": ModelPrice(input=0.15, output=0.60),
    "gpt-4o": ModelPrice(input=2.50, output=10.00),
    "gpt-4.1": ModelPrice(input=2.00, output=8.00),
    "gpt-4.1-mini": ModelPrice(input=0.40, output=1.60),
    "gpt-4.1-nano": ModelPrice(input=0.10, output=0.40),
    "gpt-5": ModelPrice(input=1.25, output=10.00),
    "gpt-5-mini": ModelPrice(input=0.25, output=2.00),
    "gpt-5-nano": ModelPrice(input=0.05, output=0.40),
    "text-embedding-3-small": ModelPrice(input=0.02),
    "text-embedding-3-large": ModelPrice(input=0.13),
    "text-embedding-ada-002": ModelPrice(input=0.10),
    # gpt-image-1 bills text input and image output tokens; `image` is a 1024x1024 medium image,
    # used only when the answer carries no token usage.
    "gpt-image-1": ModelPrice(input=5.00, output=40.00, image=0.042),
    "gpt-image-1-mini": ModelPrice(input=2.00, output=8.00, image=0.011),
    "dall-e-3": ModelPrice(image=0.04),
    "dall-e-2": ModelPrice(image=0.02),
}

_PRICE_KEYS = {"input", "output", "image"}


class PriceTable:
    """Looks prices up by model name; dated snapshots (gpt-4o-2024-08-06) use their base price."""

    def __init__(self, overrides: Mapping[str, Mapping[str, float]] | None = None) -> None:
        self._prices = dict(DEFAULT_PRICES)
        for model, fields in (overrides or {}).items():
            unknown = set(fields) - _PRICE_KEYS
            if unknown:
                # A typo here would silently record zero cost: refuse to start instead.
                raise AIProviderError(
                    f"IGNY8_MODEL_PRICES: unknown price field(s) {sorted(unknown)} for model "
                    f"{model!r}; use input, output (USD per 1M tokens) and image (USD per image)",
                    retryable=False,
                )
            base = self._prices.get(model, ModelPrice())
            self._prices[model] = replace(base, **{k: float(v) for k, v in fields.items()})

    @classmethod
    def from_settings(cls, settings: Settings) -> PriceTable:
        """The default prices with the settings' overrides applied."""
        return cls(settings.model_prices)

    def price(self, model: str) -> ModelPrice | None:
        """The price of `model`: exact name first, then the longest known name it starts with."""
        if model in self._prices:
            return self._prices[model]
        prefixes = [name for name in self._prices if model.startswith(name + "-")]
        return self._prices[max(prefixes, key=len)] if prefixes else None

    def tokens_cost(self, model: str, tokens_in: int, tokens_out: int) -> float:
        """USD for a chat or embeddings call; 0 for a model without a price."""
        price = self.price(model)
        if price is None:
            return 0.0
        return round((tokens_in * price.input + tokens_out * price.output) / 1_000_000, 8)

    def image_cost(self, model: str, tokens_in: int, tokens_out: int, images: int) -> float:
        """USD for an image call: by tokens when the answer reported them, else per image."""
        price = self.price(model)
        if price is None:
            return 0.0
        if (tokens_in or tokens_out) and (price.input or price.output):
            return self.tokens_cost(model, tokens_in, tokens_out)
        return round(images * price.image, 8)
