"""The budgets a spec's own templates render within (``outputs.templates``).

A template comes in a pull request like the rest of the spec, so it is untrusted code:
Jinja's immutable sandbox keeps it from reaching anything but the model, and this module
keeps it from taking the machine.  Every template target renders against one ``Budget``
(docs/template-context.md, "Budgets", lists the numbers):

* **time**: ``MAX_SECONDS`` per target, checked at every loop step, call, filter and
  operator, so no template runs on for minutes;
* **loop steps**: ``MAX_STEPS`` iterations of ``{% for %}`` loops per target (the
  parser wraps every loop's iterable in a counting filter), so two nested
  ``range(100000)`` loops stop after a second, printing or not (a recursive loop's
  ``loop(children)`` is counted too);
* **size**: no value a template computes may pass ``MAX_VALUE_CHARS`` characters or
  items, checked *before* the operation where it could multiply (``'x' * 2000000000``,
  ``**``, ``%`` and ``format`` widths, ``replace``, ``join``, ``sum``, any width or count
  argument), and everything a target produces (printed values, literal text per loop
  step, concatenations, operator and filter results) counts toward ``MAX_PRODUCED_CHARS``;
  each output file may hold ``MAX_FILE_CHARS`` and all template targets together
  ``MAX_TOTAL_CHARS``.

Passing a budget raises ``BudgetExceeded``, which the target reports as a failed render
with the template's name and line.  Must not: render anything itself or know a target.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from typing import Any

from jinja2 import nodes, pass_environment
from jinja2.runtime import LoopContext, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SECONDS = 20.0
MAX_STEPS = 1_000_000
MAX_VALUE_CHARS = 8 * 1024 * 1024
MAX_PRODUCED_CHARS = 256 * 1024 * 1024
MAX_FILE_CHARS = 16 * 1024 * 1024
MAX_TOTAL_CHARS = 64 * 1024 * 1024
_WIDTH = re.compile(r"\d+")


class BudgetExceeded(Exception):
    """A template passed one of the budgets; the message says which and its limit."""


@dataclass
class Budget:
    """What is left of the budgets while one template target renders (``total``, the
    characters all template targets may still write, is shared between targets)."""

    deadline: float = field(default_factory=lambda: time.monotonic() + MAX_SECONDS)
    steps: int = MAX_STEPS
    produced: int = MAX_PRODUCED_CHARS
    total: list[int] = field(default_factory=lambda: [MAX_TOTAL_CHARS])
    file: int = MAX_FILE_CHARS  # what the file being rendered may still print

    def step(self, n: int = 1) -> None:
        """Count ``n`` loop steps (and check the clock)."""
        self.steps -= n
        if self.steps < 0:
            raise BudgetExceeded(f"the template target passed {MAX_STEPS:,} loop steps (the loop-step budget)")
        self.tick()

    def tick(self) -> None:
        """Check the clock."""
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(f"the template target ran for more than {MAX_SECONDS:g} seconds (the time budget)")

    def produce(self, n: int) -> None:
        """Count ``n`` characters (or items) computed or printed."""
        self.produced -= n
        if self.produced < 0:
            raise BudgetExceeded(f"the template target computed more than {MAX_PRODUCED_CHARS:,} characters (the size budget)")

    def printed(self, n: int) -> None:
        """Count ``n`` characters the file being rendered may print (a value, or a loop
        step's literal text), so that the template stops where it passes the budget."""
        self.produce(n)
        self.file -= n
        if self.file < 0:
            raise BudgetExceeded(f"the output file passed {MAX_FILE_CHARS:,} characters (the per-file size budget)")

    def new_target(self) -> Budget:
        """A fresh budget for the next target, sharing what is left of ``total``."""
        return Budget(total=self.total)


def size(value: Any) -> int:
    """Characters or items of ``value`` (0 for a number or anything unsized)."""
    return len(value) if isinstance(value, Sized) and not isinstance(value, (dict, range)) else 0


def _check(n: int, what: str) -> None:
    if n > MAX_VALUE_CHARS:
        raise BudgetExceeded(f"{what} would make a value of {n:,} characters or items; the limit is {MAX_VALUE_CHARS:,}")


def _check_ints(args: tuple, kwargs: dict, what: str) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE_CHARS:
            _check(abs(value), what)


def _check_widths(fmt: Any, what: str) -> None:
    if isinstance(fmt, str):
        for digits in _WIDTH.findall(fmt):
            _check(int(digits) if len(digits) < 12 else MAX_VALUE_CHARS + 1, what)


def _joined(sep: Any, items: Any) -> int:
    items = items if isinstance(items, Sized) else ()
    return size(sep) * max(len(items) - 1, 0) + sum(size(i) for i in items)


def _replaced(text: Any, old: Any, new: Any) -> int:
    if not isinstance(text, str) or not isinstance(old, str):
        return 0
    count = len(text) + 1 if old == "" else text.count(old)
    return len(text) + count * size(new)


def _precheck(name: str, value: Any, args: tuple, kwargs: dict) -> None:
    """Refuse, before it runs, a call whose result could pass the value budget."""
    what = f"`{name}`"
    _check_ints(args, kwargs, what)
    if name in ("format", "%"):
        _check_widths(value, what)
    elif name == "replace" and args:
        _check(_replaced(value, args[0], args[1] if len(args) > 1 else kwargs.get("new", "")), what)
    elif name == "join":
        _check(_joined(args[0] if args else kwargs.get("d", ""), value), what)
    elif name == "sum":
        _check(sum(size(i) for i in value) if isinstance(value, Sized) else 0, what)


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, counting every loop step, call, operator, filter and
    printed value against ``self.budget`` (set before rendering)."""

    intercepted_binops = frozenset({"*", "**", "%", "+", "//"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = Budget()
        self.globals.pop("lipsum", None)  # n paragraphs of filler text: no use, and unbounded
        self.filters["_gen_steps"] = _steps
        self.filters["_gen_concat"] = _concat

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            literal = sum(len(d.data) for d in loop.find_all(nodes.TemplateData))
            loop.iter = nodes.Filter(loop.iter, "_gen_steps", [nodes.Const(literal)], [], None, None, lineno=loop.lineno)
        for concat in list(tree.find_all(nodes.Concat)):
            pieces = nodes.Tuple(concat.nodes, "load", lineno=concat.lineno)
            concat.__class__ = nodes.Filter  # in place: the parent keeps its reference
            concat.__init__(pieces, "_gen_concat", [], [], None, None, lineno=concat.lineno)
        return tree

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        budget = self.budget
        budget.tick()
        if operator == "*":
            seq, times = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(times, int) and size(seq):
                _check(size(seq) * max(times, 0), "`*`")
                if isinstance(seq, (list, tuple)):
                    _check(sum(size(i) for i in seq) * max(times, 0), "`*`")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and right > 0:
            _check(left.bit_length() * right // 8, "`**`")
        elif operator == "%" and isinstance(left, str):
            _precheck("%", left, right if isinstance(right, tuple) else (right,), {})
        elif operator == "+":
            _check(size(left) + size(right), "`+`")
        result = self.binop_table[operator](left, right)
        budget.produce(size(result))
        return result

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.budget.tick()
        if isinstance(obj, LoopContext) and args:  # ``loop(children)`` of a recursive loop: counted too
            args = (_steps(self, args[0], 0), *args[1:])
        name = getattr(obj, "__name__", "")
        _precheck(name, getattr(obj, "__self__", None), args, kwargs)
        result = super().call(context, obj, *args, **kwargs)
        self.budget.produce(size(result))
        _check(size(result), f"`{name}`")
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        """``str.format``/``format_map`` as the sandbox wraps them, refused first when a
        width or an argument would pass the value budget."""
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt = getattr(value, "__self__", None)

        def checked(*args: Any, **kwargs: Any) -> str:
            _check_widths(fmt, "`format`")
            _check_ints(args, kwargs, "`format`")
            return wrapped(*args, **kwargs)

        return checked


def guard_filters(env: BudgetedSandbox) -> None:
    """Wrap every filter of ``env`` with the budget's checks before and after it runs
    (jinja's own ``join``, ``replace``, ``sum``, ``center``, ``indent``, ``format``, ...
    and the project's), keeping how jinja passes it its context."""
    for name, func in list(env.filters.items()):
        if not name.startswith("_gen_"):
            env.filters[name] = _guarded(env, name, func)


def _guarded(env: BudgetedSandbox, name: str, func: Callable) -> Callable:
    passes = getattr(func, "jinja_pass_arg", None)

    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget = env.budget
        budget.tick()
        value, rest = (args[1], args[2:]) if passes is not None else (args[0], args[1:])
        _precheck(name, value, rest, kwargs)
        result = func(*args, **kwargs)
        budget.produce(size(result))
        _check(size(result), f"`{name}`")
        return result

    if passes is not None:
        guarded.jinja_pass_arg = passes  # type: ignore[attr-defined]
    return guarded


@pass_environment
def _steps(env: Any, iterable: Any, literal: int) -> Any:
    """The items of a loop's iterable, each counted as a step (plus the literal text of
    the loop's body, which each step may print)."""
    budget: Budget = env.budget
    for item in iterable:
        budget.step()
        budget.printed(literal)
        yield item


@pass_environment
def _concat(env: Any, pieces: tuple) -> Any:
    """``a ~ b``: jinja's own join, refused before it passes the value budget."""
    n = sum(size(p) if isinstance(p, str) else len(str(p)) for p in pieces)
    _check(n, "`~`")
    env.budget.produce(n)
    return (markup_join if env.autoescape else str_join)(pieces)


def finalize_counted(env: BudgetedSandbox, then: Callable | None) -> Callable:
    """The environment's ``finalize`` (``then`` first, if any): each printed value
    counts toward the budget."""

    def finalize(value: Any) -> Any:
        out = then(value) if then is not None else value
        env.budget.printed(len(out) if isinstance(out, str) else len(str(out)))
        return out

    return finalize
