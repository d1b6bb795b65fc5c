"""The model catalog as data: every model id the emulator serves, with each fact's source (update here).

How to update: add or edit a row of `MODELS`; put a new source in `SOURCES` (with the date you checked it)
and cite its key in the row. Columns: id, `created` (unix seconds), context window, most output tokens;
`tuning` for fine-tunable snapshots (methods, per-example token limit, training price); `shutdown` for
announced shutdown dates; `alias_of` for undated names. `created` values tagged "release" are 00:00 UTC of
the model's release day (the real `created` value was not available); "models-api*" values were observed.
"""

from __future__ import annotations

from .catalog import Dated, Model, Source, Tuning, day

__all__ = ["FINE_TUNING_ALIASES", "MODELS", "SOURCES", "WIND_DOWN"]

_DEPRECATIONS = "https://developers.openai.com/api/docs/deprecations"
_DUMP = "models-api-2025-10"

SOURCES: dict[str, Source] = {
    "models-api": Source(
        "GET /v1/models responses (id, created, owned_by)", "https://api.openai.com/v1/models", "2025-06-01"
    ),
    "models-api-2025-10": Source(
        "A GET /v1/models listing (SDK repr) printed in a public repository, October 2025 (99 models)",
        "https://api.openai.com/v1/models",
        "2026-12-02",
    ),
    "release": Source(
        "Release announcement or snapshot date; `created` = 00:00 UTC that day",
        "https://platform.openai.com/docs/models",
        "2026-12-02",
    ),
    "sdk-types": Source(
        "openai-python types/shared/chat_model.py (ChatModel), openai 3.57.0",
        "https://github.com/openai/openai-python",
        "2026-12-02",
    ),
    "spec": Source(
        "OpenAPI spec ModelIdsShared / ResponsesOnlyModel",
        "https://github.com/openai/openai-openapi",
        "2026-12-02",
    ),
    "model-pages": Source(
        "OpenAI model pages (context window, max output tokens)",
        "https://platform.openai.com/docs/models",
        "2025-06-01",
    ),
    "ft-guide": Source(
        "OpenAI fine-tuning guides (SFT, DPO, RFT): which snapshots take which method",
        "https://developers.openai.com/api/docs/guides/supervised-fine-tuning",
        "2026-12-02",
    ),
    "pricing": Source(
        "OpenAI pricing page, fine-tuning table (training price per 1M tokens; RFT per hour)",
        "https://openai.com/api/pricing/",
        "2025-06-01",
    ),
    "launch-2023": Source(
        "GPT-3.5 Turbo fine-tuning launch post: $0.008 / 1K training tokens",
        "https://openai.com/blog/gpt-3-5-turbo-fine-tuning-and-api-updates",
        "2026-12-02",
    ),
    "dep-2023-06-13": Source(
        "Deprecations: 2023-06-13 updated chat models",
        _DEPRECATIONS + "#2023-06-13-updated-chat-models",
        "2026-12-02",
    ),
    "dep-2023-11-06": Source(
        "Deprecations: 2023-11-06 chat model updates (fine-tunes of 0613 unaffected)",
        _DEPRECATIONS + "#2023-11-06-chat-model-updates",
        "2026-12-02",
    ),
    "dep-2024-06-06": Source(
        "Deprecations: 2024-06-06 GPT-4-32K and Vision Preview models", _DEPRECATIONS, "2026-12-02"
    ),
    "eol-2025": Source(
        "endoflife.date/chatgpt (o1-preview, o1-mini support ended)",
        "https://endoflife.date/chatgpt",
        "2026-12-02",
    ),
    "dep-2025-11-17": Source("Deprecations: 2025-11-17 codex-mini-latest", _DEPRECATIONS, "2026-12-02"),
    "dep-2025-11-18": Source("Deprecations: 2025-11-18 chatgpt-4o-latest", _DEPRECATIONS, "2026-12-02"),
    "dep-2026-04-22": Source(
        "Deprecations: 2026-04-22 legacy GPT model snapshots (spybara diff of the page; "
        "dev.to/importstatic summary of 2026-10-15)",
        _DEPRECATIONS,
        "2026-12-02",
    ),
    "dep-2026-05-07": Source(
        "Deprecations: update to OpenAI's self-serve fine-tuning (notice 2026-05-07)",
        _DEPRECATIONS + "#update-to-openais-self-serve-fine-tuning",
        "2026-12-02",
    ),
    "dep-2026-05-08": Source(
        "Deprecations: 2026-05-08 gpt-5.2-chat-latest and gpt-5.3-chat-latest", _DEPRECATIONS, "2026-12-02"
    ),
    "dep-2026-06-11": Source(
        "Deprecations: 2026-06-11 GPT-5 and o3 model deprecations", _DEPRECATIONS, "2026-12-02"
    ),
    "dep-2026-10-14": Source(
        "Deprecations: 2026-10-14 GPT-4 family (fine-tunes follow their base)", _DEPRECATIONS, "2026-12-02"
    ),
    "dev-to-2026-10-28": Source(
        "dev.to/max_bob: every shutdown date, checked against /v1/models shutdown_date",
        "https://dev.to/max_bob",
        "2026-12-02",
    ),
    "inferred": Source(
        "Inferred (no published statement found): an alias shuts down with the snapshot it "
        "serves; gpt-3.5-turbo fine-tunes shut down with the gpt-3.5-turbo family",
        _DEPRECATIONS,
        "2026-12-02",
    ),
}

# The wind-down of self-serve fine-tuning: from each date, job creation is refused to more organizations.
WIND_DOWN: dict[str, Dated] = {
    "never_fine_tuned": Dated("2026-05-07", "dep-2026-05-07"),  # no job ever created before this date
    "inactive_60_days": Dated("2026-07-02", "dep-2026-05-07"),  # no fine-tuned inference in the last 60 days
    "everyone": Dated("2027-01-06", "dep-2026-05-07"),
}
INACTIVITY_WINDOW_DAYS = 60

# Alias -> snapshots a fine-tuning job trains, first choice first: gpt-3.5-turbo trained 0613 when
# fine-tuning launched (reference §5.1) and 0125 once 0613 was shut down for new fine-tunes.
FINE_TUNING_ALIASES: dict[str, tuple[str, ...]] = {
    "gpt-3.5-turbo": ("gpt-3.5-turbo-0613", "gpt-3.5-turbo-0125"),
    "gpt-4": ("gpt-4-0613",),
    "gpt-4o": ("gpt-4o-2024-08-06",),
    "gpt-4o-mini": ("gpt-4o-mini-2024-07-18",),
    "gpt-4.1": ("gpt-4.1-2025-04-14",),
    "gpt-4.1-mini": ("gpt-4.1-mini-2025-04-14",),
    "gpt-4.1-nano": ("gpt-4.1-nano-2025-04-14",),
    "o4-mini": ("o4-mini-2025-04-16",),
}

_SFT = ("supervised",)
_SFT_DPO = ("supervised", "dpo")
_RFT = ("reinforcement",)
_4o, _CL = "o200k_base", "cl100k_base"


def _d(date: str, source: str) -> Dated:
    return Dated(date, source)


def _tune(methods: tuple[str, ...], limit: int, price: float | None, unit: str = "token") -> Tuning:
    return Tuning(methods, limit, price, "pricing" if price is not None else "ft-guide", unit)


def _r(
    id: str,
    created: int | str,
    window: int,
    out: int,
    *,
    enc: str = _4o,
    owner: str = "system",
    kind: str = "chat",
    src: str = "models-api",
    **facts: object,
) -> Model:
    stamp = int(day(created)) if isinstance(created, str) else created
    source = "release" if isinstance(created, str) else src
    return Model(id, stamp, owner, kind, enc, window, out, source, **facts)  # type: ignore[arg-type]


_GPT35_END = _d("2026-10-23", "dep-2026-04-22")
_SEP28 = _d("2026-09-28", "dep-2026-04-22")
_JUL23 = _d("2026-07-23", "dep-2026-04-22")
_OCT23 = _d("2026-10-23", "dep-2026-04-22")
_DEC11 = _d("2026-12-11", "dep-2026-06-11")
_JAN14 = _d("2027-01-14", "dep-2026-10-14")
_JAN14_ALIAS = _d("2027-01-14", "inferred")
_APR01 = _d("2027-04-01", "dev-to-2026-10-28")
_G5, _G5OUT = 400_000, 128_000  # GPT-5 family limits (model pages)

# fmt: off
MODELS: tuple[Model, ...] = (  # one row per model reads best as a table
    # -- GPT-3.5 -------------------------------------------------------------------------------------
    _r("gpt-3.5-turbo", 1677610602, 16_385, 4_096, enc=_CL, owner="openai", alias_of="gpt-3.5-turbo-0125",
       shutdown=_GPT35_END),
    _r("gpt-3.5-turbo-0125", 1706048358, 16_385, 4_096, enc=_CL, tuning=_tune(_SFT, 16_385, 8.00),
       shutdown=_GPT35_END),
    _r("gpt-3.5-turbo-1106", 1698959748, 16_385, 4_096, enc=_CL, tuning=_tune(_SFT, 16_385, 8.00),
       shutdown=_SEP28),
    _r("gpt-3.5-turbo-0613", 1686587434, 4_096, 4_096, enc=_CL, owner="openai",
       tuning=Tuning(_SFT, 4_096, 8.00, "launch-2023"), shutdown=_d("2024-09-13", "dep-2023-11-06"),
       fine_tuned_shutdown=_d("2026-10-23", "inferred")),
    _r("gpt-3.5-turbo-0301", 1677649963, 4_096, 4_096, enc=_CL, owner="openai",
       shutdown=_d("2024-09-13", "dep-2023-06-13")),
    _r("gpt-3.5-turbo-16k", 1683758102, 16_385, 4_096, enc=_CL, owner="openai-internal",
       alias_of="gpt-3.5-turbo-16k-0613"),
    _r("gpt-3.5-turbo-16k-0613", 1685474247, 16_385, 4_096, enc=_CL, owner="openai",
       shutdown=_d("2024-09-13", "dep-2023-11-06")),
    _r("gpt-3.5-turbo-instruct", 1692901427, 4_096, 4_096, enc=_CL, kind="completion", shutdown=_SEP28),
    _r("gpt-3.5-turbo-instruct-0914", 1694122472, 4_096, 4_096, enc=_CL, kind="completion",
       shutdown=_d("2026-09-28", "inferred")),
    _r("babbage-002", 1692634615, 16_384, 16_384, enc=_CL, kind="completion",
       tuning=_tune(_SFT, 16_384, 0.40), shutdown=_SEP28),
    _r("davinci-002", 1692634301, 16_384, 16_384, enc=_CL, kind="completion",
       tuning=_tune(_SFT, 16_384, 6.00), shutdown=_SEP28),
    # -- GPT-4 and GPT-4 Turbo -----------------------------------------------------------------------
    _r("gpt-4", 1687882411, 8_192, 8_192, enc=_CL, owner="openai", alias_of="gpt-4-0613", shutdown=_OCT23),
    _r("gpt-4-0613", 1686588896, 8_192, 8_192, enc=_CL, owner="openai", tuning=_tune(_SFT, 8_192, None),
       shutdown=_OCT23),
    _r("gpt-4-0314", 1687882410, 8_192, 8_192, enc=_CL, owner="openai"),  # "at earliest 2024-06-13": no date
    _r("gpt-4-32k", "2023-03-14", 32_768, 8_192, enc=_CL, owner="openai", alias_of="gpt-4-32k-0613",
       shutdown=_d("2025-06-06", "dep-2024-06-06")),
    _r("gpt-4-32k-0314", "2023-03-14", 32_768, 8_192, enc=_CL, owner="openai",
       shutdown=_d("2025-06-06", "dep-2023-06-13")),
    _r("gpt-4-32k-0613", "2023-06-13", 32_768, 8_192, enc=_CL, owner="openai",
       shutdown=_d("2025-06-06", "dep-2024-06-06")),
    _r("gpt-4-1106-preview", 1698957206, 128_000, 4_096, enc=_CL, shutdown=_OCT23),
    _r("gpt-4-vision-preview", 1698894917, 128_000, 4_096, enc=_CL,
       shutdown=_d("2024-12-06", "dep-2024-06-06")),
    _r("gpt-4-0125-preview", 1706037612, 128_000, 4_096, enc=_CL),
    _r("gpt-4-turbo-preview", 1706037777, 128_000, 4_096, enc=_CL, alias_of="gpt-4-0125-preview"),
    _r("gpt-4-turbo", 1712361441, 128_000, 4_096, enc=_CL, alias_of="gpt-4-turbo-2024-04-09",
       shutdown=_OCT23),
    _r("gpt-4-turbo-2024-04-09", 1712601677, 128_000, 4_096, enc=_CL, shutdown=_OCT23),
    # -- GPT-4o --------------------------------------------------------------------------------------
    _r("gpt-4o", 1715367049, 128_000, 16_384, alias_of="gpt-4o-2024-08-06", shutdown=_JAN14_ALIAS),
    _r("gpt-4o-2024-05-13", 1715368132, 128_000, 4_096, shutdown=_OCT23),
    _r("gpt-4o-2024-08-06", 1722814719, 128_000, 16_384, tuning=_tune(_SFT_DPO, 65_536, 25.00),
       shutdown=_JAN14),
    _r("gpt-4o-2024-11-20", 1739331543, 128_000, 16_384, src=_DUMP, shutdown=_JAN14),
    _r("gpt-4o-mini", 1721172741, 128_000, 16_384, alias_of="gpt-4o-mini-2024-07-18", shutdown=_JAN14_ALIAS),
    _r("gpt-4o-mini-2024-07-18", 1721172717, 128_000, 16_384, tuning=_tune(_SFT_DPO, 65_536, 3.00),
       shutdown=_JAN14),
    _r("chatgpt-4o-latest", 1723515131, 128_000, 16_384, src=_DUMP,
       shutdown=_d("2026-02-17", "dep-2025-11-18")),
    _r("gpt-4o-audio-preview", 1727460443, 128_000, 16_384, src=_DUMP,
       alias_of="gpt-4o-audio-preview-2025-06-03"),
    _r("gpt-4o-audio-preview-2024-10-01", 1727389042, 128_000, 16_384, src=_DUMP),
    _r("gpt-4o-audio-preview-2024-12-17", 1734034239, 128_000, 16_384, src=_DUMP, shutdown=_JUL23),
    _r("gpt-4o-audio-preview-2025-06-03", 1748908498, 128_000, 16_384, src=_DUMP),
    _r("gpt-4o-mini-audio-preview", 1734387424, 128_000, 16_384, src=_DUMP,
       alias_of="gpt-4o-mini-audio-preview-2024-12-17", shutdown=_d("2026-07-23", "inferred")),
    _r("gpt-4o-mini-audio-preview-2024-12-17", 1734115920, 128_000, 16_384, src=_DUMP, shutdown=_JUL23),
    _r("gpt-4o-search-preview", 1741388720, 128_000, 16_384, src=_DUMP,
       alias_of="gpt-4o-search-preview-2025-03-11",
       shutdown=_d("2026-07-23", "inferred")),
    _r("gpt-4o-search-preview-2025-03-11", 1741388170, 128_000, 16_384, src=_DUMP, shutdown=_JUL23),
    _r("gpt-4o-mini-search-preview", 1741391161, 128_000, 16_384, src=_DUMP,
       alias_of="gpt-4o-mini-search-preview-2025-03-11", shutdown=_d("2026-07-23", "inferred")),
    _r("gpt-4o-mini-search-preview-2025-03-11", 1741390858, 128_000, 16_384, src=_DUMP, shutdown=_JUL23),
    _r("gpt-audio-mini", 1759512027, 128_000, 16_384, src=_DUMP, alias_of="gpt-audio-mini-2025-12-15"),
    _r("gpt-audio-mini-2025-12-15", "2025-12-15", 128_000, 16_384),
    # -- GPT-4.1 -------------------------------------------------------------------------------------
    _r("gpt-4.1", 1744316542, 1_047_576, 32_768, alias_of="gpt-4.1-2025-04-14", shutdown=_JAN14_ALIAS),
    _r("gpt-4.1-2025-04-14", 1744315746, 1_047_576, 32_768, tuning=_tune(_SFT_DPO, 65_536, 25.00),
       shutdown=_JAN14),
    _r("gpt-4.1-mini", 1744318173, 1_047_576, 32_768, alias_of="gpt-4.1-mini-2025-04-14",
       shutdown=_JAN14_ALIAS),
    _r("gpt-4.1-mini-2025-04-14", 1744317547, 1_047_576, 32_768, tuning=_tune(_SFT_DPO, 65_536, 5.00),
       shutdown=_JAN14),
    _r("gpt-4.1-nano", 1744321707, 1_047_576, 32_768, alias_of="gpt-4.1-nano-2025-04-14", shutdown=_OCT23),
    _r("gpt-4.1-nano-2025-04-14", 1744321025, 1_047_576, 32_768, tuning=_tune(_SFT_DPO, 65_536, 1.50),
       shutdown=_OCT23),
    # -- o-series ------------------------------------------------------------------------------------
    _r("o1-preview", "2024-09-12", 128_000, 32_768, reasoning=True, alias_of="o1-preview-2024-09-12",
       shutdown=_d("2025-07-28", "eol-2025")),
    _r("o1-preview-2024-09-12", "2024-09-12", 128_000, 32_768, reasoning=True,
       shutdown=_d("2025-07-28", "eol-2025")),
    _r("o1-mini", 1725649008, 128_000, 65_536, src=_DUMP, reasoning=True, alias_of="o1-mini-2024-09-12",
       shutdown=_d("2025-10-27", "eol-2025")),
    _r("o1-mini-2024-09-12", 1725648979, 128_000, 65_536, src=_DUMP, reasoning=True,
       shutdown=_d("2025-10-27", "eol-2025")),
    _r("o1", 1734375816, 200_000, 100_000, src=_DUMP, reasoning=True, alias_of="o1-2024-12-17",
       shutdown=_OCT23),
    _r("o1-2024-12-17", 1734326976, 200_000, 100_000, src=_DUMP, reasoning=True, shutdown=_OCT23),
    _r("o3-mini", 1737146383, 200_000, 100_000, src=_DUMP, reasoning=True, alias_of="o3-mini-2025-01-31",
       shutdown=_OCT23),
    _r("o3-mini-2025-01-31", 1738010200, 200_000, 100_000, src=_DUMP, reasoning=True, shutdown=_OCT23),
    _r("o3", 1744225308, 200_000, 100_000, src=_DUMP, reasoning=True, alias_of="o3-2025-04-16",
       shutdown=_DEC11),
    _r("o3-2025-04-16", 1744133301, 200_000, 100_000, src=_DUMP, reasoning=True, shutdown=_DEC11),
    _r("o4-mini", 1744225351, 200_000, 100_000, reasoning=True, alias_of="o4-mini-2025-04-16",
       shutdown=_OCT23),
    _r("o4-mini-2025-04-16", 1744133506, 200_000, 100_000, reasoning=True,
       tuning=_tune(_RFT, 65_536, 100.00, "hour"), shutdown=_OCT23),
    _r("codex-mini-latest", 1746673257, 200_000, 100_000, src=_DUMP, reasoning=True,
       shutdown=_d("2026-01-16", "dep-2025-11-17")),
    # -- GPT-5 ---------------------------------------------------------------------------------------
    _r("gpt-5", 1754425777, _G5, _G5OUT, src=_DUMP, reasoning=True, alias_of="gpt-5-2025-08-07",
       shutdown=_DEC11),
    _r("gpt-5-2025-08-07", 1754075360, _G5, _G5OUT, src=_DUMP, reasoning=True, shutdown=_DEC11),
    _r("gpt-5-mini", 1754425928, _G5, _G5OUT, src=_DUMP, reasoning=True, alias_of="gpt-5-mini-2025-08-07",
       shutdown=_DEC11),
    _r("gpt-5-mini-2025-08-07", 1754425867, _G5, _G5OUT, src=_DUMP, reasoning=True, shutdown=_DEC11),
    _r("gpt-5-nano", 1754426384, _G5, _G5OUT, src=_DUMP, reasoning=True, alias_of="gpt-5-nano-2025-08-07",
       shutdown=_DEC11),
    _r("gpt-5-nano-2025-08-07", 1754426303, _G5, _G5OUT, src=_DUMP, reasoning=True, shutdown=_DEC11),
    _r("gpt-5-chat-latest", 1754073306, 128_000, 16_384, src=_DUMP, shutdown=_JUL23),
    _r("gpt-5.1", "2025-11-13", _G5, _G5OUT, reasoning=True, alias_of="gpt-5.1-2025-11-13", shutdown=_APR01),
    _r("gpt-5.1-2025-11-13", "2025-11-13", _G5, _G5OUT, reasoning=True, shutdown=_APR01),
    _r("gpt-5.1-mini", "2025-11-13", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.1-codex", "2025-11-13", _G5, _G5OUT, reasoning=True, shutdown=_JUL23),
    _r("gpt-5.1-chat-latest", "2025-11-13", 128_000, 16_384, shutdown=_JUL23),
    _r("gpt-5.2", "2025-12-11", _G5, _G5OUT, reasoning=True, alias_of="gpt-5.2-2025-12-11"),
    _r("gpt-5.2-2025-12-11", "2025-12-11", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.2-pro", "2025-12-11", _G5, _G5OUT, reasoning=True, alias_of="gpt-5.2-pro-2025-12-11"),
    _r("gpt-5.2-pro-2025-12-11", "2025-12-11", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.2-chat-latest", "2025-12-11", 128_000, 16_384, shutdown=_d("2026-08-10", "dep-2026-05-08")),
    _r("gpt-5.3-chat-latest", "2026-03-03", 128_000, 16_384, shutdown=_d("2026-08-10", "dep-2026-05-08")),
    _r("gpt-5.4", "2026-03-05", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.4-mini", "2026-03-17", _G5, _G5OUT, reasoning=True, alias_of="gpt-5.4-mini-2026-03-17"),
    _r("gpt-5.4-mini-2026-03-17", "2026-03-17", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.4-nano", "2026-03-17", _G5, _G5OUT, reasoning=True, alias_of="gpt-5.4-nano-2026-03-17"),
    _r("gpt-5.4-nano-2026-03-17", "2026-03-17", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.5", "2026-04-23", _G5, _G5OUT, reasoning=True, alias_of="gpt-5.5-2026-04-23"),
    _r("gpt-5.5-2026-04-23", "2026-04-23", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.6-sol", "2026-06-11", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.6-terra", "2026-06-11", _G5, _G5OUT, reasoning=True),
    _r("gpt-5.6-luna", "2026-06-11", _G5, _G5OUT, reasoning=True),
    # -- GPT-6 (SDK ChatModel; limits assumed as GPT-5's until published) -----------------------------
    _r("gpt-6-sol", "2026-10-14", _G5, _G5OUT, reasoning=True),
    _r("gpt-6-luna", "2026-10-14", _G5, _G5OUT, reasoning=True),
    _r("gpt-6-astra", "2026-10-14", _G5, _G5OUT, reasoning=True),
    _r("gpt-6.1-sol", "2026-11-01", _G5, _G5OUT, reasoning=True),
    _r("gpt-6.1-terra", "2026-11-01", _G5, _G5OUT, reasoning=True),
    _r("gpt-6.2-sol", "2026-11-20", _G5, _G5OUT, reasoning=True),
    _r("gpt-6.2-astra", "2026-11-20", _G5, _G5OUT, reasoning=True),
    # -- moderation ----------------------------------------------------------------------------------
    _r("omni-moderation-latest", 1731689265, 16_385, 0, kind="moderation"),
    _r("omni-moderation-2024-09-26", 1732734466, 16_385, 0, kind="moderation"),
    _r("text-moderation-latest", 1698809160, 16_385, 0, enc=_CL, kind="moderation"),
    _r("text-moderation-stable", 1698809177, 16_385, 0, enc=_CL, kind="moderation"),
)
# fmt: on
