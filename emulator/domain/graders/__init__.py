"""Graders: checking grader definitions and scoring model samples (the alpha graders API, RFT jobs)."""

from __future__ import annotations

from .checks import check_grader as check_grader
from .run import run_grader as run_grader
from .similarity import similarity as similarity

__all__ = ["check_grader", "run_grader", "similarity"]
