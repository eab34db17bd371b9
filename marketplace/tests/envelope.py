"""Assertions on the API's envelope, shared by every app's API tests."""

import datetime


def _meta_checked(body: dict) -> dict:
    stamp = body["meta"]["timestamp"]
    assert stamp.endswith("Z")
    datetime.datetime.fromisoformat(stamp)
    return body


def ok_body(response, status: int = 200) -> dict:
    """The whole success envelope {success, data, meta}, after checking it."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"success", "data", "meta"}
    assert body["success"] is True
    return _meta_checked(body)


def ok_data(response, status: int = 200):
    """The `data` of a success envelope."""
    return ok_body(response, status)["data"]


def error_body(response, status: int, code: str) -> dict:
    """The whole error envelope {success, error{code, message, details}, meta}."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"success", "error", "meta"}
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert isinstance(body["error"]["details"], dict)
    return _meta_checked(body)


def error_of(response, status: int, code: str) -> dict:
    """The `error` of an error envelope with `status` and `code`."""
    return error_body(response, status, code)["error"]
