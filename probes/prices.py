"""Token prices as data (data/prices.toml, with its date and source), overridable per model in the
config's `[prices]` table, and the cost of one probe."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ..failover.config import ConfigError, Problems, check_number, unknown_key

__all__ = ["ModelPrice", "PriceTable", "load_prices"]

PRICES_FILE = Path(__file__).resolve().parents[1] / "data" / "prices.toml"


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M tokens. Cached input defaults to the input price when a model has no discount."""

    input: float
    output: float
    cached_input: float | None = None

    def cost_usd(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        cached = min(cached_tokens, prompt_tokens)
        cached_price = self.cached_input if self.cached_input is not None else self.input
        return ((prompt_tokens - cached) * self.input + cached * cached_price + completion_tokens * self.output) / 1e6


@dataclass(frozen=True)
class PriceTable:
    models: Mapping[str, ModelPrice]
    date: str
    source: str

    def cost_usd(
        self, model: str | None, prompt_tokens: int | None, completion_tokens: int | None, cached_tokens: int | None = 0
    ) -> float | None:
        """None when the model has no price or there were no tokens to bill."""
        price = self.models.get(model or "")
        if price is None or prompt_tokens is None:
            return None
        return price.cost_usd(prompt_tokens, completion_tokens or 0, cached_tokens or 0)


def _price(raw: Any, where: str, source: str | Path) -> ModelPrice:
    if not isinstance(raw, dict):
        raise ConfigError(source, where, "must be a table with input, output and optionally cached_input")
    values: dict[str, float] = {}
    for key in raw:
        if key not in ("input", "output", "cached_input"):
            valid = ("input", "cached_input", "output")
            listing = "valid: input, cached_input, output (USD per 1M)"
            raise ConfigError(source, f"{where}.{key}", unknown_key(key, valid, listing=listing))
    for key in ("input", "output", "cached_input"):
        if key not in raw:
            if key == "cached_input":
                continue
            raise ConfigError(source, f"{where}.{key}", "required: USD per 1M tokens")
        values[key] = check_number(raw[key], source, f"{where}.{key}", 0, 10_000, unit="USD per 1M tokens")
    return ModelPrice(**values)


def load_prices(overrides: Any = None, source: str | Path = "config", path: Path | None = None) -> PriceTable:
    """The bundled table, with `overrides` (the config's [prices] table) on top."""
    text = (
        (path or PRICES_FILE).read_text(encoding="utf-8")
        if (path or PRICES_FILE).exists()
        else resources.files("aoai_watch.probes").joinpath("prices.toml").read_text(encoding="utf-8")
    )
    doc = tomllib.loads(text)
    models = {name: _price(raw, f"models.{name}", path or PRICES_FILE) for name, raw in doc["models"].items()}
    if overrides:
        if not isinstance(overrides, dict):
            raise ConfigError(source, "prices", "must be a table of [prices.<model>] tables")
        problems = Problems()  # every model's problems at once
        for name, raw in overrides.items():
            price = problems.attempt(_price, raw, f"prices.{name}", source)
            if price is not None:
                models[name] = price
        problems.raise_if_any()
    return PriceTable(models, str(doc.get("date", "")), str(doc.get("source", "")))
