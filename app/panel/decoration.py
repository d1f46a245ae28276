"""Checking and previewing header/footer templates with the pipeline's own sandboxed renderer."""

from __future__ import annotations

from jinja2 import TemplateError

from app.mail.templates import render_bounded, template_error
from app.mail.tokens import public_url
from app.models import MailingList

SAMPLE_MEMBER = {"email": "sam.sample@example.net", "name": "Sam Sample"}


def sample_context(mlist: MailingList) -> dict[str, str]:
    """The variables a template may use, filled for a sample member."""
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
    """Render text exactly as delivery will; raises ValueError with a readable message."""
    problem = template_error(text)
    if problem:
        raise ValueError(problem)
    try:
        return render_bounded(text, context)
    except TemplateError as exc:
        lineno = getattr(exc, "lineno", None)
        where = f" (line {lineno})" if lineno else ""
        raise ValueError(f"{exc.message or type(exc).__name__}{where}") from None
