"""The producer targets (``go``, ``typescript``) agree with the payload engine.

One batch (``_producers.Batch``) holds the Go and TypeScript output of every spec the
tests build -- the bundled spec, the example, the golden ``ok_*`` cases and random
specs (a fixed seed; every kind, enumerations, optional and version-limited fields,
every opt-out shape, names that collide with the generated code's) -- compiles it once
(``go vet`` + ``go build`` of one module, ``tsc --strict`` of one project, where
``@ts-expect-error`` lines prove that an undeclared name, an undeclared property and a
value outside an enumeration do not compile), and runs a Go program and a Node program
that report, through the generated validators, the problems of every conformance vector
and of edge values the vectors do not try.  Each verdict must equal the payload engine's
(``gen validate``'s ``Checker``): the same set of (problem kind, key), so valid is
accepted, invalid rejected, for the same reason.  TypeScript is held to the engine's
verdict on the value as JavaScript holds it (integers beyond 2**53 are doubles there).
The opt-out helpers answer as the conformance suite's opt-out contract says, and every
valid vector built through the typed APIs and serialised passes ``gen validate``.
Under CI a missing compiler fails the test (``_ci.skip_or_fail``).
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pytest
from _build_helpers import load_or_fail, write_spec
from _producers import Batch, Case, Probe, js_view, probes, random_spec_doc
from click.testing import CliRunner

from generator.cli import main
from generator.privacy import switches_off
from generator.targets import conformance, producer_rules
from generator.targets.json_schema import payload_schema
from generator.validate.check import Checker

ROOT = Path(__file__).resolve().parent.parent
SEED = 20261207
RANDOM_SPECS = 6
UNSET = Ellipsis
SETTING_VALUES = [UNSET, "", "1", "0", "off", "OFF", "No", "x", "true", "TRUE", "false", True, False, 0, 1, None]


def spec_dirs(tmp: Path) -> list[Path]:
    """Every spec the tests build: bundled, example, golden ok_* cases, random ones."""
    dirs = [ROOT / "spec", ROOT / "examples" / "cli-analytics" / "spec"]
    dirs += sorted(p / "spec" for p in (ROOT / "tests" / "cases").glob("ok_*"))
    rng = random.Random(SEED)
    for i in range(RANDOM_SPECS):
        dirs.append(write_spec(random_spec_doc(rng), tmp / f"random{i}"))
    return dirs


def expected_off(spec, feature_id: str, value) -> bool:
    """The spec's off-value rules (``generator.privacy.switches_off``) and the conformance
    suite's opt-out contract for commands and flags (``test_opt_out.off_values``: run or
    passed is ``True``), for every way to opt out of the feature: the feature is off when
    any applies.  An unset environment variable is on; an unset setting has its default;
    an environment variable holds only text."""
    off = False
    for way in spec.feature(feature_id).opt_outs:
        if way.setting is None:
            continue
        data = way.as_dict()
        env = data["kind"] == "environment_variable"
        v = value
        if v is UNSET:
            if env or way.setting.default is None:
                continue
            v = way.setting.default
        if env and not isinstance(v, str):
            continue
        if data["kind"] in ("command", "cli_flag"):
            off |= v is True
        else:
            off |= switches_off(data["off_values"], v)
    return off


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Build, compile and run the batch once for the module."""
    tmp = tmp_path_factory.mktemp("producers")
    dirs = spec_dirs(tmp / "specs")
    specs = [load_or_fail(d) for d in dirs]
    specs.append(dataclasses.replace(specs[-1], payloads=()))  # nothing to send
    dirs.append(None)
    cases: list[Case] = []
    typed: dict[int, dict[str, list[dict]]] = {}
    for i, spec in enumerate(specs):
        for p in spec.payloads:
            doc = conformance.vectors(p)
            base = doc["valid"][0]["properties"]
            for vec in doc["valid"] + doc["invalid"]:
                cases.append(Case(i, p.wire_name, vec["properties"], f"vector {vec['id']}"))
            typed.setdefault(i, {})[p.wire_name] = [v["properties"] for v in doc["valid"]]
            for rule in producer_rules.payload_rules(p):
                for value in probes(rule):
                    cases.append(Case(i, p.wire_name, {**base, rule.key: value}, f"{rule.key} = {value!r}"[:120]))
    opt_probes = [Probe(i, f.id, v) for i, spec in enumerate(specs) for f in spec.features for v in SETTING_VALUES]
    batch = Batch(tmp / "batch", specs)
    batch.write(cases, opt_probes, typed, pattern_probes())
    batch.compile()
    go_out, node_out = batch.run()
    return dirs, specs, cases, opt_probes, go_out, node_out


#: Patterns within the Go/ECMA-262 subset (``producer_rules.portable_subset_problem``)
#: besides the kinds', and texts that tell engines apart if they read them differently.
SUBSET_PATTERNS = ["^[a\\-b]+$", "^a\\.b\\/c\\$$", "^\\d+\\w*\\D?\\W?$", "^(?:ab|b){2,3}?$", "x|^y", "[^a-z]", "^[A-Z_]{2}$"]
PATTERN_TEXTS = ["", "a", "ab", "abab", "a-b", "a.b/c$", "12", "١٢", "x\n", "y", "\ny", "\n", "AB", "A_", "é", "\U0001d11e",
                 "5.6.0", "5.6.0\n", "5.6.0-rc1", "2018-12-01T00:00:00Z", "2018-12-01t23:59:60.123456789+01:00",
                 "2018-12-01T00:00:00Z\n", "Z" * 64, "Z" * 65, "a b", "\u212a", "_-", "A\u2028"]


def pattern_probes() -> list[tuple[str, str]]:
    """(pattern as the schemas write it, text) for every kind's pattern and the subset
    patterns above: each program and the payload engine's ``ecma`` say whether it matches."""
    from generator.kinds import KINDS
    from generator.validate.ecma import portable_pattern

    patterns = [portable_pattern(k.json_schema["pattern"]) for k in KINDS.values() if "pattern" in k.json_schema]
    patterns += [portable_pattern(p) for p in SUBSET_PATTERNS]
    assert all(producer_rules.portable_subset_problem(p) == "" for p in patterns)
    return [(p, t) for p in patterns for t in PATTERN_TEXTS]


def test_go_and_ecma_read_the_subset_patterns_alike(run):
    """Go's regexp, JavaScript's RegExp (``u`` flag) and the payload engine's ECMA-262
    reading (``ecma.compile``) agree on every subset pattern and probe text."""
    from generator.validate import ecma

    _dirs, _specs, _cases, _probes, go_out, node_out = run
    bad = []
    for (pattern, text), go_m, js_m in zip(pattern_probes(), go_out["matches"], node_out["matches"]):
        want = ecma.compile(pattern).search(text) is not None
        if go_m != want or js_m != want:
            bad.append(f"{pattern!r} on {text!r}: engine {want}, Go {go_m}, JavaScript {js_m}")
    assert not bad, "\n".join(bad[:25])
    assert any(go_out["matches"]) and not all(go_out["matches"])


def _engine(specs):
    return [Checker({p.wire_name: payload_schema(s, p) for p in s.payloads}) for s in specs]


def _kinds(problems) -> list:
    return sorted({(p.kind, p.key) for p in problems}, key=str)


def _said(verdict) -> list:
    """A program's problems as (kind, key); Go's key "" is the engine's None."""
    return sorted({(k, v if v != "" else None) for k, v in verdict}, key=str)


def test_every_spec_covers_what_the_agreement_needs(run):
    """The batch is not vacuous: the specs use every kind, enumerations of each JSON
    type, optional and required fields, and every opt-out shape."""
    from generator.kinds import KINDS

    _dirs, specs, cases, _probes, _go, _node = run
    fields = [f for s in specs for f in s.fields]
    assert {f.kind.id for f in fields} == set(KINDS)
    assert {type(f.values[0]).__name__ for f in fields if f.values} >= {"bool", "int", "str"}
    assert any(not f.required for f in fields) and any(f.required for f in fields)
    ways = [r for s in specs for r in producer_rules.opt_out_rules(s)]
    assert {"console_setting", "environment_variable", "command", "not_possible"} <= {r.kind for r in ways}
    assert {"any_non_empty", "set", ""} == {r.off_rule for r in ways}
    assert any(len(f.opt_outs) > 1 for s in specs for f in s.features)
    assert len(cases) > 5000


def test_go_and_typescript_verdicts_equal_the_engines(run):
    _dirs, specs, cases, _probes, go_out, node_out = run
    checkers = _engine(specs)
    assert len(go_out["verdicts"]) == len(node_out["verdicts"]) == len(cases)
    bad = []
    for case, go_v, ts_v in zip(cases, go_out["verdicts"], node_out["verdicts"]):
        spec = specs[case.spec]
        engine = _kinds(checkers[case.spec].problems(case.payload, case.props))
        if _said(go_v) != engine:
            bad.append(f"Go, {spec.product.id} {case.payload} {case.label}: engine {engine}, Go {_said(go_v)}")
        js_engine = _kinds(checkers[case.spec].problems(case.payload, js_view(case.props)))
        if _said(ts_v) != js_engine:
            bad.append(f"TypeScript, {spec.product.id} {case.payload} {case.label}: engine {js_engine}, TS {_said(ts_v)}")
    assert not bad, f"{len(bad)} disagreements:\n" + "\n".join(bad[:25])


def test_opt_out_helpers_follow_the_contract(run):
    _dirs, specs, _cases, opt_probes, go_out, node_out = run
    bad = []
    for probe, go_off, ts_off in zip(opt_probes, go_out["off"], node_out["off"]):
        want = expected_off(specs[probe.spec], probe.feature, probe.value)
        if go_off != want or ts_off != want:
            bad.append(f"{specs[probe.spec].product.id} {probe.feature} = {probe.value!r}: want {want}, Go {go_off}, TS {ts_off}")
    assert not bad, "\n".join(bad[:25])
    assert any(go_out["off"]) and not all(go_out["off"])


def test_typed_values_serialise_to_what_gen_validate_accepts(run, tmp_path):
    dirs, specs, _cases, _probes, go_out, node_out = run
    for lang, out in (("go", go_out), ("ts", node_out)):
        by_spec: dict[int, list[str]] = {}
        for spec_i, name, props in out["typed"]:
            by_spec.setdefault(spec_i, []).append(json.dumps({"payload": name, "properties": props}))
        assert set(by_spec) == {i for i, s in enumerate(specs) if s.payloads}, lang
        for spec_i, lines in by_spec.items():
            capture = tmp_path / f"{lang}{spec_i}.ndjson"
            capture.write_text("\n".join(lines) + "\n", "utf-8")
            result = CliRunner().invoke(main, ["validate", "--spec", str(dirs[spec_i]), str(capture)])
            assert result.exit_code == 0, f"{lang} typed values of {dirs[spec_i]}:\n{result.output[-3000:]}"
    # TypeScript refuses to send exactly the vectors JavaScript cannot hold (an integer
    # of an enumeration beyond 2**53: what JSON.stringify would send breaks the schema),
    # and sends every other one.
    for spec_i, (spec, checker) in enumerate(zip(specs, _engine(specs))):
        want = [bool(checker.problems(p.wire_name, js_view(v["properties"])))
                for p in spec.payloads for v in conformance.vectors(p)["valid"]]
        assert node_out["refused"][spec_i] == want, spec.product.id
    # Go writes exactly the vector: nothing left out, nothing null, keys in spec order.
    vectors = {(i, p.wire_name): [v["properties"] for v in conformance.vectors(p)["valid"]]
               for i, s in enumerate(specs) for p in s.payloads}
    seen: dict[tuple, int] = {}
    for spec_i, name, props in go_out["typed"]:
        n = seen[(spec_i, name)] = seen.get((spec_i, name), -1) + 1
        want = vectors[(spec_i, name)][n]
        assert props == want and list(props) == list(want), (name, props, want)


def _block(text: str, lang: str, starts: str) -> str:
    for block in text.split("```" + lang + "\n")[1:]:
        code = block.split("```", 1)[0]
        if code.startswith(starts):
            return code
    raise AssertionError(f"docs/producers.md has no ```{lang} block starting {starts!r}")


def test_docs_examples_compile_and_run_against_the_committed_code(tmp_path):
    """docs/producers.md's Go server runs against generated/go (its go.mod, the
    validator passes the example payload, the opt-out helper lets it through), and its
    TypeScript app compiles against generated/typescript, including its two lines that
    must not compile."""
    import subprocess

    from _producers import tool

    doc = (ROOT / "docs" / "producers.md").read_text("utf-8")
    module = (ROOT / "generated" / "go" / "go.mod").read_text("utf-8").split()[1]
    gofolder = tmp_path / "server"
    gofolder.mkdir()
    (gofolder / "main.go").write_text(_block(doc, "go", "package main"), "utf-8")
    (gofolder / "go.mod").write_text(f"module docs\n\ngo 1.19\n\nrequire {module} v0.0.0\n\n"
                                     f"replace {module} => {ROOT / 'generated' / 'go'}\n", "utf-8")
    env = {**Batch(tmp_path, [])._go_env(), "GOFLAGS": "-mod=mod"}
    for args in (["vet", "./..."], ["run", "."]):
        r = subprocess.run([tool("go"), *args], cwd=gofolder, env=env, capture_output=True, text=True, timeout=600, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith('security_update_check {"active_user_count":87,'), r.stdout + r.stderr
    ts = tmp_path / "app"
    ts.mkdir()
    (ts / "app.ts").write_text(_block(doc, "ts", "import"), "utf-8")
    name = json.loads((ROOT / "generated" / "typescript" / "package.json").read_text("utf-8"))["name"]
    (ts / "tsconfig.json").write_text(json.dumps({"compilerOptions": {
        "strict": True, "noEmit": True, "target": "es2020", "module": "commonjs", "moduleResolution": "node", "types": [],
        "lib": ["es2020", "dom"], "baseUrl": ".", "paths": {name: [str(ROOT / "generated" / "typescript" / "index.ts")]}},
        "files": ["app.ts"]}), "utf-8")
    r = subprocess.run([tool("tsc"), "-p", str(ts)], capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
