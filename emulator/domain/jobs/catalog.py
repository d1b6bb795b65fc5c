"""Which models can be fine-tuned and how (the lookups live in `domain.tuning`, beside the catalog)."""

from __future__ import annotations

from ..tuning import FINE_TUNING_ALIASES, Target, lookup_base, methods_for, model_kind, unsupported_method

__all__ = ["FINE_TUNING_ALIASES", "Target", "lookup_base", "methods_for", "model_kind", "unsupported_method"]
