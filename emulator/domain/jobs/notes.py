"""Message notes whose text a job derives when an event is read, instead of holding the strings: the
"created" pair and the success notes (checkpoint and model names) are the same every time they are made,
and a store of 100k jobs would otherwise keep ~1 KB of text per job that few clients ever read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

from .records import Note

if TYPE_CHECKING:
    from .job import Job

__all__ = ["CreatedNotes", "SuccessNotes", "checkpoint_steps"]


def checkpoint_steps(per_epoch: int, epochs: int) -> list[int]:
    """The ends of the last three epochs, highest first."""
    return [e * per_epoch for e in range(epochs, max(0, epochs - 3), -1)]


class _Derived(Sequence[Note]):
    """A fixed, read-only run of notes made on demand; equal to any sequence of the same notes."""

    __slots__ = ()

    def notes(self) -> tuple[Note, ...]:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> Note: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Note, ...]: ...
    def __getitem__(self, index: int | slice) -> Note | tuple[Note, ...]:
        return self.notes()[index]

    def __iter__(self) -> Iterator[Note]:
        return iter(self.notes())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self.notes()) == tuple(other)

    def __hash__(self) -> int:
        return hash(self.notes())


class CreatedNotes(_Derived):
    """"Created fine-tuning job: …" and "Validating training file: …" (the first two events)."""

    __slots__ = ("job_id", "training_file", "validation_file")

    def __init__(self, job_id: str, training_file: str, validation_file: str | None) -> None:
        self.job_id, self.training_file, self.validation_file = job_id, training_file, validation_file

    def __len__(self) -> int:
        return 2

    def notes(self) -> tuple[Note, ...]:
        files = f"Validating training file: {self.training_file}"
        if self.validation_file is not None:
            files += f" and validation file: {self.validation_file}"
        return Note(f"Created fine-tuning job: {self.job_id}"), Note(files)


class SuccessNotes(_Derived):
    """The checkpoint notes (but the last step's), the new model's name and the completion message."""

    __slots__ = ("epochs", "job", "per_epoch", "total")

    def __init__(self, job: Job, per_epoch: int, epochs: int, total: int) -> None:
        self.job, self.per_epoch, self.epochs, self.total = job, per_epoch, epochs, total

    def _steps(self) -> list[int]:
        return sorted(s for s in checkpoint_steps(self.per_epoch, self.epochs) if s != self.total)

    def __len__(self) -> int:
        return len(self._steps()) + 2

    def notes(self) -> tuple[Note, ...]:
        job = self.job
        notes = [
            Note(f"Checkpoint created at step {s} with Snapshot ID: {job.checkpoint_model(s, self.total)}")
            for s in self._steps()
        ]
        notes.append(Note(f"New fine-tuned model created: {job.fine_tuned_model}"))
        notes.append(Note("The job has successfully completed"))
        return tuple(notes)
