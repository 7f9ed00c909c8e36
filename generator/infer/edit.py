"""Apply ``gen infer``'s proposals to the spec files as targeted text edits.

Why targeted line edits and not a round-trip YAML library (ruamel.yaml): a maintainer
reviews the edit as a diff, so every line the edit does not change must stay byte for
byte what it was: comments, blank lines, key order, flow or block style, quoting, line
endings.  A round-trip library re-emits the whole file and normalises indentation,
line width and spacing (and would be a new dependency); here the loader's positions
(``generator.load`` keeps line and column of every node and key) say exactly where
each change goes, and only those spots are touched:

* a value to change (``kind``, ``wire_key``, ``values`` written in flow style) is
  replaced in place;
* a key to add goes before the closing ``}`` of a flow mapping, or on a new line after
  the last line of a block mapping, indented like its other keys;
* new fields and payloads are appended after the last item of their list, in its style
  (one flow mapping a line, or block mappings) and indentation (a missing ``fields:`` or
  ``payloads:`` is added, in block style).

What cannot be edited in place (a ``values`` list in block style that must change, a
list in flow style that must grow) raises ``EditError``; the proposal is then reported
for the maintainer instead.  This module only computes new file texts: it writes
nothing (``command.py`` writes, after checking the edited spec).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from typing import Any

from generator.load import RawFile

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_KEY = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^\s:,{}\[\]#][^:,{}\[\]#\n]*?(?=\s*:)")
_RESERVED = frozenset({"y", "yes", "n", "no", "on", "off", "true", "false", "null"})
_TOKEN = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^\s,}\]#][^,}\]#\n\r]*?(?=\s*(?:[,}\]]|\s#|$))", re.MULTILINE)


class EditError(Exception):
    """A change that cannot be made as a targeted edit (reported, not applied)."""


def scalar(value: Any) -> str:
    """A YAML scalar, plain when that cannot be misread, else double-quoted."""
    if value is True or value is False:
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return repr(value)
    if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
        return value
    out = []
    for ch in json.dumps(value, ensure_ascii=False):
        o = ord(ch)
        if o < 0x20 or 0x7F <= o <= 0x9F or 0xD800 <= o <= 0xDFFF or o in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF):
            out.append(f"\\u{o:04x}")
        else:
            out.append(ch)
    return "".join(out)


def flow(value: Any) -> str:
    """A value in flow style: a scalar or ``[a, b]``."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(scalar(v) for v in value) + "]"
    return scalar(value)


class SpecText:
    """One spec file's text with its loaded data and positions, and pending edits."""

    def __init__(self, raw: RawFile, data: bytes):
        self.raw = raw
        self.bom = data.startswith(b"\xef\xbb\xbf")
        self.text = data[3:].decode("utf-8") if self.bom else data.decode("utf-8")
        self.original = data
        self.lines = self.text.splitlines(keepends=True)
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line))
        self.newline = "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"
        self.ops: list[tuple[int, int, str]] = []  # (start, end, text), in the order made
        entries = []
        for path, (line, col) in raw.positions.items():
            node = path[1:] if path and path[0] == "#key" else path
            entries.append((line, col, node))
        entries.sort(key=lambda e: (e[0], e[1]))
        self.entry_lines = [e[0] for e in entries]
        self.entries = entries

    # ---- positions

    def offset(self, line: int, col: int) -> int:
        return self.starts[line - 1] + col - 1

    def pos(self, path: tuple) -> tuple[int, int]:
        return self.raw.positions[tuple(path)]

    def node(self, path: tuple) -> Any:
        value = self.raw.data
        for part in path:
            value = value[part]
        return value

    def shared(self, path: tuple) -> bool:
        """Whether the node at ``path`` or one holding it is anchored (``&name``) or an
        alias (``*name``): editing it would change every place that shares it."""
        for n in range(1, len(path) + 1):
            pos = self.raw.positions.get(tuple(path[:n]))
            if pos is None or self.text[self.offset(*pos)] in "&*":
                return True
        return False

    def last_line(self, path: tuple) -> int:
        """1-based number of the last line holding content of the node at ``path``: up
        to the next node outside it, without trailing blank and comment lines."""
        n = len(path)
        inside = [e[0] for e in self.entries if e[2][:n] == path]
        last = max(inside)
        i = bisect_right(self.entry_lines, last)
        stop = self.entries[i][0] if i < len(self.entries) else len(self.lines) + 1
        line = stop - 1
        while line > last:
            s = self.lines[line - 1].strip()
            if s and not s.startswith("#"):
                break
            line -= 1
        return line

    def _close(self, start: int, opener: str) -> int:
        """Offset of the bracket closing the flow collection opened at ``start``."""
        closer = {"{": "}", "[": "]"}[opener]
        depth, i, text = 0, start, self.text
        while i < len(text):
            ch = text[i]
            if ch in "\"'":
                j = i + 1
                while j < len(text) and text[j] != ch:
                    j += 2 if ch == '"' and text[j] == "\\" else 1
                i = j
            elif ch == "#" and text[i - 1] in " \t\n":
                i = text.find("\n", i)
                if i < 0:
                    break
            elif ch in "{[":
                depth += 1
            elif ch in "}]":
                depth -= 1
                if depth == 0:
                    if ch != closer:
                        break
                    return i
            i += 1
        raise EditError(f"{self.raw.path}: cannot find the end of the collection at offset {start}")

    # ---- edits on one mapping

    def set_keys(self, path: tuple, items: list[tuple[str, Any]]) -> None:
        """Set (or, for value None, remove) keys of the mapping at ``path``."""
        mapping = self.node(path)
        line, col = self.pos(path)
        start = self.offset(line, col)
        is_flow = self.text[start] == "{"
        add = []
        for key, value in items:
            if value is None:
                if key in mapping:
                    self._remove(path, key, is_flow)
            elif key in mapping:
                self._replace(path + (key,), value)
            else:
                add.append((key, value))
        if not add:
            return
        if is_flow:
            end = self._close(start, "{")
            j = end
            while self.text[j - 1] in " \t\r\n":
                j -= 1
            sep = ", " if mapping else ""
            self.ops.append((j, j, sep + ", ".join(f"{k}: {flow(v)}" for k, v in add)))
        else:
            indent = " " * (self.pos(("#key",) + path + (next(iter(mapping)),))[1] - 1)
            at = self.starts[self.last_line(path)]
            self.ops.append((at, at, "".join(self._block_key(indent, k, v) for k, v in add)))

    def _block_key(self, indent: str, key: str, value: Any) -> str:
        nl = self.newline
        if isinstance(value, list) and value and isinstance(value[0], dict):  # a list of mappings
            return f"{indent}{key}:{nl}" + "".join(self.block_item(indent + "  ", indent + "    ", m) for m in value)
        return f"{indent}{key}: {flow(value)}{nl}"

    def block_item(self, dash: str, indent: str, mapping: dict) -> str:
        """One block sequence item holding a mapping, ``dash`` before ``- ``."""
        text = "".join(self._block_key(indent, k, v) for k, v in mapping.items())
        return dash + "- " + text[len(indent):]

    def _replace(self, path: tuple, value: Any) -> None:
        line, col = self.pos(path)
        start = self.offset(line, col)
        if isinstance(value, (list, tuple)):
            if self.text[start] != "[":
                kline = self.raw.positions.get(("#key",) + path, (line, col))[0]
                raise EditError(f"{self.raw.path}:{kline}: `{path[-1]}` is a block list; change it by hand to {flow(value)}")
            end = self._close(start, "[") + 1
        else:
            end = self._scalar_end(path, start, line)
        self.ops.append((start, end, flow(value)))

    def _scalar_end(self, path: tuple, start: int, line: int) -> int:
        """End offset of the one-line scalar at ``start`` (a block scalar, ``|`` or
        ``>``, or anything else unreadable is left to the maintainer)."""
        m = None if self.text[start] in "|>&*" else _TOKEN.match(self.text, start)
        if m is None:
            raise EditError(f"{self.raw.path}:{line}: cannot change the value of `{path[-1]}` in place; edit it by hand")
        return m.end()

    def _remove(self, path: tuple, key: str, is_flow: bool) -> None:
        kline, kcol = self.pos(("#key",) + path + (key,))
        vline, vcol = self.pos(path + (key,))
        vstart = self.offset(vline, vcol)
        if not is_flow or (isinstance(self.node(path)[key], list) and self.text[vstart] != "["):
            raise EditError(f"{self.raw.path}:{kline}: remove `{key}` by hand")
        end = self._close(vstart, "[") + 1 if self.text[vstart] == "[" else self._scalar_end(path + (key,), vstart, vline)
        start = self.offset(kline, kcol)
        j = start
        while self.text[j - 1] in " \t":
            j -= 1
        if self.text[j - 1] == ",":
            start = j - 1
        elif self.text[end:].lstrip(" \t").startswith(","):
            end = self.text.index(",", end) + 1
        self.ops.append((start, end, ""))

    # ---- renaming and moving keys (``gen migrate``)

    def key_span(self, path: tuple) -> tuple[int, int]:
        """Start and end offsets of the key text that introduces ``path``."""
        line, col = self.pos(("#key",) + tuple(path))
        start = self.offset(line, col)
        m = _KEY.match(self.text, start)
        if m is None:
            raise EditError(f"{self.raw.path}:{line}: cannot read the key `{path[-1]}`; edit it by hand")
        return start, m.end()

    def value_span(self, path: tuple) -> tuple[int, int]:
        """Start and end offsets of a flow collection or one-line scalar at ``path``."""
        line, col = self.pos(path)
        start = self.offset(line, col)
        ch = self.text[start]
        if ch in "[{":
            return start, self._close(start, ch) + 1
        return start, self._scalar_end(path, start, line)

    def is_flow(self, path: tuple) -> bool:
        """Whether the collection at ``path`` is written in flow style (``{...}``/``[...]``)."""
        return self.text[self.offset(*self.pos(path))] in "[{"

    def rename_key(self, path: tuple, new: str) -> None:
        """Write ``new`` in place of the key that introduces ``path``."""
        start, end = self.key_span(path)
        self.ops.append((start, end, scalar(new)))

    def insert_key_before(self, path: tuple, key: str, value: Any) -> None:
        """Add ``key: value`` just before the key introducing ``path`` (same line style:
        ``key: value, `` in a flow mapping, a line of its own at the key's column in a
        block mapping)."""
        start, _ = self.key_span(path)
        if self.is_flow(path[:-1]):
            self.ops.append((start, start, f"{key}: {flow(value)}, "))
        else:
            col = self.pos(("#key",) + tuple(path))[1]
            self.ops.append((start, start, f"{key}: {flow(value)}{self.newline}{' ' * (col - 1)}"))

    def wrap_in_list(self, path: tuple) -> None:
        """Make the value at ``path`` the one item of a list: ``[value]`` for a flow
        value, a ``- `` item (its lines indented two more) for a block mapping."""
        line, col = self.pos(path)
        start = self.offset(line, col)
        if self.text[start] in "[{" or not isinstance(self.node(path), (dict, list)):
            end = self.value_span(path)[1]
            self.ops.append((start, start, "["))
            self.ops.append((end, end, "]"))
            return
        if not isinstance(self.node(path), dict) or self.lines[line - 1][: col - 1].strip():
            raise EditError(f"{self.raw.path}:{line}: make `{path[-1]}` a list by hand")
        self.ops.append((start, start, "- "))
        for n in range(line + 1, self.last_line(path) + 1):
            self.ops.append((self.starts[n - 1], self.starts[n - 1], "  "))

    def move_into_block(self, path: tuple, keys: list[str], block: str, names: dict[str, str]) -> None:
        """Move ``keys`` of the mapping at ``path`` into a new mapping ``block`` (a key of
        that mapping, where the first of them was), renamed by ``names``.  Block style:
        their lines move under a ``block:`` line, two spaces deeper, comments between
        them too; flow style: ``block: {...}`` with their texts."""
        first = keys[0]
        if self.is_flow(path):
            parts = []
            for k in keys:
                vstart, vend = self.value_span(path + (k,))
                parts.append(f"{scalar(names[k])}: {self.text[vstart:vend]}")
            kstart, _ = self.key_span(path + (first,))
            vend = self.value_span(path + (first,))[1]
            self.ops.append((kstart, vend, f"{block}: {{" + ", ".join(parts) + "}"))
            for k in keys[1:]:
                self._remove(path, k, True)
            return
        spans = []
        for k in keys:
            kline, kcol = self.pos(("#key",) + path + (k,))
            if self.lines[kline - 1][: kcol - 1].strip():
                raise EditError(f"{self.raw.path}:{kline}: move `{k}` under `{block}:` by hand")
            spans.append((kline, self.last_line(path + (k,)), k, kcol))
        spans.sort()
        groups: list[list] = []  # runs of spans separated only by blank and comment lines
        for span in spans:
            if groups and all(not ln.strip() or ln.lstrip().startswith("#") for ln in self.lines[groups[-1][-1][1]:span[0] - 1]):
                groups[-1].append(span)
            else:
                groups.append([span])
        col = spans[0][3]
        moved = []
        for group in groups:
            lo, hi = group[0][0], group[-1][1]
            text = "".join(self.lines[lo - 1:hi])
            for kline, _last, k, kcol in group:  # rename inside the moved text
                if names[k] != k:
                    ks = self.starts[kline - 1] + kcol - 1 - self.starts[lo - 1]
                    m = _KEY.match(text, ks)
                    text = text[:ks] + scalar(names[k]) + text[m.end():]
            moved.append("".join((" " * 2 + ln if ln.strip() else ln) for ln in text.splitlines(keepends=True)))
            if group is not groups[0]:
                self.ops.append((self.starts[lo - 1], self.starts[hi], ""))
        at, end = self.starts[groups[0][0][0] - 1], self.starts[groups[0][-1][1]]
        self.ops.append((at, end, f"{' ' * (col - 1)}{block}:{self.newline}" + "".join(moved)))

    # ---- appending list items

    def append_items(self, list_path: tuple, parent_path: tuple, key: str, mappings: list[dict]) -> None:
        """Append block mappings to the list under ``key`` of the mapping at
        ``parent_path`` (``list_path`` is that list), creating the key when missing."""
        parent = self.node(parent_path) if parent_path or isinstance(self.raw.data, dict) else None
        items = parent.get(key) if isinstance(parent, dict) else None
        nl = self.newline
        if not items:
            if key in (parent or {}):
                raise EditError(f"{self.raw.path}: `{key}` is empty or null; add the items by hand")
            if parent_path:
                self.set_keys(parent_path, [(key, list(mappings))])
            else:  # a top-level list: at the end of the file
                text = self.text
                lead = "" if not text or text.endswith(("\n", "\r")) else nl
                body = "".join(self.block_item("  ", "    ", m) for m in mappings)
                self.ops.append((len(text), len(text), f"{lead}{nl}{key}:{nl}{body}"))
            return
        line, col = self.pos(list_path)
        if self.text[self.offset(line, col)] == "[":
            raise EditError(f"{self.raw.path}:{line}: `{key}` is a flow list; add the items by hand")
        last = list_path + (len(items) - 1,)
        iline, icol = self.pos(last)
        row = self.lines[iline - 1]
        dash_at = row.rfind("-", 0, icol - 1)
        if dash_at < 0 or row[:dash_at].strip():
            raise EditError(f"{self.raw.path}:{iline}: unusual list layout; add the items by hand")
        at = self.starts[self.last_line(last)]
        if self.text[self.offset(iline, icol)] == "{":  # one flow mapping a line: write them so
            nl = self.newline
            self.ops.append((at, at, "".join(self.flow_item(" " * dash_at, m) + nl for m in mappings)))
            return
        indent = " " * (icol - 1) if isinstance(items[-1], dict) else " " * (dash_at + 2)
        self.ops.append((at, at, "".join(self.block_item(" " * dash_at, indent, m) for m in mappings)))

    def flow_item(self, dash: str, mapping: dict) -> str:
        """One sequence item holding a flow mapping on one line (no trailing newline)."""
        return dash + "- {" + ", ".join(f"{k}: {flow(v)}" for k, v in mapping.items()) + "}"

    # ---- result

    def result(self) -> bytes:
        """The file's bytes with every pending edit applied."""
        text = self.text
        order = sorted(range(len(self.ops)), key=lambda i: (self.ops[i][0], i), reverse=True)
        for i in order:
            start, end, new = self.ops[i]
            text = text[:start] + new + text[end:]
        out = text.encode("utf-8")
        return b"\xef\xbb\xbf" + out if self.bom else out


# ------------------------------------------------------------------ the whole edit

_FIELD_KEY_ORDER = ("wire_key", "kind", "values", "required", "personal_data", "inferred")


def element_paths(files: dict[str, SpecText]) -> dict[tuple, tuple[str, tuple]]:
    """(file, line, column) -> (file, path) of every payload and field mapping, so a
    resolved element's ``Location`` leads back to the text that declares it."""
    index: dict[tuple, tuple[str, tuple]] = {}
    for rel, st in files.items():
        for i, p in enumerate(st.raw.data.get("payloads") or []):
            index[(rel, *st.pos(("payloads", i)))] = (rel, ("payloads", i))
            for j, _f in enumerate((p.get("fields") or []) if isinstance(p, dict) else []):
                path = ("payloads", i, "fields", j)
                if path in st.raw.positions:  # not when the list is an alias (*name)
                    index[(rel, *st.pos(path))] = (rel, path)
    return index


def plan(proposals: list, files: dict[str, SpecText], payload_locations: dict, section_file: str | None) -> tuple[dict[str, bytes], list]:
    """Apply the edit proposals to the files' texts.

    ``payload_locations`` maps a known payload's wire name to its ``Location``;
    ``section_file`` is where new payloads go (appended to its ``payloads:``).  Returns
    the new bytes of every file that changed and the proposals that could not be
    applied, each with the reason.
    All changes to one field are made together (its review markers joined).
    """
    index = element_paths(files)
    failed: list = []
    by_field: dict[tuple, list] = {}
    new_fields: dict[str, list] = {}
    new_payloads: list = []
    for p in proposals:
        if p.action in ("rename", "kind", "values", "required"):
            loc = p.location
            hit = index.get((loc.file, loc.line, loc.column))
            if hit is None or files[hit[0]].shared(hit[1]):
                failed.append((p, f"{loc}: the field is shared through a YAML anchor or alias; edit it by hand"))
            else:
                by_field.setdefault(hit, []).append(p)
        elif p.action == "new-field":
            new_fields.setdefault(p.payload, []).append(p)
        elif p.action == "new-payload":
            new_payloads.append(p)
    for (rel, path), props in sorted(by_field.items()):
        st = files[rel]
        current = st.node(path).get("inferred")
        reviews = ([current] if current else []) + [p.review for p in props if p.review]
        changes = dict(kv for p in props for kv in p.changes)
        changes["inferred"] = "; ".join(reviews)
        items = [(k, changes[k]) for k in _FIELD_KEY_ORDER if k in changes]
        _try(st, lambda st=st, path=path, items=items: st.set_keys(path, items), props, failed)
    for name, props in sorted(new_fields.items()):
        loc = payload_locations[name]
        rel, path = index[(loc.file, loc.line, loc.column)]
        st = files[rel]
        if st.shared(path + ("fields",)):
            failed.extend((p, f"{loc}: the payload's fields are shared through a YAML anchor or alias; add the field by hand")
                          for p in props)
            continue
        mappings = [dict(p.changes) for p in props]
        _try(st, lambda st=st, path=path, m=mappings: st.append_items(path + ("fields",), path, "fields", m), props, failed)
    if new_payloads:
        st = files[section_file]
        mappings = []
        for p in new_payloads:
            m = dict(p.changes)
            if p.fields:
                m["fields"] = [dict(f.changes) for f in p.fields]
            mappings.append(m)
        _try(st, lambda: st.append_items(("payloads",), (), "payloads", mappings), new_payloads, failed)
    out = {}
    for rel, st in files.items():
        new = st.result()
        if new != st.original:
            out[rel] = new
    return out, failed


def _try(st: SpecText, fn, props: list, failed: list) -> None:
    mark = len(st.ops)
    try:
        fn()
    except EditError as exc:
        del st.ops[mark:]
        failed.extend((p, str(exc)) for p in props)
