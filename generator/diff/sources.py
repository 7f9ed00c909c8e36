"""Turns a ``gen diff`` side (a spec folder, a git revision, or a ``catalog.json``) into
one comparable form: the catalogue document of its resolved spec.

* A folder holding ``*.yaml`` files is a spec: it is loaded, resolved and linted like
  ``gen check`` does, then rendered by ``generator.targets.catalog``.
* A ``.json`` file (or a folder holding ``catalog.json``, e.g. a vendored
  ``generated/``) is read as a catalogue as it is.
* Anything else is a git revision of the repository the working spec lives in: the spec
  folder's files at that revision are read from git's object store (``git archive``)
  into a temporary folder, never by checking anything out; the working tree is untouched.

Every side is passed through a JSON round trip so the three sources compare equal when
they hold the same spec.  Problems (no such revision, a folder that is no spec, a spec
with errors, an unreadable catalogue) raise ``SourceError`` with a message that says
what to do; the command turns it into exit 2.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SourceError(Exception):
    """A side of the comparison cannot be read; the message says why and how to fix it."""


@dataclass(frozen=True)
class Side:
    """One resolved side: its catalogue document and a label for messages."""

    label: str
    catalog: dict[str, Any]


def normalised(doc: dict) -> dict:
    """``doc`` after a JSON round trip in the project's JSON style (tuples become lists)."""
    import orjson  # a dependency already (the project's JSON writer)

    from generator.json_output import dumps

    return orjson.loads(dumps(doc))


def catalog_of_spec(spec_dir: Path, label: str) -> dict[str, Any]:
    """The catalogue of the spec in ``spec_dir``; ``SourceError`` if it has errors."""
    from generator.diagnostics import ERROR
    from generator.pipeline import check_spec
    from generator.targets.catalog import catalog

    spec, findings = check_spec(spec_dir)
    if spec is None:
        errors = [f for f in findings if f.severity == ERROR]
        shown = "\n".join(f"  {f.location}: {f.message}" for f in errors[:5])
        more = f"\n  ... and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise SourceError(f"the spec of {label} has errors; fix them first (see `gen check`):\n{shown}{more}")
    return normalised(catalog(spec))


def _loads(data: bytes):
    """JSON text to Python values: orjson (several times faster), else the json module
    (which also reads integers beyond 64 bits and gives the error message)."""
    import orjson

    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def catalog_of_file(path: Path) -> dict[str, Any]:
    """A vendored ``catalog.json`` as a catalogue document; ``SourceError`` if it is not one."""
    try:
        doc = _loads(path.read_bytes())
    except OSError as exc:
        raise SourceError(f"cannot read '{path}': {exc.strerror}") from None
    except ValueError as exc:
        raise SourceError(f"'{path}' is not JSON ({exc}); give a catalog.json from a generated/ folder") from None
    if not isinstance(doc, dict) or "catalog_format" not in doc or not isinstance(doc.get("payloads"), list):
        raise SourceError(f"'{path}' is not a telemetry catalogue (no `catalog_format`/`payloads`); give a catalog.json from a generated/ folder")
    from generator.targets.catalog import CATALOG_FORMAT

    if doc["catalog_format"] != CATALOG_FORMAT:
        raise SourceError(
            f"'{path}' has catalog_format {doc['catalog_format']!r}; this gen reads format {CATALOG_FORMAT} "
            "(regenerate it with this version of gen, or compare the spec folders instead)"
        )
    problem = _shape_problem(doc)
    if problem:
        raise SourceError(f"'{path}' is not a well-formed catalogue: {problem}; regenerate it with `gen build`")
    return doc


# What the comparison reads of a catalogue: (list key, required keys of each entry).
_SHAPE = {
    "kinds": ("id", "title"),
    "features": ("id",),
    "sections": ("id", "schedule"),
    "payloads": ("wire_name", "fields"),
}
_OPT_OUT_KEYS = ("setting", "console_path", "off_value")
_FIELD_KEYS = ("wire_key", "qualified_name", "kind")


def _shape_problem(doc: dict) -> str:
    """The first place where ``doc`` lacks something ``compare`` reads, or ""."""
    for key, required in _SHAPE.items():
        items = doc.get(key, [])
        if not isinstance(items, list):
            return f"`{key}` is not a list"
        for i, item in enumerate(items):
            if not isinstance(item, dict) or any(k not in item for k in required):
                return f"{key}[{i}] lacks one of {', '.join(required)}"
    for i, f in enumerate(doc.get("features", [])):
        opt = f.get("opt_out")
        if opt is not None and (not isinstance(opt, dict) or any(k not in opt for k in _OPT_OUT_KEYS)):
            return f"features[{i}].opt_out lacks one of {', '.join(_OPT_OUT_KEYS)}"
    for i, sec in enumerate(doc.get("sections", [])):
        if not isinstance(sec["schedule"], dict) or "text" not in sec["schedule"]:
            return f"sections[{i}].schedule lacks `text`"
    for i, p in enumerate(doc["payloads"]):
        if not isinstance(p["fields"], list):
            return f"payloads[{i}].fields is not a list"
        for j, f in enumerate(p["fields"]):
            if not isinstance(f, dict) or any(k not in f for k in _FIELD_KEYS):
                return f"payloads[{i}].fields[{j}] lacks one of {', '.join(_FIELD_KEYS)}"
    return ""


def _git(repo: Path, *args: str, binary: bool = False) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=not binary, check=False)
    except FileNotFoundError:
        raise SourceError("git is not installed; give spec folders or catalog.json files instead of revisions") from None


def repo_of(spec_dir: Path) -> tuple[Path, str]:
    """The git work tree holding ``spec_dir`` and the spec folder's path inside it."""
    probe = spec_dir if spec_dir.is_dir() else Path(".")
    top = _git(probe, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise SourceError(
            f"'{spec_dir}' is not inside a git repository, so revisions cannot be read; "
            "give a spec folder or a catalog.json instead"
        )
    root = Path(top.stdout.strip())
    try:
        rel = spec_dir.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise SourceError(f"spec folder '{spec_dir}' is outside the repository at '{root}'") from None
    return root, ("" if rel == "." else rel)


def extract_revision(rev: str, spec_dir: Path, into: Path) -> Path:
    """Write the spec folder's files as they are at ``rev`` into ``into`` (from git's
    object store); the folder written.  ``SourceError`` if ``rev`` names no commit or
    has no spec there."""
    root, rel = repo_of(spec_dir)
    if rev.startswith("-"):
        raise SourceError(f"'{rev}' is not a revision")
    commit = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise SourceError(
            f"'{rev}' is neither a spec folder, a catalog.json, nor a revision of the git repository at '{root}'"
        )
    sha = commit.stdout.strip()
    listing = _git(root, "ls-tree", "--name-only", sha, "--", rel or ".")
    if listing.returncode != 0 or not listing.stdout.strip():
        raise SourceError(f"revision {rev!r} has no folder '{rel or '.'}' (the spec folder's path in the repository)")
    arch = _git(root, "archive", "--format=tar", sha, "--", rel or ".", binary=True)
    if arch.returncode != 0:
        raise SourceError(f"git archive of {rev!r} failed: {arch.stderr.decode('utf-8', 'replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(arch.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / rel if rel else into


def load_side(arg: str, spec_dir: Path) -> Side:
    """Resolve one command-line side (``arg``) to its catalogue.  ``spec_dir`` is the
    working spec folder, whose repository revisions are read from."""
    path = Path(arg)
    if path.is_file():
        if path.suffix in (".yaml", ".yml"):
            raise SourceError(f"'{arg}' is one spec file; give the spec folder that holds it ('{path.parent}')")
        return Side(arg, catalog_of_file(path))
    if path.is_dir():
        if any(path.glob("*.yaml")) or any(path.glob("*.yml")):
            return Side(arg, catalog_of_spec(path, f"'{arg}'"))
        if (path / "catalog.json").is_file():
            return Side(arg, catalog_of_file(path / "catalog.json"))
        raise SourceError(f"'{arg}' is a folder but not a spec (no .yaml files) and holds no catalog.json")
    with tempfile.TemporaryDirectory(prefix="gen-diff-") as tmp:
        folder = extract_revision(arg, spec_dir, Path(tmp))
        if not (any(folder.glob("*.yaml")) or any(folder.glob("*.yml"))):
            raise SourceError(f"revision {arg!r} has no spec files in '{spec_dir}'")
        return Side(arg, catalog_of_spec(folder, f"revision {arg!r}"))



def load_sides(base: str, head: str | None, spec_dir: Path) -> tuple[Side, Side]:
    """Both sides of a comparison; HEAD defaults to the working spec folder.
    ``SourceError`` when either cannot be read (or no HEAD and no spec folder)."""
    if head is None and not spec_dir.is_dir():
        raise SourceError(f"spec folder '{spec_dir}' does not exist; give HEAD or use --spec DIR")
    return load_side(base, spec_dir), load_side(head if head is not None else str(spec_dir), spec_dir)
