"""Producers' validators agree with ``gen validate``: ajv (Node, draft 2020-12, strict
mode, set up exactly as the generated README says) and Python ``jsonschema``.

For every payload of three specs (the bundled one, ``examples/cli-analytics`` and the
downstream fixture), every conformance vector is written once as an NDJSON envelope
line; ``gen validate`` reads that file, ajv and ``jsonschema`` read the same lines, and
ajv's and ``jsonschema``'s verdicts must be ``gen validate``'s, line for line.  Every
vector's verdict is also the one it was written for.
The ajv setup is not restated here: it is the ```` ```js ```` block of
``README.md``'s "In JavaScript (ajv)" section, run verbatim, so a README that drops the
setup line (ajv then refuses every schema: unknown keyword "x-telemetry") fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from _ci import skip_or_fail
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from generator.api import build_files, load_spec
from generator.cli import main
from generator.targets import conformance

ROOT = Path(__file__).resolve().parents[1]
SPECS = {
    "bundled": ROOT / "spec",
    "cli-analytics": ROOT / "examples" / "cli-analytics" / "spec",
    "downstream": ROOT / "tests" / "downstream_spec",
}

# Compiles every schema with the README's setup, then prints one verdict per line of
# the NDJSON file (true/false); a schema that does not compile is an error (exit 1).
HARNESS = r"""
const fs = require("fs");
%(setup)s
const schemas = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const compiled = {};
for (const [name, schema] of Object.entries(schemas)) {
  try { compiled[name] = ajv.compile(schema); }
  catch (e) { console.error(`${name}: ${e.message}`); process.exitCode = 1; }
}
if (process.exitCode) process.exit();
const out = [];
for (const line of fs.readFileSync(process.argv[3], "utf8").split("\n")) {
  if (!line) continue;
  const doc = JSON.parse(line);
  out.push(compiled[doc.payload](doc.properties) === true);
}
console.log(JSON.stringify(out));
"""


def readme_ajv_setup(readme: str) -> str:
    """The JavaScript setup block of the generated README's ajv section."""
    section = readme.split("### In JavaScript (ajv)", 1)
    assert len(section) == 2, "the generated README has no ajv section"
    blocks = re.findall(r"```js\n(.*?)```", section[1], re.DOTALL)
    assert blocks, "the ajv section has no ```js block"
    return blocks[0]


def _node_env() -> tuple[str, dict[str, str]]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "ajv" / "package.json").is_file():
        skip_or_fail("node and ajv are needed (.ci/run installs ajv into ./node_modules from npm)")
    return node, {"NODE_PATH": str(ROOT / "node_modules"), "PATH": "/usr/bin:/bin"}


@pytest.fixture(scope="module", params=sorted(SPECS))
def case(request, tmp_path_factory):
    """A built spec: its schemas, the README, and its vectors as an NDJSON of envelopes
    with each line's expected verdict."""
    spec = load_spec(SPECS[request.param])
    files = build_files(spec)
    schemas = {p.wire_name: json.loads(files[f"schemas/{p.wire_name}.schema.json"]) for p in spec.payloads}
    lines, expected, ids = [], [], []
    for p in spec.payloads:
        vec = conformance.vectors(p)
        for kind, ok in (("valid", True), ("invalid", False)):
            for v in vec[kind]:
                lines.append(json.dumps({"payload": p.wire_name, "properties": v["properties"]}))
                expected.append(ok)
                ids.append(f"{p.wire_name}/{v['id']}")
    folder = tmp_path_factory.mktemp(request.param)
    (folder / "schemas.json").write_text(json.dumps(schemas), encoding="utf-8")
    (folder / "vectors.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "name": request.param, "spec_dir": SPECS[request.param], "folder": folder, "schemas": schemas,
        "readme": files["README.md"].decode("utf-8"), "lines": lines, "expected": expected, "ids": ids,
    }


CHUNK = 500  # lines per run: gen validate lists up to 1,000 failing documents one by one


def _gen_validate_verdicts(case) -> list[bool]:
    """``gen validate --format json`` on the vectors (a run per ``CHUNK`` lines, so every
    failing line is listed), as one verdict per line."""
    verdicts: list[bool] = []
    for n in range(0, len(case["lines"]), CHUNK):
        chunk = case["lines"][n : n + CHUNK]
        path = case["folder"] / f"v{n // CHUNK:04d}.ndjson"
        path.write_text("\n".join(chunk) + "\n", "utf-8")
        r = CliRunner().invoke(main, ["validate", "--spec", str(case["spec_dir"]), "--format", "json", str(path)])
        report = json.loads(r.stdout)
        assert report["documents"] == len(chunk) and len(report["failures"]) < 1000
        failing = {f["line"] for f in report["failures"]}
        verdicts += [line not in failing for line in range(1, len(chunk) + 1)]
    return verdicts


@pytest.fixture(scope="module")
def reference(case) -> list[bool]:
    """``gen validate``'s verdicts, the ones the producers' validators must match."""
    return _gen_validate_verdicts(case)


def _disagreements(case, reference: list[bool], verdicts: list[bool]) -> list[str]:
    return [f"{i}: gen validate says {'valid' if r else 'invalid'}"
            for i, r, v in zip(case["ids"], reference, verdicts) if r != v]


def test_there_are_verdicts_of_both_kinds(case, reference) -> None:
    assert len(reference) == len(case["lines"]) and True in reference and False in reference
    # Every vector gets the verdict it was written for (the suite passes on its own vectors).
    wrong = [i for i, r, e in zip(case["ids"], reference, case["expected"]) if r != e]
    assert not wrong


def test_python_jsonschema_agrees(case, reference) -> None:
    validators = {}
    for name, schema in case["schemas"].items():
        Draft202012Validator.check_schema(schema)
        validators[name] = Draft202012Validator(schema)
    verdicts = []
    for line in case["lines"]:
        doc = json.loads(line)
        verdicts.append(validators[doc["payload"]].is_valid(doc["properties"]))
    assert _disagreements(case, reference, verdicts) == []


def test_ajv_with_the_readme_setup_agrees(case, reference) -> None:
    node, env = _node_env()
    setup = readme_ajv_setup(case["readme"])
    assert "strict: true" in setup and 'require("ajv/dist/2020")' in setup
    script = case["folder"] / "ajv_check.js"
    script.write_text(HARNESS % {"setup": setup}, encoding="utf-8")
    r = subprocess.run([node, str(script), str(case["folder"] / "schemas.json"), str(case["folder"] / "vectors.ndjson")],
                       capture_output=True, text=True, env=env, timeout=300, check=False)
    assert r.returncode == 0, f"ajv refused schemas of {case['name']}:\n{r.stderr[:2000]}"
    verdicts = json.loads(r.stdout)
    assert len(verdicts) == len(case["lines"])
    assert _disagreements(case, reference, verdicts) == []
