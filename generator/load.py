"""Stage 1: read spec YAML files safely into plain data with source positions.

PyYAML's own loaders are unsafe for hostile input in two ways: they keep the last of
duplicate mapping keys silently, and they expand aliases, so a "billion laughs" file
costs gigabytes.  Here PyYAML (its C parser where present) only *composes* the node
graph, which shares aliased nodes and stays small, and our own converter builds the data
while counting every node it produces, refusing a file whose expansion passes a budget.
Size, nesting depth, encoding and tags are checked too; every problem becomes a
``Finding`` with file:line:column, and nothing here raises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Finding, error
from generator.model import Location

try:  # the C composer is several times faster on large specs
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure-Python fallback
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_FILES = 2000
MAX_NODES = 1_000_000  # nodes a file would produce after alias expansion
MAX_DEPTH = 64

_STR = "tag:yaml.org,2002:str"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}

Path_ = tuple  # a JSON-pointer-like tuple of keys and indexes


@dataclass(frozen=True)
class RawFile:
    """One loaded file: its data and where each element (by path) was written."""

    path: str
    data: Any
    positions: dict

    def where(self, path: tuple) -> Location:
        """Location of the element at ``path``, or of its nearest written ancestor."""
        path = tuple(path)
        while path not in self.positions and path:
            path = path[:-1]
        line, col = self.positions.get(path, (1, 1))
        return Location(self.path, line, col)

    def key_where(self, path: tuple) -> Location:
        """Location of the *key* that introduces ``path`` (for unknown-key errors)."""
        pos = self.positions.get(("#key",) + tuple(path))
        if pos:
            return Location(self.path, *pos)
        return self.where(path)


class _TooBig(Exception):
    pass


class _Bad(Exception):
    def __init__(self, code: str, message: str, node: yaml.Node, help: str = ""):
        super().__init__(message)
        self.code, self.message, self.node, self.help = code, message, node, help


_constructor = yaml.constructor.SafeConstructor()


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.tag not in _SCALAR_TAGS:
        raise _Bad(
            "yaml-tag",
            f"unsupported YAML tag {node.tag!r}",
            node,
            "remove the tag; spec files use plain YAML scalars, mappings and lists",
        )
    value = _constructor.construct_object(node, deep=False)
    if isinstance(value, float) and not math.isfinite(value):
        raise _Bad("yaml-value", f"non-finite number {node.value!r}", node, "write a finite number")
    return value


class _Converter:
    """Turns a composed node graph into data, counting nodes through aliases."""

    def __init__(self) -> None:
        self.count = 0
        self.positions: dict = {}

    def convert(self, node: yaml.Node, path: tuple = (), depth: int = 0) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig()
        if depth > MAX_DEPTH:
            raise _Bad(
                "yaml-depth",
                f"nesting deeper than {MAX_DEPTH} levels",
                node,
                "flatten the document; spec files need only a few levels",
            )
        if path not in self.positions:
            self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                raise _Bad("yaml-tag", f"unsupported YAML tag {node.tag!r}", node, "remove the tag")
            return [self.convert(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                raise _Bad("yaml-tag", f"unsupported YAML tag {node.tag!r}", node, "remove the tag")
            out: dict = {}
            for knode, vnode in node.value:
                if knode.tag == "tag:yaml.org,2002:merge":
                    raise _Bad(
                        "yaml-merge-key",
                        "merge keys (<<) are not supported",
                        knode,
                        "write the keys out; merged keys hide where a value came from",
                    )
                if not isinstance(knode, yaml.ScalarNode):
                    raise _Bad("yaml-key", "mapping keys must be plain scalars", knode, "use a string key")
                key = _scalar(knode)
                if not isinstance(key, str):
                    key = knode.value  # `1: x` or `true: x` -> keep the text as written
                if key in out:
                    first = self.positions.get(("#key",) + path + (key,), (0, 0))
                    raise _Bad(
                        "duplicate-key",
                        f"duplicate key {key!r} (first defined at line {first[0]})",
                        knode,
                        "remove or rename one of them; YAML would otherwise keep only the last",
                    )
                self.positions[("#key",) + path + (key,)] = (
                    knode.start_mark.line + 1,
                    knode.start_mark.column + 1,
                )
                out[key] = self.convert(vnode, path + (key,), depth + 1)
            return out
        raise _Bad("yaml-node", "unsupported YAML node", node)  # pragma: no cover


def expanded_size(root: yaml.Node, limit: int) -> int | None:
    """How many nodes converting ``root`` would produce, aliases expanded, computed
    on the shared node graph (linear in its size, no expansion).  Returns None for a
    recursive alias; stops counting past ``limit``."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            if isinstance(node, yaml.SequenceNode):
                kids = node.value
            else:
                kids = [n for pair in node.value for n in pair]
            sizes[key] = min(limit + 1, 1 + sum(sizes[id(k)] for k in kids))
            continue
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        if key in on_path:
            return None
        on_path.add(key)
        stack.append((node, True))
        kids = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
        for kid in kids:
            if id(kid) in on_path:
                return None
            if id(kid) not in sizes:
                stack.append((kid, False))
    return sizes[id(root)]


def load_text(text: str, rel: str) -> tuple[RawFile | None, list[Finding]]:
    """Parse one document's text.  Returns (file, findings); file is None on error."""
    loc0 = Location(rel, 1, 1)
    if not text.strip():
        return None, [error("empty-file", "file is empty", loc0, "add `spec_format: 1` and content, or delete the file")]
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(rel, mark.line + 1, mark.column + 1) if mark else loc0
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        return None, [error("yaml-syntax", f"invalid YAML: {what}", loc, "fix the YAML syntax at this position")]
    except yaml.YAMLError as exc:
        return None, [error("yaml-syntax", f"invalid YAML: {exc}", loc0, "fix the YAML syntax")]
    except RecursionError:
        return None, [error("yaml-depth", "document nested too deeply to read", loc0, "flatten the document")]
    if node is None:
        return None, [error("empty-file", "file holds no YAML document", loc0, "add `spec_format: 1` and content")]
    size = expanded_size(node, MAX_NODES)
    if size is None:
        return None, [error("yaml-recursive-alias", "an alias refers to a node that contains it", loc0, "remove the recursive alias (*name inside its own &name)")]
    if size > MAX_NODES:
        return None, [
            error(
                "yaml-too-many-nodes",
                f"document expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
                loc0,
                "remove the repeated aliases (*name); write the data out or split the file",
            )
        ]
    conv = _Converter()
    try:
        data = conv.convert(node)
    except _TooBig:
        return None, [
            error(
                "yaml-too-many-nodes",
                f"document expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
                loc0,
                "remove the repeated aliases (*name); write the data out or split the file",
            )
        ]
    except _Bad as bad:
        m = bad.node.start_mark
        return None, [error(bad.code, bad.message, Location(rel, m.line + 1, m.column + 1), bad.help)]
    except RecursionError:
        return None, [error("yaml-depth", "document nested too deeply to read", loc0, "flatten the document")]
    if not isinstance(data, dict):
        got = type(data).__name__ if data is not None else "null"
        return None, [
            error(
                "top-level-type",
                f"top level must be a mapping, found {got}",
                loc0,
                "start the file with `spec_format: 1` followed by keys such as `features:`",
            )
        ]
    return RawFile(rel, data, conv.positions), []


def load_bytes(raw: bytes, rel: str) -> tuple[RawFile | None, list[Finding]]:
    """Decode (UTF-8, no NUL, no control garbage) and parse one file's bytes."""
    loc0 = Location(rel, 1, 1)
    if len(raw) > MAX_FILE_BYTES:
        return None, [
            error(
                "file-too-large",
                f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}",
                loc0,
                "split the spec into several files",
            )
        ]
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [
            error(
                "not-utf8",
                f"file is not UTF-8 text (bad byte at offset {exc.start})",
                Location(rel, line, 1),
                "save the file as UTF-8; is it a binary file in the spec folder?",
            )
        ]
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return None, [
            error("not-utf8", "file contains NUL bytes (binary data?)", Location(rel, line, 1), "remove the file or save it as UTF-8 text")
        ]
    return load_text(text, rel)


def spec_files(spec_dir: Path) -> list[Path]:
    """The spec's YAML files, in a stable order (sorted relative paths)."""
    files = [p for p in spec_dir.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(spec_dir).as_posix())


def load_dir(spec_dir: Path) -> tuple[list[RawFile], list[Finding]]:
    """Load every YAML file under ``spec_dir``; all findings from all files together."""
    spec_dir = Path(spec_dir)
    findings: list[Finding] = []
    if not spec_dir.is_dir():
        return [], [
            error("no-spec", f"spec folder {spec_dir} does not exist", Location(str(spec_dir)), "pass --spec DIR pointing at a folder of YAML files")
        ]
    files = spec_files(spec_dir)
    if not files:
        return [], [
            error("no-spec", f"no .yaml files in {spec_dir}", Location(str(spec_dir)), "add spec files, e.g. spec/product.yaml")
        ]
    if len(files) > MAX_FILES:
        return [], [error("too-many-files", f"{len(files)} spec files; the limit is {MAX_FILES}", Location(str(spec_dir)), "merge files")]
    out: list[RawFile] = []
    total = 0
    for path in files:
        rel = path.relative_to(spec_dir).as_posix()
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                raw = b"\0" * (MAX_FILE_BYTES + 1)  # refuse without reading it all
            else:
                raw = path.read_bytes()
        except OSError as exc:
            findings.append(error("unreadable", f"cannot read file: {exc.strerror}", Location(rel), "check permissions"))
            continue
        total += len(raw)
        if total > MAX_TOTAL_BYTES:
            findings.append(
                error("spec-too-large", f"spec passes {MAX_TOTAL_BYTES:,} bytes in total", Location(rel), "is something other than the spec in the folder?")
            )
            break
        if len(raw) > MAX_FILE_BYTES:
            findings.append(
                error("file-too-large", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}", Location(rel, 1, 1), "split the spec into several files")
            )
            continue
        raw_file, errs = load_bytes(raw, rel)
        findings.extend(errs)
        if raw_file is not None:
            out.append(raw_file)
    return out, findings
