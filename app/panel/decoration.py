"""Checking and previewing header/footer templates in a Jinja2 sandbox.

The pipeline's own renderer (app/pipeline/templates.py, issue 4) was not on main when this was written;
this uses the same engine, ImmutableSandboxedEnvironment, so what validates here renders there.
"""

from __future__ import annotations

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.models import MailingList

MAX_TEMPLATE = 10_000
SAMPLE_MEMBER = {"email": "sam.sample@example.net", "name": "Sam Sample"}


def sample_context(mlist: MailingList) -> dict[str, str]:
    """The variables a template may use, filled for a sample member."""
    from app.tokens import public_url

    return {
        "list_name": mlist.name,
        "list_address": mlist.address,
        "list_description": mlist.description,
        "member_email": SAMPLE_MEMBER["email"],
        "member_name": SAMPLE_MEMBER["name"],
        "unsubscribe_url": public_url("/unsubscribe/SAMPLE-TOKEN"),
        "manage_url": public_url("/manage/SAMPLE-TOKEN"),
    }


def render(text: str, context: dict[str, str]) -> str:
    """Render text in the sandbox; raises ValueError with a readable message."""
    if len(text) > MAX_TEMPLATE:
        raise ValueError(f"The template is longer than {MAX_TEMPLATE} characters.")
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    try:
        return env.from_string(text).render(**context)
    except TemplateError as exc:
        where = f" (line {exc.lineno})" if getattr(exc, "lineno", None) else ""
        raise ValueError(f"{exc.message or type(exc).__name__}{where}") from None
