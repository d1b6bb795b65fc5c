"""Which planned jobs hold their Training: those derived last, so a store of 100k jobs keeps a small
recipe per job (see Recipe) and the resolved values, curve and plan only for the jobs being read."""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .job import Job, Training
    from .timeline import Timeline

__all__ = ["KeptTrainings"]


class KeptTrainings:
    """The jobs whose derived Training sits on `job.trained`, oldest first: past `size`, the oldest drops
    it again (it is derived anew when read). A job whose timeline was edited keeps its Training for good:
    the edit is state, not something derived."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._jobs: deque[Job] = deque()
        self._lock = threading.Lock()

    def keep(self, job: Job, training: Training) -> None:
        with self._lock:
            job.trained = training
            self._jobs.append(job)
            while len(self._jobs) > self.size:
                old = self._jobs.popleft()
                if old.recipe is not None and old.trained is not None and old.trained.edited is None:
                    old.trained = None

    def edit(self, job: Job, training: Training) -> Timeline:
        """The job's own timeline to change, made under the lock that decides what is dropped."""
        with self._lock:
            job.trained = training
            return training.editable()
