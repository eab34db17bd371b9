"""Every API answer is the envelope, DRF's own errors and our bugs included."""

import json

import pytest
import yaml
from django.test import override_settings

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory
from marketplace.testing import error_body as _error

pytestmark = pytest.mark.django_db


def test_success_carries_data_and_a_timestamp(api):
    event = EventFactory()

    body = api.get(f"/api/v1/events/{event.pk}").json()

    assert body["success"] is True
    assert body["data"]["id"] == event.pk
    assert body["meta"]["timestamp"].endswith("Z")
    assert "error" not in body


def test_lists_carry_pagination(api):
    EventFactory.create_batch(3)

    body = api.get("/api/v1/events", {"limit": 2, "page": 2}).json()

    assert len(body["data"]) == 1
    assert body["meta"]["pagination"] == {
        "page": 2,
        "limit": 2,
        "total": 3,
        "totalPages": 2,
        "totalExact": True,
        # The last page: nothing follows.
        "nextCursor": None,
    }


def test_a_page_past_the_end_is_empty_not_an_error(api):
    EventFactory()

    body = api.get("/api/v1/events", {"page": 9}).json()

    assert body["data"] == []
    assert body["meta"]["pagination"]["total"] == 1


@pytest.mark.parametrize(
    "query", [{"page": 0}, {"page": "x"}, {"limit": 0}, {"limit": -5}, {"page": "1e9"}]
)
def test_bad_pagination_is_a_validation_error(api, query):
    body = _error(api.get("/api/v1/events", query), 400, "VALIDATION_ERROR")

    assert body["error"]["details"]["reason"] == "INVALID_PAGINATION"


def test_the_limit_is_capped(api):
    body = api.get("/api/v1/events", {"limit": 5000}).json()

    assert body["meta"]["pagination"]["limit"] == 100


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nothing-here", "/api/v2/events", "/api/", "/api/v1/events/abc", "/api/v1/events/0"],
)
def test_unknown_paths_answer_404_in_the_envelope(api, path):
    _error(api.get(path), 404, "NOT_FOUND")


def test_an_id_too_large_for_the_database_is_not_found(api):
    _error(api.get("/api/v1/events/" + "9" * 19), 404, "NOT_FOUND")
    _error(api.get("/api/v1/events/999999999999999999"), 404, "NOT_FOUND")


def test_site_pages_keep_their_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_method_not_allowed_answers_405_with_allow(api_as):
    response = api_as(UserFactory()).delete("/api/v1/events")

    _error(response, 405, "INVALID_INPUT")
    assert "GET" in response["Allow"]


def test_a_body_in_another_media_type_answers_415(api):
    response = api.post("/api/v1/auth/login", "email=a", content_type="text/plain")

    _error(response, 415, "INVALID_INPUT")


@pytest.mark.parametrize("raw", ["{not json", "[1, 2", '{"email": "a@b.c", }', "\x00"])
def test_malformed_json_answers_400_invalid_input(api, raw):
    response = api.post("/api/v1/auth/login", raw, content_type="application/json")

    _error(response, 400, "INVALID_INPUT")


def test_a_json_list_where_an_object_is_expected_is_a_validation_error(api):
    response = api.post("/api/v1/auth/login", [1, 2], format="json")

    _error(response, 400, "VALIDATION_ERROR")


def test_validation_errors_are_reported_per_field(api):
    body = _error(api.post("/api/v1/auth/login", {"email": 5}), 400, "VALIDATION_ERROR")

    assert body["error"]["details"]["field"] in ("email", "password")
    assert set(body["error"]["details"]["fields"]) == {"password"} | (
        {"email"} if "email" in body["error"]["details"]["fields"] else set()
    )
    assert body["error"]["details"]["fields"]["password"] == ["This field is required."]


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1024)
def test_a_body_too_large_answers_413(api):
    payload = json.dumps({"email": "a@example.com", "password": "x" * 4096})

    _error(
        api.post("/api/v1/auth/login", payload, content_type="application/json"),
        413,
        "INVALID_INPUT",
    )


def test_an_unexpected_error_answers_500_without_a_stack_trace(api, monkeypatch, caplog):
    # A bug anywhere behind an endpoint: here, the catalogue search failing.
    def broken(**filters):
        raise ZeroDivisionError("secret internals")

    monkeypatch.setattr("events.api.event_search", broken)

    body = _error(api.get("/api/v1/events"), 500, "INTERNAL_ERROR")

    text = json.dumps(body)
    assert "secret internals" not in text and "Traceback" not in text
    assert "ZeroDivisionError" in caplog.text  # the operators still see it in the log


def test_unauthenticated_calls_answer_401_with_the_bearer_challenge(api):
    response = api.get("/api/v1/tickets")

    _error(response, 401, "UNAUTHORIZED")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_schema_is_openapi_3_with_every_path_of_the_specification(api):
    response = api.get("/api/v1/schema/")

    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    paths = {path.removeprefix("/api/v1/") for path in schema["paths"]}
    assert paths == {
        "auth/login",
        "auth/register",
        "auth/refresh",
        "auth/logout",
        "users",
        "users/{id}",
        "users/profile",
        "users/verify",
        "events",
        "events/{id}",
        "tickets",
        "tickets/{id}",
        "tickets/upload",
        "tickets/{id}/transfer",
        "tickets/{id}/file",
        "listings",
        "listings/{id}",
        "listings/{id}/report",
        "transactions",
        "transactions/{id}",
        "transactions/purchase",
        "transactions/{id}/pay",
        "transactions/{id}/extend",
        "transactions/{id}/postponement-refund",
        "transactions/{id}/confirm",
        "transactions/{id}/dispute",
        "messages/{transaction_id}",
        "messages",
        "messages/{id}/read",
        # Beyond the specification: the seller's payout account and payouts,
        # and accepting a ticket transferred by email.
        "users/payout-account",
        "payouts",
        "tickets/claim",
        # Selling as a private person or a trader (EU DSA Art. 30).
        "users/profile/trader",
        # The fan's data: a copy of it, and deleting the account.
        "users/me/export",
        "users/me",
        # The fair waiting list of an event, its offers and raffle windows.
        "events/{id}/waitlist",
        "events/{id}/waitlist/raffles",
        "waitlist",
        "waitlist/offers/{id}",
        "waitlist/offers/{id}/decline",
    }
    assert schema["components"]["securitySchemes"]["jwtAuth"]["scheme"] == "bearer"


def test_every_documented_body_is_the_envelope(api):
    schema = yaml.safe_load(api.get("/api/v1/schema/").content)
    components = schema["components"]["schemas"]

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                content = response.get("content", {}).get("application/json")
                if content is None:
                    continue
                name = content["schema"]["$ref"].rsplit("/", 1)[-1]
                properties = components[name]["properties"]
                assert {"success", "meta"} <= set(properties), (path, method, status)
                expected = "error" if status.startswith(("4", "5")) else "data"
                assert expected in properties, (path, method, status)


def test_the_docs_page_works_offline(api):
    response = api.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert "/api/v1/schema/" in html
    # Nothing is fetched from a CDN: every script and stylesheet is ours.
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


def test_json_nested_too_deeply_is_refused_not_a_crash(api):
    response = api.post("/api/v1/auth/login", "[" * 100_000, content_type="application/json")

    _error(response, 400, "INVALID_INPUT")


@pytest.mark.parametrize(
    ("header", "expected"),
    [("203.0.113.9", "203.0.113.9"), ("198.51.100.1, 203.0.113.9", "203.0.113.9")],
)
def test_behind_a_proxy_the_client_address_is_the_one_the_proxy_added(
    rf, settings, header, expected
):
    from marketplace.core.client_ip import client_ip

    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_HOPS = 1

    assert client_ip(rf.get("/", HTTP_X_FORWARDED_FOR=header)) == expected


def test_the_docs_guide_states_the_rates_in_force(api, settings):
    description = yaml.safe_load(api.get("/api/v1/schema/").content)["info"]["description"]

    assert "keeps 8%" in description
    assert "concert 20%, sports 15%" in description
    assert f"reserved for {settings.RESERVATION_MINUTES} minutes" in description
    assert "$" not in description  # every placeholder was filled
