"""Parallel runs (``--jobs``): units of work spread over processes, merged in input order.

Large NDJSON files are cut into byte ranges that each worker reads itself; everything
else is read here in batches and sent to the workers.  Tallies merge in input order and
ranges get their line numbers shifted, so a parallel run reports exactly what a serial
one does.  This module owns processes and ordering, never the checks themselves.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator, Mapping

from .check import Checker, check_batch
from .inputs import Source, batches, line_batches
from .report import Tally

RANGE_BYTES = 16 << 20  # with --jobs, a large NDJSON file is cut into ranges of this size
_WORKER: Checker | None = None


def _init_worker(schemas: Mapping[str, Mapping]) -> None:
    global _WORKER
    _WORKER = Checker(schemas)


class _Range:
    """A window ``[start, start + length)`` of an open binary file, read like a stream."""

    def __init__(self, fh, length: int):
        self.fh, self.remaining = fh, length

    def read1(self, n: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        data = self.fh.read(self.remaining if n < 0 else min(n, self.remaining))
        self.remaining -= len(data)
        return data


def _check_range(checker: Checker, src: Source, start: int, end: int) -> tuple[Tally, int]:
    """Check the lines of one byte range of an NDJSON file (it starts after a newline
    and ends after one, or at the end of the file).  Line numbers in the tally count
    from the range's first line; the second value is how many lines the range holds."""
    total = Tally()
    lines = 0
    with open(src.path, "rb") as fh:
        fh.seek(start)
        for batch in line_batches(src, _Range(fh, end - start), 1, at_start=start == 0):
            total.merge(check_batch(checker, batch))
            lines = batch[1] + len(batch[2]) - 1
    return total, lines


def _work(task: tuple) -> tuple[Tally, int]:
    assert _WORKER is not None
    if task[0] == "range":
        return _check_range(_WORKER, *task[1:4])
    return check_batch(_WORKER, task[1]), 0


def _range_starts(path: str, size: int, step: int) -> list[int]:
    """Offsets that cut a file into ranges of about ``step`` bytes, each just after a
    newline (a line is never split, however long)."""
    starts = [0]
    with open(path, "rb") as fh:
        pos = step
        while pos < size:
            fh.seek(pos)
            while True:
                block = fh.read(1 << 16)
                if not block:
                    return starts
                cut = block.find(b"\n")
                if cut >= 0:
                    pos += cut + 1
                    break
                pos += len(block)
            if pos >= size:
                break
            starts.append(pos)
            pos += step
    return starts


def _tasks(srcs: Iterable[Source]) -> Iterator[tuple]:
    """Units of work for worker processes: byte ranges of large NDJSON files (a worker
    reads its range itself), and batches of lines read here for everything else
    (standard input, small files, .json files)."""
    step = RANGE_BYTES
    for seq, src in enumerate(srcs):
        size = -1
        if src.path is not None and src.format == "ndjson":
            try:
                size = os.path.getsize(src.path)
            except OSError:
                size = -1
        if size >= 2 * step:
            starts = _range_starts(src.path, size, step)
            for start, end in zip(starts, starts[1:] + [size]):
                yield ("range", src, start, end, seq)
        else:
            for batch in batches([src]):
                yield ("batch", batch)


def check_sources(checker: Checker, srcs: Iterable[Source], jobs: int = 1) -> Tally:
    """Check every input; with ``jobs > 1`` units of work go to that many processes and
    their tallies are merged in input order (ranges get their line numbers shifted), so
    the report is the same as a serial run.  At most ``2 * jobs`` units are in flight,
    so memory stays flat for endless input."""
    total = Tally()
    if jobs <= 1:
        for batch in batches(srcs):
            total.merge(check_batch(checker, batch))
        return total
    from concurrent.futures import ProcessPoolExecutor

    offsets: dict[int, int] = {}  # input number -> lines in its ranges merged so far

    def merge(task: tuple, result: tuple[Tally, int]) -> None:
        tally, lines = result
        if task[0] == "range":
            seq = task[4]
            tally.shift_lines(offsets.get(seq, 0))
            offsets[seq] = offsets.get(seq, 0) + lines
        total.merge(tally)

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(checker.schemas,)) as pool:
        pending: deque = deque()
        for task in _tasks(srcs):
            pending.append((task, pool.submit(_work, task)))
            while len(pending) >= 2 * jobs:
                done, future = pending.popleft()
                merge(done, future.result())
        while pending:
            done, future = pending.popleft()
            merge(done, future.result())
    return total
