"""Partial regeneration of the models: reuse the classes of unchanged payloads.

The models target (``generator.targets.models``) records a fingerprint per payload (its
stripped schema and the tools, see ``models.parts``).  When the spec changed, the build
hands it the last build's ``models/payloads.py`` and those fingerprints
(``generator.reuse.Previous``); this module cuts that file into one piece per payload
class, has only the changed payloads generated, and joins old and new pieces in spec
order, so a one-field edit runs datamodel-code-generator over one payload instead of all.

Why the result is the cold build's bytes: the generator treats each payload schema on
its own, except that a type alias several payloads need (a list item type named after
the field) is written once, just before its first user's class.  A class's piece is its
statements: the aliases written just before it, then the class.  Joining walks the
pieces in spec order and keeps an alias only at its first definition (a later identical
one is dropped); the import block is laid out (``models._import_block``) from the
imports whose names the joined pieces use.  Whenever that argument may not hold (one
name defined with two different texts, a name shared with an import, a used alias
defined nowhere, a class not named as its payload, a file that does not cut cleanly),
``join`` returns None and the caller generates the whole input.  The same join puts
together the slices ``models._generate_parts`` generates in parallel.  Tests compare
edited-then-rebuilt output and split generation with a whole run byte for byte.

It owns cutting and joining module text; it must not run the generator, manage
processes or touch the disk.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class Pieces:
    """A module cut up: ``head`` (text before the imports), ``imports`` (one
    ``(line, bound name)`` per imported name), ``classes`` (class name -> its piece: the
    ``(defined name, statement text)`` of the aliases before it and of itself, in file
    order) and ``names`` (class name -> the names its piece uses)."""

    head: str
    imports: list[tuple[str, str]]
    classes: dict[str, list[tuple[str, str]]]
    names: dict[str, set[str]]


def cut(code: str, placeholder: str) -> Pieces | None:
    """``code`` (the generator's output, or a ``payloads.py`` an earlier build wrote) cut
    into pieces, or None when it does not have the expected shape: a head, imports, then
    classes each preceded by their type aliases, blank lines between statements and
    nothing after the last class."""
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
            alias = f" as {a.asname}" if a.asname else ""
            if isinstance(node, ast.Import):
                imports.append((f"import {a.name}{alias}", a.asname or a.name.split(".")[0]))
                continue
            module = placeholder if node.level == 1 and node.module == "_base" else node.module
            if node.level and module != placeholder:
                return None
            imports.append((f"from {module} import {a.name}{alias}", a.asname or a.name))
    classes: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, set[str]] = {}
    statements: list[tuple[str, str]] = []
    used: set[str] = set()
    end = nodes[-1].end_lineno or 0
    for node in tree.body[len(nodes) + tree.body.index(nodes[0]):]:
        if isinstance(node, ast.ClassDef) and not node.decorator_list:
            name = node.name
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
        else:
            return None
        if "".join(lines[end: node.lineno - 1]).strip():
            return None  # a comment between statements: not a shape this module knows
        statements.append((name, "".join(lines[node.lineno - 1: node.end_lineno]).rstrip("\n")))
        used.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        end = node.end_lineno or 0
        if isinstance(node, ast.ClassDef):
            if name in classes:
                return None
            classes[name], names[name] = statements, used
            statements, used = [], set()
    if statements or "".join(lines[end:]).strip():
        return None  # aliases after the last class
    return Pieces("".join(lines[: nodes[0].lineno - 1]), imports, classes, names)


def join(order: list[str], sources: list[Pieces]) -> tuple[str, int] | None:
    """The generator's output for the payload classes ``order``, each class's piece
    taken from the first of ``sources`` that has it; None when the pieces cannot be
    joined to exactly what one run would give.  Also the length of its head, imports and
    first statement (all that needs parsing to lay out the imports: the classes are
    ``order``, each checked to be a class here)."""
    if not sources or any(s.head != sources[0].head for s in sources):
        return None
    texts: list[str] = []
    seen: dict[str, str] = {}
    used: set[str] = set()
    for name in order:
        source = next((s for s in sources if name in s.classes), None)
        if source is None:
            return None
        for defined, text in source.classes[name]:
            if defined in seen:
                if seen[defined] != text or defined == name:
                    return None
                continue  # a shared alias: written once, before its first user
            seen[defined] = text
            texts.append(text)
        used |= source.names[name]
    imports = [(line, bound) for s in sources for line, bound in s.imports]
    if {bound for _, bound in imports} & set(seen):
        return None
    aliases = {d for s in sources for piece in s.classes.values() for d, _ in piece}
    if (used & aliases) - set(seen):
        return None  # an alias whose first user is not among these pieces
    lines = dict.fromkeys(line for line, bound in imports if bound in used or line.startswith("from __future__ "))
    top = sources[0].head + "".join(f"{line}\n" for line in lines)
    # The generator leaves two blank lines before a class and three before an alias.
    seps = ["\n\n\n" if t.startswith("class ") else "\n\n\n\n" for t in texts]
    return top + "".join(sep + t for sep, t in zip(seps, texts)), len(top) + len(seps[0]) + len(texts[0])
