"""``gen validate --engine spark`` against a real standalone cluster (issue 25).

A master and a worker are started on localhost with ``spark-class`` from the PySpark
wheel (``org.apache.spark.deploy.master.Master`` / ``...worker.Worker``), as separate
JVMs whose ``PATH`` does not hold this virtual environment.  ``gen`` is then run by its
absolute path from the virtual environment, not activated (``PATH`` without it, no
``VIRTUAL_ENV``, no ``PYSPARK_PYTHON``): the executors must still run the interpreter
that runs ``gen``, and the report must equal the local engine's.  A second run points
the executors at a Python without the package and must be refused before the job
starts, saying what is missing (exit 2).

One small capture keeps it short; the two JVMs are started in their own process
groups and killed (and waited for) when the module ends, whatever happened.  PySpark
and Java come from ``.ci/run``: outside CI the module skips without them, under CI it
fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from _ci import skip_or_fail
from _sandbox import changed_outside, snapshot

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "conformance_examples" / "spec"
GEN = Path(sys.executable).with_name("gen")
GOOD = {"error_code": "E1", "modules": ["a"], "version": "5.6.0"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _plain_env(tmp: Path) -> dict[str, str]:
    """An environment without this virtual environment: PATH without its bin/, no
    VIRTUAL_ENV, no PYSPARK_* settings."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(venv_bin))
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME") and not k.startswith(("PYSPARK_", "SPARK_"))}
    env.update(PATH=path, SPARK_LOCAL_IP="127.0.0.1", SPARK_LOG_DIR=str(tmp / "logs"), SPARK_WORKER_DIR=str(tmp / "work"),
               SPARK_NO_DAEMONIZE="1", HOME=str(tmp))
    return env


def _wait_for(check, what: str, timeout: float, procs) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for p in procs:
            if p.poll() is not None:
                raise AssertionError(f"{what}: a cluster process ended early (exit {p.returncode})")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{what}: not ready after {timeout:.0f} s")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        import pyspark
    except ImportError:
        skip_or_fail("PySpark is not installed (pip install '.[spark]')", module=True)
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        skip_or_fail("Java 17 is not installed (.ci/run installs it)", module=True)
    home = Path(pyspark.__file__).parent
    spark_class = home / "bin" / "spark-class"
    tmp = tmp_path_factory.mktemp("cluster")
    env = {**_plain_env(tmp), "SPARK_HOME": str(home)}
    port, ui = _free_port(), _free_port()
    url = f"spark://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        for name, args in (
            ("master", ["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port", str(port),
                        "--webui-port", str(ui)]),
            ("worker", ["org.apache.spark.deploy.worker.Worker", url, "--host", "127.0.0.1", "--cores", "1",
                        "--memory", "1g", "--webui-port", str(_free_port()), "--work-dir", str(tmp / "work")]),
        ):
            log = open(tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed below
            logs.append(log)
            procs.append(subprocess.Popen([str(spark_class), *args], env=env, stdout=log, stderr=subprocess.STDOUT,
                                          start_new_session=True))
            if name == "master":
                _wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close() or True,
                          "the master", 180, procs)

        def worker_alive() -> bool:
            with urllib.request.urlopen(f"http://127.0.0.1:{ui}/json/", timeout=2) as r:
                return json.load(r).get("aliveworkers", 0) >= 1

        _wait_for(worker_alive, "the worker", 180, procs)
        yield url, tmp, env
    finally:
        for p in procs:  # our own two process groups, by their ids
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=30)
        for log in logs:
            log.close()
        assert all(p.poll() is not None for p in procs)


def _capture(folder: Path) -> Path:
    lines = [
        {"payload": "crash_report", "properties": GOOD},
        {"payload": "crash_report", "properties": {**GOOD, "leak": "x"}},
        {"payload": "crash_report", "properties": {"error_code": 5, "modules": ["a"], "version": "5.6.0"}},
    ]
    path = folder / "capture.ndjson"
    path.write_text("".join(json.dumps(d) + "\n" for d in lines) + "{not json\n")
    return path


def _gen(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(GEN), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)


def test_cluster_report_equals_the_local_engines_from_a_venv_that_is_not_activated(cluster):
    url, tmp, env = cluster
    run_dir = tmp / "run"
    run_dir.mkdir()
    capture = _capture(run_dir)
    before = snapshot(run_dir)
    local = _gen(env, run_dir, "validate", "--spec", str(SPEC), "--format", "json", capture.name)
    remote = _gen(env, run_dir, "validate", "--engine", "spark", "--master", url, "--spec", str(SPEC),
                  "--format", "json", capture.name)
    assert changed_outside(before, snapshot(run_dir)) == {}
    assert local.returncode == 1, local.stderr[-2000:]
    assert remote.returncode == 1, remote.stderr[-3000:]
    assert "ModuleNotFoundError" not in remote.stderr
    assert json.loads(remote.stdout) == json.loads(local.stdout)


def test_executors_without_the_engine_are_refused_before_the_job(cluster):
    url, tmp, env = cluster
    venv = tmp / "bare-venv"  # the same Python, without the package
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, capture_output=True)
    bare = str(venv / "bin" / "python")
    check = subprocess.run([bare, "-c", "import generator"], capture_output=True, check=False, cwd=tmp)
    assert check.returncode != 0
    run_dir = tmp / "bare"
    run_dir.mkdir()
    capture = _capture(run_dir)
    before = snapshot(run_dir)
    r = _gen({**env, "PYSPARK_PYTHON": bare}, run_dir, "validate", "--engine", "spark", "--master", url,
             "--spec", str(SPEC), capture.name)
    assert changed_outside(before, snapshot(run_dir)) == {}
    assert r.returncode == 2, r.stderr[-3000:]
    assert "cannot import the payload engine" in r.stderr or "could not run Python" in r.stderr, r.stderr[-3000:]
    assert bare in r.stderr and "PYSPARK_PYTHON" in r.stderr
    assert "Traceback" not in r.stderr
