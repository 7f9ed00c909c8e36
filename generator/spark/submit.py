"""The module ``spark-submit`` runs: ``gen validate --engine spark`` on a cluster.

    spark-submit --master yarn [options] "$(python -m generator.spark.submit --path)" \\
        --spec spec/ s3a://bucket/capture/2026-11-30/ --output s3a://bucket/checked/2026-11-30/

Arguments after the file are those of ``gen validate`` (without ``--engine``); the
master and every other Spark setting come from ``spark-submit``.  The report goes to
standard output and the exit code is ``gen validate``'s.  ``--path`` prints this file's
path (spark-submit takes a file, not a module name).  This module only forwards to the
CLI: it holds no logic of its own.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """Run ``gen validate --engine spark ARGS`` (``--path``: print this file's path)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args == ["--path"]:
        print(__file__)
        return
    from generator.cli import main as gen

    gen.main(args=["validate", "--engine", "spark", *args], prog_name="gen")


if __name__ == "__main__":
    main()
