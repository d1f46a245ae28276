"""API endpoints declared once: the same request schema validates the body and writes the OpenAPI document."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, ValidationError

from app.api.problems import ApiProblem

PARAM = re.compile(r"\{(\w+)\}")
INT_PARAMS = {"post_id"}


@dataclass(frozen=True)
class Endpoint:
    """One route: method, OpenAPI path, summary, and the schemas of its body and answer."""

    method: str
    path: str
    summary: str
    request: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int = 200


ENDPOINTS: list[Endpoint] = []


def flask_rule(path: str) -> str:
    """/lists/{address}/members/{email} → /lists/<address>/members/<email> (ids as ints)."""
    return PARAM.sub(lambda m: f"<int:{m[1]}>" if m[1] in INT_PARAMS else f"<{m[1]}>", path)


def endpoint(
    blueprint: Blueprint,
    method: str,
    path: str,
    summary: str,
    body: type[BaseModel] | None = None,
    answer: type[BaseModel] | None = None,
    status: int = 200,
) -> Callable:
    """Register a view: its JSON body is validated by `body` (422 naming each bad field) and passed in."""

    def register(view: Callable) -> Callable:
        ENDPOINTS.append(Endpoint(method, path, summary, body, answer, status))

        @wraps(view)
        def handle(**params: Any) -> Any:
            if body is not None:
                params["body"] = parse_body(body)
            result = view(**params)
            content, code = result if isinstance(result, tuple) else (result, status)
            if answer is not None and code != 204:
                content = answer.model_validate(content).model_dump(mode="json")  # as documented, ISO dates
            return content, code

        blueprint.add_url_rule(flask_rule(path), view.__name__, handle, methods=[method])
        return view

    return register


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON validated by model; ApiProblem 415/400/422 otherwise."""
    if not request.is_json:
        raise ApiProblem(415, "Send the body as JSON (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiProblem(400, "The body is not valid JSON.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "(body)", "detail": e["msg"]}
            for e in exc.errors()
        ]
        raise ApiProblem(422, "Some fields are invalid.", errors) from None
