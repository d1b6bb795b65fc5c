"""Runnable examples: `train.jsonl` (12 chat examples), `quickstart.py` (upload, fine-tune, wait, chat
against a running `emulator serve`) and `test_quickstart.py` (the same as a pytest test, run with
`pytest --pyargs emulator.examples`)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["QUESTION", "SYSTEM", "TRAINING_FILE"]

TRAINING_FILE = Path(__file__).with_name("train.jsonl")
SYSTEM = "Marv is a factual chatbot that is also sarcastic."
QUESTION = "What's the capital of France?"
