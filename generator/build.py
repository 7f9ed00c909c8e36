"""Build orchestration: render every target, then write (staging as it goes) or compare.

Owns the order of a build: ``warm_up`` forks the targets' workers before the spec
loads; for each target, reuse its last output while its fingerprint holds
(``generator.reuse``; a target that declares none is fingerprinted by the whole spec
and the generator's code), or the parts and per-payload units of it that still hold;
start every declared ``prefetch`` hook, and one child for the ``apart`` targets, before
any target renders (so registry order never matters for speed); render the rest,
handing each target's files to ``writer.Session`` as they come; stop any head start
still running; commit.  Every problem is returned as a ``Finding`` (codes in
``CODES``), so ``--format json|github`` carries build, drift and writer problems like
spec findings.

Kept apart from the CLI so tests and benchmarks call the same code path.  It must not
print, parse the command line, or touch the disk except through ``generator.writer``.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from generator import targets, writer
from generator.background import Child
from generator.diagnostics import ERROR, NOTE, Finding
from generator.model import Location, Spec
from generator.reuse import Reuse, code_identity, digest, spec_fingerprint, unit_fingerprints
from generator.targets import Files, TargetCollision, TargetFailed

# Every code the build, ``gen check``'s comparison and the writer report (spec codes are
# in ``generator.diagnostics.CODES``).  README's "Build and check findings" lists them.
CODES: dict[str, str] = {
    "target-failed": "A target raised while rendering; nothing was written.",
    "target-collision": "Two targets produce the same path; nothing was written.",
    "changed": "A generated file differs from what the spec produces (a hand edit, or the spec changed).",
    "missing": "A file the spec produces is not in the output folder.",
    "obsolete": "A file an earlier build wrote that the spec no longer produces.",
    "stray": "A file in the output folder that the generator never wrote.",
    "foreign-file": "The build would overwrite a file that no earlier build wrote.",
    "modified-kept": "An obsolete file was edited since it was generated, so it was kept.",
    "unsafe-path": "A symbolic link, or a file where a folder is needed, inside the output folder.",
    "bad-manifest": "MANIFEST.json is not a manifest this generator writes.",
    "write-failed": "The operating system refused a write (full disk, permissions); nothing changed.",
    "read-failed": "A file in the output folder cannot be read (permissions).",
}


@dataclass
class Rendered:
    """A rendered tree and the reuse records to store beside it."""

    files: Files
    records: dict[str, dict] = field(default_factory=dict)
    known: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # digests computed while reusing


class Warm:
    """The workers of every target with a ``warm`` hook, forked by ``warm_up`` before
    the spec loads (so their slow imports overlap loading); ``render`` hands each to its
    target's ``prefetch`` or stops it.  ``cancel()`` stops whatever is left (a spec with
    errors: nothing is rendered)."""

    def __init__(self, workers: dict[str, object]):
        self.workers = workers

    def take(self, name: str) -> object | None:
        """The worker of target ``name`` (once), or None."""
        return self.workers.pop(name, None)

    def cancel(self) -> None:
        """Stop every worker not taken."""
        for worker in self.workers.values():
            worker.cancel()
        self.workers.clear()


def warm_up(out_dir: Path | None = None) -> Warm:
    """Start the ``warm`` hook of every target that declares one (see ``Warm``), for a
    build into ``out_dir``."""
    workers = {}
    for target in targets.TARGETS:
        worker = target.warm(out_dir)
        if worker is not None:
            workers[target.name] = worker
    return Warm(workers)


@dataclass
class _Plan:
    """What a build knows before rendering: each target's fingerprint, the part digests
    and keys of targets with parts, and the targets whose last output is reused whole."""

    fingerprints: dict[str, bytes] = field(default_factory=dict)
    parts: dict[str, dict[str, str]] = field(default_factory=dict)
    keys: dict[str, bytes] = field(default_factory=dict)  # unit fingerprints, by wire name
    reused: dict[str, Files] = field(default_factory=dict)
    code: bytes = b""


def _plan(spec: Spec, reuse: Reuse | None) -> _Plan:
    """Fingerprint every target and look up its last output (nothing without ``reuse``)."""
    plan = _Plan()
    if reuse is None:
        return plan
    plan.code = code_identity()
    default_fp = None
    for target in targets.TARGETS:
        try:
            if "parts" in target.hooks:  # digests of unchanged payloads come from the record
                plan.keys = plan.keys or unit_fingerprints(spec, plan.code)
                plan.parts[target.name] = target.parts(spec, reuse.known_parts(target.name, plan.keys))
            fp = target.fingerprint(spec, plan.parts.get(target.name))
        except Exception as exc:
            raise TargetFailed(target.name, exc) from exc
        if fp is None:
            default_fp = default_fp or spec_fingerprint(spec, plan.code)
            fp = default_fp
        plan.fingerprints[target.name] = fp
        files = reuse.lookup(target.name, fp)
        if files is not None:
            plan.reused[target.name] = files
            if target.name in plan.parts:  # today's keys, so the next build knows the parts
                reuse.record(target.name, fp, files, plan.parts[target.name], keys=plan.keys)
    return plan


def _head_starts(spec: Spec, reuse: Reuse | None, plan: _Plan, warm: Warm) -> dict[str, object]:
    """Start the ``prefetch`` of every target that is rendered (with its last output and
    changed parts, and its warm worker); their handles by target name."""
    started: dict[str, object] = {}
    for target in targets.TARGETS:
        if target.name in plan.reused:
            continue
        previous = None
        try:
            if reuse is not None and "parts" in target.hooks:
                previous = reuse.previous(target.name, plan.parts[target.name])
            handle = target.prefetch(spec, previous, warm.take(target.name))
        except Exception as exc:
            raise TargetFailed(target.name, exc) from exc
        if handle is not None:
            started[target.name] = handle
    return started


def _render_here(spec: Spec, target: targets.Target, reuse: Reuse | None, plan: _Plan,
                 prefetched: object) -> tuple[Files, set[str]]:
    """One target rendered in the build (a ``units`` target reusing the units that
    still hold), recorded for reuse; also the paths read back from the output folder."""
    name = target.name
    try:
        if reuse is not None and "units" in target.hooks:
            plan.keys = unit_fps = plan.keys or unit_fingerprints(spec, plan.code)
            previous_units = reuse.previous_units(name, unit_fps)
            files, units = target.render_units(spec, previous_units)
            reuse.record(name, plan.fingerprints[name], files, {w: digest(fp) for w, fp in unit_fps.items()}, units)
            return files, {path for unit in previous_units.values() for path in unit}
        files = target.render(spec, prefetched)
        if reuse is not None:
            reuse.record(name, plan.fingerprints[name], files, plan.parts.get(name),
                         keys=plan.keys if name in plan.parts else None)
        return files, set()
    except Exception as exc:  # re-raised with the target's name
        raise TargetFailed(name, exc) from exc


def render(spec: Spec, reuse: Reuse | None = None, warm: Warm | None = None,
           sink: Callable[[Files, set[str]], None] | None = None) -> Rendered:
    """Every generated file, in memory (no manifest; the writer adds it).  ``warm``:
    the workers ``warm_up`` started (each is used or stopped here).  ``sink``: called
    with each target's files as soon as it has them, and the paths among them that were
    just read from the output folder (``writer.Session.stage``).

    Order: fingerprint every target (``_plan``); start every head start
    (``_head_starts``) and fork one child for the ``apart`` targets; render the others
    here; collect the apart child's; collect the head-started ones last, so the sink's
    disk work overlaps theirs.

    Raises ``TargetFailed`` (with the target's name) or ``TargetCollision``.
    """
    warm = warm if warm is not None else Warm({})
    started: dict[str, object] = {}
    apart_child = None
    try:
        plan = _plan(spec, reuse)
        started = _head_starts(spec, reuse, plan, warm)
        apart = [t for t in targets.TARGETS if "apart" in t.hooks and t.name not in plan.reused]
        apart_child = Child.start(lambda _: _render_apart(spec, apart), b"") if apart else None
        apart_files: dict[str, Files] | None = None
        out: Files = {}
        owner: dict[str, str] = {}
        for target in sorted(targets.TARGETS, key=lambda t: 2 if t.name in started else 1 if t in apart else 0):
            files = plan.reused.get(target.name)
            read = set(files) if files is not None else set()
            if files is None and target in apart:
                if apart_files is None:
                    got = apart_child.result() if apart_child is not None else None
                    apart_files = pickle.loads(got) if got is not None else {}
                files = apart_files.get(target.name)
                if files is not None and reuse is not None:
                    reuse.record(target.name, plan.fingerprints[target.name], files)
            if files is None:
                files, read = _render_here(spec, target, reuse, plan, started.get(target.name))
            for path, data in files.items():
                if path in out:
                    raise TargetCollision(f"{target.name} and {owner[path]} both write {path}")
                out[path] = data
                owner[path] = target.name
            if sink is not None:
                sink(files, read)
    finally:
        if apart_child is not None:
            apart_child.cancel()
        warm.cancel()  # the workers of reused targets
        for handle in started.values():
            handle.cancel()  # collected ones are left as they are
    if reuse is None:
        return Rendered(dict(sorted(out.items())))
    return Rendered(dict(sorted(out.items())), reuse.records, reuse.verified)


def _render_apart(spec: Spec, apart: list[targets.Target]) -> bytes:
    """What a child rendering the ``apart`` targets sends back: {name: files}, pickled
    (a target that fails here is rendered again in the build, which reports it)."""
    out = {}
    for target in apart:
        try:
            out[target.name] = target.render(spec)
        except Exception:  # noqa: BLE001, S112 (reported when the build renders it itself)
            continue
    return pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL)


def _render_reusing(spec: Spec, out_dir: Path, reuse: bool = True, warm: Warm | None = None,
                    sink: Callable[[Files, set[str]], None] | None = None) -> tuple[Rendered | None, list[Finding]]:
    """Render, reusing what ``out_dir`` holds where fingerprints allow (unless ``reuse``
    is False); a target failure becomes a finding (never a traceback)."""
    import os

    try:
        if not reuse:
            return render(spec, warm=warm), []
        with writer.Reader(out_dir) as read:
            return render(spec, Reuse(writer.read_records(out_dir), read), warm, sink), []
    except TargetCollision as exc:
        return None, [Finding("target-collision", ERROR, f"{exc}; nothing was written", Location(out_dir.as_posix()),
                              "rename the path in one of the two targets")]
    except TargetFailed as exc:
        if os.environ.get("GEN_DEBUG"):
            raise
        return None, [Finding(
            "target-failed", ERROR, f"{exc}; nothing was written", Location(out_dir.as_posix()),
            "if the message does not point at the spec, this is a bug in the generator "
            "(re-run with GEN_DEBUG=1 for a traceback)",
        )]
    finally:
        if warm is not None:
            warm.cancel()  # (render stops them; this covers a failure before it)


@dataclass
class Outcome:
    """What a build or a comparison found: findings, one summary line, and (``gen
    check``) a unified diff per changed file."""

    findings: list[Finding]
    summary: str = ""
    diffs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def build_output(spec: Spec, out_dir: Path, warm: Warm | None = None) -> Outcome:
    """Render and write.  On any error finding nothing in ``out_dir`` changed.
    ``warm``: what ``warm_up`` started before the spec was loaded, if anything."""
    out_dir = Path(out_dir)
    try:
        with writer.Session(out_dir) as session:
            rendered, findings = _render_reusing(spec, out_dir, warm=warm, sink=session.stage)
            if rendered is None:
                return Outcome(findings)
            rep = session.commit(rendered.files, records=rendered.records, known=rendered.known)
    except writer.OutputError as exc:
        if warm is not None:
            warm.cancel()
        return Outcome(exc.findings)
    notes = [_at(out_dir, p, "stray", NOTE, "not written by the generator (left alone)") for p in rep.stray]
    notes += [_at(out_dir, p, "modified-kept", "warning",
                  "no longer generated, but edited since it was: kept",
                  "delete it if the edit is not needed") for p in rep.kept]
    summary = (f"gen build: {len(rep.written)} written, {len(rep.unchanged)} unchanged, "
               f"{len(rep.removed)} removed in {out_dir}")
    return Outcome(notes, summary)


def compare_output(spec: Spec, out_dir: Path, warm: Warm | None = None) -> Outcome:
    """Whether OUT is exactly what the spec produces; every difference is a finding.

    Renders everything afresh, never from the folder's reuse records: the folder is
    untrusted, and records committed with hand-edited files (``git add -f``) whose
    fingerprints match would otherwise make the gate call those files correct."""
    out_dir = Path(out_dir)
    rendered, findings = _render_reusing(spec, out_dir, reuse=False, warm=warm)
    if rendered is None:
        return Outcome(findings)
    try:
        rep = writer.compare(out_dir, rendered.files)
    except writer.OutputError as exc:
        return Outcome(exc.findings)
    if rep.clean:
        return Outcome([], f"gen: {out_dir} is up to date ({len(rep.unchanged)} files)")
    fix = "run `gen build` and commit the result"
    findings = [_at(out_dir, p, "changed", ERROR, "differs from what the spec produces", fix) for p in rep.changed]
    findings += [_at(out_dir, p, "missing", ERROR, "is produced by the spec but missing", fix) for p in rep.missing]
    findings += [_at(out_dir, p, "obsolete", ERROR, "is no longer generated", fix) for p in rep.obsolete]
    findings += [_at(out_dir, p, "stray", ERROR, "was not written by the generator", "remove it")
                 for p in rep.stray]
    return Outcome(findings, f"gen: {out_dir} is not what the spec produces",
                   [rep.diffs[p].rstrip("\n") for p in rep.changed])


def _at(out_dir: Path, rel: str, code: str, severity: str, message: str, help: str = "") -> Finding:
    """A finding about ``rel`` inside the output folder."""
    return Finding(code, severity, message, Location(f"{out_dir.as_posix()}/{rel}"), help)
