"""Benchmark: ``gen infer`` against ``gen validate`` on the same captured traffic.

Usage: ``python benchmarks/bench_infer.py [--lines N] [--small N] [--spec DIR]``

Writes one NDJSON stream of envelopes that cycles through every record payload of the
spec (``spec/``: Mattermost's configuration payloads, 7 to 60 properties each), with
values varying per line (seeded) and 2% of lines carrying an undeclared key, then runs,
each in a fresh child process pinned to one CPU:

* the payload engine (``gen validate`` after the spec is loaded): read, parse, check,
  tally;
* ``gen infer``'s reading and statistics plus its comparison with the spec (everything
  but the report and the edit, which do not depend on the number of lines);

and reports lines per second for both, their ratio, and each child's peak memory
(``ru_maxrss``).  Infer also runs on a ``--small`` prefix of the stream, so its peak
memory can be compared at two sizes.

Targets (issue 13): infer at no less than a third of validate's single-core
throughput on the same file; infer's peak memory independent of the number of lines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_validate import sample_value


def write_stream(spec_dir: Path, path: Path, lines: int) -> tuple[int, int]:
    """``lines`` envelopes cycling through the record payloads; returns (bytes, payloads)."""
    from generator.pipeline import check_spec

    spec, _ = check_spec(spec_dir)
    payloads = [p for p in spec.payloads if p.type == "record" and p.fields]
    rng = random.Random(13)
    variants = []
    for i in range(1000):
        p = payloads[i % len(payloads)]
        props = {f.wire_key: sample_value(f, rng) for f in p.fields}
        if i % 50 == 0:
            props[f"undeclared_{i % 7}"] = rng.randrange(100)
        variants.append((json.dumps({"payload": p.wire_name, "properties": props}) + "\n").encode())
    cycle = b"".join(variants)
    with open(path, "wb") as fh:
        for _ in range(lines // len(variants)):
            fh.write(cycle)
        fh.write(b"".join(variants[: lines % len(variants)]))
        return fh.tell(), len(payloads)


def child(what: str, spec_dir: str, stream: str) -> None:
    """One measurement in this process: prints {"seconds", "documents", "peak_kib"}."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from generator.pipeline import check_spec

    spec, _ = check_spec(Path(spec_dir))
    if what == "validate":
        from generator import validate as engine
        from generator.targets.json_schema import payload_schema

        checker = engine.Checker({p.wire_name: payload_schema(spec, p) for p in spec.payloads})
        srcs = engine.sources([stream], checker.names)
        t0 = time.perf_counter()
        tally = engine.check_sources(checker, srcs)
        seconds = time.perf_counter() - t0
        documents = tally.documents
    else:
        from generator.infer.command import collect
        from generator.infer.propose import Context, compare

        names = frozenset(p.wire_name for p in spec.payloads)
        t0 = time.perf_counter()
        collector, _problems = collect([stream], names)
        proposals = compare(Context(spec), collector.payloads)
        seconds = time.perf_counter() - t0
        documents = collector.documents
        assert any(p.action == "new-field" for p in proposals)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "documents": documents, "peak_kib": peak}))


def run_child(what: str, spec_dir: Path, stream: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", what, str(spec_dir), str(stream)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000, help="lines of the second, smaller run (memory)")
    parser.add_argument("--spec", type=Path, default=ROOT / "spec")
    parser.add_argument("--child", nargs=3, metavar=("WHAT", "SPEC", "STREAM"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="bench-infer-") as tmp:
        big, small = Path(tmp) / "big.ndjson", Path(tmp) / "small.ndjson"
        size, n_payloads = write_stream(args.spec, big, args.lines)
        write_stream(args.spec, small, args.small)
        print(f"{args.lines:,} lines, {n_payloads} payloads, {size / args.lines:.0f} bytes/line, {size / 2**20:.0f} MiB; one core each")
        val = run_child("validate", args.spec, big)
        inf = run_child("infer", args.spec, big)
        inf_small = run_child("infer", args.spec, small)
        for title, r in (("gen validate engine", val), ("gen infer", inf)):
            assert r["documents"] == args.lines, r
            print(f"  {title:<22} {args.lines / r['seconds']:>10,.0f} lines/s  ({r['seconds']:.2f} s, peak {r['peak_kib'] / 1024:.0f} MiB)")
        ratio = val["seconds"] / inf["seconds"]
        print(f"  infer / validate       {ratio:>10.2f}     (target >= 0.33)")
        print(f"  infer peak memory      {inf_small['peak_kib'] / 1024:>7.0f} MiB at {args.small:,} lines, "
              f"{inf['peak_kib'] / 1024:.0f} MiB at {args.lines:,} lines")


if __name__ == "__main__":
    main()
