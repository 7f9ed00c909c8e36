"""Benchmark: captured payloads validated per second by ``gen validate``'s engine.

Usage: ``python benchmarks/bench_validate.py [--lines N] [--spec DIR]``

For two NDJSON streams of envelopes ({"payload": ..., "properties": {...}}):

* the largest payload of the bundled spec (``spec/``; Mattermost's ``config_service``,
  about 60 properties), skipped when the spec does not load;
* a synthetic 120-property configuration payload (booleans, enumerated integers,
  is-default flags, counts), built from a generated spec through the real pipeline;

it reports, in the same run:

* the engine on one core (the process pinned to one CPU): read, parse, validate and
  tally, exactly what ``gen validate`` does after loading the spec;
* the same without the optional msgspec, orjson and jsonschema_rs (standard library
  parser and the engine's specialised Python checks);
* the engine with ``--jobs`` = every core (when there is more than one);
* ``gen validate`` end to end as a child process on one core (start-up and spec
  loading included);
* plain ``jsonschema`` (``json.loads`` + ``Draft202012Validator.is_valid``) on one core,
  on a slice of the same stream, and the engine's speed-up over it;
* ``--files N`` small files in one folder, serial against ``--jobs 4``.

Target (issue 5): at least 50,000 payloads per second on one core, over 50 times
``jsonschema``'s rate.  Values vary per line (seeded), 2% of lines carry an undeclared
key so the diagnosis path is part of the measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jsonschema

import generator.validate as payload_engine
from generator.pipeline import check_spec
from generator.targets.json_schema import payload_schema
from generator.validate import optional

SYNTHETIC_FIELDS = 120


def synthetic_spec(folder: Path) -> Path:
    """A one-payload spec with 120 configuration fields of the seed's kinds."""
    kinds = (
        ["boolean"] * 70 + ["enumerated_integer"] * 24
        + ["setting_is_default"] * 24 + ["count"] * 2
    )
    fields = []
    for i, kind in enumerate(kinds):
        extra = ", values: [0, 1, 2, 3]" if kind == "enumerated_integer" else ""
        fields.append(f"      - {{name: Setting{i:03d}, kind: {kind}{extra}}}")
    (folder / "spec.yaml").write_text(
        "spec_format: 2\n"
        "product:\n"
        "  id: bench\n"
        "  name: Bench Server\n"
        "  summary: A synthetic product for the validate benchmark.\n"
        "  privacy_policy: {title: Privacy, url: https://bench.example/privacy}\n"
        "  conventions: {payload_prefix: config_, payload_strip_suffix: Settings, is_default_prefix: isdefault_}\n"
        "settings:\n"
        "  Bench.Enable: {console_path: [Bench, Enable], default: true}\n"
        "features:\n"
        "  usage:\n"
        "    title: Usage\n"
        "    description: Usage data.\n"
        "    sender: server\n"
        "    destination: Bench Inc.\n"
        "    opt_outs: [{setting: Bench.Enable, cost: none}]\n"
        "sections:\n"
        "  config:\n"
        "    feature: usage\n"
        "    title: Configuration\n"
        "    schedule: every 24h\n"
        "    description: Options.\n"
        "    lint_ignore: [field-description]\n"
        "payloads:\n"
        "  - type: record\n    group: BigSettings\n"
        "    section: config\n"
        "    fields:\n" + "\n".join(fields) + "\n",
        "utf-8",
    )
    return folder


def load(spec_dir: Path):
    spec, _ = check_spec(spec_dir)
    return spec


def sample_value(field, rng: random.Random):
    if field.values:
        return rng.choice(field.values)
    examples = field.kind.valid_examples
    if field.kind.id in ("count", "integer", "timestamp_ms"):
        return rng.randrange(0, 10_000)
    return rng.choice(examples)


def write_stream(path: Path, payload, lines: int, rng: random.Random) -> int:
    """``lines`` envelopes of ``payload``, 2% with an undeclared key; returns bytes."""
    variants = []
    for i in range(1000):
        props = {f.wire_key: sample_value(f, rng) for f in payload.fields}
        if i % 50 == 0:
            props[f"undeclared_{i}"] = True
        variants.append((json.dumps({"payload": payload.wire_name, "properties": props}) + "\n").encode())
    size = 0
    with open(path, "wb") as fh:
        for i in range(lines):
            line = variants[i % 1000]
            fh.write(line)
            size += len(line)
    return size


def pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def unpin(cpus) -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cpus)


def best_of(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench(title: str, spec_dir: Path, wire: str, lines: int, tmp: Path) -> None:
    spec = load(spec_dir)
    if spec is None:
        print(f"{title}: spec at {spec_dir} does not load; skipped")
        return
    payload = spec.payload(wire)
    schema = payload_schema(spec, payload)
    stream = tmp / f"{wire}.ndjson"
    size = write_stream(stream, payload, lines, random.Random(5))
    print(f"\n{title}: {wire}, {len(payload.fields)} properties, {lines} lines, "
          f"{size / lines:.0f} bytes/line, {size / 2**20:.0f} MiB")
    checker = payload_engine.Checker({p.wire_name: payload_schema(spec, p) for p in spec.payloads})
    src = [payload_engine.Source(str(stream), stream.name, "ndjson", None)]
    cpus = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None

    pin_one_core()
    tally = payload_engine.check_sources(checker, src)  # warm-up, and a sanity check
    assert tally.documents == lines and tally.failing_documents == lines // 50, tally.as_dict()["failing"]
    t = best_of(3, lambda: payload_engine.check_sources(checker, src))
    engine = lines / t
    print(f"  engine, 1 core            {engine:>10,.0f} payloads/s  ({t:.2f} s)")

    saved = (optional.msgspec, optional.orjson, optional.jsonschema_rs)
    optional.msgspec = optional.orjson = optional.jsonschema_rs = None
    try:
        plain = payload_engine.Checker(checker.schemas)
        t_plain = best_of(1, lambda: payload_engine.check_sources(plain, src))
    finally:
        optional.msgspec, optional.orjson, optional.jsonschema_rs = saved
    print(f"  engine, no optional libs  {lines / t_plain:>10,.0f} payloads/s  (json + specialised Python checks)")

    n_ref = min(lines, 5000)
    with open(stream, "rb") as fh:
        ref_lines = [fh.readline() for _ in range(n_ref)]
    validator = jsonschema.Draft202012Validator(schema)
    t_ref = best_of(1, lambda: [validator.is_valid(json.loads(line)["properties"]) for line in ref_lines])
    ref = n_ref / t_ref
    print(f"  jsonschema, 1 core        {ref:>10,.0f} payloads/s  ({n_ref} lines, {t_ref:.2f} s)")
    print(f"  engine / jsonschema       {engine / ref:>10.1f} x")

    cmd = [sys.executable, "-m", "generator.cli", "validate", "--spec", str(spec_dir), str(stream)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    t_cli = best_of(2, lambda: subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, cwd=ROOT, check=False))
    print(f"  gen validate CLI, 1 core  {lines / t_cli:>10,.0f} payloads/s  ({t_cli:.2f} s, start-up included)")
    if cpus is not None:
        unpin(cpus)
    jobs = len(cpus) if cpus else (os.cpu_count() or 1)
    if jobs > 1:
        t_par = best_of(2, lambda: payload_engine.check_sources(checker, src, jobs=jobs))
        print(f"  engine, --jobs {jobs:<2}         {lines / t_par:>10,.0f} payloads/s  ({t_par:.2f} s)")


def bench_files(spec_dir: Path, count: int, tmp: Path) -> None:
    """``count`` small NDJSON files (one envelope each) in one folder: serial against
    ``--jobs 4`` (which must pay, or fall back to serial), both through ``sources``."""
    spec = load(spec_dir)
    if spec is None or not spec.payloads:
        return
    payload = min(spec.payloads, key=lambda p: len(p.fields))
    folder = tmp / "files"
    folder.mkdir()
    rng = random.Random(7)
    for i in range(count):
        props = {f.wire_key: sample_value(f, rng) for f in payload.fields}
        (folder / f"c{i:06d}.ndjson").write_text(json.dumps({"payload": payload.wire_name, "properties": props}) + "\n")
    checker = payload_engine.Checker({p.wire_name: payload_schema(spec, p) for p in spec.payloads})
    print(f"\nsmall files: {count} files of one {payload.wire_name} envelope each")
    for jobs in (1, 4):
        def run(jobs=jobs):
            srcs = payload_engine.sources([str(folder)], checker.names)
            tally = payload_engine.check_sources(checker, srcs, jobs=jobs)
            assert tally.documents == count, tally.documents
        t = best_of(2, run)
        print(f"  --jobs {jobs}                 {count / t:>10,.0f} files/s  ({t:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--spec", type=Path, default=ROOT / "spec")
    parser.add_argument("--files", type=int, default=20_000, help="small files for the --jobs test (0: skip)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}; msgspec: {optional.msgspec is not None}; "
          f"orjson: {optional.orjson is not None}; "
          f"jsonschema_rs: {optional.jsonschema_rs is not None}; cores: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        spec = load(args.spec) if args.spec.is_dir() else None
        if spec is not None and spec.payloads:
            biggest = max(spec.payloads, key=lambda p: len(p.fields))
            bench("bundled spec", args.spec, biggest.wire_name, args.lines, tmp_path)
        else:
            print(f"bundled spec at {args.spec} does not load; skipped")
        syn = tmp_path / "synthetic"
        syn.mkdir()
        bench("synthetic", synthetic_spec(syn), "config_big", args.lines, tmp_path)
        if args.files:
            bench_files(syn if spec is None else args.spec, args.files, tmp_path)


if __name__ == "__main__":
    main()
