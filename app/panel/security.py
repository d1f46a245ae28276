"""HTTP response headers that keep the panel out of frames and scripts out of mail content."""

from flask import Response

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def add_security_headers(response: Response) -> Response:
    """Set the security headers on every response."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
