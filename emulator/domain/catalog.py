"""The shape of the model catalog: one row per model id, each fact with the source it comes from.

The rows themselves live in `catalog_table.py` (data only); this module types them and answers lookups.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

__all__ = [
    "METHODS",
    "Dated",
    "Model",
    "Source",
    "Tuning",
    "day",
]

METHODS = ("supervised", "dpo", "reinforcement")


@dataclass(frozen=True)
class Source:
    """Where a fact comes from and when it was last checked against that source."""

    title: str
    url: str
    checked: str  # YYYY-MM-DD


@dataclass(frozen=True)
class Dated:
    """A date (YYYY-MM-DD) with the key of its source in `catalog_table.SOURCES`."""

    date: str
    source: str

    @property
    def timestamp(self) -> float:
        """00:00 UTC of the date: a model shut down on D refuses requests from that midnight on."""
        return day(self.date)


@dataclass(frozen=True)
class Tuning:
    """What fine-tuning a snapshot accepts and what training costs.

    `price` is USD per 1M trained tokens (`unit` "token"), or per training hour (`unit` "hour", as
    reinforcement fine-tuning is billed); None when OpenAI has not published one.
    """

    methods: tuple[str, ...]
    token_limit: int  # longest training example, in tokens; longer ones are truncated
    price: float | None
    price_source: str
    unit: str = "token"
    methods_source: str = "ft-guide"

    @property
    def price_label(self) -> str:
        """The price as a person reads it, e.g. "$8.00 / 1M training tokens"."""
        if self.price is None:
            return "no published training price"
        per = "training hour" if self.unit == "hour" else "1M training tokens"
        return f"${self.price:,.2f} / {per}"

    def __post_init__(self) -> None:
        assert set(self.methods) <= set(METHODS) and self.unit in ("token", "hour"), self


@dataclass(frozen=True)
class Model:
    """One model id as OpenAI serves it (an alias or a dated snapshot)."""

    id: str
    created: int
    owned_by: str
    kind: str  # "chat", "completion" or "moderation"
    encoding: str  # tiktoken encoding name
    context_window: int
    max_output: int  # most completion tokens one request may ask for
    source: str  # where id, created, owner and limits come from
    reasoning: bool = False  # a reasoning model: max_completion_tokens, no sampling parameters
    alias_of: str | None = None  # the snapshot an alias answers as on the inference endpoints
    tuning: Tuning | None = None  # set for fine-tunable snapshots
    shutdown: Dated | None = None
    # When fine-tuned models of this base stop serving, where that differs from the base's own date.
    fine_tuned_shutdown: Dated | None = field(default=None)

    @property
    def fine_tunable(self) -> bool:
        return self.tuning is not None

    @property
    def training_token_limit(self) -> int | None:
        return self.tuning.token_limit if self.tuning is not None else None

    @property
    def shutdown_date(self) -> str | None:
        return self.shutdown.date if self.shutdown is not None else None

    @property
    def fine_tuned_shutdown_date(self) -> str | None:
        dated = self.fine_tuned_shutdown or self.shutdown
        return dated.date if dated is not None else None


@functools.cache  # a few hundred distinct dates, read on every model listing
def day(date: str) -> float:
    """Unix time of 00:00 UTC on `date` (YYYY-MM-DD)."""
    parsed = dt.date.fromisoformat(date)
    return dt.datetime(parsed.year, parsed.month, parsed.day, tzinfo=dt.UTC).timestamp()
