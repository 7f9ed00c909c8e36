"""Stage 1 (generator.load): hostile and unusual YAML is refused with a finding, never a
crash, in bounded time and memory; good YAML keeps exact source positions.

The hostile inputs (alias bomb, 50 MB file, 100,000-deep nesting, recursive alias, a file
of a million tiny nodes) run ``gen check`` in a subprocess under a 512 MiB address-space
limit, so a loader that expands aliases or recurses per nesting level fails the test
(MemoryError, or a crash with a signal) instead of slowing the suite down.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from generator import load
from generator.load import load_bytes, load_dir, load_text
from generator.model import Location

REPO = Path(__file__).resolve().parents[1]
MEMORY_LIMIT = 512 * 2**20


def _limit_memory() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def gen_check(spec_dir: Path) -> tuple[int, list[dict], str]:
    """``gen check --no-output --format json`` under the memory limit: (exit code,
    finding records, stderr)."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-m", "generator.cli", "check", "--no-output", "--format", "json", "--spec", str(spec_dir)],
        check=False,
        preexec_fn=_limit_memory,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,  # generous: a correct loader needs a second or two
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    records = json.loads(proc.stdout) if proc.stdout.strip() else []
    return proc.returncode, records, proc.stderr


def _codes(records: list[dict]) -> list[tuple[str, str]]:
    return [(r["file"], r["code"]) for r in records]


# ------------------------------------------------------------ hostile input, bounded
def test_billion_laughs_is_refused_under_a_memory_limit(tmp_path: Path) -> None:
    lines = ["spec_format: 2", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    lines.append("features: *i")  # 9**9 ~ 387 million strings if expanded
    (tmp_path / "lol.yaml").write_text("\n".join(lines) + "\n")
    rc, records, _ = gen_check(tmp_path)
    assert rc == 1
    assert _codes(records) == [("lol.yaml", "yaml-too-many-nodes")]
    assert "alias bomb" in records[0]["message"]
    assert records[0]["line"] > 1 and records[0]["column"] > 1  # points at the alias


def test_fifty_megabyte_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    row = "  - {name: Setting, kind: boolean, description: " + "x" * 40 + "}\n"
    with open(tmp_path / "huge.yaml", "w") as fh:
        fh.write("spec_format: 2\npayloads:\n- section: s\n  fields:\n")
        fh.write(row * (50 * 2**20 // len(row) + 1))
    (tmp_path / "small.yaml").write_text("spec_format: 2\nbogus: 1\n")
    rc, records, _ = gen_check(tmp_path)
    assert rc == 1
    assert _codes(records) == [("huge.yaml", "file-too-large"), ("small.yaml", "unknown-key")]
    assert "split the spec" in records[0]["help"]


def test_deep_nesting_is_refused_without_crashing(tmp_path: Path) -> None:
    n = 100_000
    (tmp_path / "flow.yaml").write_text("spec_format: 2\nfeatures: " + "[" * n + "]" * n + "\n")
    (tmp_path / "maps.yaml").write_text("spec_format: 2\nfeatures: " + "{a: " * n + "1" + "}" * n + "\n")
    rc, records, _ = gen_check(tmp_path)
    assert rc == 1  # not -11 (SIGSEGV): PyYAML's C composer recursed once per level
    assert _codes(records) == [("flow.yaml", "yaml-depth"), ("maps.yaml", "yaml-depth")]


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    (tmp_path / "loop.yaml").write_text("spec_format: 2\nfeatures: &x\n  usage: [*x, *x]\n")
    rc, records, _ = gen_check(tmp_path)
    assert rc == 1
    assert _codes(records) == [("loop.yaml", "yaml-recursive-alias")]
    assert (records[0]["line"], records[0]["column"]) == (3, 11)


def test_a_million_tiny_nodes_under_the_byte_limit_are_refused(tmp_path: Path) -> None:
    (tmp_path / "many.yaml").write_text("spec_format: 2\nfeatures:\n" + "- 1\n" * 1_000_000)
    assert (tmp_path / "many.yaml").stat().st_size < load.MAX_FILE_BYTES
    rc, records, _ = gen_check(tmp_path)
    assert rc == 1
    assert _codes(records) == [("many.yaml", "yaml-too-many-nodes")]


# ------------------------------------------------------------ limits across files (in-process)
def test_oversize_files_are_not_read_and_do_not_count_toward_the_total(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(load, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(load, "MAX_TOTAL_BYTES", 5000)
    for i in range(10):  # 10 files of 2,000 bytes: each refused, none read
        (tmp_path / f"big{i}.yaml").write_bytes(b"#" * 2000)
    (tmp_path / "z_ok.yaml").write_text("spec_format: 2\n")
    real_open = Path.open

    def guarded_open(self, *args, **kwargs):
        assert not self.name.startswith("big"), f"{self.name} was read"
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    files, findings = load_dir(tmp_path)
    assert [f.code for f in findings] == ["file-too-large"] * 10
    assert [f.location for f in findings] == [Location(f"big{i}.yaml", 1, 1) for i in range(10)]
    assert [r.path for r in files] == ["z_ok.yaml"]


def test_total_bytes_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(load, "MAX_TOTAL_BYTES", 150)  # each file is 58 bytes
    for name in ("a.yaml", "b.yaml", "c.yaml"):
        (tmp_path / name).write_text("spec_format: 2\n# " + "x" * 40 + "\n")
    files, findings = load_dir(tmp_path)
    assert [(f.location.file, f.code) for f in findings] == [("c.yaml", "spec-too-large")]
    assert [r.path for r in files] == ["a.yaml", "b.yaml"]


def test_total_nodes_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(load, "MAX_NODES", 100)
    monkeypatch.setattr(load, "MAX_TOTAL_NODES", 150)
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text("spec_format: 2\nx: [" + ", ".join(["1"] * 90) + "]\n")
    files, findings = load_dir(tmp_path)
    assert [r.path for r in files] == ["a.yaml"]
    assert [(f.location.file, f.code) for f in findings] == [("b.yaml", "yaml-too-many-nodes")]
    assert "150 nodes in total" in findings[0].message


def test_aliases_count_as_what_they_repeat() -> None:
    text = "spec_format: 2\na: &a [1, 2, 3, 4]\nb: [*a, *a, *a]\n"
    raw, findings = load_text(text, "t.yaml")
    assert findings == []
    assert raw.nodes == 1 + 2 + 1 + 5 + 1 + 1 + 15  # map, spec_format, a, a's list, b, b's list, 3 x 5
    assert raw.data["b"] == [[1, 2, 3, 4]] * 3
    monkey_small, findings = load_text(text, "t.yaml", node_budget=20)
    assert monkey_small is None and [f.code for f in findings] == ["yaml-too-many-nodes"]


# ------------------------------------------------------------ spec folder problems
def test_missing_folder_and_folder_without_yaml(tmp_path: Path) -> None:
    _, findings = load_dir(tmp_path / "nope")
    assert [f.code for f in findings] == ["no-spec"]
    (tmp_path / "notes.txt").write_text("hi")
    _, findings = load_dir(tmp_path)
    assert [f.code for f in findings] == ["no-spec"]


def test_files_are_found_recursively_in_a_stable_order(tmp_path: Path) -> None:
    for rel in ("b.yaml", "a/z.yml", "a/b/c.yaml", "A.yaml", "skip.json"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("spec_format: 2\n")
    files, findings = load_dir(tmp_path)
    assert findings == []
    assert [r.path for r in files] == ["A.yaml", "a/b/c.yaml", "a/z.yml", "b.yaml"]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = tmp_path / "secret.yaml"
    p.write_text("spec_format: 2\n")
    (tmp_path / "ok.yaml").write_text("spec_format: 2\n")
    real_open = os.open

    def deny(path, *args, **kwargs):  # root can read a chmod-0 file: simulate it
        if Path(path).name == "secret.yaml":
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    files, findings = load_dir(tmp_path)
    assert [(f.code, f.location.file) for f in findings] == [("unreadable", "secret.yaml")]
    assert "Permission denied" in findings[0].message
    assert [r.path for r in files] == ["ok.yaml"]


# ------------------------------------------------------------ what a good file becomes
def test_positions_of_values_and_keys() -> None:
    text = "spec_format: 2\nfeatures:\n  usage:\n    title: Usage\n    list: [a, {b: 1}]\n"
    raw, findings = load_text(text, "f.yaml")
    assert findings == []
    assert raw.where(("features", "usage", "title")) == Location("f.yaml", 4, 12)
    assert raw.key_where(("features", "usage", "title")) == Location("f.yaml", 4, 5)
    assert raw.where(("features", "usage", "list", 1, "b")) == Location("f.yaml", 5, 19)
    assert raw.where(("features", "usage", "missing", 3)) == Location("f.yaml", 4, 5)  # nearest ancestor
    assert raw.where(()) == Location("f.yaml", 1, 1)


def test_scalars_are_plain_json_types() -> None:
    text = (
        "spec_format: 2\n"
        "date: 2024-01-31\n"  # an implicit timestamp stays the text written
        "time: 2001-12-14t21:59:43.10-05:00\n"
        "ver: 5.10\n"
        "qver: '5.10'\n"
        "yes: yes\n"  # YAML 1.1 boolean value; the key stays as written
        "1: one\n"
        "null_value: ~\n"
        "eq: =\n"
        "octal: 0o17\n"
        "big: 123456789012345678901234567890\n"
    )
    raw, findings = load_text(text, "s.yaml")
    assert findings == []
    assert raw.data == {
        "spec_format": 2,
        "date": "2024-01-31",
        "time": "2001-12-14t21:59:43.10-05:00",
        "ver": 5.1,
        "qver": "5.10",
        "yes": True,
        "1": "one",
        "null_value": None,
        "eq": "=",
        "octal": "0o17",  # YAML 1.1 spells octal 017; 0o17 is a string there
        "big": 123456789012345678901234567890,
    }


def test_byte_order_mark_and_crlf_are_accepted() -> None:
    raw, findings = load_bytes(b"\xef\xbb\xbfspec_format: 2\r\nproduct:\r\n  id: acme\r\n", "w.yaml")
    assert findings == []
    assert raw.data == {"spec_format": 2, "product": {"id": "acme"}}
    assert raw.where(("product", "id")) == Location("w.yaml", 3, 7)


@pytest.mark.parametrize(
    ("text", "code", "line", "column"),
    [
        ("spec_format: 2\na: 1\nb:\n  a: 1\n  a: 2\n", "duplicate-key", 5, 3),
        ("spec_format: 2\n<<: {a: 1}\n", "yaml-merge-key", 2, 1),
        ("spec_format: 2\nx: !!python/object/apply:os.system ['true']\n", "yaml-tag", 2, 4),
        ("spec_format: 2\nx: !!timestamp 2024-01-31\n", "yaml-tag", 2, 4),
        ("spec_format: 2\nx: -.inf\n", "yaml-value", 2, 4),
        ("spec_format: 2\nx: !!int ten\n", "yaml-value", 2, 4),  # a tag the text does not fit
        ("spec_format: 2\nx: !!float\n", "yaml-value", 2, 4),
        ("spec_format: 2\nx:\n  - !!bool maybe\n", "yaml-value", 3, 5),
        ("spec_format: 2\n!!int k: 1\n", "yaml-value", 2, 1),
        ("spec_format: 2\nx: &a 1\ny: &a 2\n", "yaml-syntax", 3, 4),
        ("spec_format: 2\n&k a: 1\n*k : 2\n", "yaml-key", 3, 1),
        ("spec_format: 2\n[a]: 1\n", "yaml-key", 2, 1),
        ("spec_format: 2\nx: 'unterminated\n", "yaml-syntax", 3, 1),
        ("- 1\n", "top-level-type", 1, 1),
        ("  \n\n", "empty-file", 1, 1),
        ("# comment\n", "empty-file", 1, 1),
        ("spec_format: 2\n---\nx: 1\n", "yaml-syntax", 2, 1),
    ],
)
def test_bad_text_gives_one_finding_at_its_position(text: str, code: str, line: int, column: int) -> None:
    raw, findings = load_text(text, "x.yaml")
    assert raw is None
    assert [(f.code, f.location.line, f.location.column) for f in findings] == [(code, line, column)]
    assert findings[0].help


@pytest.mark.parametrize(
    ("data", "code", "line"),
    [
        (b"\xff\xfe\x00s\x00p", "not-utf8", 1),
        (b"spec_format: 2\n\n\xc3\x28\n", "not-utf8", 3),
        (b"spec_format: 2\nx: a\x00b\n", "not-utf8", 2),
        (b"spec_format: 2\nx: a\x1bb\n", "yaml-syntax", 2),
    ],
)
def test_binary_garbage(data: bytes, code: str, line: int) -> None:
    raw, findings = load_bytes(data, "bin.yaml")
    assert raw is None
    assert [(f.code, f.location.line) for f in findings] == [(code, line)]


def test_loader_never_raises_on_random_bytes() -> None:
    import random

    rng = random.Random(1234)
    alphabet = b"spec_format: 2\n-[]{}&*!|>'\"#%@`,?:\t \x00\xff\xc3abc0123"
    for _ in range(2000):
        data = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        raw, findings = load_bytes(data, "r.yaml")
        assert (raw is None) == bool(findings)
        for f in findings:
            assert f.location.file == "r.yaml" and f.location.line >= 1


def test_loader_never_raises_on_mutated_spec_text() -> None:
    """Tokens that change what YAML reads (tags, anchors, aliases, brackets, merge keys,
    escapes, documents) spliced at random into a valid spec file: always findings or a
    file, never an exception (``!!int`` on a word once raised ValueError)."""
    import random

    rng = random.Random(4321)
    text = (REPO / "tests" / "cases" / "ok_minimal" / "spec").glob("*.yaml")
    base = "\n".join(p.read_text(encoding="utf-8") for p in sorted(text))
    tokens = [
        "!!int ", "!!float ", "!!bool ", "!!null ", "!!str ", "!!map ", "!!seq ", "!!binary ", "!foo ", "! ",
        "&a ", "*a", "&b [*a, *a]", "<<: ", ": ", "- ", "[", "]", "{", "}", "? ", ",", "#", "~", "\t", "\n",
        "---\n", '"\\e"', "'", '"', "1.5", ".inf", "yes", "2024-01-01", "0x1F", "0b", "\u202e", "\x85", "=",
    ]
    for _ in range(400):
        chunk = list(base)
        for _ in range(rng.randint(1, 3)):
            chunk.insert(rng.randrange(len(chunk) + 1), rng.choice(tokens))
        for partial in (False, True):
            raw, findings = load_bytes("".join(chunk).encode("utf-8"), "m.yaml", partial=partial)
            assert raw is not None or findings
            assert all(f.location.file == "m.yaml" and f.location.line >= 1 for f in findings)


def test_a_repeated_key_keeps_the_first_value_whatever_the_second_is() -> None:
    """Loaded in part (to report the file's other errors), a mapping keeps the first of
    a repeated key's values, when the repeated one is a scalar, a mapping or a list."""
    text = "spec_format: 2\na: 1\na: {b: 2}\nc: [x]\nc: [y, z]\nd: {e: 1}\nd: 2\n"
    raw, findings = load_bytes(text.encode(), "r.yaml", partial=True)
    assert raw is not None and raw.data == {"spec_format": 2, "a": 1, "c": ["x"], "d": {"e": 1}}
    assert [(f.code, f.location.line) for f in findings] == [("duplicate-key", 3), ("duplicate-key", 5), ("duplicate-key", 7)]


@pytest.mark.parametrize("char", ["\u202e", "\u2066"])
def test_raw_bidirectional_controls_are_found_in_a_non_ascii_file(char: str) -> None:
    """Written raw (not escaped) in a quoted string, among other non-ASCII text."""
    raw, findings = load_text(f'spec_format: 2\nx: "caf\u00e9 {char} abc"\n', "u.yaml")
    assert raw is None
    assert [(f.code, f.location.line, f.location.column) for f in findings] == [("control-character", 2, 4)]
