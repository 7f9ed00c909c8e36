"""Benchmark: ``gen validate --engine spark`` against the local engine, same file, same run.

Usage: ``python benchmarks/bench_spark.py [--lines N] [--spec DIR] [--split-mib M]``
(needs the ``spark`` extra and Java 17).

It writes one NDJSON capture of ``--lines`` envelopes (default 2,000,000) cycling
through every payload of the bundled spec with seeded values, 2% of them carrying an
undeclared key so the diagnosis path is part of the measurement, then times, in one
process and one run:

* the local engine on one core (``check_sources``, jobs=1) and with ``--jobs 2``;
* the Spark job (``generator.spark.job.run``: listing, reading, the engine in every
  task, merging) on ``local[2]`` and on ``local[1]``, each after a warm-up run, with the
  SparkSession's start-up reported separately (a cluster pays it once per job);

and prints payloads per second, Spark ``local[2]`` over ``--jobs 2``, and the scaling
from ``local[1]`` to ``local[2]``.  It also checks that every run's report is the local
engine's.  Files are cut into ``--split-mib`` MiB splits (default 32) so both cores get
work of even size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.pipeline import check_spec
from generator.spark import job
from generator.spark.partition import engine
from generator.targets.json_schema import payload_schema


def sample_value(field, rng: random.Random):
    if field.values:
        return rng.choice(field.values)
    if field.kind.id in ("count", "integer", "timestamp"):
        return rng.randrange(0, 10_000)
    return rng.choice(field.kind.valid_examples)


def write_capture(path: Path, spec, lines: int, rng: random.Random) -> int:
    """``lines`` envelopes cycling through 1,000 variants over every payload; 2% with an
    undeclared key.  Returns the file's size."""
    payloads = list(spec.payloads)
    variants = []
    for i in range(1000):
        p = payloads[i % len(payloads)]
        props = {f.wire_key: sample_value(f, rng) for f in p.fields}
        if i % 50 == 0:
            props[f"undeclared_{i}"] = True
        variants.append((json.dumps({"payload": p.wire_name, "properties": props}) + "\n").encode())
    size = 0
    with open(path, "wb") as fh:
        for i in range(lines):
            line = variants[i % 1000]
            fh.write(line)
            size += len(line)
    return size


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def spark_runs(master: str, schemas: dict, stream: Path, split_mib: int, expected: dict) -> tuple[float, float]:
    """(session start-up seconds, best job seconds of two) on ``master``."""
    t_start, spark = timed(lambda: job.start_session(master))
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(split_mib << 20))
    assert spark.sparkContext.master == master, spark.sparkContext.master
    inputs = job.list_inputs(spark, [str(stream)], frozenset(schemas))
    best = float("inf")
    for _ in range(2):  # the first run also starts the Python workers
        t, tally = timed(lambda: job.run(spark, schemas, inputs))
        assert tally.as_dict() == expected, "the Spark report differs from the local engine's"
        best = min(best, t)
    spark.stop()
    return t_start, best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--spec", type=Path, default=ROOT / "spec")
    parser.add_argument("--split-mib", type=int, default=32)
    args = parser.parse_args()
    spec, _ = check_spec(args.spec)
    if spec is None:
        sys.exit(f"{args.spec}: the spec does not load")
    import pyspark

    schemas = {p.wire_name: payload_schema(spec, p) for p in spec.payloads}
    print(f"python {sys.version.split()[0]}; pyspark {pyspark.__version__}; cores: {os.cpu_count()}; "
          f"load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        stream = Path(tmp) / "capture.ndjson"
        size = write_capture(stream, spec, args.lines, random.Random(5))
        print(f"capture: {args.lines:,} lines over {len(spec.payloads)} payloads, {size / args.lines:.0f} bytes/line, "
              f"{size / 2**20:.0f} MiB, 2% failing")
        checker = engine.Checker(schemas)
        src = engine.sources([str(stream)], checker.names)
        t1, tally = timed(lambda: engine.check_sources(checker, src, jobs=1))
        expected = tally.as_dict()
        assert tally.failing_documents == args.lines // 50, tally.failing_documents
        t2, tally2 = timed(lambda: engine.check_sources(checker, src, jobs=2))
        assert tally2.as_dict() == expected
        print(f"  local engine, 1 core       {args.lines / t1:>10,.0f} payloads/s  ({t1:.1f} s)")
        print(f"  local engine, --jobs 2     {args.lines / t2:>10,.0f} payloads/s  ({t2:.1f} s)")
        s2, j2 = spark_runs("local[2]", schemas, stream, args.split_mib, expected)
        print(f"  spark local[2]             {args.lines / j2:>10,.0f} payloads/s  ({j2:.1f} s; session start {s2:.1f} s)")
        s1, j1 = spark_runs("local[1]", schemas, stream, args.split_mib, expected)
        print(f"  spark local[1]             {args.lines / j1:>10,.0f} payloads/s  ({j1:.1f} s; session start {s1:.1f} s)")
        print(f"  spark local[2] / --jobs 2  {t2 / j2:>10.2f} x")
        print(f"  local[1] -> local[2]       {j1 / j2:>10.2f} x  (ideal 2.00)")
        print(f"  spark per core (local[1])  {args.lines / j1:>10,.0f} payloads/s; "
              f"local engine per core {args.lines / t1:,.0f}")


if __name__ == "__main__":
    main()
