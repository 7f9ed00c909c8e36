"""Before a cluster job: can the executors run the payload engine?

Every task imports ``generator`` and its compiled dependencies on an executor, in the
Python the executor starts (``executor_python()``).  On a cluster that interpreter
may not exist on the worker nodes, or may lack the package, or hold another version of
it; the job would then fail task after task with a Python traceback.  So
``check_executors`` first runs one small task that reports what it found -- the
interpreter, its version, the generator's version and the versions of the compiled
libraries, or the import error -- and compares it with the driver.  Anything missing or
different is a ``SparkUnavailable`` (exit 2) that says exactly what, where, and how to
fix it, before the job starts.

The probe is compiled from source in a namespace of its own, so cloudpickle ships it by
value: unpickling it on an executor imports nothing of this package.  Must not: check a
payload or start a session.
"""

from __future__ import annotations

import os
import sys
from importlib import metadata
from typing import Any

DISTRIBUTION = "telemetry-spec-generator"
LIBRARIES = ("orjson", "msgspec", "jsonschema_rs", "jsonschema", "pyarrow")
_PROBE_SOURCE = '''
def probe(_rows):
    import sys
    found = {"python": sys.executable, "python_version": "%d.%d.%d" % sys.version_info[:3]}
    try:
        import generator.validate  # noqa: F401 - what every task imports
        from importlib import metadata
        found["generator"] = metadata.version(DISTRIBUTION)
    except Exception as exc:
        found["error"] = "%s: %s" % (type(exc).__name__, exc)
    for name in LIBRARIES:
        try:
            module = __import__(name)
            found[name] = getattr(module, "__version__", "present")
        except Exception:
            found[name] = None
    return [found]
'''


class SparkUnavailable(Exception):
    """PySpark is not installed, Spark could not start, or its executors cannot run the
    engine (the CLI exits 2)."""


def executor_python() -> tuple[str, str]:
    """The Python the executors start, and where that choice comes from: the user's
    ``PYSPARK_PYTHON`` if set (``spark-submit`` sets it from ``spark.pyspark.python``),
    else the interpreter running ``gen`` (``sys.executable``): its packages are the ones
    that hold ``generator``, even from a virtual environment that is not activated."""
    chosen = os.environ.get("PYSPARK_PYTHON")
    if chosen:
        return chosen, "PYSPARK_PYTHON"
    return sys.executable, "the interpreter running gen"


def _version() -> str:
    return "{}.{}.{}".format(*sys.version_info[:3])


def _probe() -> Any:
    namespace: dict[str, Any] = {"__name__": "gen_executor_probe", "DISTRIBUTION": DISTRIBUTION, "LIBRARIES": LIBRARIES}
    exec(compile(_PROBE_SOURCE, "<gen executor probe>", "exec"), namespace)  # noqa: S102 - our own constant source
    return namespace["probe"]


def driver_versions() -> dict[str, Any]:
    """What the driver runs, in the probe's terms."""
    found: dict[str, Any] = {"python": sys.executable, "python_version": _version()}
    found["generator"] = metadata.version(DISTRIBUTION)
    for name in LIBRARIES:
        try:
            module = __import__(name)
            found[name] = getattr(module, "__version__", "present")
        except ImportError:
            found[name] = None
    return found


def problems(driver: dict[str, Any], executor: dict[str, Any]) -> list[str]:
    """What keeps the executor from running the driver's engine (empty: nothing)."""
    where = f"the executors' Python ({executor.get('python')}, {executor.get('python_version')})"
    if "error" in executor:
        return [f"{where} cannot import the payload engine: {executor['error']}"]
    out = []
    if executor.get("python_version", "").rsplit(".", 1)[0] != driver["python_version"].rsplit(".", 1)[0]:
        out.append(f"{where} is not the driver's Python {driver['python_version']}")
    if executor.get("generator") != driver["generator"]:
        out.append(f"{where} has {DISTRIBUTION} {executor.get('generator')}, the driver {driver['generator']}")
    for name in LIBRARIES:
        if driver.get(name) and not executor.get(name):
            out.append(f"{where} lacks {name} ({driver[name]} on the driver)")
    return out


def check_executors(spark: Any) -> dict[str, Any]:
    """Run the probe on one executor and return what it found; ``SparkUnavailable``
    naming what is missing if it cannot run the engine the driver runs."""
    python, source = executor_python()
    fix = (f"install '{DISTRIBUTION}[spark]=={driver_versions()['generator']}' into that Python on every "
           "worker node, or point PYSPARK_PYTHON (spark.pyspark.python) at a Python that has it, or ship a "
           "packed virtual environment (docs/spark.md, \"A cluster run\")")
    try:
        rows = spark.sparkContext.parallelize([0], 1).mapPartitions(_probe()).collect()
    except Exception as exc:  # noqa: BLE001 - a worker that cannot start Python at all
        text = str(getattr(exc, "java_exception", None) and exc.java_exception.getMessage() or exc).strip()
        first = next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)
        raise SparkUnavailable(
            f"the executors could not run Python {python!r} (gen asked for it: {source}): {first[:300]}; {fix}"
        ) from None
    found = rows[0] if rows else {}
    wrong = problems(driver_versions(), found)
    if wrong:
        raise SparkUnavailable("; ".join(wrong) + f" (gen asked for {python!r}: {source}); {fix}")
    return found
