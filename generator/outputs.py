"""Resolves the spec's ``outputs`` block: the package name and the template targets.

A template target is a folder of Jinja templates a maintainer declares in the spec
(``name``, ``folder``, ``out``).  This module reads each folder once, when the spec is
loaded, into the model (``model.TemplateTarget``): targets stay pure functions of the
model (``generator.targets.user_templates`` renders them), and the build's reuse key,
which hashes the model, changes when a template does.  It checks what a maintainer can
get wrong -- a missing folder, a symlink, a file that is not UTF-8 or too large, a
template syntax error, a file name that is not a safe output path, two targets with one
name or overlapping output folders -- and reports each as a finding with file:line:column
and a fix.  It renders nothing and writes nothing.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from generator.diagnostics import Finding, error
from generator.load import RawFile
from generator.model import Location, Outputs, TemplateFile, TemplateTarget

MAX_FILES = 200
MAX_FILE_BYTES = 1024 * 1024
TEMPLATE_SUFFIX = ".j2"
_SAFE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")


def output_name(path: str) -> str:
    """Where a folder file lands inside the target's ``out``: ``x.ts.j2`` -> ``x.ts``."""
    return path.removesuffix(TEMPLATE_SUFFIX)


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
    return Outputs(package=block.get("package"), templates=tuple(targets)), findings


def _read_folder(spec_dir: Path, raw: RawFile, path: tuple, folder: str) -> tuple[list[TemplateFile], list[Finding]]:
    """Every regular file below ``folder`` (relative to the spec folder), sorted by
    path; template files are parsed so that a syntax error is reported here."""
    where = raw.where(path + ("folder",))
    if os.path.isabs(folder):
        return [], [error("invalid-value", f"template folder {folder!r} is an absolute path", where, "write it relative to the spec folder, e.g. `../templates/go`")]
    root = Path(spec_dir) / folder
    if not root.is_dir():
        return [], [error("invalid-value", f"template folder {folder!r} does not exist (looked in {root})", where, "create the folder or fix the path; it is relative to the spec folder")]
    found: list[TemplateFile] = []
    findings: list[Finding] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for fname in sorted(filenames):
            if fname.startswith("."):
                continue
            full = Path(dirpath) / fname
            rel = full.relative_to(root).as_posix()
            label = Location(f"{folder.rstrip('/')}/{rel}", 1, 1)
            if len(found) >= MAX_FILES:
                return found, findings + [error("invalid-value", f"template folder {folder!r} holds more than {MAX_FILES} files", where, "split it into several template targets")]
            if full.is_symlink() or not full.is_file():
                findings.append(error("invalid-value", f"{rel} in template folder {folder!r} is a symlink or not a regular file", label, "replace it with a regular file"))
                continue
            if not all(_SAFE_PART.fullmatch(part) for part in output_name(rel).split("/")):
                findings.append(error("invalid-name", f"template file {rel!r} does not give a safe output file name", label, "use letters, digits, '_', '.' and '-' (not starting with '.' or '-')"))
                continue
            if full.stat().st_size > MAX_FILE_BYTES:
                findings.append(error("invalid-value", f"template file {rel} is larger than {MAX_FILE_BYTES} bytes", label, "split it"))
                continue
            try:
                text = full.read_bytes().decode("utf-8")
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
    from jinja2 import Environment, TemplateSyntaxError

    try:  # the syntax of user_templates.environment (sandboxing changes no syntax)
        Environment(trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True).parse(text)
    except TemplateSyntaxError as exc:
        return error(
            "invalid-value",
            f"template syntax error: {exc.message}",
            Location(label.file, exc.lineno or 1, 1),
            "fix the Jinja syntax (see docs/template-context.md)",
        )
    return None
