"""A progress bar for reading a big file line by line (`emulator validate`): bytes done, ETA and lines/s,
drawn by tqdm on a terminal only, so piped output and `--json` stay clean."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Iterator
from typing import IO

from tqdm import tqdm  # type: ignore[import-untyped,unused-ignore]

__all__ = ["lines_with_progress"]

_REFRESH_LINES = 4096  # lines between updates of the lines/s figure (tqdm itself redraws at most 10/s)


def lines_with_progress(
    stream: Iterable[bytes], total_bytes: int, *, label: str, output: IO[str], enabled: bool
) -> Iterator[bytes]:
    """Yield `stream`'s lines; when `enabled`, draw a bar on `output` that ends when the stream does."""
    if not enabled:
        yield from stream
        return
    started = time.monotonic()
    with tqdm(
        total=total_bytes,
        desc=label,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]",
        file=output,
        leave=False,  # the report follows: the finished bar would only repeat its numbers
        # a terminal that reports no size (0 x 0) would hide the bar: fall back to 80 x 24
        ncols=shutil.get_terminal_size().columns,
        nrows=shutil.get_terminal_size().lines,
    ) as bar:
        count = 0
        for line in stream:
            count += 1
            bar.update(len(line))
            if count % _REFRESH_LINES == 0:
                rate = count / max(time.monotonic() - started, 1e-9)
                bar.set_postfix_str(f"{rate:,.0f} lines/s", refresh=False)
            yield line
        rate = count / max(time.monotonic() - started, 1e-9)
        bar.set_postfix_str(f"{rate:,.0f} lines/s")
