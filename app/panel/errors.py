"""Styled 403 and 404 pages that say what to do next, for the panel and the public pages alike."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import Forbidden, HTTPException, NotFound

# Machine-facing paths keep their plain answers: scripts and mail clients read those, not people.
MACHINE_PATHS = ("/api/", "/webhooks/", "/metrics", "/healthz", "/readyz")
MEMBER_LINKS = ("/unsubscribe/", "/manage/", "/confirm/")


def _advice(path: str) -> str:
    """Which 404 page fits the path: a member's link, a subscribe page, or the panel."""
    if path.startswith(MEMBER_LINKS):
        return "member-link"
    if path.startswith("/subscribe/"):
        return "no-list"
    return "panel"


def _page(error: HTTPException):
    if request.path.startswith(MACHINE_PATHS):
        return error
    code = error.code or 500
    custom = error.description if error.description != type(error).description else ""
    return render_template(
        f"errors/{code}.html", advice=_advice(request.path), description=custom, path=request.path
    ), code


def register_error_pages(app: Flask) -> None:
    """Answer 403 and 404 with a page in the panel's style instead of Werkzeug's bare one."""
    app.register_error_handler(NotFound, _page)
    app.register_error_handler(Forbidden, _page)
