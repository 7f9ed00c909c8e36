"""The build engine: regression cases for the six stale-output bugs of issue #22 (each an
edit after which the incremental build must equal a cold build), keys without source
positions, the verified piece store, the pool, and the journal of an interrupted build
(issue #25).  The random counterpart is ``tests/test_build_fuzz.py``."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import build_fuzz
import pytest
from _build_helpers import MINIMAL, ROOT, bundled_spec_dir

from generator import build, reuse, writer
from generator.pipeline import check_spec

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

_PAYLOADS = {
    "tag": "  - type: event\n    wire_name: tag\n    title: Tag\n    section: events\n    category: signin\n    fields:\n"
           "      - {name: Count, kind: integer, description: How many.}\n",
    "literal": "  - type: event\n    wire_name: literal\n    title: Literal\n    section: events\n    category: signin\n    fields:\n"
               "      - {name: Mode, kind: enumerated_string, values: [a, b], description: The mode.}\n",
    "tagged": "  - type: event\n    wire_name: tagged\n    title: Tagged\n    section: events\n    category: signin\n    fields:\n"
              "      - {name: Tags, kind: string_list, description: Names of built-in tags.,"
              " personal_data_note: Built-in names only.}\n"
              "      - {name: Kind, kind: enumerated_string, values: [x, y], description: The kind.}\n",
    "labelled": "  - type: event\n    wire_name: labelled\n    title: Labelled\n    section: events\n    category: signin\n    fields:\n"
                "      - {name: Tags, kind: string_list, description: Names of built-in labels.,"
                " personal_data_note: Built-in names only.}\n",
}


def _write(folder: Path, names: list[str], rename: dict[str, str] | None = None) -> Path:
    """The minimal spec's head with the payloads ``names`` (wire names renamed by ``rename``)."""
    head = (MINIMAL / "spec.yaml").read_text("utf-8").split("payloads:")[0]
    body = "".join(_PAYLOADS[n].replace(f"wire_name: {n}\n", f"wire_name: {(rename or {}).get(n, n)}\n") for n in names)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.yaml").write_text(head + "payloads:\n" + body, "utf-8")
    return folder


def _build(spec_dir: Path, out: Path) -> build.Outcome:
    spec, findings = check_spec(spec_dir)
    assert spec is not None, [str(f) for f in findings]
    outcome = build.build_output(spec, out)
    assert outcome.ok, [str(f) for f in outcome.findings]
    return outcome


def _assert_cold(spec_dir: Path, out: Path) -> dict[str, bytes]:
    spec, _ = check_spec(spec_dir)
    cold = build.files_of(spec)
    assert build_fuzz.on_disk(out) == cold
    return cold


def _edit_then_compare(tmp_path: Path, before: list[str], after: list[str], rename=None) -> dict[str, bytes]:
    spec_dir, out = tmp_path / "spec", tmp_path / "out"
    _build(_write(spec_dir, before), out)
    _build(_write(spec_dir, after, rename), out)
    return _assert_cold(spec_dir, out)


# --- the six bugs of issue #22 ------------------------------------------------------------


def test_bug1_a_renamed_wire_name_reaches_the_models_index(tmp_path):
    files = _edit_then_compare(tmp_path, ["tag", "tagged"], ["tag", "tagged"], rename={"tagged": "tagged_renamed"})
    init = files["models/__init__.py"].decode()
    assert '"tagged_renamed": TaggedRenamed' in init and '"tagged":' not in init


def _module(files: dict[str, bytes], wire: str) -> bytes:
    return files[f"models/_payloads/m_{wire}.py"]


def test_bug2_removing_a_payload_changes_no_other_payload_model(tmp_path):
    """Once an alias's name (``Tag1`` beside a class ``Tag``) depended on the other
    payloads; now each payload's model is generated from its own schema alone, so
    removing a payload leaves every other model module as it was."""
    spec_dir, out = tmp_path / "spec", tmp_path / "out"
    _build(_write(spec_dir, ["tag", "tagged"]), out)
    before = build_fuzz.on_disk(out)
    assert b"Tag = TypeAliasType" in _module(before, "tagged") and b"class Tag(" in _module(before, "tag")
    _build(_write(spec_dir, ["tagged"]), out)
    files = _assert_cold(spec_dir, out)
    assert _module(files, "tagged") == _module(before, "tagged") and "models/_payloads/m_tag.py" not in files


def test_bug3_the_literal_import_is_each_module_s_own(tmp_path):
    """A payload named ``literal`` is ``LiteralModel`` in its own module (beside
    ``typing.Literal``), exported as ``Literal``; removing it changes no other module."""
    spec_dir, out = tmp_path / "spec", tmp_path / "out"
    _build(_write(spec_dir, ["literal", "tagged"]), out)
    before = build_fuzz.on_disk(out)
    assert b"MODEL = LiteralModel" in _module(before, "literal")
    assert b"import MODEL as Literal\n" in before["models/payloads.py"]
    _build(_write(spec_dir, ["tagged"]), out)
    files = _assert_cold(spec_dir, out)
    assert _module(files, "tagged") == _module(before, "tagged")


def test_bug4_reordered_payloads_give_the_cold_package_and_it_imports(tmp_path):
    from _build_helpers import import_models

    files = _edit_then_compare(tmp_path, ["tagged", "labelled"], ["labelled", "tagged"])
    package = import_models({p: b for p, b in files.items() if p.startswith("models/")}, tmp_path / "import",
                            "reordered_models")
    assert list(package.MODELS) == ["labelled", "tagged"]
    assert package.MODELS["tagged"].model_validate({"tags": ["a"], "kind": "x"})


def test_bug5_any_generator_file_is_in_every_key(tmp_path, monkeypatch):
    """The code identity covers every file of the package (the copy's
    ``targets/models.py`` edited: another identity), and a new identity renders all."""
    import importlib.util

    copy = tmp_path / "generator"
    shutil.copytree(ROOT / "generator", copy, ignore=shutil.ignore_patterns("__pycache__"))
    loaded = importlib.util.spec_from_file_location("reuse_copy", copy / "reuse.py")
    module = importlib.util.module_from_spec(loaded)
    monkeypatch.setitem(sys.modules, "reuse_copy", module)
    loaded.loader.exec_module(module)
    first = module.code_identity()
    assert module.code_identity() == first
    (copy / "targets" / "models.py").write_text((copy / "targets" / "models.py").read_text() + "# edited\n")
    assert module.code_identity() != first


def test_bug5_a_new_code_identity_renders_every_piece(tmp_path, monkeypatch):
    spec, _ = check_spec(MINIMAL)
    out = tmp_path / "out"
    assert build.build_output(spec, out).ok
    monkeypatch.setattr(build, "code_identity", lambda: b"another generator")
    outcome = build.build_output(spec, out)
    assert "nothing rendered" not in outcome.summary and "rendered" in outcome.summary
    assert build_fuzz.on_disk(out) == build.files_of(spec)


@pytest.mark.parametrize("damage", ["other-piece", "truncated", "flipped", "unsafe-path", "not-a-file", "link"])
def test_bug6_a_piece_that_does_not_verify_is_not_used(tmp_path, damage):
    """A piece with another piece's bytes (parseable, another key), truncated, with one
    byte changed, re-signed but naming a path outside the folder, a folder or a link in
    its place: each is rendered again, and the output is the cold build's."""
    spec, _ = check_spec(MINIMAL)
    out = tmp_path / "out"
    assert build.build_output(spec, out).ok
    pieces = sorted((out / reuse.PIECES).iterdir())
    victim, other = pieces[0], pieces[1]
    data = victim.read_bytes()
    if damage == "other-piece":
        victim.write_bytes(other.read_bytes())
    elif damage == "truncated":
        victim.write_bytes(data[:-40])
    elif damage == "flipped":
        victim.write_bytes(data[:20] + bytes([data[20] ^ 1]) + data[21:])
    elif damage == "unsafe-path":
        victim.write_bytes(reuse.piece_bytes(victim.name, {"../escape.txt": b"x"}))
    elif damage == "not-a-file":
        victim.unlink()
        victim.mkdir()
    else:
        victim.unlink()
        (tmp_path / "elsewhere").write_bytes(data)
        victim.symlink_to(tmp_path / "elsewhere")
    assert reuse.parse_piece(victim.name, victim.read_bytes() if victim.is_file() and not victim.is_symlink() else b"") is None
    outcome = build.build_output(spec, out)
    assert outcome.ok and "rendered 1 of" in outcome.summary, outcome.summary
    assert build_fuzz.on_disk(out) == build.files_of(spec)
    assert not (tmp_path / "escape.txt").exists()


# --- keys hold no source positions ---------------------------------------------------------


def test_a_comment_line_or_a_moved_payload_renders_no_payload_again(tmp_path):
    spec_dir = tmp_path / "spec"
    shutil.copytree(bundled_spec_dir(), spec_dir)
    out = tmp_path / "out"
    _build(spec_dir, out)
    path = spec_dir / "30_server_configuration.yaml"
    path.write_text("# one more comment line\n" + path.read_text("utf-8"), "utf-8")
    assert "nothing rendered" in _build(spec_dir, out).summary
    head, blocks, tail = build_fuzz._blocks(path.read_text("utf-8"))
    path.write_text(head + "".join(blocks[1:]) + blocks[0] + tail, "utf-8")
    outcome = _build(spec_dir, out)
    from generator.targets import TARGETS

    assert f"rendered {len(TARGETS)} of" in outcome.summary, outcome.summary  # the whole targets, no payload
    _assert_cold(spec_dir, out)


def test_canonical_form_holds_every_field_but_positions():
    spec, _ = check_spec(MINIMAL)
    import dataclasses

    from generator.model import Location

    p = spec.payloads[0]
    moved = dataclasses.replace(p, location=Location(p.location.file, p.location.line + 7, 3))
    assert reuse.canonical(moved) == reuse.canonical(p)
    assert reuse.canonical(dataclasses.replace(p, location=Location("other.yaml", 1, 1))) != reuse.canonical(p)
    for name in ("description", "title", "version"):
        assert reuse.canonical(dataclasses.replace(p, **{name: "x"})) != reuse.canonical(p), name
    with pytest.raises(TypeError):
        reuse.canonical(object())


# --- the pool ---------------------------------------------------------------------------------


def test_pool_and_serial_builds_give_the_same_bytes(tmp_path, monkeypatch):
    spec, _ = check_spec(MINIMAL)
    pooled = build.render(spec, workers=2).files
    monkeypatch.setenv("GEN_NO_FORK", "1")
    assert build.render(spec).files == pooled


def _collector_state(spec):
    import gc

    return gc.isenabled(), gc.get_freeze_count()


def test_a_worker_keeps_its_cyclic_collector_and_freezes_what_it_inherits():
    """datamodel-code-generator leaves cyclic garbage after each run: a worker with the
    collector off grew by ~10 MiB per 64 payloads (265 MiB peak at 20,000 fields, over
    glean_parser's 270; ``benchmarks/bench_build.py``'s peak column).  The inherited
    objects are frozen, so the collector walks only what the worker makes."""
    from generator.background import Pool

    spec, _ = check_spec(MINIMAL)
    with Pool(spec, workers=2) as pool:
        assert pool.parallel  # (Linux, no other thread)
        enabled, frozen = pool.submit(_collector_state).result()
    assert enabled
    assert frozen > 10_000  # the build's own objects (the spec, every module)


# --- an interrupted build (issue #25) ----------------------------------------------------------

_KILLER = """
import os, signal, sys
from generator import writer
from generator.outdir import Folder
real = Folder.replace
count = [0]
after = int(sys.argv[1])
def replace(self, src, dst):
    real(self, src, dst)
    if not dst.startswith(".gen-cache"):
        count[0] += 1
        if count[0] == after:
            os.kill(os.getpid(), signal.SIGKILL)
Folder.replace = replace
from generator.cli import main
sys.argv = ["gen", "build", "--spec", sys.argv[2], "--out", sys.argv[3]]
main()
"""


def test_a_build_killed_while_replacing_files_is_reported_then_finished(tmp_path):
    """SIGKILL after the 5th file is renamed into place: the folder is half old, half
    new; ``gen check`` says it holds an interrupted build (not a list of files); the next
    ``gen build`` finishes it from the journal and says so; the result is the cold build."""
    spec_dir = _write(tmp_path / "spec", ["tag", "tagged"])
    out = tmp_path / "out"
    _build(spec_dir, out)
    _write(spec_dir, ["tag", "tagged"], rename={"tag": "tag_two", "tagged": "tagged_two"})
    r = subprocess.run([sys.executable, "-c", _KILLER, "5", str(spec_dir), str(out)], env=ENV, capture_output=True, check=False)
    assert r.returncode == -9
    assert (out / writer.JOURNAL).is_file()
    check = subprocess.run([sys.executable, "-m", "generator.cli", "check", "--spec", str(spec_dir), "--out", str(out)],
                           env=ENV, capture_output=True, text=True, check=False)
    assert check.returncode == 1 and "error[interrupted]" in check.stderr and "error[changed]" not in check.stderr
    again = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--spec", str(spec_dir), "--out", str(out)],
                           env=ENV, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and "an interrupted build was finished first" in again.stderr, again.stderr
    assert not (out / writer.JOURNAL).exists()
    _assert_cold(spec_dir, out)


def test_a_rename_that_fails_half_way_never_says_nothing_changed(tmp_path, monkeypatch):
    from generator.outdir import Folder

    spec_dir = _write(tmp_path / "spec", ["tag", "tagged"])
    out = tmp_path / "out"
    _build(spec_dir, out)
    _write(spec_dir, ["tag", "tagged"], rename={"tag": "tag_two"})
    real, count = Folder.replace, [0]

    def replace(self, src, dst):
        if not dst.startswith(".gen-cache"):
            count[0] += 1
            if count[0] == 3:
                raise PermissionError(13, "Permission denied", dst)
        real(self, src, dst)

    monkeypatch.setattr(Folder, "replace", replace)
    spec, _ = check_spec(spec_dir)
    outcome = build.build_output(spec, out)
    [finding] = outcome.findings
    assert finding.code == "write-failed" and "stopped half-way" in finding.message
    assert "nothing" not in finding.message and "gen build" in finding.help
    monkeypatch.undo()
    assert "interrupted" in [f.code for f in build.compare_output(spec, out).findings]
    _build(spec_dir, out)
    _assert_cold(spec_dir, out)


@pytest.mark.parametrize("name", ["MANIFEST.json", "README.md", "catalog.json", "spec.schema.json", ".gen-cache"])
def test_a_template_out_naming_a_built_in_file_is_a_collision_before_anything_is_written(tmp_path, name, monkeypatch):
    """(The spec's own load-time check may refuse these names first; the build refuses
    them itself, whatever the spec layer lets through.)"""
    import dataclasses

    from generator.model import Location, Outputs, TemplateFile, TemplateTarget

    spec, _ = check_spec(MINIMAL)
    target = TemplateTarget("clash", "templates/clash", name, "clashes", (TemplateFile("x.txt", "x"),), Location("spec.yaml"))
    clashing = dataclasses.replace(spec, outputs=Outputs(templates=(target,)))
    out = tmp_path / "out"
    outcome = build.build_output(clashing, out)
    assert [f.code for f in outcome.findings] == ["target-collision"], [str(f) for f in outcome.findings]
    assert not out.exists()
    assert build.build_output(spec, out).ok  # and the next build is a plain first build
    assert build_fuzz.on_disk(out) == build.files_of(spec)
