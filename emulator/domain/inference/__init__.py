"""Using a model: chat and legacy completions, learned answers, structured output, tool calls, streaming."""

from __future__ import annotations

from .chat import ChatCompletion as ChatCompletion
from .chat import answer as answer_chat
from .contract import ChatRequest as ChatRequest
from .contract import CompletionRequest as CompletionRequest
from .contract import check_model_params as check_model_params
from .contract import parse_chat as parse_chat
from .contract import parse_completion as parse_completion
from .memory import remember as remember
from .serving import ServedModel as ServedModel
from .serving import serve as serve

__all__ = [
    "ChatCompletion",
    "ChatRequest",
    "CompletionRequest",
    "ServedModel",
    "answer_chat",
    "check_model_params",
    "parse_chat",
    "parse_completion",
    "remember",
    "serve",
]
