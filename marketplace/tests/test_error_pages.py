"""404, 403, 500 and the CSRF failure page wear the site's look; /api/ keeps
answering in the JSON envelope."""

import pytest
from django.db import connection
from django.template import loader
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory

ERROR_URLS = "marketplace.tests.error_urls"

pytestmark = pytest.mark.django_db


def template_names(response):
    return [t.name for t in response.templates]


def test_a_missing_page_answers_404_with_the_site_template(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert template_names(response)[:2] == ["404.html", "base.html"]
    body = response.content.decode()
    assert "We can't find that page" in body
    assert reverse("events:list") in body


def test_the_404_page_keeps_the_logged_in_header(client):
    user = UserFactory()
    client.force_login(user)

    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert reverse("accounts:profile") in response.content.decode()


def test_a_missing_api_path_still_answers_json(client):
    response = client.get("/api/v1/no-such-endpoint")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.urls(ERROR_URLS)
def test_a_forbidden_page_answers_403_with_the_site_template(client):
    response = client.get("/test-forbidden/")

    assert response.status_code == 403
    assert template_names(response)[:2] == ["403.html", "base.html"]
    assert "You can't do that here" in response.content.decode()


@pytest.mark.urls(ERROR_URLS)
def test_a_server_error_answers_500_with_the_standalone_page():
    client = Client(raise_request_exception=False)

    response = client.get("/test-boom/")

    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "secret internals" not in body and "Traceback" not in body
    assert "/static/css/site.css" in body


@pytest.mark.urls(ERROR_URLS)
def test_a_server_error_under_api_still_answers_json():
    client = Client(raise_request_exception=False)

    response = client.get("/api/test-boom/")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"


@pytest.mark.urls(ERROR_URLS)
def test_the_database_out_of_reach_answers_503_briefly_unavailable_not_500():
    client = Client(raise_request_exception=False)

    page = client.get("/test-database-gone/")
    api = client.get("/api/test-database-gone/")

    assert (page.status_code, page["Retry-After"]) == (503, "30")
    assert "Encore is briefly unavailable" in page.content.decode()
    assert "secret internals" not in page.content.decode()
    assert (api.status_code, api["Retry-After"]) == (503, "30")
    assert api.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "secret internals" not in api.content.decode()


def test_the_503_page_renders_without_a_request_or_the_database():
    with CaptureQueriesContext(connection) as queries:
        body = loader.get_template("503.html").render()

    assert len(queries) == 0
    assert "Encore is briefly unavailable" in body


def test_the_500_page_renders_without_a_request_or_the_database():
    with CaptureQueriesContext(connection) as queries:
        body = loader.get_template("500.html").render()

    assert len(queries) == 0
    assert "Something went wrong on our side" in body


def test_a_form_posted_without_its_csrf_token_gets_the_site_csrf_page():
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("account_login"), {"login": "a@example.com", "password": "x"})

    assert response.status_code == 403
    assert template_names(response)[:2] == ["403_csrf.html", "base.html"]
    assert "This form has expired" in response.content.decode()


def test_the_csrf_page_keeps_the_logged_in_header():
    client = Client(enforce_csrf_checks=True)
    user = UserFactory(name="Before")
    client.force_login(user)

    response = client.post(reverse("accounts:profile"), {"name": "Forged"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert reverse("accounts:profile") in response.content.decode()
    user.refresh_from_db()
    assert user.name == "Before"
