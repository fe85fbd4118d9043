"""The API's OpenAPI 3.1 document, built from the registered routes and their pydantic models."""
from __future__ import annotations

from flask import jsonify
from pydantic.json_schema import models_json_schema
from werkzeug.http import HTTP_STATUS_CODES

from bot.api import ROLES
from bot.api.auth import grants
from bot.api.errors import ErrorResponse
from bot.api.routing import OPERATIONS, Operation, route

SECURITY_SCHEME = "bearerAuth"
PATH_PARAMETER_SCHEMAS = {"int": {"type": "integer", "minimum": 1}, "string": {"type": "string"}}
OTHER_MEDIA_SCHEMAS = {"text/csv": {"type": "string"}, "image/svg+xml": {"type": "string"}, "application/json": {"type": "object"}}


@route("GET", "/openapi.json", requires=None, summary="This document")
def openapi_document():
    """The OpenAPI 3.1 description of the API (no token needed)."""
    return jsonify(document())


def document() -> dict:
    models = [(op.body, "validation") for op in OPERATIONS if op.body]
    models += [(op.response, "serialization") for op in OPERATIONS if op.response]
    models.append((ErrorResponse, "serialization"))
    refs, definitions = models_json_schema(list(dict.fromkeys(models)), ref_template="#/components/schemas/{model}")
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(operation, refs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ungebot API",
            "version": "1",
            "description": (
                "Communities and their members, for the staff of the municipality, and the anonymous "
                "cases, for the counsellors alone. Every route but this "
                "document needs 'Authorization: Bearer <token>' (made with `ungebot tokens create`); "
                "the role of the token decides which routes it may use."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                SECURITY_SCHEME: {"type": "http", "scheme": "bearer", "description": "A token from `ungebot tokens create`"}
            },
        },
    }


def _operation(operation: Operation, refs: dict) -> dict:
    entry: dict = {"operationId": operation.endpoint, "summary": operation.summary}
    if operation.description:
        entry["description"] = operation.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETER_SCHEMAS[converter]}
        for name, converter in operation.path_parameters
    ]
    parameters += [
        {"name": parameter.name, "in": "query", "required": False, "description": parameter.description, "schema": parameter.schema}
        for parameter in operation.query
    ]
    if parameters:
        entry["parameters"] = parameters
    if operation.body:
        entry["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(operation.body, "validation")]}},
        }
    if operation.response:
        schema = refs[(operation.response, "serialization")]
    else:
        schema = OTHER_MEDIA_SCHEMAS[operation.media_type]
    responses = {
        str(status): {"description": HTTP_STATUS_CODES[status], "content": {operation.media_type: {"schema": schema}}}
        for status in operation.statuses
    }
    error = {"content": {"application/json": {"schema": refs[(ErrorResponse, "serialization")]}}}
    if operation.requires is None:
        entry["security"] = []
    else:
        roles = [role for role in ROLES if grants(role, operation.requires)]
        entry["security"] = [{SECURITY_SCHEME: []}]
        entry["x-roles"] = roles
        responses["401"] = {"description": "No token, or an unknown or revoked one", **error}
        responses["403"] = {"description": f"The token's role is not one of: {', '.join(roles)}", **error}
    refused = "A query parameter the route does not take, one given twice, or a malformed one"
    responses["400"] = {"description": refused + ("; or the body is not valid JSON" if operation.body else ""), **error}
    if operation.body:
        responses["415"] = {"description": "The body is not sent as application/json", **error}
        responses["422"] = {"description": "Some fields are invalid; `fields` says which and why", **error}
    if operation.path_parameters:
        responses["404"] = {"description": "Not found", **error}
    for status, description in operation.errors:
        responses[str(status)] = {"description": description, **error}
    entry["responses"] = responses
    return entry
