"""Request body limits: posts and forms stay near the largest message; a CSV member import gets its own."""

from __future__ import annotations

from flask import Flask, request

# The panel's CSV import takes files up to this size (docs/nginx.md's client_max_body_size matches it).
IMPORT_MAX_BYTES = 50 * 1024 * 1024
FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and the other fields
LARGE_BODY_ENDPOINTS = frozenset({"members.upload"})


def default_limit(app: Flask) -> int:
    """Every other request: the largest message a list takes, plus room for the form around it."""
    return app.config["MAILFLOW"].MAX_MESSAGE_SIZE + FORM_OVERHEAD


def apply_body_limit() -> None:
    """Raise the limit for the import upload before anything (CSRF checks included) reads the form."""
    if request.endpoint in LARGE_BODY_ENDPOINTS:
        request.max_content_length = IMPORT_MAX_BYTES + FORM_OVERHEAD
