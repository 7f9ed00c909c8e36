"""Parallel runs (``--jobs``): units of work spread over processes, merged in input order.

Large NDJSON files are cut into byte ranges that each worker reads itself; everything
else is read here in batches and sent to the workers.  Tallies merge in input order and
ranges get their line numbers shifted, so a parallel run reports exactly what a serial
one does.  This module owns processes and ordering, never the checks themselves.
"""

from __future__ import annotations

import os
import stat
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .check import Checker, check_batch
from .inputs import Source, batches, line_batches
from .report import Tally

RANGE_BYTES = 16 << 20  # with --jobs, a large NDJSON file is cut into ranges of this size
GROUP_BYTES = 4 << 20  # small files go to a worker in groups of about this many bytes
GROUP_FILES = 2048  # ... or of this many files
PARALLEL_MIN_BYTES = 8 << 20  # less input than this (all in files) is checked serially
PARALLEL_MIN_FILE_BYTES = 64 << 10  # ... and so are files smaller than this on average
SAMPLE = 256  # inputs whose sizes estimate the whole
_WORKER: Checker | None = None


def _init_worker(schemas: Mapping[str, Mapping[str, Any]], product_version: str | None) -> None:
    global _WORKER
    _WORKER = Checker(schemas, product_version)


class _Range:
    """A window ``[start, start + length)`` of an open binary file, read like a stream."""

    def __init__(self, fh: Any, length: int):
        self.fh, self.remaining = fh, length

    def read1(self, n: int = -1) -> bytes:
        if self.remaining <= 0:
            return b""
        data: bytes = self.fh.read(self.remaining if n < 0 else min(n, self.remaining))
        self.remaining -= len(data)
        return data


def _check_range(checker: Checker, src: Source, start: int, end: int) -> tuple[Tally, int]:
    """Check the lines of one byte range of an NDJSON file (it starts after a newline
    and ends after one, or at the end of the file).  Line numbers in the tally count
    from the range's first line; the second value is how many lines the range holds."""
    total = Tally()
    lines = 0
    assert src.path is not None  # ranges are of files
    with open(src.path, "rb") as fh:
        fh.seek(start)
        for batch in line_batches(src, _Range(fh, end - start), 1, at_start=start == 0):
            total.merge(check_batch(checker, batch))
            lines = batch[1] + len(batch[2]) - 1
    return total, lines


def _work(task: tuple[Any, ...]) -> tuple[Tally, int]:
    assert _WORKER is not None
    if task[0] == "range":
        return _check_range(_WORKER, *task[1:4])
    total = Tally()
    if task[0] == "files":
        for batch in batches(task[1]):
            total.merge(check_batch(_WORKER, batch))
        return total, 0
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


def _size(src: Source) -> int:
    """The size of a file input; -1 for standard input, a pipe or a problem."""
    if src.path is None or src.problem is not None:
        return -1
    try:
        st = os.stat(src.path)
    except OSError:
        return -1
    return st.st_size if stat.S_ISREG(st.st_mode) else -1


def _tasks(srcs: Iterable[Source]) -> Iterator[tuple[Any, ...]]:
    """Units of work for worker processes: byte ranges of large NDJSON files (a worker
    reads its range itself), groups of small files (a worker reads them itself: one
    task per file would cost more in messages than the checking), and batches of lines
    read here for standard input and pipes."""
    step = RANGE_BYTES
    group: list[Source] = []
    group_bytes = 0
    for seq, src in enumerate(srcs):
        size = _size(src)
        if size < 0 and src.problem is None:  # standard input or a pipe: read here
            if group:
                yield ("files", group)
                group, group_bytes = [], 0
            for batch in batches([src]):
                yield ("batch", batch)
        elif src.format == "ndjson" and size >= 2 * step:
            if group:
                yield ("files", group)
                group, group_bytes = [], 0
            assert src.path is not None  # a size >= 0: a file
            starts = _range_starts(src.path, size, step)
            for start, end in zip(starts, starts[1:] + [size]):
                yield ("range", src, start, end, seq)
        else:
            group.append(src)
            group_bytes += max(size, 0)
            if group_bytes >= GROUP_BYTES or len(group) >= GROUP_FILES:
                yield ("files", group)
                group, group_bytes = [], 0
    if group:
        yield ("files", group)


def parallel_jobs(jobs: int, srcs: list[Source]) -> int:
    """How many processes are worth starting for these inputs: 1 (serial) unless there
    is a stream to read (standard input, a pipe) or files of about ``PARALLEL_MIN_BYTES``
    in all that average ``PARALLEL_MIN_FILE_BYTES``; never more than the CPUs this
    process may use.  Sizes are estimated from at most ``SAMPLE`` evenly spaced inputs,
    so deciding costs no stat of every one of 100,000 files.  Measured
    (``benchmarks/bench_validate.py --files``): for many small files the per-file cost
    of opening and reading dominates, and workers only add process start-up and
    messages (100,000 one-line files: 1.48 s serial, 15.9 s with 4 workers before this
    fallback), so such input is checked serially."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    jobs = min(jobs, cpus)
    files = [src for src in srcs if src.problem is None]
    if jobs <= 1 or not files:
        return 1
    sample = files[:: max(1, len(files) // SAMPLE)]
    sizes = [_size(src) for src in sample]
    if any(size < 0 for size in sizes):
        return jobs  # a stream: read here, checked by the workers
    average = sum(sizes) / len(sizes)
    if average * len(files) < PARALLEL_MIN_BYTES or average < PARALLEL_MIN_FILE_BYTES:
        return 1
    return jobs


def check_sources(checker: Checker, srcs: Iterable[Source], jobs: int = 1) -> Tally:
    """Check every input; with ``jobs > 1`` units of work go to that many processes and
    their tallies are merged in input order (ranges get their line numbers shifted), so
    the report is the same as a serial run.  At most ``2 * jobs`` units are in flight,
    so memory stays flat for endless input."""
    total = Tally()
    if jobs > 1:
        srcs = list(srcs)
        jobs = parallel_jobs(jobs, srcs)
    if jobs <= 1:
        for batch in batches(srcs):
            total.merge(check_batch(checker, batch))
        return total
    from concurrent.futures import ProcessPoolExecutor

    offsets: dict[int, int] = {}  # input number -> lines in its ranges merged so far

    def merge(task: tuple[Any, ...], result: tuple[Tally, int]) -> None:
        tally, lines = result
        if task[0] == "range":
            seq = task[4]
            tally.shift_lines(offsets.get(seq, 0))
            offsets[seq] = offsets.get(seq, 0) + lines
        total.merge(tally)

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker,
                             initargs=(checker.schemas, checker.product_version)) as pool:
        pending: deque[Any] = deque()
        for task in _tasks(srcs):
            pending.append((task, pool.submit(_work, task)))
            while len(pending) >= 2 * jobs:
                done, future = pending.popleft()
                merge(done, future.result())
        while pending:
            done, future = pending.popleft()
            merge(done, future.result())
    return total
