"""``gen migrate``: the format-1 -> format-2 migration applied to a spec's text.

The edits are made with ``gen infer``'s comment-preserving machinery
(``generator.infer.edit.SpecText``) at the loader's positions: a key renamed where it is
written, a kind replaced in place, a ``type:`` line added before a payload's first key,
governance keys moved under a ``governance:`` line (two spaces deeper, comments between
them moving with them), an opt-out made the one item of ``opt_outs``.  Every other line
stays byte for byte.  Each rewritten file is loaded again and must give exactly what the
in-memory migration (``rules.migrate_data``) gives; a file where that fails, or where a
change cannot be made in place, is left as it is and reported.

Must not: decide what changes (``rules`` does), or write files (``run`` returns the new
bytes; the command writes them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import WARNING, Finding, error
from generator.infer.edit import EditError, SpecText
from generator.load import RawFile, load_bytes, load_dir
from generator.migrate.rules import INTO_GOVERNANCE, Change, changes, migrate_data


def _edit(st: SpecText, c: Change) -> None:
    """Make one element's change in the text (outer elements come first)."""
    p = c.element.path
    node = c.element.node
    if c.add_type:
        first = "event" if c.add_type == "event" else next(iter(node))
        st.insert_key_before(p + (first,), "type", c.add_type)
    for old, new in c.renamed.items():
        st.rename_key(p + (old,), new)
        if new in c.listed:
            st.wrap_in_list(p + (old,))
    for key, value in c.values.items():
        old = next((k for k, n in c.renamed.items() if n == key), key)
        if isinstance(value, dict):
            for i, item in value.items():
                st._replace(p + (old, i), item)
        else:
            st._replace(p + (old,), value)
    if c.governance:
        st.move_into_block(p, list(c.governance), "governance", INTO_GOVERNANCE)


def migrate_bytes(raw: RawFile, data: bytes) -> bytes:
    """The file's text as format 2 (unchanged when it is not format 1).  Raises
    ``EditError`` when a change cannot be made in place or the result does not load to
    what the in-memory migration gives."""
    if not isinstance(raw.data, dict) or raw.data.get("spec_format") != 1:
        return data
    st = SpecText(raw, data)
    st._replace(("spec_format",), 2)
    for c in changes(raw.data):
        if c.element.path not in raw.positions or st.shared(c.element.path):
            continue  # reached through an alias: the anchor's own edit changes it
        _edit(st, c)
    new = st.result()
    again, findings = load_bytes(new, raw.path)
    if again is None or again.data != migrate_data(raw.data):
        raise EditError(f"{raw.path}: the rewritten file would not load as the migration says "
                        f"({findings[0].message if findings else 'different data'}); migrate it by hand")
    return new


@dataclass(frozen=True)
class Migration:
    """What ``gen migrate`` found: new bytes per file (relative path) and findings."""

    files: dict[str, bytes]
    findings: list[Finding]


def run(spec_dir: Path) -> Migration:
    """The format-2 text of every format-1 file of the spec folder (files already in
    format 2 are left out), and a finding for each file that cannot be migrated."""
    spec_dir = Path(spec_dir)
    files, findings = load_dir(spec_dir)
    out: dict[str, bytes] = {}
    errors = [f for f in findings if f.severity == "error"]
    for raw in files:
        if not isinstance(raw.data, dict) or raw.data.get("spec_format") != 1:
            continue
        try:
            new = migrate_bytes(raw, (spec_dir / raw.path).read_bytes())
        except EditError as exc:
            errors.append(error("migrate-by-hand", str(exc), raw.where(()), "make the change by hand (docs/spec-reference.md lists them), then run `gen migrate` again"))
            continue
        if new != (spec_dir / raw.path).read_bytes():
            out[raw.path] = new
    if not out and not errors:
        where = files[0].where(()) if files else _nowhere(spec_dir)
        errors.append(Finding("old-spec-format", WARNING, "no format-1 file to migrate", where, "the spec is already in format 2"))
    return Migration(out, errors)


def _nowhere(spec_dir: Path):
    from generator.model import Location

    return Location(str(spec_dir), 1, 1)
