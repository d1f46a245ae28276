"""The OpenAPI 3.1 document, generated from the declared endpoints and their pydantic schemas."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.api.problems import MEDIA_TYPE
from app.api.spec import ENDPOINTS, PARAM, Endpoint

REF = "#/components/schemas/{model}"
PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "detail": {"type": "string"}},
            },
        },
    },
}


def document(server_url: str) -> dict[str, Any]:
    """The whole document for an API served at server_url."""
    schemas: dict[str, Any] = {"Problem": PROBLEM}
    paths: dict[str, dict] = {}
    for ep in ENDPOINTS:
        paths.setdefault(ep.path, {})[ep.method.lower()] = _operation(ep, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "MailFlow Relay API", "version": "1"},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _operation(ep: Endpoint, schemas: dict[str, Any]) -> dict[str, Any]:
    problem = {
        "description": "a problem",
        "content": {MEDIA_TYPE: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    ok: dict[str, Any] = {"description": "done"}
    if ep.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(ep.response, schemas)}}
    operation: dict[str, Any] = {
        "summary": ep.summary,
        "operationId": f"{ep.method.lower()}_{ep.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",
        "parameters": [_parameter(name) for name in PARAM.findall(ep.path)],
        "responses": {str(ep.status): ok, "default": problem},
    }
    if ep.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(ep.request, schemas)}},
        }
    return operation


def _parameter(name: str) -> dict[str, Any]:
    kind = "integer" if name.endswith("_id") else "string"
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    """Put model (and the models it uses) into components; return a reference to it."""
    schema = model.model_json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    schemas[model.__name__] = schema
    return {"$ref": REF.format(model=model.__name__)}
