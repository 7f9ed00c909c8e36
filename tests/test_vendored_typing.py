"""The vendored package type-checks as a whole, as a downstream project checks its tree.

``generated/`` is copied under a package name (as ``generated/README.md`` says to
vendor it, without ``.gen-cache``) and checked with ``mypy --strict -p <name>`` and with
pyright (strict on ``models/``, standard on the rest: the conformance suite, its
vendored payload engine and the package's ``__init__``).  Before this test the models
alone passed ``mypy --strict``; the whole package gave 137 mypy errors and 50 pyright
errors.  pyright comes from npm (``.ci/run`` installs it into ./node_modules).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from _ci import skip_or_fail

ROOT = Path(__file__).resolve().parents[1]
NAME = "vendored_telemetry"


@pytest.fixture(scope="module")
def vendored(tmp_path_factory) -> Path:
    """``generated/`` copied to ``<tmp>/vendor/vendored_telemetry``; the ``vendor`` folder."""
    vendor = tmp_path_factory.mktemp("vendor")
    shutil.copytree(ROOT / "generated", vendor / NAME, ignore=shutil.ignore_patterns(".gen-cache", "__pycache__"))
    return vendor


def test_mypy_strict_on_the_whole_package(vendored: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "-p", NAME],
        cwd=vendored, capture_output=True, text=True, timeout=600, check=False,
    )
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert r.stdout.startswith("Success: no issues found"), r.stdout


def test_pyright_strict_on_models_standard_elsewhere(vendored: Path) -> None:
    pyright = ROOT / "node_modules" / ".bin" / "pyright"
    if not pyright.is_file():
        skip_or_fail(f"pyright is not installed at {pyright} (.ci/run installs it from npm)")
    config = {
        "include": [NAME],
        "typeCheckingMode": "standard",
        "strict": [f"{NAME}/models"],
        "pythonVersion": f"{sys.version_info.major}.{sys.version_info.minor}",
    }
    (vendored / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    r = subprocess.run(
        [str(pyright), "--outputjson", "--pythonpath", sys.executable],
        cwd=vendored, capture_output=True, text=True, timeout=600, check=False,
    )
    report = json.loads(r.stdout)
    errors = [f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}"
              for d in report["generalDiagnostics"] if d["severity"] == "error"]
    assert errors == [], "\n".join(errors[:40])
    assert report["summary"]["filesAnalyzed"] >= 20
    assert r.returncode == 0, r.stderr[-2000:]
