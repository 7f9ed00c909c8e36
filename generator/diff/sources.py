"""Turns a ``gen diff`` side (a spec folder, a git revision, or a ``catalog.json``) into
one comparable form: the catalogue document of its resolved spec.

* A folder holding ``*.yaml`` files is a spec: it is loaded, resolved and linted like
  ``gen check`` does, then rendered by ``generator.targets.catalog``.
* A ``.json`` file (or a folder holding ``catalog.json``, e.g. a vendored
  ``generated/``) is read as a catalogue.  It is untrusted: it is read within
  ``MAX_CATALOG_BYTES``, refused past ``MAX_CATALOG_DEPTH`` levels of nesting, and
  validated against the catalogue's own JSON Schema (``generator/schemas/
  catalog.schema.json``, the one the catalog target's output is tested against) before
  anything compares it, so a wrong type (``wire_name: [1]``, ``values: 5``) is a
  message, never a traceback or a silent "no changes".
* Anything else is a git revision of the repository the working spec lives in: the spec
  folder's files at that revision are read from git's object database (``git ls-tree``
  for the listing, ``git cat-file`` for the blobs), never through ``git archive`` or a
  checkout, so no attribute in the tree under review (``.gitattributes``
  ``export-ignore``, filters) can hide or rewrite a file.  They are read with the
  loader's budgets (``load.MAX_FILE_BYTES`` per file, judged from the object's size
  before it is read; ``MAX_TOTAL_BYTES``; ``MAX_FILES``) and its link rule: a link (or a
  submodule) in the revision's spec folder is refused, never followed.  The files are
  written into a temporary folder and loaded from there like any spec.

Every side is passed through a JSON round trip so the three sources compare equal when
they hold the same spec.  Problems (no such revision, a folder that is no spec, a spec
with errors, an unreadable catalogue) raise ``SourceError`` with a message that says
what to do; the command turns it into exit 2.
"""

from __future__ import annotations

import json
import subprocess
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


MAX_CATALOG_BYTES = 256 * 1024 * 1024
MAX_CATALOG_DEPTH = 64  # a catalogue is a few levels deep


def _loads(data: bytes):
    """JSON text to Python values: orjson (several times faster), else the json module
    (which also reads integers beyond 64 bits and gives the error message)."""
    import orjson

    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _depth_over(doc: Any, limit: int) -> bool:
    """Whether ``doc`` nests containers more than ``limit`` levels (no recursion)."""
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return False


def _schema_problem(doc: Any) -> str:
    """Where ``doc`` first breaks the catalogue's JSON Schema, or "" if it conforms."""
    import jsonschema_rs

    from generator.targets.catalog import catalog_schema

    validator = jsonschema_rs.Draft202012Validator(catalog_schema())
    if validator.is_valid(doc):
        return ""
    err = next(iter(validator.iter_errors(doc)))
    where = "/".join(str(p) for p in err.instance_path) or "(the document)"
    return f"at {where}: {err.message[:300]}"


def catalog_of_file(path: Path) -> dict[str, Any]:
    """A vendored ``catalog.json`` as a catalogue document; ``SourceError`` if it is
    not one (unreadable, too large, not JSON, nested too deep, another format, or not
    valid against the catalogue's JSON Schema)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CATALOG_BYTES + 1)
    except OSError as exc:
        raise SourceError(f"cannot read '{path}': {exc.strerror}") from None
    if len(data) > MAX_CATALOG_BYTES:
        raise SourceError(f"'{path}' is larger than {MAX_CATALOG_BYTES:,} bytes; not a catalog.json from a generated/ folder")
    try:
        doc = _loads(data)
    except RecursionError:
        raise SourceError(f"'{path}' nests more than {MAX_CATALOG_DEPTH} levels; not a catalog.json from a generated/ folder") from None
    except ValueError as exc:
        raise SourceError(f"'{path}' is not JSON ({str(exc)[:200]}); give a catalog.json from a generated/ folder") from None
    if _depth_over(doc, MAX_CATALOG_DEPTH):
        raise SourceError(f"'{path}' nests more than {MAX_CATALOG_DEPTH} levels; not a catalog.json from a generated/ folder")
    if not isinstance(doc, dict) or "catalog_format" not in doc or not isinstance(doc.get("payloads"), list):
        raise SourceError(f"'{path}' is not a telemetry catalogue (no `catalog_format`/`payloads`); give a catalog.json from a generated/ folder")
    from generator.migrate.rules import migrate_catalog
    from generator.targets.catalog import CATALOG_FORMAT

    doc = migrate_catalog(doc)  # a format-1 catalogue in today's shape
    if doc["catalog_format"] != CATALOG_FORMAT:
        raise SourceError(
            f"'{path}' has catalog_format {json.dumps(doc['catalog_format'])[:40]}; this gen reads format {CATALOG_FORMAT} "
            "(regenerate it with this version of gen, or compare the spec folders instead)"
        )
    problem = _schema_problem(doc)
    if problem:
        raise SourceError(
            f"'{path}' is not a valid catalogue ({problem}); it does not match the catalogue's JSON Schema "
            "(generator/schemas/catalog.schema.json): regenerate it with `gen build`"
        )
    return doc


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


def _listing(root: Path, sha: str, rel: str, rev: str) -> list[tuple[str, str, int, str]]:
    """``(mode, object, size, path)`` of every entry below ``rel`` at ``sha`` (from
    git's object database), after the loader's budgets and link rule; ``SourceError``
    for a link, a submodule, or a budget passed (judged from the sizes git records,
    before any blob is read)."""
    from generator.load import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES

    listing = _git(root, "ls-tree", "-r", "-l", "-z", "--full-tree", sha, "--", rel or ".", binary=True)
    if listing.returncode != 0:
        raise SourceError(f"git ls-tree of {rev!r} failed: {listing.stderr.decode('utf-8', 'replace').strip()}")
    entries = []
    total = 0
    for record in listing.stdout.split(b"\0"):
        if not record:
            continue
        head, _, name = record.partition(b"\t")
        mode, kind, obj, size = head.decode("ascii").split(maxsplit=3)
        path = name.decode("utf-8", "replace")
        if kind == "commit":
            raise SourceError(f"revision {rev!r}: '{path}' is a submodule; a spec folder holds files only")
        if mode == "120000":
            raise SourceError(f"revision {rev!r}: '{path}' is a link; links in a spec are never followed "
                              "(replace it with the file itself)")
        if kind != "blob":
            continue
        nbytes = int(size)
        if nbytes > MAX_FILE_BYTES:
            raise SourceError(f"revision {rev!r}: '{path}' is {nbytes:,} bytes; the limit is {MAX_FILE_BYTES:,} "
                              "(refused from its size, unread, as `gen check` refuses it)")
        total += nbytes
        if total > MAX_TOTAL_BYTES:
            raise SourceError(f"revision {rev!r}: the spec folder passes {MAX_TOTAL_BYTES:,} bytes in total")
        entries.append((mode, obj, nbytes, path))
        if len(entries) > MAX_FILES:
            raise SourceError(f"revision {rev!r}: the spec folder holds more than {MAX_FILES:,} files")
    return entries


def _blobs(root: Path, entries: list[tuple[str, str, int, str]]) -> list[bytes]:
    """The contents of the entries' blobs, raw (``git cat-file --batch``: no filter,
    no attribute applies), in order."""
    request = "".join(f"{obj}\n" for _, obj, _, _ in entries).encode("ascii")
    try:
        done = subprocess.run(["git", "-C", str(root), "cat-file", "--batch"], input=request,
                              capture_output=True, check=False)
    except FileNotFoundError:
        raise SourceError("git is not installed; give spec folders or catalog.json files instead of revisions") from None
    if done.returncode != 0:
        raise SourceError(f"git cat-file failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    out, at, data = [], 0, done.stdout
    for _, obj, size, path in entries:
        end = data.index(b"\n", at)
        header = data[at:end].split()
        if len(header) != 3 or header[0].decode() != obj or int(header[2]) != size:
            raise SourceError(f"git cat-file gave an unexpected answer for '{path}'")
        out.append(data[end + 1 : end + 1 + size])
        at = end + 1 + size + 1
    return out


def extract_revision(rev: str, spec_dir: Path, into: Path) -> Path:
    """Write the spec folder's files as they are at ``rev`` into ``into`` (from git's
    object database, within the loader's budgets; no link followed); the folder
    written.  ``SourceError`` if ``rev`` names no commit, has no spec there, or its
    spec folder holds a link, a submodule or more than the budgets allow."""
    root, rel = repo_of(spec_dir)
    if rev.startswith("-"):
        raise SourceError(f"'{rev}' is not a revision")
    commit = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if commit.returncode != 0:
        raise SourceError(
            f"'{rev}' is neither a spec folder, a catalog.json, nor a revision of the git repository at '{root}'"
        )
    sha = commit.stdout.strip()
    entries = _listing(root, sha, rel, rev)
    if not entries:
        raise SourceError(f"revision {rev!r} has no folder '{rel or '.'}' (the spec folder's path in the repository)")
    prefix = f"{rel}/" if rel else ""
    base = into.resolve()
    for (_, _, _, path), data in zip(entries, _blobs(root, entries)):
        inner = path.removeprefix(prefix)
        parts = inner.split("/")
        if not inner or any(p in ("", ".", "..") for p in parts):
            raise SourceError(f"revision {rev!r}: '{path}' is not a usable file name")
        dest = base.joinpath(*parts)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with open(dest, "xb") as fh:
            fh.write(data)
    return base


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
        folder = extract_revision(arg, spec_dir, Path(tmp) / "spec")
        if not (any(folder.glob("*.yaml")) or any(folder.glob("*.yml"))):
            raise SourceError(f"revision {arg!r} has no spec files in '{spec_dir}'")
        return Side(arg, catalog_of_spec(folder, f"revision {arg!r}"))



def load_sides(base: str, head: str | None, spec_dir: Path) -> tuple[Side, Side]:
    """Both sides of a comparison; HEAD defaults to the working spec folder.
    ``SourceError`` when either cannot be read (or no HEAD and no spec folder)."""
    if head is None and not spec_dir.is_dir():
        raise SourceError(f"spec folder '{spec_dir}' does not exist; give HEAD or use --spec DIR")
    return load_side(base, spec_dir), load_side(head if head is not None else str(spec_dir), spec_dir)
