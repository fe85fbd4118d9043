"""Declaring an API route: one decorator that registers it with Flask, checks the caller's role,
the names in the query string and the request body, shapes the response, and records all of that
for the OpenAPI document, so the document cannot drift from what the server does.

``requires`` has no default: a route is either tied to a role or explicitly public
(``requires=None``). The token is checked before the body is read, so a caller without a valid
token learns nothing about what the body should look like.
"""
from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Blueprint, Response, current_app, g, jsonify, request
from pydantic import BaseModel, ValidationError

from bot.api import ROLES
from bot.api.auth import Caller, authenticate
from bot.api.errors import ApiError, error_response, member_error_response
from bot.domain.communities.members import MemberError

blueprint = Blueprint("api", __name__, url_prefix="/api")
blueprint.register_error_handler(ApiError, error_response)
blueprint.register_error_handler(MemberError, member_error_response)
FLASK_PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class QueryParameter:
    """A query parameter as the document states it; the view reads its value, and checks it by
    the rule ``schema`` states (``bot.api.common``)."""

    name: str
    description: str
    schema: dict = field(hash=False)


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    requires: str | None
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    statuses: tuple[int, ...]
    media_type: str
    description: str | None
    query: tuple[QueryParameter, ...]
    errors: tuple[tuple[int, str], ...]

    @property
    def path(self) -> str:
        """The path as OpenAPI writes it: ``/api/members/{member_id}``."""
        return blueprint.url_prefix + FLASK_PARAMETER.sub(r"{\2}", self.rule)

    @property
    def path_parameters(self) -> list[tuple[str, str]]:
        """(name, Flask converter) for each parameter in the path."""
        return [(name, converter or "string") for converter, name in FLASK_PARAMETER.findall(self.rule)]


OPERATIONS: list[Operation] = []


def route(
    method: str,
    rule: str,
    *,
    requires: str | None,
    summary: str,
    body: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    statuses: tuple[int, ...] = (200,),
    media_type: str = "application/json",
    query: tuple[QueryParameter, ...] = (),
    errors: dict[int, str] | None = None,
) -> Callable:
    """Register a view. It gets the path parameters, and the validated body as ``body``; it
    returns an instance of ``response`` (with a status from ``statuses`` if not the first), or a
    finished Flask ``Response`` for other media types. Its docstring describes it in the document.

    A query string with a name not in ``query``, or a name twice, is refused (400) before the view
    runs. ``errors`` documents the other error statuses the view answers with, and why."""
    if requires is not None and requires not in ROLES:
        raise ValueError(f"unknown role {requires!r}; the roles are {', '.join(ROLES)}")

    def register(view: Callable) -> Callable:
        operation = Operation(
            method.upper(), rule, view.__name__, summary, requires, body, response, statuses, media_type,
            inspect.cleandoc(view.__doc__ or "") or None, query, tuple((errors or {}).items()),
        )

        @functools.wraps(view)
        def handle(**path_parameters):
            if requires is not None:
                g.api_caller = authenticate(current_app.extensions["ungebot"], requires)
            _check_query_names([parameter.name for parameter in query])
            if body is not None:
                path_parameters["body"] = _parsed_body(body)
            result = view(**path_parameters)
            if isinstance(result, Response):
                return result
            model, status = result if isinstance(result, tuple) else (result, statuses[0])
            return jsonify(model.model_dump(mode="json")), status

        blueprint.add_url_rule(rule, endpoint=operation.endpoint, view_func=handle, methods=[operation.method])
        OPERATIONS.append(operation)
        return view

    return register


def caller() -> Caller:
    return g.api_caller


def _check_query_names(allowed: list[str]) -> None:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        takes = f"this route takes {', '.join(allowed)}" if allowed else "this route takes none"
        raise ApiError(400, f"unknown query parameter(s) {', '.join(map(repr, unknown))}; {takes}", fields=dict.fromkeys(unknown, "unknown parameter"))
    repeated = sorted(name for name in request.args if len(request.args.getlist(name)) > 1)
    if repeated:
        raise ApiError(400, "each query parameter may be given once", fields=dict.fromkeys(repeated, "given more than once"))


def _parsed_body(model: type[BaseModel]) -> BaseModel:
    if not request.is_json:
        raise ApiError(415, "send the body as JSON with 'Content-Type: application/json'")
    try:
        return model.model_validate_json(request.get_data())
    except ValidationError as error:
        raise ApiError.from_validation(error) from None
