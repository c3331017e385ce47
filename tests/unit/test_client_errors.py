"""How the client maps error answers to its exceptions."""

from __future__ import annotations

import httpx
import pytest

from ishcd.client import errors


def answer(status: int, json: object = None, text: str | None = None) -> httpx.Response:
    request = httpx.Request("GET", "http://x/v1/y")
    if json is not None:
        return httpx.Response(status, json=json, request=request)
    return httpx.Response(status, text=text, request=request)


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, errors.BadRequest),
        (401, errors.Unauthorized),
        (403, errors.Forbidden),
        (404, errors.NotFound),
        (409, errors.Conflict),
        (422, errors.ValidationFailed),
        (500, errors.ServerError),
        (503, errors.ServerError),
        (418, errors.ApiError),
    ],
)
def test_each_error_status_has_its_class(status: int, cls: type[errors.ApiError]) -> None:
    exc = errors.error_from_response(answer(status, json={"message": "nope", "errors": []}))
    assert type(exc) is cls
    assert exc.status == status
    assert exc.message == "nope"
    assert isinstance(exc, errors.ApiError)
    assert isinstance(exc, errors.ClientError)


def test_field_errors_are_kept_and_shown() -> None:
    body = {
        "message": "invalid env: env.NOPE",
        "errors": [{"field": "env.NOPE", "message": "NOPE is not a variable of this job"}],
    }
    exc = errors.error_from_response(answer(422, json=body))
    assert exc.errors == [errors.FieldError("env.NOPE", "NOPE is not a variable of this job")]
    assert str(exc) == "invalid env: env.NOPE (env.NOPE: NOPE is not a variable of this job)"


def test_an_error_answer_that_is_not_the_api_s_json_still_says_what_happened() -> None:
    exc = errors.error_from_response(answer(502, text="<html>Bad Gateway</html>"))
    assert isinstance(exc, errors.ServerError)
    assert exc.status == 502
    assert exc.message == "HTTP 502 Bad Gateway: <html>Bad Gateway</html>"
    assert exc.errors == []


def test_an_error_without_a_body_names_its_status() -> None:
    exc = errors.error_from_response(answer(404))
    assert isinstance(exc, errors.NotFound)
    assert exc.message == "HTTP 404 Not Found"


def test_a_class_docstring_is_its_default_message() -> None:
    assert errors.NotFound().message == "Not found, or not visible to you."
    assert errors.ConnectionFailed().message == "Could not reach the Ish CD server."
