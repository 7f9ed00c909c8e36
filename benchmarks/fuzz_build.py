"""The differential build fuzzer, long: before a release, many seeds and steps on the
bundled spec, the example and generated specs (``tests/build_fuzz.py``; CI runs a few
fixed seeds in ``tests/test_build_fuzz.py``).  After every step the incremental ``gen
build`` must equal a cold build byte for byte; the first difference stops the run with
the seed, the step and the edit that found it.

Run:  python benchmarks/fuzz_build.py [--seeds N] [--steps N] [--first SEED]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

import build_fuzz
from bench_build import write_synthetic_spec

from generator import build


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=10, help="seeds per spec (default 10)")
    ap.add_argument("--steps", type=int, default=40, help="steps per seed (default 40)")
    ap.add_argument("--first", type=int, default=1000, help="the first seed (default 1000)")
    args = ap.parse_args()
    real = build.code_identity

    def set_code(code: bytes) -> None:
        build.code_identity = lambda: code

    started = time.perf_counter()
    steps = 0
    try:
        for seed in range(args.first, args.first + args.seeds):
            with tempfile.TemporaryDirectory(prefix="fuzz-build-") as tmp:
                work = Path(tmp)
                synthetic = work / "synthetic"
                write_synthetic_spec(synthetic, 1000 + 500 * (seed % 5))
                for name, spec_dir in (("bundled", ROOT / "spec"), ("example", ROOT / "examples" / "cli-analytics" / "spec"),
                                       ("synthetic", synthetic)):
                    log = build_fuzz.fuzz(spec_dir, work / name, seed, args.steps, set_code)
                    steps += len(log)
                    print(f"seed {seed} {name}: {len(log)} steps, all equal to a cold build", flush=True)
    finally:
        build.code_identity = real
    print(f"{steps} steps in {time.perf_counter() - started:.0f} s: every incremental build equalled a cold build")


if __name__ == "__main__":
    main()
