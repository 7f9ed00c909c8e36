"""The ``gen`` executable's entry point (``[project.scripts]``): Ctrl-C ends the command
without a traceback, whenever it comes.  While the modules load, SIGINT keeps its
default action (the process ends quietly, as any Unix tool does); from then on it prints
"interrupted" and exits 130 (``generator.interrupt``), also while click parses the
command line (click would otherwise report "Aborted!" with exit 1, the code of
findings), and whatever the interrupted code did with the exception.  Owns nothing else.
"""

from __future__ import annotations

from generator import interrupt


def main() -> None:
    """Import the CLI with SIGINT at its default action, then run it."""
    interrupt.default()
    from generator.cli import main as cli

    interrupt.install()
    try:
        cli()
    except BaseException:
        if interrupt.requested():
            interrupt.finish()  # whatever the exception became on its way here
        raise
    if interrupt.requested():  # swallowed by code that went on to the end
        interrupt.finish()
