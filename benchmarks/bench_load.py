"""Benchmark: ``check_spec`` and its stages, in-process, on large synthetic specs.

Every ``gen build`` (even after a one-field edit) first loads, checks and resolves the
whole spec; this measures that part alone.  For each ``--fields`` size it writes the
synthetic spec of ``bench_build.py`` (50-field record payloads in 10 files plus a file of
events) and times, in one process after a warm-up run, the median CPU time of ``--runs``
runs (a shared machine's load moves CPU time far less than wall time) of:

* ``load``: ``load.load_dir`` (YAML with source positions),
* ``validate``: ``spec_format.validate_file`` on every loaded file,
* ``resolve``: ``resolve.resolve`` (the resolved ``Spec``),
* ``lint``: ``lint.lint`` on the resolved spec,
* ``check_spec``: ``pipeline.check_spec``, everything end to end (also as wall time).

The stage columns call each stage as a caller would, with the cyclic garbage collector
on; ``check_spec`` pauses it for its stages (``pipeline._collector_paused``), so the
stages do not add up to it, and the resolve column in particular carries the collector's
passes over this process's large heap.

``--compare DIR`` times another checkout's ``generator`` package (e.g. a ``git worktree``
of main) in the same run: each measurement runs in a child process per checkout, the two
alternating, and the table shows both and their ratio, so that a before/after figure is
not skewed by the load of a shared machine.

Run:  python benchmarks/bench_load.py [--fields N [N ...]] [--runs N] [--compare DIR]

Speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("load", "validate", "resolve", "lint", "check_spec")
COLUMNS = STAGES + ("check_spec wall",)


def time_stages(spec_dir: Path, runs: int) -> dict[str, float]:
    """Median CPU seconds of each stage on ``spec_dir`` (the ``generator`` on
    sys.path), and the median wall time of ``check_spec``."""
    from generator.lint import lint
    from generator.load import load_dir
    from generator.pipeline import check_spec
    from generator.resolve import resolve
    from generator.spec_format import validate_file

    spec, findings = check_spec(spec_dir)  # warm-up: imports, schema, caches
    if spec is None:
        sys.exit(f"{spec_dir} does not resolve: {[f.message for f in findings[:3]]}")
    files, _ = load_dir(spec_dir)
    resolved = resolve(files)[0]
    steps = {
        "load": lambda: load_dir(spec_dir),
        "validate": lambda: [validate_file(f) for f in files],
        "resolve": lambda: resolve(files),
        "lint": lambda: lint(resolved),
        "check_spec": lambda: check_spec(spec_dir),
    }
    out = {}
    for name in STAGES:
        cpu, wall = [], []
        for _ in range(runs):
            t, w = time.process_time(), time.perf_counter()
            steps[name]()
            cpu.append(time.process_time() - t)
            wall.append(time.perf_counter() - w)
        out[name] = statistics.median(cpu)
        if name == "check_spec":
            out["check_spec wall"] = statistics.median(wall)
    return out


def _child(tree: Path, spec_dir: Path, runs: int) -> dict[str, float]:
    """``time_stages`` in a fresh process that imports ``generator`` from ``tree``."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
        "from bench_load import time_stages; from pathlib import Path;"
        "print(json.dumps(time_stages(Path(sys.argv[3]), int(sys.argv[4]))))"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent), str(tree), str(spec_dir), str(runs)],
        cwd=tree, env=env, capture_output=True, text=True, check=False,
    )
    if r.returncode:
        sys.exit(f"benchmark child failed ({tree}):\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.splitlines()[-1])


def _table(rows: dict[int, dict[str, float]], base: dict[int, dict[str, float]] | None) -> str:
    head = "| fields | " + " | ".join(COLUMNS) + " |"
    lines = [head, "|---" * (len(COLUMNS) + 1) + "|"]
    for n, t in rows.items():
        cells = []
        for s in COLUMNS:
            cell = f"{t[s] * 1000:.0f} ms"
            if base is not None:
                cell = f"{base[n][s] * 1000:.0f} -> {cell} ({base[n][s] / t[s]:.2f}x)"
            cells.append(cell)
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fields", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--runs", type=int, default=5, help="runs per stage (median reported)")
    ap.add_argument("--compare", type=Path, metavar="DIR", help="another checkout to time in the same run (the 'before')")
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_build import write_synthetic_spec

    ours: dict[int, dict[str, float]] = {}
    theirs: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.fields:
            spec_dir = Path(tmp) / f"s{n}"
            write_synthetic_spec(spec_dir, n)
            if args.compare is None:
                sys.path.insert(0, str(ROOT))
                ours[n] = time_stages(spec_dir, args.runs)
                continue
            theirs[n] = _child(args.compare.resolve(), spec_dir, args.runs)
            ours[n] = _child(ROOT, spec_dir, args.runs)
    if args.compare is not None:
        print(f"before: {args.compare.resolve()}  after: {ROOT}  (median CPU time of {args.runs} runs; ratio = before/after)")
        print(_table(ours, theirs))
    else:
        print(f"{ROOT} (median CPU time of {args.runs} runs)")
        print(_table(ours, None))


if __name__ == "__main__":
    main()
