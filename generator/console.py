"""The ``gen`` executable's entry point (``[project.scripts]``): Ctrl-C before the
command has started ends the process quietly, as for any Unix tool, instead of printing
a traceback from whatever module was being imported; once the command line is parsed,
``cli`` reports an interrupt as "interrupted" (exit 130).  Owns nothing else.
"""

from __future__ import annotations

import signal


def main() -> None:
    """Import the CLI with SIGINT at its default action, then run it."""
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    from generator.cli import main as cli

    signal.signal(signal.SIGINT, previous)
    cli()
