"""The build's head starts (#8): a worker forked before the spec loads, models slices
balanced by size, files staged while the slowest target still renders, and values
derived once per spec.  Each is a speed mechanism, so each is tested for what it must
never change: the bytes, and the folder when something fails."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from pathlib import Path

from _build_helpers import MINIMAL

from generator import background, build, writer
from generator.pipeline import check_spec
from generator.targets import TARGETS, Target, models


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _reaped(pid: int) -> bool:
    """Whether ``pid`` is gone (not even a zombie child of this process)."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return done == pid


# --- background.Worker ------------------------------------------------------------------


def _double(arg: bytes) -> bytes:
    return arg * 2


def _slow_setup_marker() -> None:
    """Setup that waits (up to 20 s) for the parent's marker file, then notes whether it
    came: the parent only writes it after ``submit`` returned."""
    marker = Path(os.environ["GEN_TEST_MARKER"])
    for _ in range(400):
        if marker.exists():
            break
        time.sleep(0.05)
    os.environ["GEN_TEST_SEEN"] = "1" if marker.exists() else "0"


def _seen(arg: bytes) -> bytes:
    return os.environ["GEN_TEST_SEEN"].encode() + arg[:3]


def test_a_worker_runs_its_job_after_setup_and_a_large_job_never_blocks_the_parent(tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    monkeypatch.setenv("GEN_TEST_MARKER", str(marker))
    worker = background.Worker.start(_slow_setup_marker)
    assert worker is not None
    job = b"abc" + b"x" * (4 << 20)  # far more than a pipe holds
    child = worker.submit(_seen, job)  # returns while the worker is still in setup
    marker.write_text("submitted")
    assert child is not None
    assert child.result() == b"1abc"  # setup saw the marker: submit did not wait for it


def test_a_worker_never_given_a_job_is_stopped_and_reaped():
    worker = background.Worker.start(lambda: None)
    assert worker is not None
    pid = worker._pid
    worker.cancel()
    assert _reaped(pid)
    assert worker.submit(_double, b"x") is None  # used up: the caller computes it


def test_a_worker_result_is_the_function_of_its_argument():
    worker = background.Worker.start(lambda: None)
    assert worker.submit(_double, b"ab").result() == b"abab"


# --- models: slices balanced by size ----------------------------------------------------


def test_slices_are_consecutive_cover_every_payload_and_balance_size_not_count():
    big = {"properties": {f"f{i}": {"type": "integer"} for i in range(50)}}
    small = {"properties": {"a": {"type": "integer"}}}
    defs = {f"Big{i}": big for i in range(10)} | {f"Small{i}": small for i in range(100)}
    slices = models.balanced_slices(defs, 2)
    assert [n for s in slices for n in s] == list(defs)  # consecutive, in order, all
    weight = [sum(len(str(defs[n])) for n in s) for s in slices]
    assert len(slices) == 2 and max(weight) < 0.6 * sum(weight)
    # by count, the first half would have held every big schema
    assert models.balanced_slices(defs, 1) == [list(defs)]
    assert models.balanced_slices({}, 3) == [[]]


# --- staging while rendering --------------------------------------------------------------


def test_files_are_staged_as_each_target_renders_and_the_models_render_last(tmp_path, monkeypatch):
    spec, _ = check_spec(MINIMAL)
    events: list[str] = []
    real_stage = writer.Session.stage
    real_render = Target.render

    def stage(self, files, read=frozenset()):
        events.append("stage")
        return real_stage(self, files, read)

    def render(self, spec, prefetched=None):
        events.append(self.name)
        return real_render(self, spec, prefetched)

    monkeypatch.setattr(writer.Session, "stage", stage)
    monkeypatch.setattr(Target, "render", render)
    monkeypatch.setattr("generator.targets.TARGETS", (TARGETS[-1], *TARGETS[:-1]))  # models first
    assert build.build_output(spec, tmp_path / "out").ok
    rendered = [e for e in events if e != "stage"]
    assert rendered[-1] == "models"  # the head-started target renders last
    assert events[1] == "stage" and events.count("stage") >= len(TARGETS)  # staged one by one


def test_a_target_failing_after_others_were_staged_changes_nothing(tmp_path, monkeypatch):
    import sys

    spec, _ = check_spec(MINIMAL)
    out = tmp_path / "out"
    assert build.build_output(spec, out).ok
    before = _snapshot(out)
    module = type(sys)("tests_late_failing_target")
    module.render = lambda _spec: (_ for _ in ()).throw(RuntimeError("late failure"))
    monkeypatch.setitem(sys.modules, "tests_late_failing_target", module)
    monkeypatch.setattr("generator.targets.TARGETS", (*TARGETS, Target("late", "fails last", "tests_late_failing_target")))
    changed = dataclasses.replace(spec, product=dataclasses.replace(spec.product, name="Changed Name"), _index={})
    outcome = build.build_output(changed, out)
    assert not outcome.ok and outcome.findings[0].code == "target-failed"
    assert _snapshot(out) == before  # staged files gone, nothing replaced
    assert not (out / writer.STAGE).exists()


def test_a_failed_first_build_leaves_no_folder_even_after_staging(tmp_path, monkeypatch):
    import sys

    spec, _ = check_spec(MINIMAL)
    module = type(sys)("tests_late_failing_target2")
    module.render = lambda _spec: (_ for _ in ()).throw(RuntimeError("late failure"))
    monkeypatch.setitem(sys.modules, "tests_late_failing_target2", module)
    monkeypatch.setattr("generator.targets.TARGETS", (*TARGETS, Target("late", "fails last", "tests_late_failing_target2")))
    assert not build.build_output(spec, tmp_path / "a" / "b" / "out").ok
    assert list(tmp_path.iterdir()) == []


# --- warm_up ------------------------------------------------------------------------------


def test_the_warm_worker_does_the_models_job_and_gives_the_same_bytes(tmp_path, monkeypatch):
    spec, _ = check_spec(MINIMAL)
    cold = tmp_path / "cold"
    monkeypatch.setenv("GEN_NO_FORK", "1")
    assert build.build_output(spec, cold).ok
    monkeypatch.delenv("GEN_NO_FORK")
    submitted = []
    real_submit = background.Worker.submit

    def submit(self, fn, arg):
        submitted.append(fn.__name__)
        return real_submit(self, fn, arg)

    monkeypatch.setattr(background.Worker, "submit", submit)
    warm = build.warm_up()
    assert set(warm.workers) == {"models"}
    assert build.build_output(spec, tmp_path / "warm", warm).ok
    assert submitted == ["_generate_spread"]
    assert _snapshot(tmp_path / "warm") == _snapshot(cold)
    assert warm.workers == {}


def test_a_spec_with_errors_stops_the_warm_worker(tmp_path):
    import subprocess
    import sys

    from _build_helpers import ROOT

    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    (spec_dir / "00.yaml").write_text("spec_format: 2\nproduct: [not, a, mapping]\n")
    code = (
        "import sys, os\n"
        "from generator import cli\n"
        "try:\n"
        "    cli.main(['build', '--spec', sys.argv[1], '--out', sys.argv[2]])\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "try:\n"
        "    os.waitpid(-1, os.WNOHANG)\n"
        "    print('child left', code)\n"
        "except ChildProcessError:\n"
        "    print('no child', code)\n"
    )
    r = subprocess.run([sys.executable, "-c", code, str(spec_dir), str(tmp_path / "out")], capture_output=True,
                       text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120, check=False)
    assert r.stdout.strip() == "no child 1", r.stdout + r.stderr
    assert not (tmp_path / "out").exists()


# --- Spec.memo ----------------------------------------------------------------------------


def test_a_memo_belongs_to_one_spec_object_even_when_replace_shares_its_cache():
    spec, _ = check_spec(MINIMAL)
    assert spec.memo("k", lambda: "first") == "first"
    assert spec.memo("k", lambda: "second") == "first"  # once per object
    other = dataclasses.replace(spec)  # shares ``_index``
    assert other._index is spec._index
    assert other.memo("k", lambda: "other") == "other"  # never another object's value


def test_no_generator_module_is_over_600_lines():
    """#8: modules stay small enough to read; split one that grows past this."""
    from _build_helpers import ROOT

    long = {p.relative_to(ROOT).as_posix(): n for p in (ROOT / "generator").rglob("*.py")
            if (n := len(p.read_text("utf-8").splitlines())) > 600}
    assert long == {}


# --- targets rendered apart ---------------------------------------------------------------


def test_targets_rendered_apart_in_a_child_give_the_bytes_of_an_in_process_build(tmp_path, monkeypatch):
    spec, _ = check_spec(MINIMAL)
    apart = [t.name for t in TARGETS if "apart" in t.hooks]
    assert {"docs-rst", "docs-md", "docs-html"} <= set(apart)
    started = []
    real_start = background.Child.start

    def start(fn, arg):
        child = real_start(fn, arg)
        started.append(child is not None)
        return child

    monkeypatch.setattr(build.Child, "start", start)
    forked = build.render(spec).files
    assert started and all(started)  # the models' child and the apart child
    monkeypatch.setenv("GEN_NO_FORK", "1")
    assert build.render(spec).files == forked


def test_an_apart_target_that_fails_in_the_child_is_reported_by_the_build(tmp_path, monkeypatch):
    from generator.targets import docs_md

    spec, _ = check_spec(MINIMAL)
    monkeypatch.setattr(docs_md, "render", lambda _spec: 1 / 0)
    outcome = build.build_output(spec, tmp_path / "out")
    assert not outcome.ok
    [finding] = outcome.findings
    assert finding.code == "target-failed" and "target docs-md failed" in finding.message
    assert not (tmp_path / "out").exists()


def test_the_warm_worker_cuts_the_last_models_file_ahead_and_the_edit_uses_it(tmp_path, monkeypatch):
    """While the spec loads, the models' worker cuts the folder's last ``payloads.py``;
    a one-payload edit then uses those pieces (the file is cut once, in ``warm``) and the
    bytes are a cold build's."""
    import shutil

    from _build_helpers import bundled_spec_dir

    from generator.targets import models_partial

    spec_dir = tmp_path / "spec"
    shutil.copytree(bundled_spec_dir(), spec_dir)
    out, cold = tmp_path / "out", tmp_path / "cold"
    spec, _ = check_spec(spec_dir)
    assert build.build_output(spec, out).ok
    old = (out / "models" / "payloads.py").read_text()
    log = tmp_path / "cuts.log"
    real_cut = models_partial.cut

    def cut(code, placeholder):  # runs in the forked worker: it logs to a file
        with open(log, "a") as fh:
            fh.write(f"{'old' if code == old else 'other'}\n")
        return real_cut(code, placeholder)

    monkeypatch.setattr(models_partial, "cut", cut)
    target = spec_dir / "10_security_update_check.yaml"
    target.write_text(target.read_text().replace("description: server operating system",
                                                 "description: server operating system (warm)", 1))
    warm = build.warm_up(out)
    edited, _ = check_spec(spec_dir)
    assert build.build_output(edited, out, warm).ok
    assert log.read_text().split().count("old") == 1  # cut once, ahead, and used
    monkeypatch.setattr(models_partial, "cut", real_cut)
    assert build.build_output(edited, cold).ok
    def generated(folder):
        return {k: v for k, v in _snapshot(folder).items() if not k.startswith(".gen-cache/")}

    assert generated(out) == generated(cold)


def test_a_warmed_cut_of_another_file_is_not_used(tmp_path):
    """The job uses what ``warm`` cut only for the very file the build checked."""
    import pickle

    good = "from __future__ import annotations\n\nfrom pydantic import Field\n"
    warmed = ("0" * 64, "pieces of some other file")
    arg = pickle.dumps((b"", good.encode()))
    new, old = pickle.loads(models._partial_job(arg, warmed))
    assert new is None and old != "pieces of some other file"


def test_warm_cuts_only_the_models_file_the_last_build_recorded(tmp_path):
    spec, _ = check_spec(MINIMAL)
    out = tmp_path / "out"
    assert build.build_output(spec, out).ok
    warmed = models.warm(out)
    assert warmed is not None and warmed[0] == hashlib.sha256((out / "models" / "payloads.py").read_bytes()).hexdigest()
    (out / "models" / "payloads.py").write_text("x = (" * 200000)  # edited by hand: never parsed
    assert models.warm(out) is None
    assert models.warm(tmp_path / "nowhere") is None


def test_spec_digests_are_stable_across_loads_and_see_each_change():
    import pickle

    from generator import reuse
    from generator.kinds import KINDS

    first, _ = check_spec(MINIMAL)
    again, _ = check_spec(MINIMAL)
    assert reuse.spec_digests(first) == reuse.spec_digests(again)
    rest, payloads = reuse.spec_digests(first)
    p0 = first.payloads[0]
    f0 = dataclasses.replace(p0.fields[0], description=p0.fields[0].description + " (edited)")
    edited = dataclasses.replace(first, payloads=(dataclasses.replace(p0, fields=(f0, *p0.fields[1:])),
                                                  *first.payloads[1:]), _index={})
    rest2, payloads2 = reuse.spec_digests(edited)
    assert rest2 == rest and payloads2[p0.wire_name] != payloads[p0.wire_name]
    assert all(payloads2[w] == d for w, d in payloads.items() if w != p0.wire_name)
    renamed = dataclasses.replace(first, product=dataclasses.replace(first.product, name="Other"), _index={})
    assert reuse.spec_digests(renamed)[0] != rest
    # a kind pickles by id when it is one of KINDS, whole otherwise
    kind = KINDS["count"]
    assert pickle.loads(pickle.dumps(kind)) is kind
    odd = dataclasses.replace(kind, title="Not the constant")
    assert pickle.loads(pickle.dumps(odd)) == odd and pickle.dumps(odd) != pickle.dumps(kind)
