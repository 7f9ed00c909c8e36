"""Template targets declared in a spec (``outputs.templates``): rendered with the docs'
view and escaping, written and drift-checked like every target, errors reported with
file:line, and the two shipped examples (examples/templates/) compile: ``tsc --noEmit
--strict`` for the TypeScript events, ``go vet`` for the Go structs.  The compilers are
skipped only outside CI (``.ci/run`` installs both)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from _ci import skip_or_fail
from click.testing import CliRunner

import generator
from generator.cli import main
from generator.targets.escape import md_text

ROOT = Path(__file__).resolve().parent.parent
DOWNSTREAM_SPEC = ROOT / "tests" / "downstream_spec" / "spec.yaml"
EXAMPLES = ROOT / "examples" / "templates"


def _tool(name: str) -> str:
    """The compiler's path; a missing one fails under CI and skips elsewhere."""
    local = ROOT / "node_modules" / ".bin" / name
    found = str(local) if local.is_file() else shutil.which(name)
    if found is None:
        skip_or_fail(f"{name} is not installed; .ci/run installs it")
    return found


def make_spec(tmp_path: Path, outputs: dict, templates: dict[str, dict[str, str]] | None = None) -> Path:
    """The downstream fixture spec plus an ``outputs`` file, in ``tmp_path/spec``;
    ``templates`` maps a folder name under ``tmp_path/spec/templates`` to its files
    (template folders live inside the spec folder)."""
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy(DOWNSTREAM_SPEC, spec_dir / "spec.yaml")
    for folder, files in (templates or {}).items():
        for rel, text in files.items():
            path = spec_dir / "templates" / folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    (spec_dir / "outputs.yaml").write_text(yaml.safe_dump({"spec_format": 2, "outputs": outputs}), "utf-8")
    return spec_dir


def _examples_outputs(spec_dir: Path) -> dict:
    """The two shipped examples as template targets, copied into the spec folder
    (template folders must be inside it)."""
    for name in ("typescript", "go"):
        shutil.copytree(EXAMPLES / name, spec_dir / "templates" / name, dirs_exist_ok=True)
    return {
        "templates": [
            {"name": "ts", "folder": "templates/typescript", "out": "ts"},
            {"name": "go", "folder": "templates/go", "out": "gopkg"},
        ]
    }


# --- the shipped examples compile ------------------------------------------------------


def _compile_typescript(path: Path) -> None:
    result = subprocess.run(
        [_tool("tsc"), "--noEmit", "--strict", "--target", "es2020", str(path)],
        check=False, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _vet_go(folder: Path) -> None:
    go = _tool("go")
    env = {**os.environ, "GOFLAGS": "", "GO111MODULE": "off", "GOCACHE": str(folder / ".gocache")}
    env.setdefault("HOME", str(folder))
    files = sorted(p.name for p in folder.glob("*.go"))
    result = subprocess.run([go, "vet", *files], cwd=folder, env=env, check=False, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def bundled_with_examples(tmp_path: Path) -> Path:
    """The bundled spec, copied, plus the two examples as its template targets; built."""
    spec_dir = tmp_path / "spec"
    shutil.copytree(ROOT / "spec", spec_dir)
    outputs = {"package": "mattermost_telemetry", **_examples_outputs(spec_dir)}
    (spec_dir / "90_outputs.yaml").write_text(yaml.safe_dump({"spec_format": 2, "outputs": outputs}), "utf-8")
    out = tmp_path / "out"
    generator.build_into(generator.load_spec(spec_dir), out)
    return out


@pytest.fixture(scope="module")
def bundled_out(tmp_path_factory) -> Path:
    return bundled_with_examples(tmp_path_factory.mktemp("bundled"))


def test_bundled_examples_compile(bundled_out):
    ts = (bundled_out / "ts" / "events.ts").read_text("utf-8")
    assert '"login_saml_success",' in ts and "export interface EventProperties {" in ts
    go = (bundled_out / "gopkg" / "telemetry.go").read_text("utf-8")
    assert 'PayloadConfigService = "config_service"' in go and "type ConfigService struct {" in go
    _compile_typescript(bundled_out / "ts" / "events.ts")
    _vet_go(bundled_out / "gopkg")


def test_examples_compile_for_optional_renamed_and_list_fields(tmp_path):
    spec_dir = make_spec(tmp_path, {})
    (spec_dir / "outputs.yaml").write_text(yaml.safe_dump({"spec_format": 2, "outputs": _examples_outputs(spec_dir)}), "utf-8")
    out = tmp_path / "out"
    generator.build_into(generator.load_spec(spec_dir), out)
    ts = (out / "ts" / "events.ts").read_text("utf-8")
    assert 'readonly "options"?: readonly string[];' in ts
    assert 'readonly "schema"?: "v1" | "v2";' in ts
    assert 'readonly "class"?: boolean;' in ts and 'readonly "package": string;' in ts
    assert "legacy_flag\"?: boolean; " not in ts  # (a field's own limit is printed)
    go = (out / "gopkg" / "telemetry.go").read_text("utf-8")
    assert 'Ratio *float64 `json:"ratio,omitempty"`' in go and 'Commands int64 `json:"commands"`' in go
    _compile_typescript(out / "ts" / "events.ts")
    _vet_go(out / "gopkg")


def test_a_broken_example_fails_the_compilers(tmp_path, bundled_out):
    """The compile checks can fail: a type error in each output is caught."""
    bad_ts = tmp_path / "bad.ts"
    bad_ts.write_text((bundled_out / "ts" / "events.ts").read_text("utf-8") + "\nconst x: EventName = 'not_an_event';\n")
    with pytest.raises(AssertionError):
        _compile_typescript(bad_ts)
    (tmp_path / "go").mkdir()
    text = (bundled_out / "gopkg" / "telemetry.go").read_text("utf-8")
    (tmp_path / "go" / "telemetry.go").write_text(text.replace('`json:"enable_commands"`', '`json:enable_commands`'))
    with pytest.raises(AssertionError):
        _vet_go(tmp_path / "go")


# --- rendering: the docs' view and escaping --------------------------------------------

CONTEXT_TEMPLATE = """\
{% for f in view.features %}{{ f.title }} {{ f.field_count }}
{% endfor %}
{% for p in payloads %}{{ p.wire_name }}:{% for f in p.fields %} {{ f.wire_key }}/{{ f.json_type }}/{{ f.required }}{% endfor %}
{% endfor %}
records={{ records | length }} events={{ events | length }} package={{ package }} product={{ product.name }}
"""


def test_context_view_and_escaping_by_suffix(tmp_path):
    title = "Usage *stars* <b>"
    spec_dir = make_spec(
        tmp_path,
        {"package": "gadget_tel", "templates": [{"name": "t", "folder": "templates/t", "out": "custom"}]},
        {"t": {"list.txt.j2": CONTEXT_TEMPLATE, "list.md.j2": "{{ view.features[0].title }}\n",
               "list.html.j2": "{{ view.features[0].title }}\n", "static.cfg": "kept {{ as is }}\n",
               "code.ts.j2": "// {{ view.features[0].title | comment }}\nconst t = {{ view.features[0].title | json_string }};\n"}},
    )
    text = (spec_dir / "spec.yaml").read_text("utf-8").replace("title: Usage\n", f"title: '{title}'\n")
    (spec_dir / "spec.yaml").write_text(text, "utf-8")
    spec = generator.load_spec(spec_dir)
    files = generator.build_files(spec)
    txt = files["custom/list.txt"].decode()
    assert txt.startswith(f"{title} ")  # code/text: printed as is
    assert "install: package/string/True options/array/False" in txt
    assert "legacy_flag/boolean/False" in txt  # version-limited: not required
    assert "records=1 events=2 package=gadget_tel product=Gadget CLI" in txt
    assert files["custom/list.md"] == (md_text(title) + "\n").encode()  # the docs' Markdown escaping
    assert md_text(title) != title
    assert files["custom/list.html"] == b"Usage *stars* &lt;b&gt;\n"  # autoescape
    assert files["custom/static.cfg"] == b"kept {{ as is }}\n"  # not a template: copied
    assert files["custom/code.ts"].decode() == f"// {title}\nconst t = {json.dumps(title)};\n"
    manifest = json.loads(files["MANIFEST.json"])
    assert all(f"custom/{n}" in json.dumps(manifest) for n in ("list.txt", "list.md", "static.cfg"))


def test_written_manifested_and_drift_checked(tmp_path):
    spec_dir = make_spec(
        tmp_path,
        {"templates": [{"name": "t", "folder": "templates/t", "out": "custom"}]},
        {"t": {"names.txt.j2": "{% for p in payloads %}{{ p.wire_name }}\n{% endfor %}"}},
    )
    out = tmp_path / "out"
    runner = CliRunner()
    r = runner.invoke(main, ["build", "--spec", str(spec_dir), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert (out / "custom" / "names.txt").read_text() == "install\nlegacy_sync\ndaily\n"
    assert runner.invoke(main, ["check", "--spec", str(spec_dir), "--out", str(out)]).exit_code == 0
    # A hand edit of the output is drift.
    (out / "custom" / "names.txt").write_text("edited\n")
    r = runner.invoke(main, ["check", "--spec", str(spec_dir), "--out", str(out)])
    assert r.exit_code == 1 and "custom/names.txt: error[changed]" in r.output
    runner.invoke(main, ["build", "--spec", str(spec_dir), "--out", str(out)])
    # So is a template edit (the template is part of the spec's model, so nothing stale is reused).
    (spec_dir / "templates" / "t" / "names.txt.j2").write_text("{{ payloads | length }}\n")
    r = runner.invoke(main, ["check", "--spec", str(spec_dir), "--out", str(out)])
    assert r.exit_code == 1 and "custom/names.txt: error[changed]" in r.output
    assert runner.invoke(main, ["build", "--spec", str(spec_dir), "--out", str(out)]).exit_code == 0
    assert (out / "custom" / "names.txt").read_text() == "3\n"
    # Dropping the target removes its files, as for any target.
    (spec_dir / "outputs.yaml").write_text("spec_format: 2\noutputs: {}\n")
    assert runner.invoke(main, ["build", "--spec", str(spec_dir), "--out", str(out)]).exit_code == 0
    assert not (out / "custom" / "names.txt").exists()


# --- errors: clear, located, nothing written -------------------------------------------


def _check(spec_dir: Path, out: Path | None = None):
    args = ["check", "--spec", str(spec_dir)] + (["--out", str(out)] if out else ["--out", str(spec_dir.parent / "nowhere")])
    return CliRunner().invoke(main, args)


@pytest.mark.parametrize(
    ("outputs", "templates", "expected"),
    [
        ({"templates": [{"name": "t", "folder": "templates/missing", "out": "x"}]}, {},
         ["outputs.yaml:", "error[invalid-value]: template folder 'templates/missing' does not exist", "help: create the folder"]),
        ({"templates": [{"name": "t", "folder": "templates/t", "out": "x"}]}, {"t": {"a.txt.j2": "ok\n{% for x in y %}\n"}},
         ["templates/t/a.txt.j2:2:1: error[invalid-value]: template syntax error"]),
        ({"templates": [{"name": "t", "folder": "templates/t", "out": "x"}, {"name": "t", "folder": "templates/t", "out": "y"}]},
         {"t": {"a.txt": "a"}}, ["error[duplicate-id]: template target 't' is already declared"]),
        ({"templates": [{"name": "a", "folder": "templates/t", "out": "x"}, {"name": "b", "folder": "templates/t", "out": "x/y"}]},
         {"t": {"a.txt": "a"}}, ["error[invalid-value]: template target 'b' writes to 'x/y', which overlaps 'x', the output folder of template target 'a'"]),
        ({"templates": [{"name": "t", "folder": "templates/t", "out": "../up"}]}, {"t": {"a.txt": "a"}},
         ["error[invalid-value]", "out"]),
        ({"templates": [{"name": "t", "folder": "templates/t", "out": "x"}]}, {"t": {"-bad.txt": "a"}},
         ["error[invalid-name]: template file '-bad.txt' does not give a safe output file name"]),
        ({"package": "Not-A-Name"}, {}, ["error[invalid-value]", "package"]),
    ],
    ids=["missing-folder", "syntax-error", "duplicate-name", "overlapping-out", "unsafe-out", "unsafe-file", "bad-package"],
)
def test_spec_errors_are_located(tmp_path, outputs, templates, expected):
    spec_dir = make_spec(tmp_path, outputs, templates)
    r = _check(spec_dir)
    assert r.exit_code == 1, r.output
    for text in expected:
        assert text in r.output, r.output
    assert "Traceback" not in r.output


def test_render_errors_name_the_template_line_and_write_nothing(tmp_path):
    spec_dir = make_spec(
        tmp_path,
        {"templates": [{"name": "t", "folder": "templates/t", "out": "custom"}]},
        {"t": {"a.txt.j2": "line one\n{{ no_such_name }}\n", "b.txt": "b"}},
    )
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["build", "--spec", str(spec_dir), "--out", str(out)])
    assert r.exit_code == 1
    assert "template target 't'" in r.output and "templates/t/a.txt.j2:2" in r.output
    assert "'no_such_name' is undefined" in r.output and "nothing was written" in r.output
    assert not out.exists() or not any(out.rglob("*.json"))


def test_templates_cannot_reach_outside_the_model(tmp_path):
    spec_dir = make_spec(
        tmp_path,
        {"templates": [{"name": "t", "folder": "templates/t", "out": "custom"}]},
        {"t": {"a.txt.j2": "{{ spec.__class__.__init__.__globals__ }}\n"}},
    )
    r = CliRunner().invoke(main, ["build", "--spec", str(spec_dir), "--out", str(tmp_path / "out")])
    assert r.exit_code == 1 and "template target 't'" in r.output, r.output


def test_collision_with_a_builtin_target_is_refused(tmp_path):
    spec_dir = make_spec(
        tmp_path,
        {"templates": [{"name": "t", "folder": "templates/t", "out": "docs"}]},
        {"t": {"telemetry.md": "mine"}},
    )
    r = CliRunner().invoke(main, ["build", "--spec", str(spec_dir), "--out", str(tmp_path / "out")])
    assert r.exit_code == 1 and "error[target-collision]" in r.output and "nothing was written" in r.output
    assert "collides with the built-in output 'docs'" in r.output and not (tmp_path / "out").exists()


# --- the reference stays true --------------------------------------------------------


def _doc_rows(heading: str) -> list[str]:
    import re

    text = (ROOT / "docs" / "template-context.md").read_text("utf-8")
    m = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#|\Z)", text, re.MULTILINE | re.DOTALL)
    assert m, heading
    return re.findall(r"^\| `([^`]+)` \|", m.group(1), re.MULTILINE)


def test_reference_lists_the_whole_context(tmp_path):
    import dataclasses

    from generator.model import Location, TemplateTarget
    from generator.targets import user_templates

    spec = generator.load_spec(ROOT / "spec")
    target = TemplateTarget("t", "t", "t", "", (), Location("x"))
    assert _doc_rows("Context") == list(user_templates.context(spec, target))
    assert _doc_rows("`payloads[]`") == [f.name for f in dataclasses.fields(user_templates.PayloadCode)]
    assert _doc_rows("`payloads[].fields[]`") == [f.name for f in dataclasses.fields(user_templates.FieldCode)]
    env = user_templates.environment({}, "code")
    documented = set(_doc_rows("Filters"))
    assert documented == set(user_templates.COMMON_FILTERS) | {"html", "period"}
    assert documented <= set(env.filters)
