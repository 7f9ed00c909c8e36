"""Partial regeneration of the models: reuse the classes of unchanged payloads.

The models target (``generator.targets.models``) records a fingerprint per payload (its
stripped schema and the tools, see ``models.parts``).  When the spec changed, the build
hands it the last build's ``models/payloads.py`` and those fingerprints
(``generator.reuse.Previous``); this module cuts that file into one piece per payload
class, has only the changed payloads generated, and joins old and new pieces in spec
order, so a one-field edit runs datamodel-code-generator over one payload instead of all.

Why the result is the cold build's bytes: the generator treats each payload schema on
its own (the same argument as ``models._generate_parts``); a class's piece is its text
plus the type aliases written just before it; the import block is laid out
(``models._import_block``) from the union of the new pieces' imports and the old imports
whose names the reused pieces use.  Whenever that argument may not hold (a top-level
name defined twice, a name shared with an import, a class not named as its payload, a
file that does not split cleanly), ``join`` returns None and the caller generates the
whole input (e.g. a type alias the generator shares between payloads, defined at its
first user, meets a regenerated payload).  A test compares edited-then-rebuilt output
with a cold build byte for byte.

It owns cutting and joining module text; it must not run the generator, manage
processes or touch the disk.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Pieces:
    """A module cut up: ``head`` (text before the imports), ``imports`` (one
    ``(line, bound name)`` per imported name), ``classes`` (class name -> its piece, in
    file order), ``names`` (class name -> names its piece uses) and ``defines`` (class
    name -> the top-level names its piece defines)."""

    head: str
    imports: list[tuple[str, str]]
    classes: dict[str, str]
    names: dict[str, set[str]]
    defines: dict[str, list[str]]


def cut(code: str, placeholder: str) -> Pieces | None:
    """``code`` (the generator's output, or a ``payloads.py`` an earlier build wrote) cut
    into pieces, or None when it does not have the expected shape: a head, imports, then
    classes each preceded by their type aliases and nothing after the last class."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    nodes = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    if not nodes or any(n is not m for n, m in zip(nodes, tree.body[tree.body.index(nodes[0]):])):
        return None
    lines = code.splitlines(keepends=True)
    imports: list[tuple[str, str]] = []
    for node in nodes:
        for a in node.names:
            if isinstance(node, ast.Import):
                imports.append((f"import {a.name}" + (f" as {a.asname}" if a.asname else ""),
                                a.asname or a.name.split(".")[0]))
                continue
            module = placeholder if node.level == 1 and node.module == "_base" else node.module
            if node.level and module != placeholder:
                return None
            imports.append((f"from {module} import {a.name}" + (f" as {a.asname}" if a.asname else ""),
                            a.asname or a.name))
    classes: dict[str, str] = {}
    names: dict[str, set[str]] = {}
    defines: dict[str, list[str]] = {}
    defined: list[str] = []
    start = nodes[-1].end_lineno or 0
    used: set[str] = set()
    for node in tree.body[len(nodes) + tree.body.index(nodes[0]):]:
        if isinstance(node, ast.ClassDef):
            defined.append(node.name)
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            defined.extend(t.id for t in node.targets if isinstance(t, ast.Name))
        else:
            return None
        used.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        if isinstance(node, ast.ClassDef):
            if node.name in classes:
                return None
            classes[node.name] = "".join(lines[start:node.end_lineno]).strip("\n")
            names[node.name], defines[node.name] = used, defined
            used, defined, start = set(), [], node.end_lineno or 0
    if defined or "".join(lines[start:]).strip():
        return None  # aliases after the last class: not a shape this module knows
    return Pieces("".join(lines[: nodes[0].lineno - 1]), imports, classes, names, defines)


def join(order: list[str], old: Pieces, new: Pieces | None, fresh: set[str]) -> tuple[str, int] | None:
    """The generator's output for the payload classes ``order``: the pieces named in
    ``fresh`` from ``new`` (the generator's output for just those), the others from
    ``old``; None when the pieces cannot be joined to exactly what one run would give.
    Also the length of its head, imports and first piece (all that needs parsing to lay
    out the imports: the classes are ``order``, each checked to be a class here)."""
    pieces, defined, imports = [], [], []
    if new is not None:
        if set(new.classes) != fresh or new.head != old.head:
            return None
        defined += [d for ds in new.defines.values() for d in ds]
        imports += [line for line, _ in new.imports]
    elif fresh:
        return None
    used: set[str] = set()
    for name in order:
        source = new if name in fresh else old
        if source is None or name not in source.classes:
            return None
        pieces.append(source.classes[name])
        if name not in fresh:
            used |= old.names[name]
            defined += old.defines[name]
    imports += [line for line, bound in old.imports if bound in used or line.startswith("from __future__ ")]
    bound = {b for _, b in old.imports} | ({b for _, b in new.imports} if new else set())
    if len(set(defined)) != len(defined) or bound & set(defined):
        return None
    # A kept piece using an alias that the last build defined in a piece now replaced
    # (the generator defines a shared alias once, at its first user): not joinable.
    if (used & {d for ds in old.defines.values() for d in ds}) - set(defined):
        return None
    # The generator leaves two blank lines before a class and three before a type alias
    # that follows a class (a piece starts with its aliases); ``_import_block`` lays out
    # what follows the imports.
    seps = ["\n\n\n" if p.startswith("class ") else "\n\n\n\n" for p in pieces]
    top = old.head + "".join(f"{line}\n" for line in dict.fromkeys(imports))
    body = "".join(sep + p for sep, p in zip(seps, pieces))
    return top + body, len(top) + len(seps[0]) + len(pieces[0])

