"""The harness of the producer-code tests (not a test module): random specs, and one
batch that compiles the Go and TypeScript output of many specs and runs them.

``Batch`` writes every spec's ``go`` output as one package of a single Go module and its
``typescript`` output as one folder of a single ``tsc`` project, so the compilers start
once for all specs (the compile test's cost); then a Go program and a Node program
read one JSON file of cases (payload properties, opt-out probes) and print what the
generated code says about each, and the Go program and the TypeScript modules also build
every valid vector through the typed API and serialise it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

from _ci import skip_or_fail

from generator.model import ProducerOutput, Spec
from generator.targets import go, producer_rules, typescript

ROOT = Path(__file__).resolve().parent.parent
INT64_MAX, INT64_MIN = 2**63 - 1, -(2**63)
SAFE = 2**53


def tool(name: str) -> str:
    """A compiler's path (``./node_modules/.bin`` first); missing: fails under CI."""
    local = ROOT / "node_modules" / ".bin" / name
    found = str(local) if local.is_file() else shutil.which(name)
    if found is None:
        skip_or_fail(f"{name} is not installed; .ci/run installs it")
    return found


def with_producers(spec: Spec) -> Spec:
    """The spec with both producer targets on (keeping the options it sets)."""
    out = spec.outputs
    return dataclasses.replace(spec, outputs=dataclasses.replace(
        out, go=out.go or ProducerOutput(), typescript=out.typescript or ProducerOutput()))


# --------------------------------------------------------------------------- random specs

AWKWARD_WIRE = ["problem", "check", "opt_out", "payloads", "send", "feature_id", "x_linux", "y_test",
                "runtime", "index", "validate", "rules", "a_b", "config"]
AWKWARD_KEYS = ["validate", "properties", "marshal_json", "wire_name", "a_b", "a__b", "ab", "key_x",
                "name", "version", "type", "default", "prototype", "x_"]


def _values(rng: random.Random, kind: str) -> list:
    if kind == "boolean":
        return rng.choice([[True], [False], [True, False]])
    if kind in ("enumerated_integer", "integer"):
        pool = [-3, -1, 0, 1, 2, 7, 2**31, INT64_MAX, INT64_MIN]
        return rng.sample(pool, rng.randint(1, 4))
    if kind == "count":
        return rng.sample([0, 1, 5, 2**40], rng.randint(1, 3))
    return rng.sample(["a", "b-c", "b c", "", "Z", "ünï", "x\"y", "new\nline", "\U0001d11e"], rng.randint(1, 4))


def random_spec_doc(rng: random.Random) -> dict:
    """A valid spec using every kind, enumerations, optional and version-limited fields,
    every opt-out shape, and names that collide with what the generated code declares."""
    from generator.kinds import KINDS

    kinds = sorted(KINDS)
    rng.shuffle(kinds)
    names = rng.sample(AWKWARD_WIRE, 3) + [f"p{rng.randint(0, 999)}"]
    payloads = []
    kind_iter = iter(kinds * 2)
    for n, name in enumerate(names):
        keys = rng.sample(AWKWARD_KEYS, rng.randint(0, 6)) if n else []
        keys += [f"k{i}" for i in range(rng.randint(1, 4))]
        fields = []
        for key in keys:
            kind = next(kind_iter, rng.choice(kinds))
            f: dict[str, Any] = {"name": "F" + key.replace("_", "X"), "kind": kind, "wire_key": key, "description": f"Field {key}."}
            if KINDS[kind].enumerable and rng.random() < 0.6:
                f["values"] = _values(rng, kind)
            if rng.random() < 0.35:
                f["required"] = False
            if rng.random() < 0.15:
                f["versions"] = {"min": "2.0"}
            if KINDS[kind].free_text:
                f["personal_data_note"] = "Test data."
            fields.append(f)
        feature = ["usage", "env", "envval", "cmd", "never"][n % 5]
        if rng.random() < 0.5:
            payloads.append({"wire_name": name, "section": f"rec_{feature}", "fields": fields})
        else:
            payloads.append({"event": name, "section": f"ev_{feature}", "fields": fields})
    settings = {
        "T.Enable": {"console_path": ["Admin", "Enable"], "default": True},
        "T_NO_TRACK": {"kind": "environment_variable", "description": "Set to switch off."},
        "T_TELEMETRY": {"kind": "environment_variable", "description": "0 or off switches off."},
        "t_off": {"kind": "command", "command": "t analytics off", "description": "Switches off."},
        "T_DNT": {"kind": "environment_variable", "description": "Set (1, true, yes...) to switch off."},
    }
    opt_outs = {
        "usage": {"setting": "T.Enable", "cost": "None."},
        "env": {"setting": "T_NO_TRACK", "off_values": "any_non_empty", "cost": "None."},
        "envval": {"setting": "T_TELEMETRY", "off_values": ["0", "off"], "cost": "None."},
        "cmd": [{"setting": "t_off", "cost": "None."}, {"setting": "T_DNT", "off_values": "set", "cost": "None."}],
        "never": {"not_possible": "It is needed to run.", "cost": "None."},
    }
    features = {
        fid: {"title": fid.title(), "description": "Test.", "sender": "server", "destination": "Test Inc.",
              **({"opt_outs": o} if isinstance(o, list) else {"opt_out": o})}
        for fid, o in opt_outs.items()
    }
    sections = {}
    for fid in features:
        sections[f"rec_{fid}"] = {"feature": fid, "title": f"Records {fid}", "schedule": "every 24h", "description": "R."}
        sections[f"ev_{fid}"] = {"feature": fid, "title": f"Events {fid}", "schedule": "on event", "description": "E."}
    return {
        "spec_format": 1,
        "product": {"id": "prod", "name": "Prod", "summary": "Sends test data.",
                    "privacy_policy": {"title": "Privacy", "url": "https://example.test/privacy"}},
        "settings": settings,
        "features": features,
        "sections": sections,
        "payloads": payloads,
        "outputs": {"go": {"package": "prodtel", "module": "example.test/prod"}, "typescript": {"module": "@prod/telemetry"}},
    }


# --------------------------------------------------------------------------- values


def js_view(value: Any) -> Any:
    """A JSON value as a JavaScript program sends it: an integer beyond 2**53 is held as
    the nearest double, which ``JSON.stringify`` writes in its shortest digits (2**63-1
    arrives as 9223372036854776000)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int) and abs(value) > SAFE:
        return int(Decimal(repr(float(value))))
    if isinstance(value, list):
        return [js_view(v) for v in value]
    if isinstance(value, dict):
        return {k: js_view(v) for k, v in value.items()}
    return value


def probes(rule: producer_rules.Rule) -> list[Any]:
    """Values near the edges of a rule the conformance vectors do not try."""
    out: list[Any] = [None, 1.0, "1", [], {}]
    if rule.type in ("integer", "number"):
        out += [1.5, -1, 2**53 + 1, -(2**63) - 1, 0.0]
    if rule.enum:
        out += [v for v in rule.enum] + [(v + 1) if isinstance(v, int) and not isinstance(v, bool) else v for v in rule.enum]
        out += [float(v) for v in rule.enum if isinstance(v, int) and not isinstance(v, bool) and abs(v) < SAFE]
    if rule.max_length is not None:
        n = rule.max_length
        out += ["\U0001d11e" * n, "\U0001d11e" * (n + 1), "é" * n]
    if rule.min_length:
        out += ["", "\U0001d11e"]
    if rule.pattern:
        out += ["5.6.0\n", "a" * 64, "a" * 65, "1.2.3-rc.1", "2018-12-01T00:00:00Z", "2018-12-01T00:00:00Z\n",
                "é", "a-b_C9", "\U0001d11e", "5.\n6"]
    if rule.type == "array":
        out += [[None], ["a", 1], ["a"] * 3, ["x" * 4097], ["\U0001d11e" * 4096]]
    return out


# --------------------------------------------------------------------------- the batch


@dataclasses.dataclass
class Case:
    spec: int
    payload: str
    props: Any
    label: str


@dataclasses.dataclass
class Probe:
    spec: int
    feature: str
    value: Any  # the setting's value; Ellipsis: unset


class Batch:
    """Many specs' producer code in one Go module and one tsc project."""

    def __init__(self, root: Path, specs: list[Spec]):
        self.root = root
        self.specs = [with_producers(s) for s in specs]
        self.go_dir = root / "go"
        self.ts_dir = root / "ts"

    # -- writing

    def write(self, cases: list[Case], probes_: list[Probe], typed: dict[int, dict[str, list[dict]]],
              patterns: list[tuple[str, str]] = ()) -> None:
        """The generated code of every spec, the two programs and their input."""
        shutil.rmtree(self.root, ignore_errors=True)
        (self.go_dir / "cmd" / "agree").mkdir(parents=True)
        (self.go_dir / "go.mod").write_text("module agree\n\ngo 1.19\n")
        self.ts_dir.mkdir(parents=True)
        for i, spec in enumerate(self.specs):
            for rel, data in go.render(spec).items():
                if rel.endswith("go.mod"):
                    continue
                _write(self.go_dir / f"s{i}" / rel.removeprefix("go/"), data)
            for rel, data in typescript.render(spec).items():
                if rel.endswith(".ts"):
                    _write(self.ts_dir / f"s{i}" / rel.removeprefix("typescript/"), data)
            _write(self.ts_dir / f"s{i}" / "typed.ts", ts_typed_module(spec, typed.get(i, {})).encode())
        (self.go_dir / "cmd" / "agree" / "main.go").write_text(go_main(self.specs, typed))
        doc = {"cases": [[c.spec, c.payload, c.props] for c in cases],
               "probes": [[p.spec, p.feature, p.value is not Ellipsis, None if p.value is Ellipsis else p.value] for p in probes_],
               "patterns": [[producer_rules.go_pattern(pat), pat, text] for pat, text in patterns]}
        (self.root / "input.json").write_text(json.dumps(doc))
        (self.root / "agree.js").write_text(NODE_MAIN.replace("@COUNT@", str(len(self.specs))))

    # -- compiling and running

    def compile(self) -> None:
        """``go vet`` and ``go build`` of the module, ``gofmt -l`` (the generated Go is
        formatted); ``tsc --strict`` of the project (emitting CommonJS for Node, and
        failing on any error)."""
        gotool, tsc = tool("go"), tool("tsc")
        env = self._go_env()
        for args in (["vet", "./..."], ["build", "-o", str(self.root / "agree-bin"), "./cmd/agree"]):
            r = subprocess.run([gotool, *args], cwd=self.go_dir, env=env, capture_output=True, text=True, timeout=900, check=False)
            assert r.returncode == 0, f"go {' '.join(args)} failed:\n{r.stdout}{r.stderr}"[:20000]
        gofmt = tool("gofmt")
        specs = [f"s{i}" for i in range(len(self.specs))]
        r = subprocess.run([gofmt, "-l", *specs], cwd=self.go_dir, capture_output=True, text=True, timeout=600, check=False)
        assert r.returncode == 0 and r.stdout == "", f"generated Go is not gofmt-clean:\n{r.stdout}{r.stderr}"[:5000]
        files = sorted(str(p) for p in self.ts_dir.rglob("*.ts"))
        r = subprocess.run([tsc, "--strict", "--noEmitOnError", "--target", "es2020", "--module", "commonjs",
                            "--moduleResolution", "node", "--outDir", str(self.root / "js"), "--rootDir", str(self.ts_dir), *files],
                           capture_output=True, text=True, timeout=900, check=False)
        assert r.returncode == 0, f"tsc --strict failed:\n{r.stdout}{r.stderr}"[:20000]

    def _go_env(self) -> dict:
        env = {**os.environ, "GOFLAGS": "-mod=mod", "GO111MODULE": "on", "GOPROXY": "off", "GOTOOLCHAIN": "local",
               "CGO_ENABLED": "0"}
        if "HOME" not in env and "GOCACHE" not in env:  # (go needs a build cache folder)
            env["GOCACHE"] = str(self.root / "gocache")
        return env

    def run(self) -> tuple[dict, dict]:
        """What the Go program and the Node program printed (one JSON document each)."""
        out = []
        for cmd in ([str(self.root / "agree-bin"), str(self.root / "input.json")],
                    ["node", str(self.root / "agree.js"), str(self.root / "input.json")]):
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False, cwd=self.root)
            assert r.returncode == 0, f"{cmd[0]} failed:\n{r.stderr[:5000]}"
            out.append(json.loads(r.stdout))
        return out[0], out[1]


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# --------------------------------------------------------------------------- Go program


def go_literal(spec: Spec, payload, values: dict, alias: str) -> str:
    """A Go composite literal of the payload's struct holding ``values`` (a valid
    vector), built through the typed API: enumerations by their named types, optional
    fields through pointers."""
    t = producer_rules.type_name(payload)
    names = producer_rules.field_names(payload)
    rules = {r.key: r for r in producer_rules.payload_rules(payload)}
    parts = []
    for key, value in values.items():
        r = rules[key]
        if r.type == "array":
            lit = "[]string{" + ", ".join(go.go_string(v) for v in value) + "}"
        else:
            base = {"boolean": "bool", "integer": "int64", "number": "float64", "string": "string"}[r.type]
            scalar = go.go_string(value) if r.type == "string" else ("true" if value is True else "false" if value is False else repr(value))
            typ = f"{alias}.{t}_{names[key]}" if r.enum is not None else base
            lit = f"{typ}({scalar})"
            if not r.required:
                lit = f"ptr({lit})"
        parts.append(f"{names[key]}: {lit}")
    return f"{alias}.{t}{{" + ", ".join(parts) + "}"


def go_main(specs: list[Spec], typed: dict[int, dict[str, list[dict]]]) -> str:
    imports = "".join(f'\ts{i} "agree/s{i}"\n' for i in range(len(specs)))
    checks, offs, builds = [], [], []
    for i, spec in enumerate(specs):
        checks.append(f"\tfunc(n string, d []byte) [][2]string {{ return pairs{i}(s{i}.CheckJSON(n, d)) }},\n")
        offs.append(f"\tfunc(f string, set bool, v any) bool {{ return s{i}.TelemetryOff(f, envOf(set, v), settingOf(set, v)) }},\n")
        for name, vectors in typed.get(i, {}).items():
            payload = spec.payload(name)
            for vec in vectors:
                builds.append(f"\temit({i}, {go.go_string(name)}, {go_literal(spec, payload, vec, f's{i}')})\n")
    pair_funcs = "".join(
        f"func pairs{i}(ps []s{i}.Problem) [][2]string {{\n\tout := [][2]string{{}}\n\tfor _, p := range ps {{\n"
        f"\t\tout = append(out, [2]string{{p.Kind, p.Key}})\n\t}}\n\treturn out\n}}\n\n" for i in range(len(specs)))
    return f'''package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"

{imports})

func ptr[T any](v T) *T {{ return &v }}

var checks = []func(string, []byte) [][2]string{{
{"".join(checks)}}}

var offs = []func(string, bool, any) bool{{
{"".join(offs)}}}

func envOf(set bool, v any) func(string) (string, bool) {{
	return func(string) (string, bool) {{
		s, ok := v.(string)
		return s, set && ok
	}}
}}

func settingOf(set bool, v any) func(string) (any, bool) {{
	return func(string) (any, bool) {{ return v, set }}
}}

var typed = [][]any{{}}  // (spec, payload, JSON) of each typed value

func emit(spec int, name string, v json.Marshaler) {{
	data, err := json.Marshal(v)
	if err != nil {{
		fmt.Fprintln(os.Stderr, "typed value of", name, "does not marshal:", err)
		os.Exit(3)
	}}
	typed = append(typed, []any{{spec, name, json.RawMessage(data)}})
}}

{pair_funcs}func main() {{
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {{
		panic(err)
	}}
	var input struct {{
		Cases    [][]json.RawMessage `json:"cases"`
		Probes   [][]json.RawMessage `json:"probes"`
		Patterns [][3]string         `json:"patterns"`
	}}
	if err := json.Unmarshal(raw, &input); err != nil {{
		panic(err)
	}}
	verdicts := [][][2]string{{}}
	for _, c := range input.Cases {{
		var spec int
		var name string
		_ = json.Unmarshal(c[0], &spec)
		_ = json.Unmarshal(c[1], &name)
		verdicts = append(verdicts, checks[spec](name, c[2]))
	}}
	off := []bool{{}}
	for _, p := range input.Probes {{
		var spec int
		var feature string
		var set bool
		_ = json.Unmarshal(p[0], &spec)
		_ = json.Unmarshal(p[1], &feature)
		_ = json.Unmarshal(p[2], &set)
		dec := json.NewDecoder(bytes.NewReader(p[3]))
		dec.UseNumber()
		var v any
		_ = dec.Decode(&v)
		off = append(off, offs[spec](feature, set, v))
	}}
	matches := []bool{{}}
	for _, p := range input.Patterns {{
		matches = append(matches, regexp.MustCompile(p[0]).MatchString(p[2]))
	}}
{"".join(builds)}	out, _ := json.Marshal(map[string]any{{"verdicts": verdicts, "off": off, "typed": typed, "matches": matches}})
	fmt.Println(string(out))
}}
'''


# --------------------------------------------------------------------------- TypeScript


def ts_typed_module(spec: Spec, typed: dict[str, list[dict]]) -> str:
    """A module that sends every valid vector through the typed tracker (object literals
    checked against the interfaces at compile time), and lines the compiler must reject
    (``@ts-expect-error``: an undeclared name, an undeclared property, a value outside an
    enumeration), and checks that each enumeration's union type is exactly its values."""
    w = ['import { createTracker } from "./index.js";\n',
         "type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;\n",
         "export const sent: [string, unknown][] = [];\n",
         "const track = createTracker((name, properties) => { sent.push([name, properties]); });\n",
         "export function run(): unknown[][] {\n  const problems: unknown[][] = [];\n"]
    for name, vectors in typed.items():
        for vec in vectors:
            w.append(f"  problems.push(track({json.dumps(name)}, {json.dumps(vec)}));\n")
    w.append("  return problems;\n}\n\nexport function rejected(): void {\n")
    w.append('  // @ts-expect-error an undeclared payload name\n  track("not a payload name", {});\n')
    n = 0
    for p in spec.payloads:
        rules = producer_rules.payload_rules(p)
        w.append(f'  // @ts-expect-error an undeclared property\n  track({json.dumps(p.wire_name)}, {{ "undeclared key": 1 }});\n')
        for r in rules:
            if r.enum and r.type != "array":  # the union is exactly the spec's values
                n += 1
                member = f"Exclude<import(\"./index.js\").Payloads[{json.dumps(p.wire_name)}][{json.dumps(r.key)}], undefined>"
                w.append(f"  const u{n}: Exact<{member}, {' | '.join(json.dumps(v) for v in r.enum)}> = true;\n  void u{n};\n")
            if r.enum and all(isinstance(v, str) for v in r.enum):
                bad = "not-" + "".join(r.enum) + "!"
                n += 1
                w.append(f"  // @ts-expect-error a value outside the enumeration\n  const v{n}: "
                         f"import(\"./index.js\").Payloads[{json.dumps(p.wire_name)}][{json.dumps(r.key)}] = {json.dumps(bad)};\n"
                         f"  void v{n};\n")
    w.append("}\n")
    return "".join(w)


NODE_MAIN = r"""
const fs = require("fs");
const path = require("path");
const input = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const mods = [];
for (let i = 0; i < @COUNT@; i++) {
  mods.push({ index: require(path.join(__dirname, "js", "s" + i, "index.js")), typed: require(path.join(__dirname, "js", "s" + i, "typed.js")) });
}
const verdicts = input.cases.map(([spec, name, props]) => mods[spec].index.validate(name, props).map((p) => [p.kind, p.key]));
const off = input.probes.map(([spec, feature, set, value]) =>
  mods[spec].index.telemetryOff(feature, () => (set && typeof value === "string" ? value : undefined), () => (set ? value : undefined)));
const typed = [];
const refused = [];
mods.forEach((m, spec) => {
  refused.push(m.typed.run().map((problems) => problems.length > 0));
  for (const [name, props] of m.typed.sent) typed.push([spec, name, props]);
});
const matches = input.patterns.map(([, pattern, text]) => new RegExp(pattern, "u").test(text));
process.stdout.write(JSON.stringify({ verdicts, off, typed, refused, matches }));
"""
