"""Benchmark: `gen diff` of two 5,000-field specs, in cold processes (target: < 1 s).

Writes a synthetic spec with ``bench_build.write_synthetic_spec`` and a second version of
it with a release's worth of edits (fields added and removed, kinds and values changed,
a schedule changed), then times, each in a fresh Python process (startup included):

* folder to folder (both specs loaded, resolved and linted, then compared);
* catalog.json to catalog.json (the vendored-downstream case: no spec pipeline);
* git revision to working folder (the CI case: the base read with `git archive`).

Both wall time and CPU time are printed: on a shared machine wall time includes waiting
for a core, CPU time is the work itself (the wall time of an idle machine).

Run:  python benchmarks/bench_diff.py [--runs N] [--fields N]

Speed is measured here, never asserted in tests.  Timings are medians (and minimums).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import ENV, GEN, ROOT, write_synthetic_spec

# Wall time and CPU time (user + system, the process and every child it waited for)
# of one cold run.  On a shared machine wall time
# also counts waiting for a core; CPU time shows the work itself.
_WRAPPER = """
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True)
dt = time.perf_counter() - t
u = resource.getrusage(resource.RUSAGE_CHILDREN)
if r.returncode:
    sys.stderr.write(r.stderr.decode()[-3000:])
print(dt, u.ru_utime + u.ru_stime, r.returncode)
"""


def measure(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one cold run of ``cmd``; exits if it fails."""
    r = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], cwd=ROOT, env=ENV, capture_output=True, text=True, check=False)
    try:
        wall, cpu, rc = r.stdout.split()
    except ValueError:
        sys.exit(f"benchmark wrapper failed: {r.stderr}")
    if int(rc) != 0:
        sys.exit(f"command failed ({' '.join(cmd)}):\n{r.stderr}")
    return float(wall), float(cpu)


def edit_release(spec: Path) -> int:
    """Apply a release's edits to the synthetic spec in place; returns how many."""
    edits = 0
    for path in sorted(spec.glob("1*_config.yaml"))[:4]:
        text = path.read_text("utf-8")
        # every 25th field of the file becomes free text (kind widened)
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.strip().startswith("kind: boolean") and i % 25 == 0:
                lines[i] = line.replace("boolean", "string") + "\n        personal_data_note: The server's own flag name."
                edits += 1
        text = "\n".join(lines)
        # one field removed and one added per file
        text = text.replace("      - name: Setting7Value\n", "      - name: Setting7ValueRenamed\n", 1)
        edits += 1
        text = text.replace("values: [alpha, beta, gamma]", "values: [alpha, beta, gamma, delta]", 3)
        edits += 3
        path.write_text(text, "utf-8")
    events = spec / "90_events.yaml"
    events.write_text(events.read_text("utf-8").replace("  - event: action_3_done\n", "  - event: action_3_finished\n"), "utf-8")
    product = spec / "00_product.yaml"
    product.write_text(product.read_text("utf-8").replace("schedule: every 24h", "schedule: every 12h"), "utf-8")
    return edits + 2


def write_catalog(spec: Path, dest: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from generator.pipeline import check_spec; "
        "from generator.targets.catalog import render; "
        "s, f = check_spec(Path(sys.argv[1])); assert s, f; Path(sys.argv[2]).write_bytes(render(s)['catalog.json'])"
    )
    subprocess.run([sys.executable, "-c", code, str(spec), str(dest)], check=True, cwd=ROOT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--fields", type=int, default=5000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-diff-") as tmp:
        work = Path(tmp)
        repo = work / "repo"
        base = repo / "spec"
        payloads, fields = write_synthetic_spec(base, args.fields)
        git = ["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
        subprocess.run(["git", "init", "-q", str(repo)], check=True)
        subprocess.run([*git, "add", "."], check=True)
        subprocess.run([*git, "commit", "-qm", "base"], check=True)
        base_copy = work / "base"
        subprocess.run(["cp", "-r", str(base), str(base_copy)], check=True)
        edits = edit_release(base)
        write_catalog(base_copy, work / "base.json")
        write_catalog(base, work / "head.json")
        cases = {
            "folder -> folder": [*GEN, "diff", str(base_copy), str(base), "--format", "json"],
            "catalog -> catalog": [*GEN, "diff", str(work / "base.json"), str(work / "head.json"), "--format", "json"],
            "revision -> folder": [*GEN, "diff", "HEAD", "--spec", str(base), "--format", "json"],
        }
        out = subprocess.run(cases["folder -> folder"], capture_output=True, text=True, cwd=ROOT, check=True, env=ENV)
        records = json.loads(out.stdout)
        print(f"specs: {payloads} payloads, {fields} fields each; {edits} edits -> {len(records)} change records")
        for name, cmd in cases.items():
            measure(cmd)  # warm-up: bytecode caches written
            runs = [measure(cmd) for _ in range(args.runs)]
            wall = [w for w, _ in runs]
            cpu = [c for _, c in runs]
            print(f"{name:<26} wall median {statistics.median(wall):.3f} s  min {min(wall):.3f} s   "
                  f"CPU median {statistics.median(cpu):.3f} s  ({args.runs} cold runs)")
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
