"""The one registry of build targets.

A target is a pure function ``render(spec) -> {relative path: bytes}``: it reads the
resolved model and returns file contents; it never touches the disk (only
``generator.writer`` does).  The build, ``gen check`` and ``gen targets`` all read
``TARGETS``; adding a target is a module, its templates and one line here.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only for annotations: gen imports this package before it forks
    from generator.model import Spec  # the models' child (see models.warm_up)

Files = dict[str, bytes]


@dataclass(frozen=True)
class Target:
    name: str
    description: str
    module: str  # imported lazily: some targets pull in heavy libraries

    def render(self, spec: Spec, previous: Previous | None = None) -> Files:
        """The target's files.  With ``previous``, a target whose inputs (the resolved
        spec, the generator's code, the installed libraries) are exactly those of the last
        build gets its last output back from disk instead of rendering again."""
        if previous is not None:
            name = f"target:{self.name}"
            key = previous.build_key(spec, self.module)
            reused = previous.reuse(name, key)
            if reused is not None:
                return reused
        mod = importlib.import_module(self.module)
        if getattr(mod, "ACCEPTS_PREVIOUS", False):
            files = mod.render(spec, previous)
        else:
            files = mod.render(spec)
        if previous is not None:
            previous.remember(name, key, files)
        return files


class Previous:
    """Read access to the files the last build wrote (for targets that can skip work
    whose inputs are unchanged).  ``get(path)`` returns the bytes on disk only if they
    still match the last manifest's hash, else None.

    ``reuse(name, key)`` / ``remember(name, key, files)`` let a slow target skip work: it
    remembers the key of its inputs and the hashes of the files it produced; a later
    build with the same key gets those files back from disk, but only if every one is
    still exactly what was produced (a hand edit, a lost file or an edited manifest means
    regenerate, so ``gen check`` stays honest).  ``records`` are what the last build
    remembered; ``updates`` what this one remembers (the writer stores them).
    """

    def __init__(self, getter: Callable[[str], bytes | None], records: dict | None = None):
        self.get = getter
        self.records: dict[str, dict] = dict(records or {})
        self.updates: dict[str, dict] = {}
        self._spec_keys: dict[int, str] = {}

    def build_key(self, spec: Spec, module: str) -> str:
        """A key for everything a target's output can depend on: the resolved spec (its
        repr covers every field of the frozen model, locations included; the spec object
        itself, not the folder it came from, so a caller cannot pair a model with the
        wrong files), the generator package with its templates, the installed
        distributions and the Python version, and the target's module name."""
        spec_key = self._spec_keys.get(id(spec))
        if spec_key is None:
            spec_key = hashlib.sha256(repr(spec).encode("utf-8")).hexdigest()
            self._spec_keys = {id(spec): spec_key}
        return hashlib.sha256(f"{spec_key}\0{_code_identity()}\0{module}".encode()).hexdigest()

    def reuse(self, name: str, key: str) -> Files | None:
        """The files remembered under ``name`` for ``key``, if all are intact on disk."""
        rec = self.records.get(name)
        if not isinstance(rec, dict) or rec.get("key") != key or not isinstance(rec.get("files"), dict):
            return None
        files: Files = {}
        for path, digest in rec["files"].items():
            data = self.get(path)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                return None
            files[path] = data
        self.updates[name] = rec
        return files

    def would_reuse(self, name: str, key: str) -> bool:
        """Whether ``reuse(name, key)`` would succeed (without recording anything)."""
        updates = dict(self.updates)
        try:
            return self.reuse(name, key) is not None
        finally:
            self.updates = updates

    def remember(self, name: str, key: str, files: Files) -> None:
        """Record that ``files`` are what ``name`` produces for inputs ``key``."""
        self.updates[name] = {
            "key": key,
            "files": {p: hashlib.sha256(b).hexdigest() for p, b in sorted(files.items())},
        }


_CODE_IDENTITY: list[str] = []


def _code_identity() -> str:
    """A hash of the generator's own files (path, size and modification time of each
    module, template and schema) and of which library versions are installed (the names
    of the ``*.dist-info`` folders on ``sys.path``), computed once per process."""
    if not _CODE_IDENTITY:
        h = hashlib.sha256(sys.version.encode())
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if not name.endswith(".pyc"):
                    st = os.stat(os.path.join(folder, name))
                    h.update(f"{folder[len(root):]}/{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        for entry in dict.fromkeys(e for e in sys.path if os.path.isabs(e)):
            try:
                names = sorted(n for n in os.listdir(entry) if n.endswith((".dist-info", ".egg-info")))
            except OSError:
                continue
            h.update("\0".join(names).encode())
        _CODE_IDENTITY.append(h.hexdigest())
    return _CODE_IDENTITY[0]


TARGETS: tuple[Target, ...] = (
    Target("spec-schema", "the spec format's JSON Schema, for editors", "generator.targets.spec_schema"),
    Target("docs-rst", "privacy docs as reStructuredText (docs/telemetry.rst)", "generator.targets.docs_rst"),
    Target("docs-md", "privacy docs as GitHub-flavoured Markdown (docs/telemetry.md)", "generator.targets.docs_md"),
    Target("docs-html", "searchable, self-contained HTML catalogue (docs/catalog.html)", "generator.targets.docs_html"),
    Target("json-schema", "one JSON Schema (draft 2020-12) per payload", "generator.targets.json_schema"),
    Target("catalog", "the resolved spec as one JSON document", "generator.targets.catalog"),
    Target("warehouse-bigquery", "one BigQuery table schema per payload", "generator.targets.warehouse_bigquery"),
    Target("warehouse-spark", "one Spark StructType (JSON) per payload", "generator.targets.warehouse_spark"),
    Target("warehouse-avro", "one Avro schema per payload", "generator.targets.warehouse_avro"),
    Target("conformance", "a pytest conformance suite downstream projects run", "generator.targets.conformance"),
    Target("package", "the output folder as a Python package: __init__.py, README.md, test guard", "generator.targets.package"),
    Target("templates", "the spec's own template targets (outputs.templates in the spec)", "generator.targets.user_templates"),
    # Last: its generator runs in a child process while the targets above render.
    Target("models", "pydantic v2 models of every payload (datamodel-code-generator)", "generator.targets.models"),
)


class TargetCollision(Exception):
    pass


class TargetFailed(Exception):
    """A target raised; ``target`` is its registry name, ``__cause__`` the error."""

    def __init__(self, target: str, exc: BaseException):
        super().__init__(f"target {target} failed: {exc}")
        self.target = target


def render_all(
    spec: Spec, previous: Previous | None = None, ready: Callable[[Files], None] | None = None
) -> Files:
    """Render every target into one in-memory tree; two targets may not share a path.

    ``ready``, if given, is called with each target's files as soon as that target has
    rendered (the build stages them on disk while later targets still run); an error it
    raises is not a target failure and propagates unchanged."""
    out: Files = {}
    owner: dict[str, str] = {}
    for target in TARGETS:
        try:
            files = target.render(spec, previous)
        except Exception as exc:  # re-raised with the target's name
            raise TargetFailed(target.name, exc) from exc
        for path, data in files.items():
            if path in out:
                raise TargetCollision(f"{target.name} and {owner[path]} both write {path}")
            out[path] = data
            owner[path] = target.name
        if ready is not None:
            ready(files)
    return dict(sorted(out.items()))
