"""The ``gen`` executable's entry point (``[project.scripts]``): Ctrl-C ends the command
without a traceback, whenever it comes.  While the modules load, SIGINT keeps its
default action (the process ends quietly, as any Unix tool does); from then on it prints
"interrupted" and exits 130, also while click parses the command line (click would
otherwise report "Aborted!" with exit 1, the code of findings).  Owns nothing else.
"""

from __future__ import annotations

import signal
import sys


def _interrupted(signum, frame) -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # a second Ctrl-C ends it at once
    try:
        sys.stderr.write("interrupted\n")
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):
        pass
    raise SystemExit(130)


def main() -> None:
    """Import the CLI with SIGINT at its default action, then run it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from generator.cli import main as cli

    signal.signal(signal.SIGINT, _interrupted)
    cli()
