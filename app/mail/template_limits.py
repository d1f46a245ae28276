"""Bounds on list templates: source size, compile and render time, output size, and no amplifying calls.

Jinja folds constant expressions while compiling (`{{ 'x'*200000000 }}` cost seconds and gigabytes at
save), so the environment compiles without the optimiser and intercepts `*`, `**`, `+` and `~`; filters
and string methods that multiply their input are left out. Without loops and calls a template runs in time
linear in its (bounded) source, so rendering counts every loop iteration and every call against a CPU-time
deadline (cheap: no tracing), and stops as soon as the output grows past its bound. Compiling, which
happens once per source, runs under a tracing deadline.
"""

from __future__ import annotations

import enum
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType
from typing import Any

from jinja2 import TemplateError, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.runtime import str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_SOURCE = 10_000  # characters of template source
MAX_OUTPUT = 20_000  # characters one template may render to
MAX_SECONDS = 0.25  # CPU seconds of this thread to compile or render one template
MAX_RANGE = 1_000  # items one range() may yield
CLOCK_EVERY = 64  # loop iterations and calls between two looks at the CPU clock
MAX_INT_BITS = 4_096  # size of an integer `**` may produce
TEMPLATE_FILENAME = "<template>"  # Jinja's filename for code compiled from a string
SAFE_FILTERS = (
    "abs capitalize count d default e escape first float int last length lower replace round "
    "striptags title trim truncate upper urlencode wordcount"
).split()
SAFE_STR_METHODS = frozenset(
    "capitalize casefold count endswith find isalnum isalpha isdigit islower isspace istitle isupper "
    "lower lstrip partition removeprefix removesuffix rfind rpartition rsplit rstrip split splitlines "
    "startswith strip swapcase title upper".split()
)


class Limit(enum.StrEnum):
    SOURCE = "source size"
    COMPILE_TIME = "compile time"
    RENDER_TIME = "render time"
    OUTPUT = "output size"
    CALL = "allowed operations"


MESSAGES = {
    Limit.SOURCE: f"The template is longer than {MAX_SOURCE:,} characters.",
    Limit.COMPILE_TIME: f"The template takes longer than {MAX_SECONDS} s to compile.",
    Limit.RENDER_TIME: f"The template takes longer than {MAX_SECONDS} s to render.",
    Limit.OUTPUT: f"The template would produce more than {MAX_OUTPUT:,} characters.",
}


class TemplateLimitError(TemplateError):
    """A template went past one of the bounds; `limit` says which, the message says it for the form."""

    def __init__(self, limit: Limit, detail: str = "") -> None:
        super().__init__(detail or MESSAGES[limit])
        self.limit = limit


def _checked_repeat(sequence: Any, times: Any) -> None:
    if isinstance(times, int) and hasattr(sequence, "__len__") and len(sequence) * times > MAX_OUTPUT:
        raise TemplateLimitError(Limit.OUTPUT)


def _checked_sum(*parts: Any) -> None:
    if sum(len(p) for p in parts if isinstance(p, str | list | tuple)) > MAX_OUTPUT:
        raise TemplateLimitError(Limit.OUTPUT)


def _checked_power(base: Any, exponent: Any) -> None:
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
        if max(abs(base).bit_length(), 1) * exponent > MAX_INT_BITS:
            raise TemplateLimitError(Limit.OUTPUT, "The template computes a number that is too large.")


def bounded_concat(parts: tuple[Any, ...]) -> str:
    """The `~` operator, refusing results longer than MAX_OUTPUT."""
    text = str_join(parts)
    if len(text) > MAX_OUTPUT:
        raise TemplateLimitError(Limit.OUTPUT)
    return text


def printable(value: Any) -> Any:
    """Only text, numbers and nothing reach the output: printing a container could be unboundedly long."""
    if value is None or isinstance(value, str | int | float | Undefined):
        return value
    raise TemplateLimitError(Limit.CALL, f"A {type(value).__name__} cannot be printed; print its items.")


class RenderBudget:
    """The CPU-time deadline of one render, looked at every CLOCK_EVERY loop iterations and calls."""

    def __init__(self, seconds: float = MAX_SECONDS) -> None:
        self.seconds = seconds
        self.deadline: float | None = None  # set at the first loop turn or call
        self.ticks = 0

    def tick(self) -> None:
        # The clock starts at the first tick, not at the render's start: a template without loops or calls
        # (most footers) reads it never. Reading it costs ~2 ms in some sandboxed hosts, per recipient.
        if self.deadline is None:
            self.deadline = time.thread_time() + self.seconds
        self.ticks += 1
        if self.ticks % CLOCK_EVERY == 0 and time.thread_time() > self.deadline:
            raise TemplateLimitError(Limit.RENDER_TIME)


_budget: ContextVar[RenderBudget | None] = ContextVar("template_render_budget", default=None)


def _tick() -> None:
    budget = _budget.get()
    if budget is not None:
        budget.tick()


def bounded_iter(iterable: Iterable[Any]) -> Iterator[Any]:
    """What every `{% for %}` loops over: the items, each counted against the render's deadline."""
    for item in iterable:
        _tick()
        yield item


@contextmanager
def render_budget(seconds: float = MAX_SECONDS) -> Iterator[None]:
    """Loops and calls inside the block raise TemplateLimitError(RENDER_TIME) once `seconds` of CPU pass."""
    token = _budget.set(RenderBudget(seconds))
    try:
        yield
    finally:
        _budget.reset(token)


class BoundedCodeGenerator(CodeGenerator):
    """Compiles `~` to a call that checks the length of what it joins, and loops to count their turns."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        counted = nodes.Call(nodes.EnvironmentAttribute("bounded_iter"), [node.iter], [], None, None)
        super().visit_For(
            nodes.For(node.target, counted, node.body, node.else_, node.test, node.recursive), frame
        )

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.bounded_concat((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with `*`, `**`, `+` and `~` checked before they run, `%` on text refused."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = BoundedCodeGenerator
    bounded_concat = staticmethod(bounded_concat)
    bounded_iter = staticmethod(bounded_iter)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            _checked_repeat(left, right)
            _checked_repeat(right, left)
            return left * right
        if operator == "+":
            _checked_sum(left, right)
            return left + right
        if operator == "%":
            if isinstance(left, str):
                raise TemplateLimitError(Limit.CALL, "The % operator on text is not allowed; use ~ to join.")
            return left % right
        _checked_power(left, right)
        return left**right

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _tick()  # macros can recurse without a loop: calls count against the deadline too
        method = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format; look at what it wraps
        name = getattr(method, "__name__", "")
        if isinstance(getattr(method, "__self__", None), str) and name not in SAFE_STR_METHODS:
            raise TemplateLimitError(Limit.CALL, f"Calling .{name}() is not allowed in a template.")
        return super().call(__context, __obj, *args, **kwargs)


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateLimitError(Limit.OUTPUT, f"range() may give at most {MAX_RANGE:,} numbers.")
    return numbers


def _checked_replace(value: Any, old: str, new: str, count: int | None = None) -> str:
    text = str(value)
    hits = text.count(str(old)) if count is None else min(count, text.count(str(old)))
    if len(text) + hits * max(len(str(new)) - len(str(old)), 0) > MAX_OUTPUT:
        raise TemplateLimitError(Limit.OUTPUT)
    return text.replace(str(old), str(new), -1 if count is None else count)


def make_environment() -> BoundedSandbox:
    """The sandbox every list template compiles and renders in."""
    env = BoundedSandbox(autoescape=False, keep_trailing_newline=False, optimized=False, finalize=printable)
    env.filters = {name: env.filters[name] for name in SAFE_FILTERS}
    env.filters["replace"] = _checked_replace
    env.globals = {"range": _bounded_range}
    return env


@contextmanager
def cpu_deadline(limit: Limit, seconds: float = MAX_SECONDS) -> Iterator[None]:
    """Raise TemplateLimitError(limit) in this thread once it has used `seconds` of CPU inside the block.

    A trace function checks the clock at every call, and at every line of template code (a loop without
    calls would otherwise never be looked at). The tracer that was active before (a debugger, coverage)
    is put back afterwards.
    """
    deadline = time.thread_time() + seconds

    def check(frame: FrameType, event: str, arg: Any) -> Callable | None:
        if time.thread_time() > deadline:
            raise TemplateLimitError(limit)
        return check if frame.f_code.co_filename == TEMPLATE_FILENAME else None

    previous = sys.gettrace()
    sys.settrace(check)
    try:
        yield
    finally:
        sys.settrace(previous)


def bounded_join(chunks: Iterator[str]) -> str:
    """Concatenate rendered chunks, stopping as soon as they pass MAX_OUTPUT."""
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_OUTPUT:
            raise TemplateLimitError(Limit.OUTPUT)
        parts.append(chunk)
    return "".join(parts)
