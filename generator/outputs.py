"""Resolves the spec's ``outputs`` block: the package name, the built-in producer targets
turned on (``go``, ``typescript``: their options as written) and the template targets.

A template target is a folder of Jinja templates a maintainer declares in the spec
(``name``, ``folder``, ``out``).  This module reads each folder once, when the spec is
loaded, into the model (``model.TemplateTarget``): targets stay pure functions of the
model (``generator.targets.user_templates`` renders them), and the build's reuse key,
which hashes the model, changes when a template does.  It checks what a maintainer can
get wrong -- a missing folder, a file that is not UTF-8 or too large, a template syntax
error, a file name that is not a safe output path, two targets with one name or
overlapping output folders -- and reports each as a finding with file:line:column and a
fix.

A spec arrives in pull requests, so every path it names is untrusted.  A template folder
must resolve inside the spec folder without following a link at any level: an absolute
path, a ``..`` component, a link anywhere on the way (``spec/templates/lnk ->
../../secret``) or below it, or anything that is not a regular file or folder is an
``unsafe-path`` finding, and the folder is not read.  Files are opened with
``O_NOFOLLOW``, so a link swapped in between the check and the read is refused too.
A target whose ``out`` names (or nests with) one of the built-in outputs
(``BUILTIN_OUTPUTS``: ``MANIFEST.json``, ``catalog.json``, ``docs/``, ``.gen-cache``,
...) is a ``target-collision`` finding here, before anything renders.

Must not: render or write anything, or read any file outside the spec folder.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from generator.diagnostics import Finding, error
from generator.load import RawFile
from generator.model import Location, Outputs, ProducerOutput, TemplateFile, TemplateTarget

MAX_FILES = 200
MAX_FILE_BYTES = 1024 * 1024
TEMPLATE_SUFFIX = ".j2"
_SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")

# What the built-in targets (and the writer) put at the top of the output folder.  A
# template target's ``out`` is a folder; its first part must be none of these (compared
# without case, for case-insensitive file systems).  A test builds the bundled spec and
# checks that every top-level name it writes is listed here.
BUILTIN_OUTPUTS = frozenset({
    "MANIFEST.json", "README.md", "__init__.py", "conftest.py", "catalog.json", "spec.schema.json",
    "conformance", "docs", "models", "schemas", "warehouse", ".gen-cache",
    "go", "typescript",  # the producer targets' folders (written when the spec turns them on)
})
_BUILTIN_FOLDED = {name.casefold(): name for name in BUILTIN_OUTPUTS}


def output_name(path: str) -> str:
    """Where a folder file lands inside the target's ``out``: ``x.ts.j2`` -> ``x.ts``."""
    return path.removesuffix(TEMPLATE_SUFFIX)


def builtin_clash(out: str) -> str | None:
    """The built-in output that a template target writing to ``out`` would collide
    with (its first part names a built-in file or folder), or None."""
    first = out.split("/", 1)[0].casefold()
    if first.startswith("."):
        return first
    return _BUILTIN_FOLDED.get(first)


def resolve_outputs(spec_dir: Path, files: list[RawFile]) -> tuple[Outputs, list[Finding]]:
    """The ``outputs`` block of the one file that declares it (``Outputs()`` if none),
    with every template folder read, and the findings."""
    findings: list[Finding] = []
    declaring = [raw for raw in files if isinstance(raw.data, dict) and "outputs" in raw.data]
    for raw in declaring[1:]:
        findings.append(
            error(
                "duplicate-id",
                f"`outputs` is already declared in {declaring[0].path}",
                raw.key_where(("outputs",)),
                "declare `outputs` in exactly one spec file",
            )
        )
    if not declaring:
        return Outputs(), findings
    raw = declaring[0]
    block = raw.data["outputs"] or {}
    targets = []
    names: dict[str, Location] = {}
    outs: dict[str, str] = {}
    for i, node in enumerate(block.get("templates") or []):
        path = ("outputs", "templates", i)
        loc = raw.where(path)
        name, out = node["name"], node["out"].rstrip("/")
        if name in names:
            findings.append(error("duplicate-id", f"template target {name!r} is already declared at {names[name]}", raw.where(path + ("name",)), "give each template target its own name"))
            continue
        names[name] = loc
        builtin = builtin_clash(out)
        if builtin is not None:
            findings.append(
                error(
                    "target-collision",
                    f"template target {name!r} writes to {out!r}, which collides with the built-in output {builtin!r}",
                    raw.where(path + ("out",)),
                    f"choose another `out` folder; these names are the generator's own: {', '.join(sorted(BUILTIN_OUTPUTS))}",
                )
            )
            continue
        clash = next((o for o in outs if o == out or o.startswith(out + "/") or out.startswith(o + "/")), None)
        if clash is not None:
            findings.append(
                error(
                    "invalid-value",
                    f"template target {name!r} writes to {out!r}, which overlaps {clash!r}, the output folder of template target {outs[clash]!r}",
                    raw.where(path + ("out",)),
                    "give each template target its own output folder",
                )
            )
            continue
        outs[out] = name
        read, problems = _read_folder(spec_dir, raw, path, node["folder"])
        findings += problems
        targets.append(
            TemplateTarget(
                name=name,
                folder=node["folder"],
                out=out,
                description=node.get("description", ""),
                files=tuple(read),
                location=raw.key_where(path),
            )
        )
    return Outputs(package=block.get("package"), templates=tuple(targets),
                   go=_producer(block, "go"), typescript=_producer(block, "typescript")), findings


def _producer(block: dict, name: str) -> ProducerOutput | None:
    """A built-in producer target (``go``, ``typescript``): on when the block names it
    (``go: {}`` turns it on with the defaults), off otherwise."""
    if name not in block:
        return None
    node = block[name] or {}
    return ProducerOutput(module=node.get("module", ""), package=node.get("package", ""))


def _confined(spec_dir: Path, folder: str) -> tuple[Path | None, str]:
    """``folder`` below ``spec_dir`` if every part of the way is a real folder (no
    link, no ``..``, not absolute), else None and what is wrong."""
    if os.path.isabs(folder) or folder.startswith(("/", "\\")):
        return None, "is an absolute path"
    parts = [p for p in folder.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        return None, "leaves the spec folder (`..`)"
    here = Path(spec_dir)
    for i, part in enumerate(parts):
        here = here / part
        shown = "/".join(parts[: i + 1])
        try:
            st = os.lstat(here)
        except FileNotFoundError:
            return None, f"does not exist (no {shown!r} in the spec folder)"
        except OSError as exc:
            return None, f"cannot be read ({shown}: {exc.strerror})"
        if stat.S_ISLNK(st.st_mode):
            return None, f"goes through a link ({shown!r}); links are never followed"
        if not stat.S_ISDIR(st.st_mode):
            return None, f"is not a folder ({shown!r})"
    return here, ""


def _read_file(full: Path) -> bytes | str:
    """The bytes of ``full``, opened without following a link; a str says why not."""
    try:
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return "is a link" if os.path.islink(full) else f"cannot be read ({exc.strerror})"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "is not a regular file"
        if st.st_size > MAX_FILE_BYTES:
            return f"is larger than {MAX_FILE_BYTES} bytes"
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        return data if len(data) <= MAX_FILE_BYTES else f"is larger than {MAX_FILE_BYTES} bytes"
    finally:
        os.close(fd)


def _read_folder(spec_dir: Path, raw: RawFile, path: tuple, folder: str) -> tuple[list[TemplateFile], list[Finding]]:
    """Every regular file below ``folder`` (inside the spec folder), sorted by path;
    template files are parsed so that a syntax error is reported here."""
    where = raw.where(path + ("folder",))
    root, problem = _confined(spec_dir, folder)
    if root is None:
        if problem.startswith("does not exist"):
            return [], [error("invalid-value", f"template folder {folder!r} {problem}", where,
                              "create the folder or fix the path; it is relative to the spec folder")]
        return [], [error("unsafe-path", f"template folder {folder!r} {problem}", where,
                          "keep template folders inside the spec folder as real folders, e.g. `templates/go` "
                          "(relative to the spec folder; no links, no `..`)")]
    found: list[TemplateFile] = []
    findings: list[Finding] = []
    for dirpath, dirnames, filenames in os.walk(root):
        for d in sorted(dirnames):
            if os.path.islink(os.path.join(dirpath, d)) and not d.startswith("."):
                rel = (Path(dirpath) / d).relative_to(root).as_posix()
                findings.append(error("unsafe-path", f"{rel} in template folder {folder!r} is a link; links are never followed",
                                      Location(f"{folder.rstrip('/')}/{rel}", 1, 1), "replace it with a real folder"))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__"
                             and not os.path.islink(os.path.join(dirpath, d)))
        for fname in sorted(filenames):
            if fname.startswith("."):
                continue
            full = Path(dirpath) / fname
            rel = full.relative_to(root).as_posix()
            label = Location(f"{folder.rstrip('/')}/{rel}", 1, 1)
            if len(found) >= MAX_FILES:
                return found, findings + [error("invalid-value", f"template folder {folder!r} holds more than {MAX_FILES} files", where, "split it into several template targets")]
            if os.path.islink(full):
                findings.append(error("unsafe-path", f"{rel} in template folder {folder!r} is a link; links are never followed", label, "replace it with a regular file"))
                continue
            if not all(_SAFE_PART.fullmatch(part) for part in output_name(rel).split("/")):
                findings.append(error("invalid-name", f"template file {rel!r} does not give a safe output file name", label, "use letters, digits, '_', '.' and '-' (not starting with '.' or '-')"))
                continue
            data = _read_file(full)
            if isinstance(data, str):
                code = "unsafe-path" if data == "is a link" else "invalid-value"
                findings.append(error(code, f"template file {rel} in template folder {folder!r} {data}", label,
                                      "replace it with a regular UTF-8 file" if code == "unsafe-path" else "split it or replace it with a regular file"))
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                findings.append(error("invalid-value", f"template file {rel} is not UTF-8 text ({exc.reason} at byte {exc.start})", label, "save it as UTF-8"))
                continue
            if rel.endswith(TEMPLATE_SUFFIX):
                problem = _syntax_error(text, label)
                if problem is not None:
                    findings.append(problem)
                    continue
            found.append(TemplateFile(rel, text))
    if not found and not findings:
        findings.append(error("invalid-value", f"template folder {folder!r} holds no files", where, f"add templates (`*{TEMPLATE_SUFFIX}`) or files to copy"))
    return found, findings


def _syntax_error(text: str, label: Location) -> Finding | None:
    from jinja2 import TemplateSyntaxError

    from generator.targets.template_budget import BudgetedSandbox

    try:
        BudgetedSandbox().parse(text)  # (the syntax of every template target's environment)
    except TemplateSyntaxError as exc:
        return error(
            "invalid-value",
            f"template syntax error: {exc.message}",
            Location(label.file, exc.lineno or 1, 1),
            "fix the Jinja syntax (see docs/template-context.md)",
        )
    return None
