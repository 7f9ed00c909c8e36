"""Benchmark: `gen build` end to end, in cold processes, as a maintainer runs it.

Measures, each in a fresh Python process (startup and imports included):

* a full build of the bundled spec (``spec/``, or the minimal example if it does not
  load) into an empty folder, and a rebuild when nothing changed;
* for each ``--fields`` size, a synthetic spec written by this script: a full build, a
  no-change rebuild, and a rebuild after each one-field edit (a description changed, a
  field added, a comment line added at the top of a file, a payload moved to the end of
  its file), with peak memory (``ru_maxrss`` of the child) and CPU seconds beside wall
  time; after the comment-only edit the build's summary must say that nothing was
  rendered;
* glean_parser producing only Markdown for the same number of metrics (the bundled
  spec's field count, and each ``--fields`` size), in the same run.  glean_parser is a
  benchmark-only tool: it runs from its own virtual environment (``--glean-venv``,
  created with ``pip install glean-parser==22.0.1`` the first time), so its pins never
  meet the project's.

``--root DIR`` measures the generator of another checkout (e.g. ``git worktree add
/tmp/before main``) with this script, so that before and after are one script, one
session, one machine.

Run:  python benchmarks/bench_build.py [--runs N] [--fields N [N ...]] [--root DIR]

Speed is measured here, never asserted in tests.  Timings are medians (and minimums) of
``--runs`` runs; the machine's other load shows up as spread between the two.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # (--root replaces it)
GLEAN_VERSION = "22.0.1"
# Bytecode caching on, as on a user's machine (this sandbox sets PYTHONDONTWRITEBYTECODE,
# which makes every run recompile the sources it imports: ~55 ms per run).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
GEN = [sys.executable, "-m", "generator.cli"]


def use_root(root: Path) -> None:
    """Measure the generator of the checkout ``root``."""
    global ROOT
    ROOT = root.resolve()
    ENV["PYTHONPATH"] = str(ROOT)


use_root(ROOT)


def glean_python(venv: Path) -> Path:
    """The interpreter of glean_parser's own virtual environment (made the first time)."""
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", f"glean-parser=={GLEAN_VERSION}"], check=True)
    return python

# Runs a command and reports its wall time and the child's peak RSS (KiB), measured in
# a wrapper process so that each measurement's RUSAGE_CHILDREN holds one child only.
_WRAPPER = """
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
dt = time.perf_counter() - t
use = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stderr.write(r.stderr[-3000:])
print(dt, use.ru_maxrss, r.returncode, use.ru_utime + use.ru_stime)
"""

#: The last measurement's standard error (a build's summary line is its last line).
LAST_STDERR: list[str] = []

#: CPU seconds (user + system, the command and its children) of every measurement, by
#: the sample it belongs to: on a shared machine these move far less than wall times.
CPU: dict[int, float] = {}


def measure(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, int]:
    """(seconds, peak KiB) of one cold run of ``cmd``; exits if it fails.  Its CPU
    seconds are kept in ``CPU`` under the id of the returned tuple."""
    r = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *cmd], cwd=cwd or ROOT, env={**ENV, **(env or {})}, capture_output=True,
        text=True, check=False,
    )
    try:
        seconds, rss, rc, cpu = r.stdout.split()
    except ValueError:
        sys.exit(f"benchmark wrapper failed: {r.stderr}")
    if int(rc) != 0:
        sys.exit(f"command failed ({' '.join(cmd)}):\n{r.stderr}")
    LAST_STDERR[:] = [r.stderr]
    sample = (float(seconds), int(rss))
    CPU[id(sample)] = float(cpu)
    return sample


def bundled_spec_dir() -> Path:
    sys.path.insert(0, str(ROOT))
    from generator.pipeline import check_spec

    spec_dir = ROOT / "spec"
    if spec_dir.is_dir() and check_spec(spec_dir)[0] is not None:
        return spec_dir
    return ROOT / "tests" / "cases" / "ok_minimal" / "spec"


PRODUCERS_ON = "spec_format: 1\noutputs:\n  go: {}\n  typescript: {}\n"

# --- the synthetic spec ------------------------------------------------------------------

_KIND_CYCLE = [
    ("enumerated_integer", "values: [0, 1, 2]"),
    ("boolean", "values: [true, false]"),
    ("boolean", ""),
    ("count", ""),
    ("setting_is_default", ""),
    ("integer", ""),
    ("string", "personal_data_note: A server-side identifier, never user input."),
    ("version", ""),
    ("pseudonymous_id", ""),
    ("timestamp_ms", ""),
    ("enumerated_string", "values: [alpha, beta, gamma]"),
    ("string_list", "personal_data_note: Names of built-in features only."),
]


def write_synthetic_spec(folder: Path, fields: int) -> tuple[int, int]:
    """A spec of ``fields`` fields: record payloads of 50 fields in 10 files, plus one
    file of 5-field events.  Returns (payloads, fields) written."""
    folder.mkdir(parents=True)
    (folder / "00_product.yaml").write_text(
        "spec_format: 2\n"
        "product:\n"
        "  id: bench\n"
        "  name: Bench Server\n"
        "  summary: Bench Server shares usage data to improve the product.\n"
        "  privacy_policy: {title: Privacy Policy, url: https://bench.example/privacy}\n"
        "  purposes_intro: 'We use the data for:'\n"
        "  purposes: [finding bugs, planning features]\n"
        "  guarantees: [encrypted in transit]\n"
        "  conventions: {payload_prefix: config_, payload_strip_suffix: Settings}\n"
        "editions:\n  pro: {title: Pro Edition}\n"
        "settings:\n  Telemetry.Enable: {console_path: [Console, Telemetry, Enable], default: true}\n"
        "features:\n"
        "  usage:\n    title: Usage Reporting\n    description: Which options are used.\n"
        "    sender: server\n    destination: Bench Inc.\n"
        "    opt_outs: [{setting: Telemetry.Enable, cost: No tailored tips.}]\n"
        "sections:\n"
        "  config:\n    feature: usage\n    title: Configuration\n    schedule: every 24h\n"
        "    description: Which options are on.\n"
        "  events:\n    feature: usage\n    title: Events\n    schedule: on event\n"
        "    description: Actions, when they happen.\n"
        "    categories:\n      main: {title: Main events, description: Boolean when these occur}\n",
        "utf-8",
    )
    event_fields = fields // 10
    record_fields = fields - event_fields
    n = payloads = 0
    per_file = max(1, record_fields // 50 // 10 + 1)
    files: dict[int, list[str]] = {}
    for p in range((record_fields + 49) // 50):
        lines = [f"  - type: record\n    group: Group{p}Settings", "    section: config", "    fields:"]
        for f in range(min(50, record_fields - p * 50)):
            kind, extra = _KIND_CYCLE[(p + f) % len(_KIND_CYCLE)]
            lines.append(f"      - name: Setting{f}Value")
            lines.append(f"        kind: {kind}")
            lines.append(f"        description: Setting {f} of group {p}, as configured.")
            if extra:
                lines.append(f"        {extra}")
            n += 1
        files.setdefault(p // per_file, []).extend(lines)
        payloads += 1
    for i, lines in files.items():
        (folder / f"{10 + i:02d}_config.yaml").write_text("spec_format: 2\npayloads:\n" + "\n".join(lines) + "\n", "utf-8")
    ev = ["spec_format: 2", "payloads:"]
    for e in range((event_fields + 4) // 5):
        ev += [f"  - type: event\n    wire_name: action_{e}_done", f"    title: Action {e} done", "    section: events", "    category: main", "    fields:"]
        for f in range(min(5, event_fields - e * 5)):
            kind, extra = _KIND_CYCLE[(e + f) % len(_KIND_CYCLE)]
            ev += [f"      - name: Prop{f}", f"        kind: {kind}", f"        description: Property {f} of action {e}."]
            if extra:
                ev.append(f"        {extra}")
            n += 1
        payloads += 1
    (folder / "90_events.yaml").write_text("\n".join(ev) + "\n", "utf-8")
    return payloads, n


def write_glean_metrics(path: Path, metrics: int) -> None:
    """glean_parser's metrics.yaml with ``metrics`` metrics in categories of 50."""
    types = ["boolean", "counter", "string", "uuid", "datetime", "quantity"]
    lines = ["---", "$schema: moz://mozilla.org/schemas/glean/metrics/2-0-0", ""]
    for m in range(metrics):
        if m % 50 == 0:
            lines.append(f"category_{m // 50}:")
        t = types[m % len(types)]
        lines += [
            f"  metric_{m}:",
            f"    type: {t}",
            f"    description: Setting {m % 50} of group {m // 50}, as configured.",
            "    bugs: [https://bugzilla.mozilla.org/show_bug.cgi?id=1]",
            "    data_reviews: [https://example.com/review/1]",
            "    notification_emails: [telemetry@example.com]",
            "    expires: never",
            "    data_sensitivity: [technical]",
        ]
        if t == "quantity":
            lines.append("    unit: items")
    path.write_text("\n".join(lines) + "\n", "utf-8")


# --- runs --------------------------------------------------------------------------------


def _edit_description(text: str, i: int) -> str:
    return text.replace("description: Setting 0 of group 0,", f"description: Setting 0 of group 0 (edit {i}),", 1)


def _edit_add_field(text: str, i: int) -> str:
    new = f"    fields:\n      - name: Added{i}Value\n        kind: boolean\n        description: Added in edit {i}.\n"
    return text.replace("    fields:\n", new, 1)


def _edit_comment(text: str, i: int) -> str:
    return f"# a comment line (edit {i})\n" + text


def _edit_move_payload(text: str, i: int) -> str:
    """The file's first payload moved to its end."""
    head, sep, rest = text.partition("  - type: record\n")
    first, sep2, others = rest.partition("\n  - type: record\n")
    return head + sep + others.rstrip("\n") + "\n" + sep + first.rstrip("\n") + "\n" if sep2 else text


#: The one-field edits measured at each synthetic size: (label, edit of 10_config.yaml).
EDITS = (
    ("a description", _edit_description),
    ("an added field", _edit_add_field),
    ("a comment line", _edit_comment),
    ("a payload moved", _edit_move_payload),
)

#: For each comment-only rebuild: whether its summary said nothing was rendered.
COMMENT_RENDERED: list[str] = []


def build_times(spec_dir: Path, runs: int, work: Path, edit: Path | None = None) -> dict[str, list[tuple[float, int]]]:
    """Full build into an empty folder, then a no-change rebuild, then (with ``edit``,
    a spec file) a rebuild after each of ``EDITS`` (each undone, and the folder rebuilt,
    before the next)."""
    out: dict[str, list] = {"full": [], "nochange": [], "nochange_parse": [], "look_up_whole": [], "serial": [], "sync_each": [], "stage_late": [], **{label: [] for label, _ in EDITS}}
    warm = work / "warm-up"  # one untimed build: bytecode caches written, as after install
    shutil.rmtree(warm, ignore_errors=True)
    measure([*GEN, "build", "--spec", str(spec_dir), "--out", str(warm)])
    for i in range(runs):
        dest = work / f"out{i}"
        shutil.rmtree(dest, ignore_errors=True)
        build = [*GEN, "build", "--spec", str(spec_dir), "--out", str(dest)]
        out["full"].append(measure(build))
        out["nochange"].append(measure(build))
        # What reusing the folder's parsed spec files buys (GEN_NO_PARSED_CACHE=1: parse afresh).
        out["nochange_parse"].append(measure(build, env={"GEN_NO_PARSED_CACHE": "1"}))
        if edit is None:
            continue
        # What the process pool buys: the same full build with every piece rendered in
        # the build's own process (GEN_NO_FORK=1), into another empty folder.
        serial = work / f"serial{i}"
        shutil.rmtree(serial, ignore_errors=True)
        out["serial"].append(measure([*GEN, "build", "--spec", str(spec_dir), "--out", str(serial)], env={"GEN_NO_FORK": "1"}))
        # What one syncfs per commit buys over an fsync per file (GEN_SYNC_EACH=1).
        each = work / f"sync-each{i}"
        shutil.rmtree(each, ignore_errors=True)
        out["sync_each"].append(measure([*GEN, "build", "--spec", str(spec_dir), "--out", str(each)],
                                        env={"GEN_SYNC_EACH": "1"}))
        # What staging each piece while the workers render buys (GEN_STAGE_LATE=1).
        late = work / f"stage-late{i}"
        shutil.rmtree(late, ignore_errors=True)
        out["stage_late"].append(measure([*GEN, "build", "--spec", str(spec_dir), "--out", str(late)],
                                         env={"GEN_STAGE_LATE": "1"}))
        text = edit.read_text("utf-8")
        for label, change in EDITS:
            edited = change(text, i)
            assert edited != text, f"the synthetic spec no longer has what the edit ({label}) changes"
            edit.write_text(edited, "utf-8")
            try:
                out[label].append(measure(build))
                if label == "a comment line":
                    COMMENT_RENDERED.append(LAST_STDERR[-1].strip().splitlines()[-1] if LAST_STDERR else "")
            finally:
                edit.write_text(text, "utf-8")
            measure(build)  # back to the unedited output (not timed)
            if label == "a description":  # the same kind of edit, whole targets looked up first
                edit.write_text(change(text, i + 1000), "utf-8")
                try:
                    out["look_up_whole"].append(measure(build, env={"GEN_LOOK_UP_WHOLE": "1"}))
                finally:
                    edit.write_text(text, "utf-8")
                measure(build)
    return out


def summary(samples: list[tuple[float, int]]) -> tuple[float, float, int, float]:
    """Median and minimum wall seconds, peak KiB, median CPU seconds."""
    times = [s for s, _ in samples]
    return statistics.median(times), min(times), max(r for _, r in samples), statistics.median(CPU[id(s)] for s in samples)


def importtime_report(spec_dir: Path, out: Path, top: int = 12) -> str:
    """Where a no-change rebuild's imports go: top-level packages by cumulative time."""
    r = subprocess.run(
        [sys.executable, "-X", "importtime", *GEN[1:], "build", "--spec", str(spec_dir), "--out", str(out)],
        cwd=ROOT, env=ENV, capture_output=True, text=True, check=False,
    )
    totals: dict[str, int] = {}
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (x.strip() for x in line[len("import time:"):].split("|"))
        if not cumulative.isdigit():
            continue
        if not name.startswith(" ") and "." not in name.strip():
            totals[name.strip()] = totals.get(name.strip(), 0) + int(cumulative)
        elif name.startswith("generator."):
            totals[name] = int(cumulative)
    rows = sorted(totals.items(), key=lambda kv: -kv[1])[:top]
    return "\n".join(f"    {ms / 1000:8.1f} ms  {name}" for name, ms in rows)


# The models target alone (datamodel-code-generator on every payload), in one process:
# CPU seconds of rendering only (loading the spec excluded).  It is a floor for any
# cold build on this machine: that CPU divided by the cores.
_MODELS_ALONE = """
import sys, time
from generator import api
from generator.targets import models
spec = api.load_spec(sys.argv[1])
t = time.process_time()
models.shared(spec)
for p in spec.payloads:
    models.unit(spec, p)
print(time.process_time() - t)
"""


def models_cpu(spec_dir: Path) -> float:
    """CPU seconds of the models target alone on ``spec_dir`` (see ``_MODELS_ALONE``)."""
    r = subprocess.run([sys.executable, "-c", _MODELS_ALONE, str(spec_dir)], cwd=ROOT, env=ENV,
                       capture_output=True, text=True, check=True)
    return float(r.stdout.split()[-1])


def glean_times(python: Path, work: Path, metrics_count: int, runs: int) -> list[tuple[float, int]]:
    """glean_parser translating ``metrics_count`` metrics to Markdown, ``runs`` times."""
    metrics = work / f"metrics-{metrics_count}.yaml"
    write_glean_metrics(metrics, metrics_count)
    out = []
    for i in range(runs):
        dest = work / f"glean-{metrics_count}-{i}"
        out.append(measure([str(python), "-m", "glean_parser", "translate", "-f", "markdown", "-o", str(dest), str(metrics)]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    ap.add_argument("--fields", type=int, nargs="+", default=[5000],
                    help="field counts of the synthetic specs (default 5000; e.g. --fields 5000 20000)")
    ap.add_argument("--root", type=Path, default=None, help="the checkout whose generator is measured (default: this one)")
    ap.add_argument("--glean-venv", type=Path, default=Path.home() / ".cache" / "gen-bench" / "glean-venv",
                    help="glean_parser's own virtual environment (created if missing)")
    ap.add_argument("--importtime", action="store_true", help="also show where a no-change rebuild's imports go")
    args = ap.parse_args()
    if args.root is not None:
        use_root(args.root)
    glean_py = glean_python(args.glean_venv)

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        work = Path(tmp)
        spec_dir = bundled_spec_dir()
        sys.path.insert(0, str(ROOT))
        from generator.pipeline import check_spec

        spec, _ = check_spec(spec_dir)
        bundled = build_times(spec_dir, args.runs, work / "bundled")
        synth_runs = max(1, min(args.runs, 3))
        n_bundled = len(spec.fields)
        glean_bundled = glean_times(glean_py, work, n_bundled, args.runs)
        rows = [
            (f"bundled spec ({len(spec.payloads)} payloads, {n_bundled} fields): full build", bundled["full"],
             statistics.median(s for s, _ in glean_bundled)),
            ("bundled spec: no-change rebuild", bundled["nochange"], None),
            (f"  glean_parser, Markdown only, {n_bundled} metrics", glean_bundled, None),
        ]
        ratios = []
        producers = []
        sizes = [(n_bundled, _folder_bytes(work / "bundled" / "out0" / "conformance"))]
        for fields in args.fields:
            synth_dir = work / f"synthetic-spec-{fields}"
            n_payloads, n_fields = write_synthetic_spec(synth_dir, fields)
            synth = build_times(synth_dir, synth_runs, work / f"synthetic-{fields}", edit=synth_dir / "10_config.yaml")
            rows += [
                (f"synthetic spec ({n_payloads} payloads, {n_fields} fields): full build", synth["full"], None),
                (f"  {n_fields} fields: no-change rebuild", synth["nochange"], None),
                (f"  {n_fields} fields: no-change rebuild, spec parsed afresh (GEN_NO_PARSED_CACHE=1)",
                 synth["nochange_parse"], None),
                (f"  {n_fields} fields: full build without the pool (GEN_NO_FORK=1)", synth["serial"], None),
                (f"  {n_fields} fields: full build, an fsync per file (GEN_SYNC_EACH=1)", synth["sync_each"], None),
                (f"  {n_fields} fields: full build, staged after rendering (GEN_STAGE_LATE=1)", synth["stage_late"], None),
            ]
            rows += [(f"  {n_fields} fields: rebuild after {label}", synth[label], 1.5 if fields >= 20000 else None)
                     for label, _ in EDITS]
            rows.append((f"  {n_fields} fields: rebuild after a description, whole targets looked up (GEN_LOOK_UP_WHOLE=1)",
                         synth["look_up_whole"], None))
            sizes.append((n_fields, _folder_bytes(work / f"synthetic-{fields}" / "out0" / "conformance")))
            # The same spec with the producer targets on (outputs.go, outputs.typescript):
            # issue #26 allows them at most 25% of the cold build.
            prod_dir = work / f"synthetic-spec-{fields}-producers"
            shutil.copytree(synth_dir, prod_dir)
            (prod_dir / "95_outputs.yaml").write_text(PRODUCERS_ON, "utf-8")
            prod = build_times(prod_dir, synth_runs, work / f"synthetic-{fields}-producers", edit=prod_dir / "10_config.yaml")
            rows += [
                (f"  {n_fields} fields, with go + typescript: full build", prod["full"], None),
                (f"  {n_fields} fields, with go + typescript: one-field edit", prod["a description"], None),
            ]
            producers.append((n_fields, summary(synth["full"]), summary(prod["full"])))
            glean = glean_times(glean_py, work, n_fields, synth_runs)
            rows.append((f"  glean_parser, Markdown only, {n_fields} metrics", glean, None))
            ratios.append((n_fields, summary(glean), summary(synth["full"]), models_cpu(synth_dir)))
        print(f"gen build of {ROOT}, cold processes; median (min) of {args.runs} runs for the bundled spec, "
              f"{synth_runs} for the others; glean_parser {GLEAN_VERSION}")
        print("CPU s: user + system seconds of the process and its children (steadier than wall time on a shared machine)\n")
        print(f"{'measurement':<62} {'median s':>9} {'min s':>7} {'CPU s':>7} {'peak MiB':>9} {'target':>9}")
        print("-" * 108)
        for label, samples, target in rows:
            med, lo, rss, cpu = summary(samples)
            mark = "" if target is None else (f"<{target:.2f} ok" if med < target else f"<{target:.2f} MISS")
            print(f"{label:<62} {med:9.3f} {lo:7.3f} {cpu:7.3f} {rss / 1024:9.1f} {mark:>9}")
        cores = min(os.cpu_count() or 1, 4)  # (the build's pool uses at most 4)
        for n_fields, g, ours, models in ratios:
            want = 2.5 if n_fields >= 20000 else 2.0
            print(f"\n{n_fields} fields: glean_parser (Markdown only) / our full build: {g[0] / ours[0]:.2f}x wall "
                  f"(target >= {want}x), {g[3] / ours[3]:.2f}x CPU; peak memory ours/glean {ours[2] / g[2]:.2f} "
                  f"(target <= 1 at 20,000) (ours renders JSON Schemas, models, docs, conformance suite and catalogue)")
            print(f"{n_fields} fields: the models target alone (datamodel-code-generator, one process) takes "
                  f"{models:.2f} s CPU: on {cores} cores at least {models / cores:.2f} s of any cold build, "
                  f"against the {g[0] / want:.2f} s that {want}x glean_parser allows")
        print("\nsummary after each comment-only edit (must say nothing was rendered):")
        for line in COMMENT_RENDERED:
            print(f"    {line}")
        for n_fields, plain, with_producers in producers:
            print(f"\n{n_fields} fields: the go and typescript targets add {with_producers[0] / plain[0] - 1:+.0%} wall, "
                  f"{with_producers[3] / plain[3] - 1:+.0%} CPU to the cold build (target: at most +25%)")
        print()
        for n_fields, size in sizes:
            print(f"conformance folder at {n_fields} fields: {size / 1e6:.2f} MB (target for 20,000 fields: < 15 MB)")
        if args.importtime:
            print("\nimport time of a no-change rebuild of the bundled spec (cumulative, top-level):")
            print(importtime_report(spec_dir, work / "bundled" / "out0"))


def _folder_bytes(folder: Path) -> int:
    """Total size of the files under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


if __name__ == "__main__":
    main()
