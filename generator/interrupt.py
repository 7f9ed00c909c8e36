"""Ctrl-C, once: the handler the ``gen`` entry point installs, and whether it fired.

A signal handler can only raise into whatever Python code happens to run, and some code
does not let an exception through: a library's bare ``except:`` around an optional import
swallows it (the command then carries on, and reading a stream that never ends, never
stops), a native extension's module initialisation turns it into its own exception type.
So the handler does three things: it records that the user asked to stop
(``requested()``), raises ``SystemExit(130)`` (cleanup code, ``finally`` blocks and
context managers run as usual), and starts a watchdog that ends the process with 130 if
it is still alive ``GRACE_SECONDS`` later.  While a module is being imported it does not
raise (a native extension's initialisation may turn the exception into a panic, printed
with a Rust backtrace): it sends itself the signal again ``RETRY_SECONDS`` later, and
raises once the import is over.  The entry point turns any outcome of an
interrupted command (an exception of any type, or a normal end) into exit 130 with no
traceback.  Standard library only: it is imported before anything else.
"""

from __future__ import annotations

import os
import signal
import sys
import threading

#: How long cleanup may take after Ctrl-C before the process is ended without it.
GRACE_SECONDS = 10.0
#: How soon a Ctrl-C that came during an import is raised again.
RETRY_SECONDS = 0.02

_REQUESTED = threading.Event()


def requested() -> bool:
    """Whether Ctrl-C (SIGINT) reached this process since ``install``."""
    return _REQUESTED.is_set()


def _watchdog() -> None:
    os._exit(130)


def _importing(frame) -> bool:
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _retry() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def _handler(signum, frame) -> None:
    if not _REQUESTED.is_set():
        _REQUESTED.set()
        try:
            sys.stderr.write("interrupted\n")
            sys.stderr.flush()
        except (OSError, AttributeError, ValueError):
            pass
        watchdog = threading.Timer(GRACE_SECONDS, _watchdog)
        watchdog.daemon = True
        watchdog.start()
    if _importing(frame):
        retry = threading.Timer(RETRY_SECONDS, _retry)
        retry.daemon = True
        retry.start()
        return
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C ends it at once
    raise SystemExit(130)


def install() -> None:
    """From now on, SIGINT is handled as the module docstring says."""
    signal.signal(signal.SIGINT, _handler)


def default() -> None:
    """SIGINT at its default action (the process ends quietly, as any Unix tool does)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def finish() -> None:
    """End an interrupted command with exit 130 through the interpreter's normal exit
    (``atexit`` handlers and finalizers run; a hang there is ended by the watchdog).  A
    standard stream that can no longer be flushed (a reader that went away) is pointed at
    /dev/null first, so the exit's own flush cannot fail again."""
    for stream in (sys.stdout, sys.stderr):
        if stream is None:
            continue
        try:
            stream.flush()
        except (OSError, ValueError):
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, stream.fileno())
                os.close(devnull)
            except (OSError, ValueError):
                pass
    raise SystemExit(130)
