"""Running one slow, pure function in a forked child process while the build goes on.

Owns process management for the build: fork, the result pipe, waiting and stopping.
A target never forks itself; it may declare a ``prefetch`` hook (see
``generator.targets``) that returns a ``Child`` started here, and the build
orchestration (``generator.build``) starts every such hook before rendering and cancels
whatever is left when it is done.  A child is only a head start: ``result()`` returns
None when anything went wrong (no fork on this platform, the child failed), and the
caller then computes the same value itself, so output never depends on whether a child
ran.  A ``Worker`` is a child forked before its job is known (``gen build`` forks one for
each target with a ``warm`` hook before loading the spec, so slow imports overlap
it), and ``map_parallel`` spreads one function over several children.  This module
keeps no module-level state: each ``Child`` or ``Worker`` owns its process.

It must not import anything heavy, and the function given to ``start`` must be pure
(its result depends only on its argument), because its result is used as if computed
in the parent.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable


def can_fork() -> bool:
    """Whether a child may be forked here: Linux, not switched off with ``GEN_NO_FORK``,
    and no other thread running (forking a threaded process is not safe)."""
    return (
        hasattr(os, "fork")
        and sys.platform.startswith("linux")
        and not os.environ.get("GEN_NO_FORK")
        and threading.active_count() == 1
    )


class Child:
    """``fn(arg)`` computed in a forked child; collect it with ``result()``, or stop it
    with ``cancel()``.  Either may be called any number of times."""

    def __init__(self, pid: int, read_fd: int):
        self._pid: int | None = pid
        self._read_fd = read_fd
        self._result: bytes | None = None

    @classmethod
    def start(cls, fn: Callable[[bytes], bytes], arg: bytes) -> Child | None:
        """Fork a child computing ``fn(arg)``; None when forking is not possible."""
        if not can_fork():
            return None
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: compute, send, leave without running any cleanup
            status = 1
            try:
                _child_setup()
                os.close(read)
                _send(write, fn(arg))
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        return cls(pid, read)

    def result(self) -> bytes | None:
        """Wait for the child; its result, or None when it failed (compute it yourself)."""
        if self._pid is None:
            return self._result
        chunks = []
        with os.fdopen(self._read_fd, "rb") as fh:
            while chunk := fh.read(1 << 20):
                chunks.append(chunk)
        _, status = os.waitpid(self._pid, 0)
        self._pid = None
        data = b"".join(chunks)
        if status == 0 and data.startswith(b"ok\0"):
            self._result = data[3:]
        return self._result

    def cancel(self) -> None:
        """Stop the child if it is still running and reap it (no zombie is left)."""
        if self._pid is None:
            return
        os.close(self._read_fd)
        try:
            os.kill(self._pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        os.waitpid(self._pid, 0)
        self._pid = None

    @property
    def running(self) -> bool:
        """Whether the child has been started and neither collected nor cancelled."""
        return self._pid is not None


class Worker:
    """A child forked early that runs ``setup()`` (e.g. slow imports) at once, then
    waits for one job: ``submit(fn, arg)`` hands it ``fn(arg)`` (``fn(arg, state)`` when
    ``setup`` returned a ``state`` other than None, e.g. work it could do ahead) and
    returns the ``Child`` to collect.  The job is read by a thread of the child while ``setup`` runs, so the
    parent never waits for it; the thread is gone before ``fn`` runs (so ``fn`` may fork).
    ``fn`` must be a module-level function (it is sent by name, as pickle does)."""

    def __init__(self, pid: int, job_fd: int, result_fd: int):
        self._pid: int | None = pid
        self._job_fd: int | None = job_fd
        self._result_fd = result_fd

    @classmethod
    def start(cls, setup: Callable[[], object]) -> Worker | None:
        """Fork a worker that runs ``setup()``; None when forking is not possible."""
        if not can_fork():
            return None
        job_r, job_w = os.pipe()
        res_r, res_w = os.pipe()
        _widen(job_w)
        pid = os.fork()
        if pid == 0:
            status = 1
            try:
                _child_setup()
                os.close(job_w)
                os.close(res_r)
                box: list[bytes] = []
                reader = threading.Thread(target=lambda: box.append(_read_job(job_r)))
                reader.start()
                state = setup()
                reader.join()
                if box and box[0]:
                    import pickle

                    fn, arg = pickle.loads(box[0])
                    _send(res_w, fn(arg) if state is None else fn(arg, state))
                status = 0
            finally:
                os._exit(status)
        os.close(job_r)
        os.close(res_w)
        return cls(pid, job_w, res_r)

    def submit(self, fn: Callable[[bytes], bytes], arg: bytes) -> Child | None:
        """Give the worker its job; the ``Child`` to collect ``fn(arg)`` from (None if
        this worker was used or cancelled already)."""
        if self._pid is None or self._job_fd is None:
            return None
        import pickle

        job, self._job_fd = self._job_fd, None
        try:
            data = pickle.dumps((fn, arg), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(job, "wb") as fh:
                fh.write(len(data).to_bytes(8, "big") + data)
        except OSError:  # the worker died: the caller computes it itself
            self.cancel()
            return None
        child = Child(self._pid, self._result_fd)
        self._pid = None
        return child

    def cancel(self) -> None:
        """Stop the worker unless a job was submitted (its ``Child`` owns it then)."""
        if self._pid is None:
            return
        if self._job_fd is not None:
            os.close(self._job_fd)
            self._job_fd = None
        Child(self._pid, self._result_fd).cancel()
        self._pid = None


def _send(fd: int, result: bytes) -> None:
    """A child's result on its pipe, marked as a success (``Child.result`` reads it)."""
    view = memoryview(b"ok\0" + result)
    while view:
        view = view[os.write(fd, view):]


def _widen(fd: int) -> None:
    """Give a pipe a 1 MiB buffer where Linux allows it.  The worker's job is read by a
    thread that needs the interpreter lock for every chunk while ``setup`` holds it
    (each wait is up to the 5 ms switch interval): with the default 64 KiB a 2.5 MB job
    kept the build waiting 0.15 s; with 1 MiB, three chunks."""
    try:
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    except (ImportError, AttributeError, OSError):
        pass


def _read_job(fd: int) -> bytes:
    """A job sent by ``Worker.submit``: its length (8 bytes) then exactly that many
    bytes, so that a copy of the pipe some other child inherited cannot hold it up;
    b"" when the parent closed the pipe without a job."""
    with os.fdopen(fd, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            return b""
        size = int.from_bytes(head, "big")
        data = fh.read(size)
    return data if len(data) == size else b""


def map_parallel(fn: Callable[[bytes], bytes], args: list[bytes]) -> list[bytes]:
    """``[fn(a) for a in args]``, the first computed here and the others in forked
    children at the same time (each computed here too if its child failed or could not
    start)."""
    children = [Child.start(fn, a) for a in args[1:]]
    results = [fn(args[0])] if args else []
    for child, arg in zip(children, args[1:]):
        got = child.result() if child is not None else None
        results.append(got if got is not None else fn(arg))
    return results


def _child_setup() -> None:
    """What a child does first.

    It never prints (its only output is the pipe), so its standard streams go to
    /dev/null: a caller reading ``gen``'s output to the end must not wait for a child
    that is still working.  And it builds thousands of objects, then exits: the cyclic
    garbage collector would only re-scan them (a measured 5-10% of its run time), so it
    is off.
    """
    import gc

    gc.disable()
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass
