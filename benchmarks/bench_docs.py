"""Benchmark: the three privacy-docs targets rendered in-process on large specs.

For each ``--fields`` size it writes the synthetic spec of ``bench_build`` (record
payloads of 50 fields plus 5-field events), loads it once, and times, in this process:

* ``view``: building the shared docs view (``docs_view._build_view``; the targets
  memoise it per spec, so it is timed on its own and then built once for the rest);
* ``rst``, ``md``, ``html``: each target's ``render`` with the view already built;
* ``total``: the view plus the three targets (the cost a build pays for the docs).

Prints the median (and minimum) wall seconds and the median CPU seconds of ``--runs``
runs per row.  ``--save DIR`` writes each target's output bytes under ``DIR/<fields>/``
and ``--compare DIR`` checks them against such a folder byte for byte (to show a change
to the docs code kept every byte), exiting 1 on a difference.

Run:  python benchmarks/bench_docs.py [--runs N] [--fields N [N ...]] [--save DIR | --compare DIR]

Speed is measured here, never asserted in tests.  To compare two versions of the code,
run this script twice in one session, the second time with ``PYTHONPATH`` pointing at the
other checkout (the script prints which ``generator`` package it imported).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import write_synthetic_spec  # noqa: E402

import generator  # noqa: E402
from generator.pipeline import check_spec  # noqa: E402
from generator.targets import docs_html, docs_md, docs_rst, docs_view  # noqa: E402

TARGETS = {"rst": docs_rst, "md": docs_md, "html": docs_html}


def _time(fn, runs: int) -> tuple[float, float, float]:
    """(median, minimum) wall seconds and median CPU seconds of ``runs`` calls of
    ``fn`` (on a shared machine CPU time moves far less than wall time)."""
    times, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(times), min(times), statistics.median(cpu)


def bench(fields: int, runs: int, save: Path | None, compare: Path | None) -> tuple[dict[str, tuple[float, ...]], list[str]]:
    """Timings by row for one spec size, and the names of outputs that differ from
    ``compare`` (empty without it)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / f"s{fields}"
        write_synthetic_spec(folder, fields)
        spec, _ = check_spec(folder)
    out: dict[str, tuple[float, ...]] = {"view": _time(lambda: docs_view._build_view(spec), runs)}
    docs_view.build_view(spec)  # memoised from here on, as in a build
    outputs: dict[str, bytes] = {}
    for name, mod in TARGETS.items():
        out[name] = _time(lambda mod=mod: outputs.update(mod.render(spec)), runs)
    out["total"] = tuple(sum(out[k][i] for k in ("view", *TARGETS)) for i in range(3))
    differ = []
    for path, data in outputs.items():
        if save:
            dest = save / str(fields) / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        if compare and (compare / str(fields) / path).read_bytes() != data:
            differ.append(f"{fields}/{path}")
    return out, differ


def main() -> int:
    """Print the table; exit 1 when ``--compare`` finds a difference."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--fields", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--save", type=Path)
    ap.add_argument("--compare", type=Path)
    args = ap.parse_args()
    print(f"generator: {Path(generator.__file__).parent}  runs: {args.runs}")
    results, differ = {}, []
    for n in args.fields:
        results[n], d = bench(n, args.runs, args.save, args.compare)
        differ += d
    print("| docs, in-process | " + " | ".join(f"{n:,} fields" for n in args.fields) + " |")
    print("|---|" + "---|" * len(args.fields))
    for row in ("view", *TARGETS, "total"):
        cells = " | ".join("%.3f s (min %.3f, cpu %.3f)" % results[n][row] for n in args.fields)
        print(f"| {row} | {cells} |")
    if args.compare:
        print("outputs: " + ("DIFFER: " + ", ".join(differ) if differ else f"identical to {args.compare}"))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
