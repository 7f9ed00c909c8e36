"""Stage 1: read spec YAML files safely into plain data with source positions.

PyYAML's own loaders are unsafe for hostile input: they keep the last of duplicate
mapping keys silently, they expand aliases (a "billion laughs" file costs gigabytes), and
the C composer recurses once per nesting level (a file of 100,000 ``[`` crashes the
interpreter).  Here PyYAML's parser (its C parser where present) only produces *events*,
and one iterative loop builds the data from them: it rejects duplicate keys, merge keys and
non-plain tags where they are written, refuses nesting past ``MAX_DEPTH``, and counts every
node, an alias counting as the subtree it repeats, so a file whose expansion passes
``MAX_NODES`` is refused without being expanded.  Size and encoding are checked before
parsing.  Every problem becomes a ``Finding`` with file:line:column; nothing here raises.

Must not: interpret the data (that is ``spec_format`` and ``resolve``), follow includes
or tags, or read anything outside the spec folder's own ``.yaml``/``.yml`` files.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Finding, error
from generator.model import Location

try:  # the C parser (libyaml) is several times faster on large specs
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure-Python fallback
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 64 * 1024 * 1024
MAX_FILES = 2000
MAX_NODES = 250_000  # nodes one file may produce, aliases expanded (a big spec file has ~50k)
MAX_TOTAL_NODES = 500_000  # the same across all files: bounds memory (~250 bytes a node)
MAX_DEPTH = 64

_ALLOWED_SCALAR_TAGS = frozenset(
    {
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:null",
    }
)
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"

_TOO_MANY_NODES_HELP = "remove the repeated aliases (*name); write the data out or split the file"


@dataclass(frozen=True)
class RawFile:
    """One loaded file: its data and where each element (by path) was written.

    ``data`` is plain JSON-like data (dict, list, str, int, float, bool, None).  Content
    reached through an alias is shared, not copied, so treat ``data`` as read-only.
    """

    path: str
    data: Any
    positions: dict
    nodes: int = 0  # nodes after alias expansion (counts toward MAX_TOTAL_NODES)

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


class _Bad(Exception):
    """A problem at a position in the text; becomes one finding."""

    def __init__(self, code: str, message: str, mark: Any, help: str = ""):
        super().__init__(message)
        self.code, self.message, self.mark, self.help = code, message, mark, help


_constructor = yaml.constructor.SafeConstructor()
_resolver = yaml.resolver.Resolver()


def _tag_error(tag: str, mark: Any) -> _Bad:
    return _Bad(
        "yaml-tag",
        f"unsupported YAML tag {tag!r}",
        mark,
        "remove the tag; spec files use plain YAML strings, numbers, booleans, mappings and lists",
    )


# First characters of plain scalars that YAML 1.1 might resolve to something other than a
# string (numbers, booleans, null, `<<`, `=`); any other plain scalar is a string.
_IMPLICIT_FIRST = frozenset(k for k in yaml.resolver.Resolver.yaml_implicit_resolvers if k is not None)
_NO_WILDCARD = None not in yaml.resolver.Resolver.yaml_implicit_resolvers
_PLAIN_TAGS: dict[str, str] = {}  # memo of resolved tags of short plain scalars (keys, etc.)


def _scalar(event: yaml.ScalarEvent) -> Any:
    """The value of one scalar event (YAML 1.1 core types only; no timestamps, no
    Python objects, no binary)."""
    tag = event.tag
    value = event.value
    if tag is None or tag == "!":
        plain = event.implicit[0]
        if not plain or (_NO_WILDCARD and value and value[0] not in _IMPLICIT_FIRST):
            return value  # quoted, or plain text that cannot be a number/bool/null
        tag = _PLAIN_TAGS.get(value)
        if tag is None:
            tag = _resolver.resolve(yaml.ScalarNode, value, event.implicit)
            if len(_PLAIN_TAGS) < 4096 and len(value) < 40:
                _PLAIN_TAGS[value] = tag
        if tag not in _ALLOWED_SCALAR_TAGS:
            # An implicit timestamp (`2024-01-31`), `=` or `<<` in value position: keep
            # the text as written instead of surprising the author with a date object.
            return value
    elif tag not in _ALLOWED_SCALAR_TAGS:
        raise _tag_error(tag, event.start_mark)
    if tag == _STR:
        return value
    try:
        out = _constructor.yaml_constructors[tag](_constructor, yaml.ScalarNode(tag, value))
    except (ValueError, KeyError, IndexError):  # an explicit tag on text that does not fit it
        short = tag.rsplit(":", 1)[-1]
        what = {"int": "an integer", "float": "a number", "bool": "a boolean"}.get(short, f"a {short}")
        raise _Bad("yaml-value", f"{value!r} is not {what}, as its tag !!{short} says", event.start_mark, f"write {what}, or remove the tag") from None
    if isinstance(out, float) and not math.isfinite(out):
        raise _Bad("yaml-value", f"non-finite number {value!r}", event.start_mark, "write a finite number")
    return out


def _is_merge_key(event: yaml.ScalarEvent) -> bool:
    return (
        event.value == "<<"
        and event.tag is None
        and event.implicit[0]
        and _resolver.resolve(yaml.ScalarNode, event.value, event.implicit) == _MERGE
    )


def _scalar_node(event: yaml.ScalarEvent, anchors: dict, in_key: bool) -> Any:
    """The value of a scalar event that may be anything (tagged, anchored, a number):
    the composer's slow path, checks in the order the fast path would make them."""
    mark = event.start_mark
    if in_key and _is_merge_key(event):
        raise _Bad("yaml-merge-key", "merge keys (<<) are not supported", mark, "write the keys out; merged keys hide where a value came from")
    value = _scalar(event)
    anchor = event.anchor
    if anchor is not None:
        if anchor in anchors:
            raise _Bad("yaml-syntax", f"invalid YAML: anchor &{anchor} is defined twice (first at line {anchors[anchor][2].line + 1})", mark, "rename one of the anchors")
        anchors[anchor] = (value, 1, mark)
    return value


_NO_KEY = object()  # a mapping waiting for its next key
_SKIP = object()  # the key of a repeated mapping entry: its value is dropped


def _compose(loader: Any, limit: int = MAX_NODES, soft: list | None = None) -> tuple[Any, dict, int]:
    """Build plain data straight from the parser's events, in one iterative pass.

    No recursion (so no nesting depth can crash the interpreter), no node graph (so
    memory follows the file's size), and every node counts toward ``MAX_NODES``, an
    alias counting as the whole subtree it repeats, so an alias bomb is refused as soon
    as its expansion passes the budget (``limit``), without ever being expanded.
    Returns (data, positions, node count); raises ``_Bad`` or a PyYAML error.  A
    problem that leaves the rest of the file readable (a repeated key: its first value
    is kept) is appended to ``soft`` instead, when given, so that one run reports it and
    everything after it.

    Speed: this loop runs once per event (a 20,000-field spec has ~200,000), so the
    container being built lives in local variables (pushed on ``stack`` only when a
    nested one opens), and an untagged, unanchored scalar that can only be a string
    (quoted, or plain text that its first character or an earlier resolution of the
    same text shows is no number, boolean or null) takes a path of its own;
    everything else goes through ``_scalar_node``.
    """
    positions: dict = {}
    anchors: dict[str, tuple[Any, int, Any]] = {}  # name -> (value, size, mark)
    open_anchors: set[str] = set()
    # The open container (None before the document's root) and what finishing it
    # needs; the enclosing ones are saved on ``stack`` as the same 7-tuple.
    cur: Any = None
    is_map = False
    path: tuple = ()
    keypath: tuple = ()  # ("#key",) + path: where a mapping's key positions are filed
    key: Any = _NO_KEY
    anchor: str | None = None
    start = 0  # values counted before ``cur`` opened (its size, for an alias, is the rest)
    stack: list[tuple] = []
    count = 0  # every node, keys included (the budget)
    keys = 0  # mapping keys among them (an alias repeats values only)

    def too_many(mark: Any, alias: bool) -> _Bad:
        if limit < MAX_NODES:
            what = f"the spec passes {MAX_TOTAL_NODES:,} nodes in total"
        else:
            what = f"document {'expands to' if alias else 'has'} more than {limit:,} nodes" + (" (an alias bomb?)" if alias else "")
        return _Bad("yaml-too-many-nodes", what, mark, _TOO_MANY_NODES_HELP)

    get_event = loader.get_event
    get_event()  # StreamStart
    if loader.check_event(yaml.StreamEndEvent):
        raise _Bad("empty-file", "file holds no YAML document", None, "add `spec_format: 2` and content")
    get_event()  # DocumentStart

    scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    map_start, seq_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    map_end, seq_end = yaml.MappingEndEvent, yaml.SequenceEndEvent
    may_be_other, no_wildcard, plain_tags = _IMPLICIT_FIRST, _NO_WILDCARD, _PLAIN_TAGS
    while True:
        event = get_event()
        cls = event.__class__

        # 1. Turn the event into a finished value (or open/close a container).
        if cls is scalar_event:
            count += 1
            mark = event.start_mark
            if count > limit:
                raise too_many(mark, alias=False)
            value = event.value
            plain_str = (
                event.tag is None
                and event.anchor is None
                and (not event.implicit[0] or (no_wildcard and value and value[0] not in may_be_other) or plain_tags.get(value) == _STR)
            )
            if is_map and key is _NO_KEY:
                if not plain_str:  # checked (tag, merge key, anchor), but kept as written: `1: x`
                    _scalar_node(event, anchors, True)
                keys += 1
                if value in cur:
                    first = positions.get(keypath + (value,), (0, 0))
                    bad = _Bad(
                        "duplicate-key",
                        f"duplicate key {value!r} (first defined at line {first[0]})",
                        mark,
                        "remove or rename one of them; YAML would otherwise keep only the last",
                    )
                    if soft is None:
                        raise bad
                    soft.append(bad)
                    key = _SKIP
                    continue
                positions[keypath + (value,)] = (mark.line + 1, mark.column + 1)
                key = value
                continue
            if not plain_str:
                value = _scalar_node(event, anchors, False)
        elif cls is map_end or cls is seq_end:
            value = cur
            if anchor is not None:
                open_anchors.discard(anchor)
                anchors[anchor] = (value, count - keys - start, event.start_mark)
            cur, is_map, path, keypath, key, anchor, start = stack.pop()
            # Attach without a position (the container's was filed when it opened).
            if cur is None:
                result = value
                break
            if is_map:
                if key is not _SKIP:
                    cur[key] = value
                key = _NO_KEY
            else:
                cur.append(value)
            continue
        elif cls is map_start or cls is seq_start:
            mark = event.start_mark
            opens_map = cls is map_start
            if is_map and key is _NO_KEY:
                raise _Bad("yaml-key", "mapping keys must be plain scalars", mark, "use a string key")
            if event.tag not in (None, "!", _MAP if opens_map else _SEQ):
                raise _tag_error(event.tag, mark)
            if len(stack) >= MAX_DEPTH:
                raise _Bad("yaml-depth", f"nesting deeper than {MAX_DEPTH} levels", mark, "flatten the document; spec files need only a few levels")
            count += 1
            if count > limit:
                raise too_many(mark, alias=False)
            new_anchor = event.anchor
            if new_anchor is not None:
                if new_anchor in anchors or new_anchor in open_anchors:
                    line = anchors[new_anchor][2].line + 1 if new_anchor in anchors else "?"
                    raise _Bad("yaml-syntax", f"invalid YAML: anchor &{new_anchor} is defined twice (first at line {line})", mark, "rename one of the anchors")
                open_anchors.add(new_anchor)
            stack.append((cur, is_map, path, keypath, key, anchor, start))
            if cur is not None:
                path = path + ((key if is_map else len(cur)),)
            positions[path] = (mark.line + 1, mark.column + 1)
            start = count - keys - 1
            cur, is_map, key, anchor = ({} if opens_map else []), opens_map, _NO_KEY, new_anchor
            if opens_map:
                keypath = ("#key",) + path
            continue
        elif cls is alias_event:
            mark = event.start_mark
            name = event.anchor
            if name in open_anchors:
                raise _Bad(
                    "yaml-recursive-alias",
                    f"alias *{name} refers to a node that contains it",
                    mark,
                    f"remove the recursive alias (*{name} inside its own &{name})",
                )
            if name not in anchors:
                raise _Bad("yaml-syntax", f"invalid YAML: alias *{name} has no anchor &{name} before it", mark, "define the anchor first")
            if is_map and key is _NO_KEY:
                raise _Bad("yaml-key", "mapping keys must be plain scalars, not aliases", mark, "write the key out")
            value, size, _ = anchors[name]
            count += size
            if count > limit:
                raise too_many(mark, alias=True)
        else:  # pragma: no cover - the parser emits no other events inside a document
            raise _Bad("yaml-syntax", f"invalid YAML: unexpected {cls.__name__}", event.start_mark)

        # 2. Attach a scalar or an alias to its container, with its position.
        if is_map:
            if key is _SKIP:
                key = _NO_KEY
                continue
            positions[path + (key,)] = (mark.line + 1, mark.column + 1)
            cur[key] = value
            key = _NO_KEY
        elif cur is not None:
            positions[path + (len(cur),)] = (mark.line + 1, mark.column + 1)
            cur.append(value)
        else:
            positions[()] = (mark.line + 1, mark.column + 1)
            result = value
            break

    get_event()  # DocumentEnd
    if not loader.check_event(yaml.StreamEndEvent):
        extra = get_event()
        raise _Bad(
            "yaml-syntax",
            "invalid YAML: a spec file holds one YAML document, found another",
            extra.start_mark,
            "remove the `---` line, or split the documents into separate files",
        )
    return result, positions, count


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def load_text(text: str, rel: str, node_budget: int = MAX_NODES) -> tuple[RawFile | None, list[Finding]]:
    """Parse one document's text.  Returns (file, findings); file is None on error.

    ``node_budget`` (at most ``MAX_NODES``) is what is left of the whole spec's budget."""
    raw, findings = load_text_partial(text, rel, node_budget)
    return (None, findings) if findings else (raw, findings)


def load_text_partial(text: str, rel: str, node_budget: int = MAX_NODES) -> tuple[RawFile | None, list[Finding]]:
    """Like ``load_text``, but a file whose problems left the rest readable (repeated
    keys, control characters) is returned too, next to its findings, so that its other
    errors can be found in the same run; such a file must never be resolved."""
    loc0 = Location(rel, 1, 1)
    if not text or text.isspace():
        return None, [error("empty-file", "file is empty", loc0, "add `spec_format: 2` and content, or delete the file")]
    loader = _Loader(text)
    try:
        soft: list[_Bad] = []
        data, positions, nodes = _compose(loader, min(node_budget, MAX_NODES), soft)
    except _Bad as bad:
        loc = Location(rel, bad.mark.line + 1, bad.mark.column + 1) if bad.mark is not None else loc0
        return None, [error(bad.code, bad.message, loc, bad.help)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(rel, mark.line + 1, mark.column + 1) if mark else loc0
        if "maximum nesting depth" in (exc.problem or ""):  # libyaml's own flow-level limit
            return None, [error("yaml-depth", f"nesting deeper than {MAX_DEPTH} levels", loc, "flatten the document; spec files need only a few levels")]
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        ctx = exc.context_mark
        if ctx is not None and mark is not None and (ctx.line, ctx.column) != (mark.line, mark.column):
            what += f" (it started at line {ctx.line + 1}, column {ctx.column + 1})"
        help_ = "fix the YAML syntax at this position"
        if mark is not None and text[mark.index : mark.index + 1] == "\t":
            help_ = "YAML does not allow tabs for indentation; indent with spaces"
        return None, [error("yaml-syntax", f"invalid YAML: {what}", loc, help_)]
    except yaml.reader.ReaderError as exc:
        loc = Location(rel, *_line_col(text, exc.position)) if isinstance(exc.position, int) else loc0
        return None, [error("yaml-syntax", f"invalid YAML: {exc.reason}", loc, "remove the control character or save the file as UTF-8 text")]
    except yaml.YAMLError as exc:
        return None, [error("yaml-syntax", f"invalid YAML: {exc}", loc0, "fix the YAML syntax")]
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        got = {type(None): "null", list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}.get(type(data), "a scalar")
        return None, [
            error(
                "top-level-type",
                f"top level must be a mapping, found {got}",
                Location(rel, *positions.get((), (1, 1))),
                "start the file with `spec_format: 2` followed by keys such as `features:`",
            )
        ]
    raw = RawFile(rel, data, positions, nodes)
    found = [error(b.code, b.message, Location(rel, b.mark.line + 1, b.mark.column + 1), b.help) for b in soft]
    if "\\" in text or (not text.isascii() and _MAYBE_CONTROL.search(text)):
        found += _control_characters(raw)
    return raw, sorted(found, key=Finding.sort_key)


# Characters spec text must not hold: C0 controls except the whitespace ones (tab, line
# feed, carriage return: the docs fold them into a space), DEL, C1 controls, and the bidirectional overrides and isolates that can make text read
# differently from what it is.  YAML refuses most of them written raw, but its escapes
# ("\e", "\b", "\x7f", "\u202e") produce them; printed into the docs, model docstrings
# or a terminal they could hide or forge text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# Cheap test on the file's text: such characters can only come from an escape (a
# backslash in a quoted scalar), a raw NEL, or a raw bidirectional control (so, in an
# ASCII file, only from a backslash).
_MAYBE_CONTROL = re.compile(r"[\\\x85\u202a-\u202e\u2066-\u2069]")
_CONTROL_NAMES = {0x1B: "ESC", 0x08: "BS", 0x7F: "DEL", 0x00: "NUL", 0x07: "BEL", 0x0B: "VT", 0x0C: "FF", 0x85: "NEL", 0x202E: "RIGHT-TO-LEFT OVERRIDE"}


def _control_characters(raw: RawFile) -> list[Finding]:
    """One finding per key or string value of ``raw`` that holds a control character."""
    out: list[Finding] = []
    stack: list[tuple[tuple, Any]] = [((), raw.data)]
    seen: set[int] = set()
    while stack:
        path, node = stack.pop()
        if isinstance(node, (dict, list)):
            if id(node) in seen:  # shared through an alias: already checked
                continue
            seen.add(id(node))
        if isinstance(node, dict):
            for k, v in node.items():
                if isinstance(k, str) and _CONTROL.search(k):
                    out.append(_control_finding(k, raw.key_where(path + (k,)), "key"))
                stack.append((path + (k,), v))
        elif isinstance(node, list):
            stack.extend((path + (i,), v) for i, v in enumerate(node))
        elif isinstance(node, str) and _CONTROL.search(node):
            out.append(_control_finding(node, raw.where(path), "text"))
    return sorted(out, key=Finding.sort_key)


def _control_finding(text: str, loc: Location, what: str) -> Finding:
    m = _CONTROL.search(text)
    assert m is not None
    code = ord(m.group(0))
    name = _CONTROL_NAMES.get(code, "control character")
    return error(
        "control-character",
        f"{what} holds U+{code:04X} ({name}) at character {m.start() + 1}: {text[: m.start()]!r}...",
        loc,
        "remove it (check for escapes such as \\e, \\b, \\x7f or \\u202e in double quotes): spec text is printed into docs, model docstrings and terminals, where it could hide or forge text",
    )


def load_bytes(raw: bytes, rel: str, node_budget: int = MAX_NODES, partial: bool = False) -> tuple[RawFile | None, list[Finding]]:
    """Decode (UTF-8, no NUL, no control garbage) and parse one file's bytes (with
    ``partial``, as ``load_text_partial`` does)."""
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
    return (load_text_partial if partial else load_text)(text, rel, node_budget)


def spec_files(spec_dir: Path) -> list[Path]:
    """The spec's YAML files, in a stable order (sorted relative paths).  Links are
    never followed (see ``linked_entries``)."""
    files = []
    for dirpath, dirnames, filenames in os.walk(spec_dir):
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        files += [Path(dirpath) / f for f in filenames
                  if f.endswith((".yaml", ".yml")) and not os.path.islink(os.path.join(dirpath, f))]
    return sorted(files, key=lambda p: p.relative_to(spec_dir).as_posix())


def linked_entries(spec_dir: Path) -> list[str]:
    """Links below the spec folder that name a YAML file or a folder (relative paths):
    a spec comes in pull requests, and a link would make the loader read a file outside
    the spec folder (``/etc/passwd``) or the same folder twice."""
    out = []
    for dirpath, dirnames, filenames in os.walk(spec_dir):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            if os.path.islink(full) and (name in dirnames or name.endswith((".yaml", ".yml"))):
                out.append(Path(full).relative_to(spec_dir).as_posix())
    return sorted(out)


def load_dir(spec_dir: Path, partial: list[RawFile] | None = None, parsed: Any = None) -> tuple[list[RawFile], list[Finding]]:
    """Load every YAML file under ``spec_dir`` (or from ``parsed``); all findings together.

    Files with errors are left out of the result; with ``partial`` (a list), those whose
    problems left the rest readable are appended to it, so that the caller can look for
    their other errors in the same run.

    An oversized file is refused from its size alone (never read), and only bytes
    actually read count toward ``MAX_TOTAL_BYTES``, so one huge file does not hide the
    findings of the others.
    """
    spec_dir = Path(spec_dir)
    findings: list[Finding] = []
    if not spec_dir.is_dir():
        return [], [
            error("no-spec", f"spec folder {spec_dir} does not exist", Location(str(spec_dir)), "pass --spec DIR pointing at a folder of YAML files")
        ]
    files = spec_files(spec_dir)
    findings += [
        error("unsafe-path", "a link in the spec folder; links are never followed", Location(rel, 1, 1),
              "replace the link with the file or folder itself (a spec must not read outside its folder)")
        for rel in linked_entries(spec_dir)
    ]
    if not files and not findings:
        return [], [
            error("no-spec", f"no .yaml files in {spec_dir}", Location(str(spec_dir)), "add spec files, e.g. spec/product.yaml")
        ]
    if len(files) > MAX_FILES:
        return [], [error("too-many-files", f"{len(files)} spec files; the limit is {MAX_FILES}", Location(str(spec_dir)), "merge files")]
    out: list[RawFile] = []
    total = nodes = 0
    for path in files:
        rel = path.relative_to(spec_dir).as_posix()
        try:
            size = path.lstat().st_size
            raw = b""
            if size <= MAX_FILE_BYTES:  # never through a link; nothing that blocks (a fifo)
                fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
                with os.fdopen(fd, "rb") as fh:  # read at most one byte past the limit
                    if not stat.S_ISREG(os.fstat(fd).st_mode):
                        raise OSError(0, "not a regular file")
                    raw = fh.read(MAX_FILE_BYTES + 1)
                size = len(raw)
        except OSError as exc:
            findings.append(error("unreadable", f"cannot read file: {exc.strerror}", Location(rel), "check permissions"))
            continue
        if size > MAX_FILE_BYTES:
            findings.append(
                error("file-too-large", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}", Location(rel, 1, 1), "split the spec into several files")
            )
            continue
        total += size
        if total > MAX_TOTAL_BYTES:
            findings.append(
                error("spec-too-large", f"spec passes {MAX_TOTAL_BYTES:,} bytes in total", Location(rel, 1, 1), "is something other than the spec in the folder?")
            )
            break
        raw_file, errs = (parsed.get(rel, raw) if parsed is not None else None), []
        if raw_file is None or raw_file.nodes > MAX_TOTAL_NODES - nodes:
            raw_file, errs = load_bytes(raw, rel, MAX_TOTAL_NODES - nodes, partial=partial is not None)
            if parsed is not None and raw_file is not None and not errs:
                parsed.put(rel, raw, raw_file)
        findings.extend(errs)
        if raw_file is not None:
            (partial if errs and partial is not None else out).append(raw_file)
            nodes += raw_file.nodes
    return out, findings
