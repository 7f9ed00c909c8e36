"""Hostile template targets (issue 25): a spec arrives in a pull request, so the
template folders it names and the templates in them are untrusted.

Each attack runs on a hashed sandbox (``_sandbox``): the spec, the output folder and an
"outside" folder holding a secret.  Nothing outside the output folder may change, the
secret must never appear in what ``gen`` prints or writes, and every refusal is a
finding at load time (before anything renders) or a failed render naming the template.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from _sandbox import changed_outside, snapshot
from click.testing import CliRunner

import generator
from generator.cli import main
from generator.outputs import BUILTIN_OUTPUTS
from generator.targets import template_budget

ROOT = Path(__file__).resolve().parent.parent
DOWNSTREAM_SPEC = ROOT / "tests" / "downstream_spec" / "spec.yaml"
SECRET = "AKIA-very-secret-credential-1234"


@pytest.fixture
def sandbox(tmp_path):
    """``tmp_path`` with ``repo/spec`` (the fixture spec), ``repo/generated`` and
    ``secret/creds.yml`` (outside the repository); yields the root, then checks that
    nothing but ``repo/generated`` changed."""
    spec = tmp_path / "repo" / "spec"
    spec.mkdir(parents=True)
    shutil.copy(DOWNSTREAM_SPEC, spec / "spec.yaml")
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "creds.yml").write_text(f"password: {SECRET}\n")
    yield tmp_path


def _outputs(spec: Path, targets: list[dict]) -> None:
    (spec / "outputs.yaml").write_text(yaml.safe_dump({"spec_format": 2, "outputs": {"templates": targets}}))


def _gen(*args: str):
    return CliRunner().invoke(main, list(args))


def _run_hashed(root: Path, *args: str, output: str = "repo/generated"):
    """Run ``gen ARGS`` and return its result, asserting that nothing outside
    ``output`` changed and the secret was not printed."""
    before = snapshot(root)
    r = _gen(*args)
    assert changed_outside(before, snapshot(root), output) == {}
    assert SECRET not in r.output
    assert "Traceback" not in r.output
    return r


# --- template folders stay inside the spec folder -------------------------------------


@pytest.mark.parametrize("how", ["dotdot", "absolute", "linked-folder", "linked-parent", "link-inside-dir", "link-inside-file"])
def test_template_folder_outside_or_linked_is_a_finding_at_load_time(sandbox, how):
    spec = sandbox / "repo" / "spec"
    secret = sandbox / "secret"
    folder = {"dotdot": "../../secret", "absolute": str(secret)}.get(how, "templates/t")
    if how == "linked-folder":
        (spec / "templates").mkdir()
        os.symlink("../../../secret", spec / "templates" / "t")
    elif how == "linked-parent":
        os.symlink("../../secret", spec / "templates")
        folder = "templates"
    elif how in ("link-inside-dir", "link-inside-file"):
        (spec / "templates" / "t").mkdir(parents=True)
        (spec / "templates" / "t" / "ok.txt").write_text("fine\n")
        target = "../../../../secret" + ("" if how == "link-inside-dir" else "/creds.yml")
        os.symlink(target, spec / "templates" / "t" / ("sub" if how == "link-inside-dir" else "creds.yml"))
    _outputs(spec, [{"name": "leak", "folder": folder, "out": "leak"}])
    # The attack of the issue: a stale copy of the leaked file is committed.
    (sandbox / "repo" / "generated" / "leak").mkdir(parents=True)
    (sandbox / "repo" / "generated" / "leak" / "creds.yml").write_text("password: old\n")
    out = sandbox / "repo" / "generated"
    r = _run_hashed(sandbox, "check", "--spec", str(spec), "--out", str(out))
    assert r.exit_code == 1
    assert "error[unsafe-path]" in r.output, r.output
    assert "link" in r.output or "leaves the spec folder" in r.output or "absolute path" in r.output
    assert "help:" in r.output
    r = _run_hashed(sandbox, "build", "--spec", str(spec), "--out", str(out))
    assert r.exit_code == 1 and "nothing was written" in r.output
    assert (out / "leak" / "creds.yml").read_text() == "password: old\n"
    assert not (out / "MANIFEST.json").exists()


def test_a_template_folder_inside_the_spec_folder_still_builds(sandbox):
    spec = sandbox / "repo" / "spec"
    (spec / "templates" / "t" / "sub").mkdir(parents=True)
    (spec / "templates" / "t" / "sub" / "names.txt.j2").write_text("{% for p in payloads %}{{ p.wire_name }}\n{% endfor %}")
    _outputs(spec, [{"name": "t", "folder": "./templates/t/", "out": "custom"}])
    out = sandbox / "repo" / "generated"
    r = _run_hashed(sandbox, "build", "--spec", str(spec), "--out", str(out))
    assert r.exit_code == 0, r.output
    assert (out / "custom" / "sub" / "names.txt").read_text() == "install\nlegacy_sync\ndaily\n"


def test_check_never_prints_a_file_the_generator_did_not_write(sandbox):
    """A file below the output folder that no build wrote (here: a secret someone
    committed there) is reported by name only, never shown in the diff."""
    spec = sandbox / "repo" / "spec"
    out = sandbox / "repo" / "generated"
    assert _gen("build", "--spec", str(spec), "--out", str(out)).exit_code == 0
    shutil.copy(sandbox / "secret" / "creds.yml", out / "docs" / "creds.yml")
    r = _run_hashed(sandbox, "check", "--spec", str(spec), "--out", str(out))
    assert r.exit_code == 1 and "docs/creds.yml" in r.output


def test_check_never_diffs_a_file_at_a_generated_path_that_no_build_wrote(sandbox):
    """A file where a template target will write, but which no build wrote (not in the
    manifest; here it holds the secret): ``changed``, named, its content not shown."""
    spec = sandbox / "repo" / "spec"
    (spec / "templates" / "t").mkdir(parents=True)
    (spec / "templates" / "t" / "creds.txt").write_text("password: placeholder\n")
    _outputs(spec, [{"name": "t", "folder": "templates/t", "out": "leak"}])
    out = sandbox / "repo" / "generated"
    assert _gen("build", "--spec", str(spec), "--out", str(out)).exit_code == 0
    manifest = json.loads((out / "MANIFEST.json").read_text())
    del manifest["files"]["leak/creds.txt"]
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.copy(sandbox / "secret" / "creds.yml", out / "leak" / "creds.txt")
    r = _run_hashed(sandbox, "check", "--spec", str(spec), "--out", str(out))
    assert r.exit_code == 1 and "leak/creds.txt: error[changed]" in r.output, r.output
    assert "leak/creds.txt: not shown (no build wrote this file" in r.output, r.output


# --- template outputs never collide with the built-in ones ----------------------------


@pytest.mark.parametrize("out", ["MANIFEST.json", "catalog.json", "README.md", "spec.schema.json", "docs",
                                 "schemas/x", "readme.md", "warehouse/spark", "__init__.py"])
def test_an_out_naming_a_builtin_output_is_a_target_collision_before_anything_renders(sandbox, out):
    spec = sandbox / "repo" / "spec"
    (spec / "templates" / "t").mkdir(parents=True)
    (spec / "templates" / "t" / "a.txt.j2").write_text("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}")
    _outputs(spec, [{"name": "t", "folder": "templates/t", "out": out}])
    dest = sandbox / "repo" / "generated"
    started = time.monotonic()
    r = _run_hashed(sandbox, "build", "--spec", str(spec), "--out", str(dest))
    assert time.monotonic() - started < 10  # refused at load time: the template never ran
    assert r.exit_code == 1 and "error[target-collision]" in r.output and "outputs.yaml:" in r.output, r.output
    assert "nothing was written" in r.output and not dest.exists()


def test_builtin_outputs_list_every_top_level_name_a_build_writes(tmp_path):
    files = generator.build_files(generator.load_spec(ROOT / "spec"))
    tops = {path.split("/", 1)[0] for path in files}
    assert tops <= BUILTIN_OUTPUTS, tops - BUILTIN_OUTPUTS


# --- budgets ---------------------------------------------------------------------------

WORST = {
    "nested-loops": "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "huge-string": "{{ 'x' * 2000000000 }}",
    "huge-list": "{{ ([1] * 100000) * 100000 }}",
    "power": "{{ 10 ** 100000000 }}",
    "format-width": "{{ '{:>2000000000}'.format(1) }}",
    "percent-width": "{{ '%2000000000d' % 1 }}",
    "center-filter": "{{ 'x' | center(2000000000) }}",
    "replace-amplifies": "{% set s = 'x' * 4000000 %}{{ s.replace('x', 'yyyyyyyyyy') }}",
    "join-amplifies": "{{ range(100000) | join('x' * 1000000) }}",
    "doubling-concat": "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
    "printing-loop": "{% for i in range(100000) %}{% for j in range(100000) %}{{ 'y' * 1000 }}{% endfor %}{% endfor %}",
    "recursive-loop": "{% for i in range(1) recursive %}{% if loop.depth < 3 %}{{ loop(range(100000)) }}{% endif %}{% endfor %}",
    "literal-in-set": "{% set big %}{% for i in range(100000) %}{% for j in range(100) %}" + "z" * 5000 + "{% endfor %}{% endfor %}{% endset %}{{ big | length }}",
}


MEMORY_LIMIT = 1536 * 1024 * 1024  # the address space gen gets: far below what the worst templates would take


def _limited() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


@pytest.mark.parametrize("name", sorted(WORST))
def test_the_worst_templates_fail_with_a_finding_in_seconds(sandbox, name):
    """Each fails with a finding naming the template's line, in seconds, and within
    1.5 GB of address space: the budgets refuse before allocating, not after."""
    spec = sandbox / "repo" / "spec"
    (spec / "templates" / "t").mkdir(parents=True)
    (spec / "templates" / "t" / "bad.txt.j2").write_text("line one\n" + WORST[name] + "\n")
    _outputs(spec, [{"name": "t", "folder": "templates/t", "out": "custom"}])
    out = sandbox / "repo" / "generated"
    before = snapshot(sandbox)
    started = time.monotonic()
    proc = subprocess.run([str(Path(sys.executable).with_name("gen")), "build", "--spec", str(spec), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False, preexec_fn=_limited)
    took = time.monotonic() - started
    output = proc.stdout + proc.stderr
    assert changed_outside(before, snapshot(sandbox), "repo/generated") == {}
    assert proc.returncode == 1, output
    assert "template target 't'" in output and "templates/t/bad.txt.j2:2" in output, output
    assert "budget" in output or "the limit is" in output, output
    assert "MemoryError" not in output and "Traceback" not in output, output
    assert took < template_budget.MAX_SECONDS, took
    assert not out.exists() or not any(out.rglob("*.json"))


def test_templates_within_the_budgets_render_as_before(sandbox):
    """The guard changes no output: loops, concatenation, format, filters, escaping."""
    spec = sandbox / "repo" / "spec"
    (spec / "templates" / "t").mkdir(parents=True)
    (spec / "templates" / "t" / "ok.txt.j2").write_text(
        "{% for p in payloads %}{{ p.wire_name ~ '!' }} {{ '%03d' % loop.index }} {{ '{:>4}'.format(p.fields | length) }}"
        " {{ p.fields | map(attribute='wire_key') | join(',') | replace('_', '-') | center(3) }}\n{% endfor %}"
        "{{ 'ab' * 3 }} {{ [1, 2] + [3] }} {{ 2 ** 10 }} {{ range(3) | sum }}"
        "{% for i in [1, [2, 3]] recursive %}{{ loop(i) if i is iterable else i }}{% endfor %}\n"
    )
    _outputs(spec, [{"name": "t", "folder": "templates/t", "out": "custom"}])
    files = generator.build_files(generator.load_spec(spec))
    text = files["custom/ok.txt"].decode()
    assert text.startswith("install! 001    3 package,options,schema-version") or "install! 001" in text, text
    assert text.endswith("ababab [1, 2, 3] 1024 3123\n"), text
