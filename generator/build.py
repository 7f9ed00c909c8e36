"""Building: render every target from pieces, then write (``gen build``) or compare
(``gen check``).

A build renders *pieces* (``generator.reuse``): each whole target's files, each units
target's shared files, and each payload's files of every units target.  With a piece
store (``gen build``), a piece whose key (a digest of exactly its inputs: the resolved
data without source positions, the code and the tools) is stored and verifies is taken
from ``.gen-cache/pieces/``; the others are rendered by one process pool
(``generator.background.Pool``) the build creates here and closes when rendering is done
(whole targets first, then batches of payloads).  The output is a pure function of the pieces, so an incremental
build is a cold build by construction (``tests/test_build_fuzz.py`` holds them equal
byte for byte).  Before anything is written, every path is checked: two targets writing
one path, a path the build itself owns (``MANIFEST.json``, ``.gen-cache/``), or a file
where another target needs a folder, is a ``target-collision``.  Every problem is
returned as a ``Finding`` (codes in ``CODES``).

Kept apart from the CLI so the CLI, the API, tests and benchmarks call the same code
path (``build_output``, ``compare_output``, ``render``).  It must not print, parse the
command line, or touch the disk except through ``generator.writer`` and the store.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from generator import targets, writer
from generator.background import Pool
from generator.diagnostics import ERROR, NOTE, Finding
from generator.manifest import CACHE_DIR, MANIFEST, _safe_rel
from generator.model import Location, Spec
from generator.reuse import Digests, PieceStore, code_identity
from generator.targets import Files, Target, TargetCollision, TargetFailed

if TYPE_CHECKING:
    from generator.parsed_cache import ParsedFiles

# Every code the build, ``gen check``'s comparison and the writer report (spec codes are
# in ``generator.diagnostics.CODES``).  README's "Build and check findings" lists them.
CODES: dict[str, str] = {
    "target-failed": "A target raised while rendering; nothing was written.",
    "target-collision": "Two targets produce the same path, a path the build owns, or a file where a folder "
                        "is needed; nothing was written.",
    "changed": "A generated file differs from what the spec produces (a hand edit, or the spec changed).",
    "missing": "A file the spec produces is not in the output folder.",
    "obsolete": "A file an earlier build wrote that the spec no longer produces.",
    "stray": "A file in the output folder that the generator never wrote.",
    "foreign-file": "The build would overwrite a file that no earlier build wrote.",
    "modified-kept": "An obsolete file was edited since it was generated, so it was kept.",
    "unsafe-path": "A symbolic link, or a file where a folder is needed, inside the output folder.",
    "bad-manifest": "MANIFEST.json is not a manifest this generator writes.",
    "write-failed": "The operating system refused a write (full disk, permissions).",
    "read-failed": "A file in the output folder cannot be read (permissions).",
    "interrupted": "An earlier build was interrupted; the next `gen build` finishes it.",
}

#: At most this many payloads per units batch handed to one worker (fewer batches: less
#: pickling), and at least ``SPREAD`` batches per worker (so that the last batches do
#: not leave a worker idle while another renders a long one).
BATCH = 64
SPREAD = 4
#: Stage the files only once everything is rendered, instead of each piece while the
#: workers render the rest (``GEN_STAGE_LATE=1``: only for ``benchmarks/bench_build.py``'s
#: comparison row; at 20,000 fields staging early saved about 2 s of 12).
STAGE_LATE = bool(os.environ.get("GEN_STAGE_LATE"))
#: Look every whole target up in the store even when the spec's data changed (see
#: ``render``; only for ``benchmarks/bench_build.py``'s comparison row).
LOOK_UP_WHOLE = bool(os.environ.get("GEN_LOOK_UP_WHOLE"))


@dataclass
class Rendered:
    """A rendered tree, and how many pieces were rendered (the rest were reused)."""

    files: Files
    rendered: int = 0
    pieces: int = 0
    fresh: dict[str, Files] = field(default_factory=dict)  # the rendered pieces, by key (to store)


@dataclass
class _Pieces:
    """What one build needs: the whole targets' (and units targets' shared) files by
    target name, and each payload's units by wire name ({target name: files})."""

    whole: dict[str, Files] = field(default_factory=dict)
    units: dict[str, dict[str, Files]] = field(default_factory=dict)


# --- work done in the pool (module-level: a worker runs them by name) -------------------


def _target(name: str) -> Target:
    return next(t for t in targets.TARGETS if t.name == name)


def _render_whole(spec: Spec, names: tuple[str, ...], view: str | None) -> list[tuple[str, Files | str]]:
    """The files of whole targets (a units target's shared ones), each with its name;
    a target that raised gives its error text instead (reported by the build)."""
    out: list[tuple[str, Files | str]] = []
    try:
        shared_view = targets.derive_view(view, spec) if view is not None else None
    except Exception as exc:  # noqa: BLE001 (reported as the first target's failure)
        return [(names[0], f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))]
    for name in names:
        target = _target(name)
        try:
            out.append((name, target.shared(spec) if target.units else target.render(spec, shared_view)))
        except Exception as exc:
            if os.environ.get("GEN_DEBUG"):
                raise
            out.append((name, str(exc) or type(exc).__name__))
    return out


def _render_units(spec: Spec, wires: tuple[str, ...]) -> list[tuple[str, dict[str, Files] | tuple[str, str]]]:
    """Each payload's files of every units target, by target name (or the failing
    target's name and error text)."""
    unit_targets = [t for t in targets.TARGETS if t.units]
    out: list[tuple[str, dict[str, Files] | tuple[str, str]]] = []
    for wire in wires:
        payload = spec.payload(wire)
        files: dict[str, Files] = {}
        for target in unit_targets:
            try:
                files[target.name] = target.unit(spec, payload)
            except Exception as exc:
                if os.environ.get("GEN_DEBUG"):
                    raise
                files = (target.name, str(exc) or type(exc).__name__)  # type: ignore[assignment]
                break
        out.append((wire, files))
    return out


# --- one build --------------------------------------------------------------------------


def _piece(files_by_target: dict[str, Files]) -> Files:
    """A payload's units as one piece: each path prefixed by its target's name."""
    return {f"{name}/{path}": data for name, files in files_by_target.items() for path, data in files.items()}


def _unpiece(files: Files) -> dict[str, Files]:
    out: dict[str, Files] = {}
    for key, data in files.items():
        name, _, path = key.partition("/")
        out.setdefault(name, {})[path] = data
    return out


def render(spec: Spec, store: PieceStore | None = None, workers: int | None = None,
           stage: Callable[[Files], None] | None = None, data_changed: bool | None = None) -> Rendered:
    """Every generated file, in memory (no manifest; the writer adds it), in registry
    order, each piece taken from ``store`` when it holds it and rendered otherwise
    (``fresh``: the caller stores them once the build succeeded).  ``stage`` is handed
    each piece's files as soon as they are there (the writer stages them while the
    workers still render).  ``data_changed`` (the parsed spec files' hint: the spec's
    data is not the last build's) means every whole target's key changed too: they are
    rendered without a look-up, submitted before the keys are computed, so the workers
    start on them while this process computes the keys (``GEN_LOOK_UP_WHOLE=1`` turns
    that off, for the benchmark's row).  Raises ``TargetFailed`` (with the target's
    name) or ``TargetCollision``."""
    whole_first = bool(data_changed) and store is not None and not LOOK_UP_WHOLE and not os.environ.get("GEN_DEBUG")
    digests = Digests.of(spec, code_identity()) if store is not None and not whole_first else None
    got = _Pieces()
    whole_todo: dict[str | None, list[Target]] = {}
    for target in targets.TARGETS:
        hit = store.get(digests.whole_key(target.name)) if store is not None and digests is not None else None
        if hit is not None:
            got.whole[target.name] = hit
        else:
            whole_todo.setdefault(None if target.units else target.view, []).append(target)
    has_units = any(t.units for t in targets.TARGETS)
    units_todo: list[str] = []

    def look_up_units() -> None:
        nonlocal digests
        if store is not None and digests is None:  # (deferred while the whole targets render)
            digests = Digests.of(spec, code_identity())
        for payload in spec.payloads if has_units else ():
            hit = store.get(digests.unit_key(payload.wire_name)) if store is not None and digests is not None else None
            if hit is not None:
                got.units[payload.wire_name] = _unpiece(hit)
            else:
                units_todo.append(payload.wire_name)

    # The jobs, longest first: a view's group (the docs) before the other whole targets.
    jobs: list[tuple[tuple[str, ...], str | None]] = []
    for view, group in sorted(whole_todo.items(), key=lambda item: item[0] is None):
        if view is not None:
            jobs.append((tuple(t.name for t in group), view))
        else:  # each on its own
            jobs += [((t.name,), None) for t in group]
    fresh: dict[str, Files] = {}
    early = _stager(stage)
    overlap = len(jobs) >= 2 and not os.environ.get("GEN_DEBUG")
    if not overlap:  # (with whole jobs to run, the keys and units' pieces are done while they run)
        look_up_units()
    if jobs or units_todo:
        serial = os.environ.get("GEN_DEBUG") or (not overlap and len(jobs) + len(units_todo) < 2)
        with Pool(spec, workers=1 if serial else workers) as pool:
            whole_futures = [pool.submit(_render_whole, names, view) for names, view in jobs]
            if overlap:
                look_up_units()
            size = max(1, min(BATCH, -(-len(units_todo) // (SPREAD * pool.workers))))
            batches = [tuple(units_todo[i:i + size]) for i in range(0, len(units_todo), size)]
            unit_futures = [pool.submit(_render_units, batch) for batch in batches]
            for files in got.whole.values():  # the reused pieces, while the workers render
                early(files)
            for by_target in got.units.values():
                for files in by_target.values():
                    early(files)
            for future in whole_futures:
                for name, files in future.result():
                    if isinstance(files, str):
                        raise TargetFailed(name, _Failure(files))
                    got.whole[name] = files
                    early(files)
                    if digests is not None:
                        fresh[digests.whole_key(name)] = files
            for future in unit_futures:
                for wire, by_target in future.result():
                    if isinstance(by_target, tuple):
                        raise TargetFailed(by_target[0], _Failure(by_target[1]))
                    got.units[wire] = by_target
                    for files in by_target.values():
                        early(files)
                    if digests is not None:
                        fresh[digests.unit_key(wire)] = _piece(by_target)
    rendered = sum(len(names) for names, _ in jobs) + len(units_todo)
    pieces = len(targets.TARGETS) + (len(spec.payloads) if has_units else 0)
    return Rendered(_assemble(spec, got), rendered, pieces, fresh)


def _stager(stage: Callable[[Files], None] | None) -> Callable[[Files], None]:
    """``stage``, given only the paths a target may write (the others fail the build in
    ``_assemble``, before anything is committed)."""
    if stage is None:
        return lambda files: None

    def early(files: Files) -> None:
        ok = {p: d for p, d in files.items() if not _refused(p)}
        if ok:
            stage(ok)

    return early


class _Failure(Exception):
    """A target's error, as text (it was raised in a worker)."""


def _assemble(spec: Spec, got: _Pieces) -> Files:
    """The tree: each target's files in registry order, payloads in spec order; raises
    ``TargetCollision`` for a path two targets write, a path the build owns, or a file
    where another path needs a folder."""
    out: Files = {}
    owner: dict[str, str] = {}

    def add(name: str, files: Files) -> None:
        for path, data in files.items():
            if path in out:
                raise TargetCollision(f"{name} and {owner[path]} both write {path}")
            out[path] = data
            owner[path] = name

    for target in targets.TARGETS:
        add(target.name, got.whole[target.name])
        if target.units:
            for payload in spec.payloads:
                add(target.name, got.units[payload.wire_name].get(target.name, {}))
    _check_tree(owner)
    return dict(sorted(out.items()))


def _refused(path: str) -> bool:
    """Whether no target may write ``path``: one the build owns, or not a plain relative path."""
    return path.split("/")[0] in (MANIFEST, CACHE_DIR) or not _safe_rel(path)


def _check_tree(owner: dict[str, str]) -> None:
    """Raise ``TargetCollision`` for a path the build owns or a file that another
    path needs as a folder."""
    for path, name in owner.items():
        if _refused(path):
            raise TargetCollision(f"{name} writes {path}, which the build itself owns (or is not a plain "
                                  "relative path)")
    for path, name in owner.items():
        parts = path.split("/")
        for i in range(1, len(parts)):
            folder = "/".join(parts[:i])
            if folder in owner:
                raise TargetCollision(f"{name} writes {path}, inside {folder}, which {owner[folder]} writes as a file")


def _failure_finding(out_dir: Path, exc: Exception) -> Finding:
    if isinstance(exc, TargetCollision):
        return Finding("target-collision", ERROR, f"{exc}; nothing was written", Location(out_dir.as_posix()),
                       "rename the path in one of the two targets (a template target's `out:`)")
    return Finding(
        "target-failed", ERROR, f"{exc}; nothing was written", Location(out_dir.as_posix()),
        "if the message does not point at the spec, this is a bug in the generator "
        "(re-run with GEN_DEBUG=1 for a traceback)",
    )


@dataclass
class Outcome:
    """What a build or a comparison found: findings, one summary line, and (``gen
    check``) a unified diff per changed file."""

    findings: list[Finding]
    summary: str = ""
    diffs: list[str] = field(default_factory=list)
    report: writer.Report | None = None  # what the writer did or found, when it ran

    @property
    def ok(self) -> bool:
        return not any(f.severity == ERROR for f in self.findings)


def build_output(spec: Spec, out_dir: Path | str, reuse: bool = True, parsed: ParsedFiles | None = None) -> Outcome:
    """Render (reusing the folder's verified pieces unless ``reuse`` is False) and
    write; then store ``parsed``, the spec files parsed for this build (when the spec
    was loaded with the folder's ``generator.parsed_cache.ParsedFiles``).  On any error
    finding nothing in ``out_dir`` changed, except that an interrupted earlier build is
    finished first (``generator.writer``)."""
    out_dir = Path(out_dir)
    try:
        with writer.Session(out_dir) as session:
            store = session.store() if reuse else None
            try:
                rendered = render(spec, store, stage=None if STAGE_LATE else session.stage,
                                  data_changed=parsed.data_changed if parsed is not None else None)
            except (TargetCollision, TargetFailed) as exc:
                if os.environ.get("GEN_DEBUG") and isinstance(exc, TargetFailed):
                    raise
                return Outcome([_failure_finding(out_dir, exc)])
            rep = session.commit(rendered.files)
            if store is not None:  # a build that failed changed nothing, its cache included
                for key, files in rendered.fresh.items():
                    store.put(key, files)
                store.keep_only()
            if parsed is not None:
                session.save_parsed(parsed)
    except writer.OutputError as exc:
        return Outcome(exc.findings)
    notes = [_at(out_dir, p, "stray", NOTE, "not written by the generator (left alone)") for p in rep.stray]
    notes += [_at(out_dir, p, "modified-kept", "warning",
                  "no longer generated, but edited since it was: kept",
                  "delete it if the edit is not needed") for p in rep.kept]
    if rep.recovered:
        notes.append(_at(out_dir, None, "interrupted", NOTE, f"an interrupted build was {rep.recovered} first"))
    what = "nothing rendered" if not rendered.rendered else f"rendered {rendered.rendered} of {rendered.pieces} pieces"
    summary = (f"gen build: {len(rep.written)} written, {len(rep.unchanged)} unchanged, "
               f"{len(rep.removed)} removed in {out_dir} ({what})")
    return Outcome(notes, summary, report=rep)


def compare_output(spec: Spec, out_dir: Path | str) -> Outcome:
    """Whether OUT is exactly what the spec produces; every difference is a finding.

    Renders everything afresh, never from the folder's pieces: the folder is untrusted,
    and pieces committed beside hand-edited files would otherwise make the gate call
    those files correct."""
    out_dir = Path(out_dir)
    try:
        files = render(spec).files
    except (TargetCollision, TargetFailed) as exc:
        if os.environ.get("GEN_DEBUG") and isinstance(exc, TargetFailed):
            raise
        return Outcome([_failure_finding(out_dir, exc)])
    try:
        rep = writer.compare(out_dir, files)
    except writer.OutputError as exc:
        return Outcome(exc.findings)
    if rep.interrupted:
        return Outcome([_at(out_dir, None, "interrupted", ERROR,
                            "holds an interrupted build (half old, half new files)",
                            "run `gen build` to finish it, then commit the result")],
                       f"gen: {out_dir} holds an interrupted build")
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


def files_of(spec: Spec) -> Files:
    """Every file ``gen build`` writes for ``spec``, in memory, ``MANIFEST.json``
    included."""
    return writer.with_manifest(render(spec).files)


def _at(out_dir: Path, rel: str | None, code: str, severity: str, message: str, help: str = "") -> Finding:
    """A finding about ``rel`` inside the output folder."""
    where = f"{out_dir.as_posix()}/{rel}" if rel else out_dir.as_posix()
    return Finding(code, severity, message, Location(where), help)

