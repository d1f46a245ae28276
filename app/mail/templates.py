"""Header and footer templates: Jinja2's immutable sandbox, checked when saved, never crashing at delivery."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import TemplateError, meta
from jinja2.environment import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

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
MAX_TEMPLATE = 10_000


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    """The one sandbox every list template runs in (no autoescape: HTML parts escape the result)."""
    return ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=False)


@dataclass(frozen=True)
class Compiled:
    template: Template
    uses: frozenset[str]


@lru_cache(maxsize=256)
def compiled(source: str) -> Compiled:
    """The compiled template and the variables it uses; raises jinja2.TemplateError."""
    env = environment()
    return Compiled(env.from_string(source), frozenset(meta.find_undeclared_variables(env.parse(source))))


def template_error(source: str) -> str | None:
    """Why a template cannot be saved, or None; the panel shows this on the form."""
    if len(source) > MAX_TEMPLATE:
        return f"The template is longer than {MAX_TEMPLATE} characters."
    try:
        unknown = compiled(source).uses - VARIABLES
    except TemplateError as exc:
        return f"The template does not compile: {exc}"
    if unknown:
        return f"Unknown variables: {', '.join(sorted(unknown))} (known: {', '.join(sorted(VARIABLES))})."
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
        return compiled(source).template.render(values).strip("\r\n")
    except Exception as exc:  # a saved template was checked; this is a runtime surprise, not a crash
        log.error("template failed to render, decoration left out: %s", exc)
        return ""
