"""The site's one mapping of domain errors (marketplace.page_errors): what a
page's view lets escape is answered like the API's handler answers it, as a
page."""

import pytest
from django.contrib.messages import get_messages

pytestmark = [pytest.mark.django_db, pytest.mark.urls("marketplace.tests.error_urls")]


def test_not_found_is_the_404_page_without_the_services_words(client):
    response = client.get("/test-domain/not-found/")

    assert response.status_code == 404
    assert "Ticket 7 is not yours" not in response.content.decode()
    assert response.templates[0].name == "404.html"


def test_permission_denied_is_the_403_page(client):
    response = client.get("/test-domain/forbidden/")

    assert response.status_code == 403
    assert response.templates[0].name == "403.html"


def test_a_refused_form_post_returns_to_its_page_with_the_message(client):
    response = client.post(
        "/test-domain/refused/", HTTP_REFERER="http://testserver/my/listings/?page=2"
    )

    assert response.status_code == 302
    assert response["Location"] == "http://testserver/my/listings/?page=2"
    assert [m.message for m in get_messages(response.wsgi_request)] == [
        "The price is above the cap."
    ]


@pytest.mark.parametrize(
    "referer", ["", "https://elsewhere.example/phish", "//elsewhere.example/", "javascript:x"]
)
def test_a_refused_post_never_follows_a_foreign_referer(client, referer):
    response = client.post("/test-domain/refused/", HTTP_REFERER=referer)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_refused_get_is_the_400_page(client):
    response = client.get("/test-domain/refused/")

    assert response.status_code == 400
    assert response.templates[0].name == "400.html"


def test_an_outage_is_the_503_page(client):
    response = client.get("/test-domain/outage/")

    assert response.status_code == 503
    assert "briefly unavailable" in response.content.decode()
