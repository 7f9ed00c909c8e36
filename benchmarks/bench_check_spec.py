"""Benchmark: load + validate + resolve + lint a synthetic spec of many fields.

Speed is measured here, never asserted in tests.  Run:

    python benchmarks/bench_check_spec.py [FIELDS] [--spec DIR]

With no --spec it writes a synthetic spec (FIELDS fields, default 5000, in 10 files of
50-field payloads) to a temporary folder and times ``check_spec`` on it; with --spec it
times the given spec folder instead.  Prints the best of several runs per stage.
``--no-accelerator`` measures validation without the optional jsonschema_rs fast path.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from generator.kinds import KINDS
from generator.lint import lint
from generator.load import load_dir
from generator.pipeline import check_spec
from generator.resolve import resolve
from generator.spec_format import validate_file

PRODUCT = """spec_format: 2
product:
  id: bench
  name: Bench
  privacy_policy: {url: https://bench.example/privacy}
  conventions: {payload_prefix: config_, payload_strip_suffix: Settings}
settings:
  Telemetry.Enable: {console_path: [Console, Telemetry, Enable]}
features:
  usage:
    title: Usage
    description: Why.
    sender: server
    destination: Bench Inc.
    opt_outs: [{setting: Telemetry.Enable, cost: Nothing.}]
sections:
  config: {feature: usage, title: Config, schedule: every 24h, description: Settings.}
"""

# Kinds that need nothing more than a description to be lint-clean.
_PLAIN = [k for k, v in KINDS.items() if not v.free_text and not (v.enumerable and v.json_schema["type"] == "string")]


def write_synthetic(folder: Path, fields: int, files: int = 10, per_payload: int = 50) -> None:
    """A valid, lint-clean spec with ``fields`` fields spread over ``files`` files."""
    (folder / "product.yaml").write_text(PRODUCT, encoding="utf-8")
    per_file = -(-fields // files)
    n = 0
    for i in range(files):
        lines = ["spec_format: 2", "payloads:"]
        while n < min(fields, (i + 1) * per_file):
            lines += [f"  - type: record\n    group: Group{n // per_payload}Settings", "    section: config", "    fields:"]
            for _ in range(per_payload):
                if n >= min(fields, (i + 1) * per_file):
                    break
                kind = _PLAIN[n % len(_PLAIN)]
                lines.append(f"      - {{name: Setting{n}, kind: {kind}, description: Setting number {n}.}}")
                n += 1
        (folder / f"payloads_{i:02d}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _best(fn, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench(spec_dir: Path, runs: int = 5) -> None:
    """Print per-stage and end-to-end times for ``spec_dir``."""
    files, _ = load_dir(spec_dir)
    spec, findings = check_spec(spec_dir)
    assert spec is not None, [str(f.location) + " " + f.message for f in findings[:5]]
    print(f"{spec_dir}: {len(files)} files, {len(spec.fields)} fields, {len(findings)} findings")
    print(f"  load      {_best(lambda: load_dir(spec_dir), runs) * 1000:8.1f} ms")
    print(f"  validate  {_best(lambda: [validate_file(f) for f in files], runs) * 1000:8.1f} ms")
    resolved = resolve(files)[0]
    print(f"  resolve   {_best(lambda: resolve(files), runs) * 1000:8.1f} ms")
    print(f"  lint      {_best(lambda: lint(resolved), runs) * 1000:8.1f} ms")
    print(f"  total     {_best(lambda: check_spec(spec_dir), runs) * 1000:8.1f} ms (check_spec)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("fields", nargs="?", type=int, default=5000)
    ap.add_argument("--spec", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-accelerator", action="store_true", help="validate without jsonschema_rs even if installed")
    args = ap.parse_args()
    if args.no_accelerator:
        from generator import spec_format as validate

        validate._fast_validator.cache_clear()
        validate.jsonschema_rs = None
    if args.spec:
        bench(args.spec, args.runs)
        return
    with tempfile.TemporaryDirectory() as tmp:
        write_synthetic(Path(tmp), args.fields)
        bench(Path(tmp), args.runs)


if __name__ == "__main__":
    main()
