"""The JSON API under /api/v1: a third door onto the service layer, authenticated by bearer tokens only.

Browser sessions are not accepted here: no cookie is read, so a cross-site request carries no authority
and CSRF tokens are not needed.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException

from app.accounts import tokens
from app.api.archive import archive_api
from app.api.lists import lists_api
from app.api.members import members_api
from app.api.openapi import document
from app.api.posts import posts_api
from app.api.problems import ApiProblem, problem_response
from app.api.requests import requests_api
from app.api.spec import ENDPOINTS
from app.extensions import csrf
from app.panel.throttle import limiter

API_LIMIT = "600 per minute"
api = Blueprint("api", __name__, url_prefix="/api/v1")
CHILDREN = (lists_api, members_api, posts_api, requests_api, archive_api)
for child in CHILDREN:
    api.register_blueprint(child)
limiter.limit(API_LIMIT, key_func=lambda: _token_key())(api)
OPEN_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


def _token_key() -> str:
    """Rate limits count per token (per client address before authentication)."""
    user = g.get("api_user")
    return f"api-user-{user.id}" if user is not None else f"api-ip-{request.remote_addr}"


@api.before_request
def authenticate() -> None:
    """Authorization: Bearer TOKEN, or 401; the user's roles apply from here on."""
    if request.path in OPEN_PATHS:
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    user = tokens.user_for(secret.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        raise ApiProblem(401, "Send a valid API token: Authorization: Bearer TOKEN (mailflow users token).")
    g.api_user = user


@api.errorhandler(ApiProblem)
def api_problem(error: ApiProblem):
    return problem_response(error.status, error.detail, error.errors)


@api.errorhandler(HTTPException)
def http_problem(error: HTTPException):
    return problem_response(error.code or 500, error.description or "")


@api.get("/openapi.json")
def openapi_json():
    return document(current_app.config["MAILFLOW"].PUBLIC_URL.rstrip("/") + "/api/v1")


@api.get("/docs")
def reference():
    return render_template("api/reference.html", endpoints=ENDPOINTS)


def init_api(app: Flask) -> None:
    """Register the API blueprint: CSRF-exempt (no cookies are read), rate-limited per token."""
    for blueprint in (api, *CHILDREN):  # Flask-WTF checks the blueprint a view belongs to, not its parent
        csrf.exempt(blueprint)
    app.register_blueprint(api)
