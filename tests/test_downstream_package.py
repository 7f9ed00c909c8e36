"""The output folder as a downstream project uses it: vendored under a name of its own.

A temporary project gets the generated folder of the fixture spec copied in as
``vendor/widget_tel`` (a name the spec never mentions), its own test, and its own
producer module.  From there, with the README's commands: the package imports and
validates; a plain ``pytest`` at the project's root runs the project's test and not the
vendored suite (the generated ``conftest.py`` guard; ``--ignore`` as documented when
conftests are off); ``pytest vendor/widget_tel/conformance`` with
``TELEMETRY_PRODUCER=myapp.telemetry:payloads`` -- plain ``pytest``, not ``python -m
pytest`` -- imports the producer and passes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import generator

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "tests" / "conformance_examples"
PYTEST = Path(sys.executable).with_name("pytest")


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    spec = generator.load_spec(EXAMPLES / "spec")
    out = tmp_path_factory.mktemp("built") / "generated"
    generator.build_into(spec, out)
    proj = tmp_path_factory.mktemp("downstream")
    shutil.copytree(out, proj / "vendor" / "widget_tel")
    (proj / "myapp").mkdir()
    (proj / "myapp" / "__init__.py").write_text("", "utf-8")
    shutil.copy(EXAMPLES / "good_producer.py", proj / "myapp" / "telemetry.py")
    (proj / "tests").mkdir()
    (proj / "tests" / "test_own.py").write_text("def test_own():\n    assert True\n", "utf-8")
    (proj / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n", "utf-8")
    return proj


def _run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("TELEMETRY_", "PYTEST_"))}
    full.pop("PYTHONPATH", None)
    full.update(env)
    return subprocess.run(cmd, cwd=cwd, env=full, check=False, capture_output=True, text=True, timeout=600)


IMPORT_AND_VALIDATE = """
import json, sys
sys.path.insert(0, "vendor")
import jsonschema, pydantic
import widget_tel
from widget_tel import PAYLOADS, schema
from widget_tel.models import MODELS, ConfigService

assert "from widget_telemetry.models import MODELS" in widget_tel.__doc__
assert list(MODELS) == list(PAYLOADS) and MODELS["config_service"] is ConfigService
body = json.dumps({"error_code": "E1", "modules": ["a"], "version": "5.6.0"})
crash = MODELS["crash_report"].model_validate_json(body)
jsonschema.validate(json.loads(crash.model_dump_json()), schema("crash_report"))
try:
    MODELS["crash_report"].model_validate_json('{"error_code": "E1", "email": "a@b.c"}')
except pydantic.ValidationError as exc:
    print("rejected:", exc.error_count(), "errors")
print("validated", crash.model_dump_json())
"""


def test_vendored_under_any_name_imports_and_validates(project):
    result = _run([sys.executable, "-c", IMPORT_AND_VALIDATE], project)
    assert result.returncode == 0, result.stderr
    assert "validated {" in result.stdout and "rejected:" in result.stdout


def test_generated_package_files(project):
    pkg = project / "vendor" / "widget_tel"
    readme = (pkg / "README.md").read_text("utf-8")
    # The spec names no package: the docs use <product id>_telemetry.
    for text in ("rsync -a --exclude .gen-cache path/to/generated/ vendor/widget_telemetry/",
                 "delete `vendor/widget_telemetry/.gen-cache`", "from widget_telemetry.models import MODELS",
                 "pytest vendor/widget_telemetry/conformance", "--ignore=vendor/widget_telemetry/conformance",
                 "TELEMETRY_PRODUCER="):
        assert text in readme, text
    conformance_readme = (pkg / "conformance" / "README.md").read_text("utf-8")
    assert "generated/" not in conformance_readme
    assert "pytest vendor/widget_telemetry/conformance" in conformance_readme
    assert "python -m pytest" not in readme.split("## 3.")[1].split("## 4.")[0]


def test_own_pytest_run_leaves_the_vendored_suite_out(project):
    result = _run([str(PYTEST), "-q", "-rA"], project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout and "test_own" in result.stdout
    assert "conformance" not in result.stdout
    # Documented fallback when conftests are off: --ignore.
    result = _run([str(PYTEST), "-q", "--noconftest", "--ignore=vendor/widget_tel/conformance"], project)
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout
    # And the suite can be brought in on purpose.
    result = _run([str(PYTEST), "-q", "--co"], project, TELEMETRY_CONFORMANCE="1")
    assert "test_vectors" in result.stdout, result.stdout


def test_suite_runs_a_producer_module_with_plain_pytest(project):
    result = _run(
        [str(PYTEST), "vendor/widget_tel/conformance", "-q", "-rs"],
        project,
        TELEMETRY_PRODUCER="myapp.telemetry:payloads",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No module named" not in result.stdout
    assert "no producer named" not in result.stdout
    assert "passed" in result.stdout


def test_bundled_package_names_itself_from_the_spec():
    """The bundled spec sets ``outputs.package``; the committed docs use it."""
    readme = (ROOT / "generated" / "README.md").read_text("utf-8")
    assert "from mattermost_telemetry.models import MODELS" in readme
    init = (ROOT / "generated" / "__init__.py").read_text("utf-8")
    assert "from mattermost_telemetry.models import MODELS" in init
    names = json.loads((ROOT / "generated" / "MANIFEST.json").read_text("utf-8"))
    assert "__init__.py" in json.dumps(names) and "conftest.py" in json.dumps(names)
