"""The differential build fuzzer (a helper, not a test module): random edit sequences on
a spec folder; after each step, an incremental ``gen build`` must give exactly the files
of a cold build, byte for byte.

Used by ``tests/test_build_fuzz.py`` (fixed seeds, a CI-sized run) and
``benchmarks/fuzz_build.py`` (long runs before a release).  Every edit works on the YAML
text, as a maintainer's would: a description changed, a field added or removed, a
payload renamed or moved to the end of its file, a spec-wide property changed, a comment
line added (after which nothing may be rendered), an invalid edit (the build refuses and
changes nothing), a revert to an earlier state, a change of the generator's code
(simulated: the code identity every key holds), stored pieces or parsed spec files
corrupted (another entry's bytes, truncated, a byte flipped), and ``gen build`` killed
with SIGKILL at a random moment.  The incremental build loads the spec as ``gen build``
does (reusing the folder's parsed files); the cold one parses every file afresh.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from generator import build, reuse
from generator.parsed_cache import PARSED, ParsedFiles
from generator.pipeline import check_spec

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

EDITS = ("description", "add-field", "remove-field", "rename-payload", "move-payload", "spec-wide", "comment",
         "invalid", "revert", "code", "corrupt-cache", "kill")


@dataclass
class Run:
    """One fuzzing session on one spec folder (a copy, edited in place)."""

    spec_dir: Path
    out: Path
    rng: random.Random
    code: bytes = b"code-0"
    history: list[dict[str, str]] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    counter: int = 0
    built: bool = False  # the last step ended with a successful build of the current text

    def files(self) -> dict[str, str]:
        return {p.name: p.read_text("utf-8") for p in sorted(self.spec_dir.glob("*.yaml"))}

    def restore(self, state: dict[str, str]) -> None:
        for p in self.spec_dir.glob("*.yaml"):
            p.unlink()
        for name, text in state.items():
            (self.spec_dir / name).write_text(text, "utf-8")


def _payload_files(run: Run) -> list[Path]:
    return [p for p in sorted(run.spec_dir.glob("*.yaml")) if re.search(r"^payloads:", p.read_text("utf-8"), re.MULTILINE)]


def _edit_text(run: Run, pattern: str, change) -> bool:
    """Apply ``change(match) -> text`` at a random match of ``pattern`` in a random spec file."""
    candidates = []
    for path in sorted(run.spec_dir.glob("*.yaml")):
        text = path.read_text("utf-8")
        candidates += [(path, text, m) for m in re.finditer(pattern, text, re.MULTILINE)]
    if not candidates:
        return False
    path, text, m = run.rng.choice(candidates)
    new = text[:m.start()] + change(m) + text[m.end():]
    path.write_text(new, "utf-8")
    return new != text


def _blocks(text: str) -> tuple[str, list[str], str] | None:
    """A file's text before its payload list, the payload blocks, and what follows; None
    when ``payloads:`` is not the file's last top-level key."""
    m = re.search(r"^payloads:[^\n]*\n", text, re.MULTILINE)
    if m is None:
        return None
    head, body = text[:m.end()], text[m.end():]
    if re.search(r"^[^\s#]", body, re.MULTILINE):
        return None
    starts = [b.start() for b in re.finditer(r"^  - ", body, re.MULTILINE)]
    if len(starts) < 2:
        return None
    blocks = [body[a:b] for a, b in zip(starts, [*starts[1:], len(body)])]
    return head + body[:starts[0]], blocks, ""


def edit(run: Run, kind: str) -> bool:
    """Make one edit of ``kind``; whether anything changed."""
    rng, n = run.rng, run.counter
    if kind == "description":
        return _edit_text(run, r"^(\s+description: )([A-Za-z][^\n'\"]*)$", lambda m: f"{m[1]}{m[2]} (fuzz {n})")
    if kind == "add-field":
        return _edit_text(run, r"^(\s+- \{name: )(\w+)(, [^\n]*\})$", lambda m: f"{m[0]}\n{m[1]}Fuzz{n}{m[2]}{m[3]}") or \
            _edit_text(run, r"^(      - name: )(\w+)\n(        kind: \w+)\n(        description: [^\n]*)$",
                       lambda m: f"{m[0]}\n{m[1]}Fuzz{n}{m[2]}\n{m[3]}\n{m[4]}")
    if kind == "remove-field":
        return _edit_text(run, r"^\s+- \{name: \w+, [^\n]*\}\n(?=\s+- \{name: )", lambda m: "")
    if kind == "rename-payload":
        if rng.random() < 0.5 and _edit_text(run, r"^(    wire_name: )([a-z][a-z0-9_]*)$", lambda m: f"{m[1]}{m[2]}_fuzz{n}"):
            return True
        return _edit_text(run, r"^(    group: )([A-Za-z]\w*?)(Settings)?$", lambda m: f"{m[1]}{m[2]}Fuzz{n}{m[3] or ''}")
    if kind == "move-payload":
        files = [p for p in _payload_files(run) if _blocks(p.read_text("utf-8"))]
        if not files:
            return False
        path = rng.choice(files)
        head, blocks, tail = _blocks(path.read_text("utf-8"))
        i = rng.randrange(len(blocks) - 1)
        moved = blocks[:i] + blocks[i + 1:] + [blocks[i] if blocks[i].endswith("\n") else blocks[i] + "\n"]
        path.write_text(head + "".join(moved) + tail, "utf-8")
        return True
    if kind == "spec-wide":
        return _edit_text(run, r"^(  summary: )([A-Za-z][^\n'\"]*)$", lambda m: f"{m[1]}{m[2]} Fuzz {n}.") or \
            _edit_text(run, r"^(  name: )([A-Za-z][^\n'\"]*)$", lambda m: f"{m[1]}{m[2]} Fuzz{n}")
    if kind == "comment":
        return _edit_text(run, r"^(?=  - |spec_format:)", lambda m: f"# fuzz comment {n}\n")
    if kind == "invalid":  # refused (nothing written), then undone, as a maintainer would
        path = rng.choice(sorted(run.spec_dir.glob("*.yaml")))
        text = path.read_text("utf-8")
        path.write_text(text + rng.choice(["fuzz_broken: [unclosed\n", "payloads: 3\n", "spec_format: 99\n"]), "utf-8")
        assert check_spec(run.spec_dir)[0] is None
        before = on_disk(run.out)
        kill = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--spec", str(run.spec_dir),
                               "--out", str(run.out)], env=ENV, capture_output=True, text=True, check=False)
        assert kill.returncode == 1 and on_disk(run.out) == before, kill.stderr
        path.write_text(text, "utf-8")
        return False
    if kind == "revert":
        if not run.history:
            return False
        run.restore(rng.choice(run.history))
        return True
    if kind == "code":
        run.code = f"code-{n}".encode()
        return True
    if kind == "corrupt-cache":  # stored pieces and parsed spec files
        folder = run.out / rng.choice([reuse.PIECES, PARSED])
        pieces = sorted(folder.glob("*")) if folder.is_dir() else []
        if len(pieces) < 2:
            return False
        for victim in rng.sample(pieces, min(3, len(pieces))):
            how = rng.choice(["other", "truncate", "flip"])
            data = victim.read_bytes()
            if how == "other":  # parseable, but another piece's bytes
                data = rng.choice([p for p in pieces if p != victim]).read_bytes()
            elif how == "truncate":
                data = data[: rng.randrange(len(data))]
            else:
                i = rng.randrange(len(data))
                data = data[:i] + bytes([data[i] ^ 1]) + data[i + 1:]
            victim.write_bytes(data)
        return True
    raise ValueError(kind)


def kill_a_build(run: Run) -> None:
    """Start a real ``gen build`` of the current spec and SIGKILL it at a random moment."""
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "build", "--spec", str(run.spec_dir),
                             "--out", str(run.out)], env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(run.rng.uniform(0.05, 1.5))
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def on_disk(out: Path) -> dict[str, bytes]:
    """Every file of the output folder but the build's cache."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).as_posix().startswith(".gen-cache/")}


def step(run: Run, monkeypatch_code) -> str:
    """One random edit, then an incremental build compared with a cold one; a line for the log."""
    run.counter += 1
    kind = run.rng.choice(EDITS)
    before = run.files()
    if kind == "kill":
        kill_a_build(run)
        changed = True
    else:
        changed = edit(run, kind)
    monkeypatch_code(run.code)
    parsed = ParsedFiles(run.out)  # as `gen build` loads: reusing the folder's parsed files
    try:
        spec, findings = check_spec(run.spec_dir, parsed=parsed)
        if spec is None:  # an edit the spec's rules refuse: undone (the folder is as it was)
            run.restore(before)
            return f"{run.counter}: {kind}: not built ({findings[0].code if findings else '?'}), undone"
        was_built = run.built
        outcome = build.build_output(spec, run.out, parsed=parsed)
    finally:
        parsed.close()
    assert outcome.ok, [str(f) for f in outcome.findings]
    fresh, _ = check_spec(run.spec_dir)  # the cold build parses every file afresh
    assert fresh is not None
    cold = build.files_of(fresh)
    disk = on_disk(run.out)
    assert disk.keys() == cold.keys(), (kind, sorted(disk.keys() ^ cold.keys())[:10])
    bad = [p for p in cold if disk[p] != cold[p]]
    assert not bad, (kind, bad[:10])
    if kind == "comment" and was_built and changed:
        assert "nothing rendered" in outcome.summary, outcome.summary
    if kind == "code" and changed:
        assert "nothing rendered" not in outcome.summary and "rendered" in outcome.summary
    run.built = True
    if before not in run.history:
        run.history.append(before)
    return f"{run.counter}: {kind}: {outcome.summary.split(' (', 1)[-1]}"


def fuzz(spec_dir: Path, work: Path, seed: int, steps: int, monkeypatch_code) -> list[str]:
    """``steps`` random steps on a copy of ``spec_dir`` (see the module docstring)."""
    copy = work / "spec"
    shutil.copytree(spec_dir, copy)
    run = Run(copy, work / "out", random.Random(seed))
    monkeypatch_code(run.code)
    spec, _ = check_spec(copy)
    assert spec is not None
    assert build.build_output(spec, run.out).ok
    run.built = True
    return [step(run, monkeypatch_code) for _ in range(steps)]
