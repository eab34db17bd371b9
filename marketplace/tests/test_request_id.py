"""The request id and the log lines: each request gets an id (the proxy's, when
it is a safe token), answers it in X-Request-ID, and every log line of the
request names it, in JSON (production) or text (the embedded run)."""

import io
import json
import logging

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from marketplace.core.logs import logging_config
from marketplace.core.request_id import RequestIdFilter, request_id_bound


def formatter_of(log_format: str) -> logging.Formatter:
    """The formatter LOGGING uses for `log_format`, built as dictConfig builds it."""
    options = dict(logging_config(log_format=log_format, level="INFO")["formatters"][log_format])
    return import_string(options.pop("()"))(**options)


@pytest.fixture
def captured_logs():
    """captured_logs(log_format) -> a function returning what the root logger
    wrote meanwhile, through the project's formatter and request id filter."""
    root = logging.getLogger()
    handlers = []

    def capture(log_format="json"):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter_of(log_format))
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
        handlers.append(handler)
        return stream.getvalue

    previous = root.level
    root.setLevel(logging.INFO)
    yield capture
    root.setLevel(previous)
    for handler in handlers:
        root.removeHandler(handler)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_a_safe_request_id_from_the_proxy_is_kept_and_answered(client):
    response = client.get("/health/live", HTTP_X_REQUEST_ID="lb-7f3a9c2e.01")

    assert response["X-Request-ID"] == "lb-7f3a9c2e.01"


@pytest.mark.parametrize(
    "sent",
    [
        None,
        "short",  # under 8 characters
        "x" * 65,  # over 64
        "has space in it",
        "semi;colon=1234",
        "new\nline-12345",
        "ünïcödé-12345",
    ],
)
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_fresh_one(client, sent):
    headers = {} if sent is None else {"HTTP_X_REQUEST_ID": sent}

    first = client.get("/health/live", **headers)["X-Request-ID"]
    second = client.get("/health/live", **headers)["X-Request-ID"]

    assert first != sent and len(first) == 32 and first.isalnum()
    assert second != first


def test_the_header_is_ignored_when_no_proxy_is_trusted_to_set_it(client, settings):
    settings.REQUEST_ID_HEADER = ""

    response = client.get("/health/live", HTTP_X_REQUEST_ID="client-chosen-1234")

    assert response["X-Request-ID"] != "client-chosen-1234"


def test_the_access_line_is_one_json_object_naming_the_request(client, captured_logs):
    output = captured_logs("json")

    response = client.get("/health/live?probe=1", HTTP_X_REQUEST_ID="lb-access-0001")

    [line] = [entry for entry in json_lines(output()) if entry["logger"] == "marketplace.access"]
    assert response.status_code == 200
    assert line["request_id"] == "lb-access-0001"
    assert (line["level"], line["method"], line["path"], line["status"], line["view"]) == (
        "INFO",
        "GET",
        "/health/live",  # the query string stays out
        200,
        "health-live",
    )
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["message"].startswith("GET /health/live 200 ")
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_every_line_of_a_failing_request_names_it_traceback_included(
    client, settings, captured_logs
):
    settings.ROOT_URLCONF = "marketplace.tests.error_urls"
    client.raise_request_exception = False
    output = captured_logs("json")

    response = client.get("/test-boom/", HTTP_X_REQUEST_ID="lb-boom-000001")

    lines = json_lines(output())
    assert response.status_code == 500
    assert {line["logger"] for line in lines} >= {"django.request", "marketplace.access"}
    assert {line["request_id"] for line in lines} == {"lb-boom-000001"}
    [error] = [line for line in lines if line["logger"] == "django.request"]
    assert error["level"] == "ERROR"
    assert "ZeroDivisionError: secret internals" in error["exc_info"]
    # The request object Django attaches stays out of the line.
    assert "request" not in error


def test_lines_outside_a_request_have_no_id(captured_logs):
    output = captured_logs("json")

    logging.getLogger("encore.test").warning("beat tick")

    [line] = json_lines(output())
    assert line["request_id"] is None
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "encore.test",
        "beat tick",
    )


def test_text_lines_name_the_request_for_a_terminal(captured_logs):
    output = captured_logs("text")

    with request_id_bound("req-text-0001"):
        logging.getLogger("encore.test").info("reserved listing %s", 7)
    logging.getLogger("encore.test").info("no request")

    first, second = output().splitlines()
    assert first.endswith("INFO encore.test [req-text-0001] reserved listing 7")
    assert second.endswith("INFO encore.test [-] no request")


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_config(log_format="xml", level="INFO")
