"""Header and footer templates: a bounded Jinja2 sandbox, checked when saved, never crashing at delivery."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import TemplateError, meta
from jinja2.environment import Template

from app.mail.template_limits import (
    MAX_SOURCE,
    BoundedSandbox,
    Limit,
    TemplateLimitError,
    bounded_join,
    cpu_deadline,
    make_environment,
    render_budget,
)

log = logging.getLogger(__name__)
VARIABLES = frozenset(
    {
        "list_name",
        "list_address",
        "list_description",
        "member_email",
        "member_name",
        "unsubscribe_url",
        "manage_url",
    }
)
MAX_TEMPLATE = MAX_SOURCE
# The longest values delivery can pass (column sizes), for the trial render when a template is saved.
WORST_CASE_VALUES = {name: "x" * 320 for name in VARIABLES} | {"list_description": "x" * 2000}


@lru_cache(maxsize=1)
def environment() -> BoundedSandbox:
    """The one sandbox every list template runs in (no autoescape: HTML parts escape the result)."""
    return make_environment()


@dataclass(frozen=True)
class Compiled:
    template: Template
    uses: frozenset[str]


@lru_cache(maxsize=256)
def compiled(source: str) -> Compiled:
    """The compiled template and the variables it uses; raises jinja2.TemplateError (TemplateLimitError)."""
    if len(source) > MAX_SOURCE:
        raise TemplateLimitError(Limit.SOURCE)
    env = environment()
    with cpu_deadline(Limit.COMPILE_TIME):
        return Compiled(env.from_string(source), frozenset(meta.find_undeclared_variables(env.parse(source))))


def render_bounded(source: str, values: dict[str, str]) -> str:
    """Render within the time and output bounds; raises jinja2.TemplateError (TemplateLimitError)."""
    template = compiled(source).template
    with render_budget():
        return bounded_join(template.generate(values))


def template_error(source: str) -> str | None:
    """Why a template cannot be saved (naming the limit it hit), or None; the panel shows this on the form."""
    try:
        unknown = compiled(source).uses - VARIABLES
    except TemplateLimitError as exc:
        return f"{exc.message} (limit: {exc.limit})"
    except TemplateError as exc:
        return f"The template does not compile: {exc}"
    except (RecursionError, ValueError, OverflowError) as exc:  # e.g. thousands of nested brackets
        return f"The template does not compile: {type(exc).__name__}"
    if unknown:
        return f"Unknown variables: {', '.join(sorted(unknown))} (known: {', '.join(sorted(VARIABLES))})."
    try:
        render_bounded(source, WORST_CASE_VALUES)
    except TemplateLimitError as exc:
        return f"{exc.message} (limit: {exc.limit}; tried with the longest values a member can have)"
    except Exception:  # other runtime errors depend on the values; the preview shows them with real ones
        pass
    return None


def uses(source: str) -> frozenset[str]:
    """The variables a template refers to (empty for an empty or broken template)."""
    if not source.strip():
        return frozenset()
    try:
        return compiled(source).uses
    except TemplateError:
        return frozenset()


def render(source: str, values: dict[str, str]) -> str:
    """The template rendered as plain text; a template that fails renders as nothing and is logged."""
    if not source.strip():
        return ""
    try:
        return render_bounded(source, values).strip("\r\n")
    except Exception as exc:  # a saved template was checked; this is a runtime surprise, not a crash
        log.error("template failed to render, decoration left out: %s", exc)
        return ""
