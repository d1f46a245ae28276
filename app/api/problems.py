"""Errors as RFC 9457 problem details (application/problem+json), naming the field when there is one."""

from __future__ import annotations

from flask import Response, json

MEDIA_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    415: "Unsupported media type",
    422: "Invalid request",
    429: "Too many requests",
    500: "Internal server error",
}


class ApiProblem(Exception):
    """Raised by an API view; rendered as a problem document."""

    def __init__(self, status: int, detail: str, errors: list[dict[str, str]] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.errors = status, detail, errors or []


def problem_response(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> Response:
    """The problem document: type, title, status, detail and, for invalid fields, one entry per field."""
    body: dict[str, object] = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="mailflow"'
    return response


def field_errors(problems: dict[str, str]) -> list[dict[str, str]]:
    """A settings registry's {key: problem} as problem-detail entries."""
    return [{"field": key, "detail": detail} for key, detail in problems.items()]
