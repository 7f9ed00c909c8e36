"""Target: the maintainer's own template targets (the spec's ``outputs.templates``).

Each declared target is a folder of files, read into the model when the spec was loaded
(``generator.outputs``).  A ``*.j2`` file is rendered with Jinja into ``<out>/<name
without .j2>``; any other file is copied as it is.  The files then go through the same
writer, manifest and ``gen check`` drift check as every built-in target.

Templates see the context documented in docs/template-context.md: ``view`` (the very
object the built-in privacy docs render, ``docs_view.build_view``), ``spec`` (the
resolved model), and a flat, code-oriented list of ``payloads`` (``records`` and
``events`` split out) whose fields carry their JSON type and whether the
version-independent schema requires them.  Escaping is chosen by the output file's
suffix, as for the built-in docs: ``.html``/``.htm``/``.xml``/``.svg`` autoescape,
``.md`` and ``.rst`` escape every printed value with the docs' escapers (and get the docs'
filters); other files (code) print values as they are and offer ``json_string``,
``comment`` and the name filters.  Templates run in Jinja's immutable sandbox: they can
read the model, not change it or reach anything else; and within the budgets of
``generator.targets.template_budget`` (time, loop steps, value and output sizes), so the
worst template fails in seconds with its file and line instead of taking the machine.

This module decides nothing about any language; the templates do the printing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup, escape

from generator.model import Payload, Spec, TemplateTarget
from generator.naming import pascal_case, snake_case
from generator.outputs import TEMPLATE_SUFFIX, output_name
from generator.targets import docs_jinja, docs_md, docs_rst, template_budget
from generator.targets.escape import md_text, rst_text
from generator.targets.template_budget import (
    MAX_FILE_CHARS,
    Budget,
    BudgetedSandbox,
    BudgetExceeded,
    finalize_counted,
    guard_filters,
)

_MARKUP_SUFFIXES = (".html", ".htm", ".xml", ".svg")


class TemplateRenderError(Exception):
    """A template failed to render; the message names the target, file and line."""


@dataclass(frozen=True)
class FieldCode:
    """One field as code templates need it."""

    wire_key: str
    name: str
    qualified_name: str
    kind: str
    json_type: str  # "integer", "number", "boolean", "string" or "array"
    item_json_type: str  # the items' JSON type for arrays, else ""
    values: tuple[Any, ...]
    required: bool  # in the version-independent schema's ``required``
    required_in_range: bool  # the spec's ``required``: present whenever its versions send the payload
    description: str
    edition: str
    versions: str
    uses_input_data: bool


@dataclass(frozen=True)
class PayloadCode:
    """One payload as code templates need it."""

    wire_name: str
    model_name: str
    type: str  # "record" or "event"
    title: str
    description: str
    feature: str
    section: str
    schedule: str
    edition: str
    versions: str
    schema_path: str
    schema: dict[str, Any]
    fields: tuple[FieldCode, ...]


def payload_codes(spec: Spec) -> tuple[PayloadCode, ...]:
    """Every payload, in spec order, with what code generation needs."""
    from generator.targets.json_schema import (
        always_present,
        field_description,
        payload_description,
        schema_path,
        schemas_of,
    )

    schemas = schemas_of(spec)
    out = []
    for p in spec.payloads:
        schema = schemas[p.wire_name]
        out.append(
            PayloadCode(
                wire_name=p.wire_name,
                model_name=p.model_name,
                type=p.type,
                title=p.title,
                description=payload_description(spec, p),
                feature=spec.feature(p.feature_id).title,
                section=spec.section(p.section_id).title,
                schedule=p.schedule.text,
                edition=p.edition.title if p.edition else "",
                versions=p.versions.text(),
                schema_path=schema_path(p),
                schema=schema,
                fields=tuple(_field_code(p, f, schema, always_present, field_description) for f in p.fields),
            )
        )
    return tuple(out)


def _field_code(p: Payload, f, schema: dict, always_present: Callable, describe: Callable) -> FieldCode:
    prop = schema["properties"][f.wire_key]
    return FieldCode(
        wire_key=f.wire_key,
        name=f.name,
        qualified_name=f.qualified_name,
        kind=f.kind.id,
        json_type=prop["type"],
        item_json_type=prop.get("items", {}).get("type", "") if prop["type"] == "array" else "",
        values=tuple(f.values),
        required=always_present(p, f),
        required_in_range=f.required,
        description=describe(f),
        edition=f.edition.title if f.edition else "",
        versions=f.versions.text(),
        uses_input_data=f.uses_input_data,
    )


# --- filters every template gets --------------------------------------------------------


def json_string(value: Any) -> Markup:
    """A double-quoted string literal that TypeScript, JavaScript, Go, Python and JSON
    all read back as ``str(value)``."""
    return Markup(json.dumps(str(value), ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def json_value(value: Any) -> Markup:
    """Any value as JSON text (a literal in most languages: ``true``, ``3``, ``"x"``)."""
    return Markup(json.dumps(value, ensure_ascii=False).replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def comment(value: Any) -> Markup:
    """Text that is safe inside a one-line comment (``//``, ``#``) or a block comment
    (``/* */``): on one line, and no ``*/`` to end the comment early."""
    return Markup(" ".join(str(value).split()).replace("*/", "* /"))


def camel_case(name: str) -> str:
    """``enable_commands`` -> ``enableCommands``."""
    pascal = pascal_case(snake_case(name))
    return pascal[:1].lower() + pascal[1:]


def upper_snake(name: str) -> str:
    """``enableCommands`` / ``enable_commands`` -> ``ENABLE_COMMANDS``."""
    return snake_case(name).upper()


COMMON_FILTERS: dict[str, Callable[..., Any]] = {
    "json_string": json_string,
    "json": json_value,
    "comment": comment,
    "pascal": lambda name: pascal_case(snake_case(str(name))),
    "camel": camel_case,
    "snake": lambda name: snake_case(str(name)),
    "upper_snake": upper_snake,
}


def _mode(name: str) -> str:
    out = output_name(name).lower()
    if out.endswith(_MARKUP_SUFFIXES):
        return "html"
    if out.endswith(".md"):
        return "md"
    if out.endswith(".rst"):
        return "rst"
    return "code"


def environment(sources: dict[str, str], mode: str = "code", budget: Budget | None = None) -> BudgetedSandbox:
    """The sandboxed environment a template target renders with: the docs' settings
    (strict undefined names, block whitespace trimmed, trailing newline kept), the
    docs' escaping for ``mode`` (``html``, ``md``, ``rst`` or ``code``), and every loop,
    call, operator, filter and printed value counted against ``budget``
    (``template_budget``; a fresh one if not given)."""
    escaper = {"md": md_text, "rst": rst_text}.get(mode)
    escape_value = None
    if escaper is not None:

        def escape_value(value: Any) -> Any:
            return value if isinstance(value, Markup) else escaper(value)

    env = BudgetedSandbox(
        loader=jinja2.FunctionLoader(lambda name: (sources[name], name, lambda: True) if name in sources else None),
        autoescape=mode == "html",
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.finalize = finalize_counted(env, escape_value)
    if budget is not None:
        env.budget = budget
    env.filters.update(COMMON_FILTERS)
    env.filters.update({"md": docs_md.FILTERS, "rst": docs_rst.FILTERS}.get(mode, {}))
    env.filters["html"] = escape
    env.globals["spaces"] = docs_jinja.spaces
    env.filters["period"] = docs_jinja.period
    guard_filters(env)
    return env


def context(spec: Spec, target: TemplateTarget, view: Any = None) -> dict[str, Any]:
    """What every template of ``target`` sees (docs/template-context.md); ``view``: the
    docs view, if the build derived it already."""
    from generator.targets.docs_view import build_view

    payloads = payload_codes(spec)
    return {
        "spec": spec,
        "product": spec.product,
        "package": spec.outputs.package,
        "view": view if view is not None else build_view(spec),
        "payloads": payloads,
        "records": tuple(p for p in payloads if p.type != "event"),
        "events": tuple(p for p in payloads if p.type == "event"),
        "target": {"name": target.name, "out": target.out, "description": target.description},
    }


def render_target(spec: Spec, target: TemplateTarget, budget: Budget | None = None,
                  view: Any = None) -> dict[str, bytes]:
    """One template target's files, keyed by output path, rendered within ``budget``
    (a fresh ``template_budget.Budget`` if not given); ``view``: as ``context``."""
    budget = budget or Budget()
    sources = {f.path: f.text for f in target.files}
    ctx: dict[str, Any] | None = None
    files: dict[str, bytes] = {}
    for f in target.files:
        path = f"{target.out}/{output_name(f.path)}"
        if not f.path.endswith(TEMPLATE_SUFFIX):
            files[path] = f.text.encode("utf-8")
            continue
        if ctx is None:
            ctx = context(spec, target, view)
        mode = _mode(f.path)
        try:
            files[path] = _render_file(environment(sources, mode, budget), f.path, budget, mode != "html", ctx)
        except Exception as exc:
            line = _template_line(exc, set(sources))
            where = f"{target.folder.rstrip('/')}/{f.path}" + (f":{line}" if line else "")
            reason = str(exc) if isinstance(exc, BudgetExceeded) else f"{type(exc).__name__}: {exc}"
            raise TemplateRenderError(f"template target {target.name!r} ({target.location}): {where}: {reason}") from exc
    return files


def _render_file(env: BudgetedSandbox, name: str, budget: Budget, blank_lines: bool, ctx: dict[str, Any]) -> bytes:
    """One template's output, streamed so that it stops at the file and total size
    budgets, normalised as ``docs_jinja.render`` normalises the docs."""
    chunks: list[str] = []
    length = 0
    budget.file = MAX_FILE_CHARS
    for chunk in env.get_template(name).generate(**ctx):
        length += len(chunk)
        if length > MAX_FILE_CHARS:
            raise BudgetExceeded(f"the output file passed {MAX_FILE_CHARS:,} characters (the per-file size budget)")
        if length > budget.total[0]:
            raise BudgetExceeded("the template targets' output passed the size budget for all of them together "
                                 f"({template_budget.MAX_TOTAL_CHARS:,} characters)")
        chunks.append(chunk)
    budget.total[0] -= length
    text = "\n".join(line.rstrip() for line in "".join(chunks).replace("\r\n", "\n").split("\n"))
    if blank_lines:
        text = docs_jinja._BLANKS.sub("\n\n", text)
    return (text.strip("\n") + "\n").encode("utf-8")


def _template_line(exc: BaseException, names: set[str]) -> int | None:
    """The line of the innermost template frame in ``exc``'s traceback."""
    line = getattr(exc, "lineno", None)
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in names:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render(spec: Spec, view: Any = None) -> dict[str, bytes]:
    """Every declared template target's files (none when the spec declares none);
    ``view``: the docs view, if the build derived it already."""
    files: dict[str, bytes] = {}
    budget = Budget()
    for target in spec.outputs.templates:
        files.update(render_target(spec, target, budget, view))
        budget = budget.new_target()
    return files
