"""The build's one way to run work in parallel: a process pool over one resolved spec.

Owns process management for the build.  ``Pool(spec)`` is created by the build where it
starts rendering and closed when it is done (``with``); ``submit(fn, *args)`` runs
``fn(spec, *args)`` in a worker and returns a ``concurrent.futures.Future``.  Workers are
forked (``concurrent.futures.ProcessPoolExecutor`` with the ``fork`` start method), so
they inherit the spec and every module already imported instead of receiving them
pickled; only the small arguments and the results (file contents) cross the pipe.
Where forking is not possible or not wanted (not Linux, ``GEN_NO_FORK`` set, another
thread running, or one core), the same calls run in the build's own process, so output
never depends on whether a pool ran.

A target never sees this module: the build submits its own functions, which call the
targets' pure hooks.  It must not import anything heavy or know any target.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

#: The spec a worker process renders from (set once in each worker, by fork).
_WORKER_SPEC: list[Any] = []


def can_fork() -> bool:
    """Whether workers may be forked here: Linux, not switched off with ``GEN_NO_FORK``,
    and no other thread running (forking a threaded process is not safe)."""
    return (
        hasattr(os, "fork")
        and sys.platform.startswith("linux")
        and not os.environ.get("GEN_NO_FORK")
        and threading.active_count() == 1
    )


def _install(spec: Any, parent: int) -> None:
    """A worker's start: die with the build (a killed ``gen build`` must not leave
    workers holding the output folder's lock or its caller's pipes), standard streams on
    /dev/null (a worker never prints), the inherited objects moved out of the cyclic
    collector's sight (``gc.freeze``: its passes then walk only what the worker makes,
    and never touch, so never copy, the pages it shares with the build), and keep the
    inherited spec.  The collector stays on: datamodel-code-generator leaves cyclic
    garbage behind each run, and with the collector off a worker grew by ~10 MiB per
    64 payloads (265 MiB at 20,000 fields, against 151 MiB with it on)."""
    import gc

    _die_with_parent(parent)
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
    except OSError:
        pass
    gc.freeze()
    _WORKER_SPEC[:] = [spec]


def _die_with_parent(parent: int) -> None:
    """Have Linux send SIGKILL to this process when its parent dies (``prctl``), and
    leave at once if that already happened."""
    import ctypes
    import signal

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _call(fn: Callable[..., Any], args: tuple) -> Any:
    """What a worker runs for ``submit``."""
    return fn(_WORKER_SPEC[0], *args)


class Pool:
    """One build's workers (see the module docstring)."""

    def __init__(self, spec: Any, workers: int | None = None):
        self._spec = spec
        n = workers if workers is not None else min(os.cpu_count() or 1, 4)
        self._executor: ProcessPoolExecutor | None = None
        self._workers = 1
        if n > 1 and can_fork():
            self._workers = n
            import multiprocessing

            self._executor = ProcessPoolExecutor(
                max_workers=n, mp_context=multiprocessing.get_context("fork"), initializer=_install,
                initargs=(spec, os.getpid())
            )

    @property
    def workers(self) -> int:
        """How many processes render (1: the build's own)."""
        return self._workers

    @property
    def parallel(self) -> bool:
        """Whether work runs in worker processes."""
        return self._executor is not None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """``fn(spec, *args)``: in a worker, or here at once (``fn`` must be a module-level
        function, its arguments and result picklable)."""
        if self._executor is not None:
            return self._executor.submit(_call, fn, args)
        future: Future = Future()
        try:
            future.set_result(fn(self._spec, *args))
        except Exception as exc:  # noqa: BLE001 (handed to whoever collects it)
            future.set_exception(exc)
        return future

    def close(self) -> None:
        """Stop the workers (cancelling what has not started)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None

    def __enter__(self) -> Pool:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
