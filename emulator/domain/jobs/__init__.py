"""Fine-tuning jobs: a deterministic simulated lifecycle on the emulator's clock."""

from __future__ import annotations

from .job import Job as Job
from .service import cancel_job as cancel_job
from .service import create_job as create_job
from .service import get_job as get_job
from .service import list_checkpoints as list_checkpoints
from .service import list_events as list_events
from .service import list_jobs as list_jobs
from .service import pause_job as pause_job
from .service import refusal as refusal
from .service import resume_job as resume_job
from .service import retrieve_job as retrieve_job
from .service import run_all as run_all
from .service import run_until as run_until
from .service import set_progression as set_progression
from .store import POLICIES as POLICIES
from .store import JobStore as JobStore
from .validation import FileAnalysis as FileAnalysis
from .validation import analyze as analyze

__all__ = [
    "POLICIES",
    "FileAnalysis",
    "Job",
    "JobStore",
    "analyze",
    "cancel_job",
    "create_job",
    "get_job",
    "list_checkpoints",
    "list_events",
    "list_jobs",
    "pause_job",
    "refusal",
    "resume_job",
    "retrieve_job",
    "run_all",
    "run_until",
    "set_progression",
]
