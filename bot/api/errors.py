"""Errors of the REST API, always as JSON: ``{"error", "detail", "fields"?}``.

The shape is the one the rest of the app answers with (``bot.web``), plus ``fields``: one
message per field a client can show next to the input it belongs to.
"""
from __future__ import annotations

from flask import jsonify
from pydantic import BaseModel, ValidationError
from werkzeug.http import HTTP_STATUS_CODES

from bot.domain.communities.members import MemberError

FRIENDLIER_MESSAGES = {
    "extra_forbidden": "unknown field",
    "missing": "required",
}


class ErrorResponse(BaseModel):
    error: str
    detail: str
    fields: dict[str, str] | None = None


class ApiError(Exception):
    def __init__(self, status: int, detail: str, *, fields: dict[str, str] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.fields = fields
        self.headers = headers or {}

    @classmethod
    def from_validation(cls, error: ValidationError) -> ApiError:
        # Messages only, never the input: a wrongly typed field may well hold a phone number.
        errors = error.errors(include_url=False, include_input=False)
        not_json = next((item for item in errors if item["type"] == "json_invalid"), None)
        if not_json:
            return cls(400, f"the body is not valid JSON ({not_json['msg']})")
        fields: dict[str, str] = {}
        for item in errors:
            field = ".".join(str(part) for part in item["loc"]) or "body"
            message = FRIENDLIER_MESSAGES.get(item["type"], item["msg"])
            fields[field] = f"{fields[field]}; {message}" if field in fields else message
        return cls(422, "some fields are invalid", fields=fields)


def error_response(error: ApiError):
    body = ErrorResponse(error=HTTP_STATUS_CODES.get(error.status, "Error"), detail=error.detail, fields=error.fields)
    return jsonify(body.model_dump(exclude_none=True)), error.status, error.headers


def member_error_response(error: MemberError):
    return error_response(ApiError(422, "some fields are invalid", fields={error.field: error.message}))
