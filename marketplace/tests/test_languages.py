"""Which language a request gets (marketplace/i18n.py): the address's prefix,
else the account's language, the switcher's cookie, Accept-Language; the
switcher; the API's messages by Accept-Language alone."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.tests.factories import UserFactory
from events.tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_an_address_without_prefix_is_english_for_a_browser_without_preference(client):
    response = client.get("/events/")
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("language", ["nl", "de", "fr", "es"])
def test_a_browser_asking_for_another_language_is_sent_to_its_prefix(client, language):
    response = client.get(
        "/events/?q=rock", HTTP_ACCEPT_LANGUAGE=f"{language}-XX,{language};q=0.9,en;q=0.5"
    )
    assert response.status_code == 302
    assert response["Location"] == f"/{language}/events/?q=rock"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    page = client.get(response["Location"])
    assert page["Content-Language"] == language
    assert f'<html lang="{language}">' in page.content.decode()


def test_the_prefix_decides_whatever_the_browser_or_the_account_prefers(client):
    client.force_login(UserFactory(language="de"))
    response = client.get("/fr/events/", HTTP_ACCEPT_LANGUAGE="es")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"


def test_the_accounts_language_comes_before_the_cookie_and_the_browser(client):
    client.force_login(UserFactory(language="es"))
    client.cookies["django_language"] = "nl"
    response = client.get("/events/", HTTP_ACCEPT_LANGUAGE="de")
    assert response["Location"] == "/es/events/"


def test_the_switchers_cookie_comes_before_the_browser(client):
    client.cookies["django_language"] = "nl"
    assert client.get("/events/", HTTP_ACCEPT_LANGUAGE="de")["Location"] == "/nl/events/"
    client.cookies["django_language"] = "en"
    assert client.get("/events/", HTTP_ACCEPT_LANGUAGE="de").status_code == 200


def test_a_post_is_never_redirected_and_an_unknown_address_is_not_invented(client):
    assert client.post("/events/", HTTP_ACCEPT_LANGUAGE="de").status_code != 302
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 404


def test_the_switcher_sets_the_cookie_and_goes_to_the_same_page_in_that_language(client):
    event = EventFactory()
    path = reverse("events:detail", args=[event.pk])
    response = client.post("/language/", {"language": "de", "next": path})
    assert response.status_code == 302
    assert response["Location"] == f"/de{path}"
    assert response.cookies["django_language"].value == "de"
    back = client.post("/language/", {"language": "en", "next": f"/de{path}"})
    assert back["Location"] == path


def test_the_switcher_remembers_a_fans_choice_on_the_account(client):
    user = UserFactory(language="")
    client.force_login(user)
    client.post("/language/", {"language": "fr", "next": "/"})
    user.refresh_from_db()
    assert user.language == "fr"


def test_the_switcher_refuses_an_unknown_language_and_changes_nothing(client):
    user = UserFactory(language="nl")
    client.force_login(user)
    response = client.post("/language/", {"language": "xx", "next": "/events/"})
    assert response.status_code == 302
    assert "django_language" not in response.cookies
    user.refresh_from_db()
    assert user.language == "nl"


def test_the_switcher_and_the_alternates_are_on_every_page(client):
    html = client.get("/events/").content.decode()
    assert 'action="/language/"' in html
    assert 'hreflang="de" href="http://127.0.0.1:8000/de/events/"' in html
    for code in ("en", "nl", "de", "fr", "es", "x-default"):
        assert f'hreflang="{code}"' in html
    assert "csrfmiddlewaretoken" not in html.split('action="/language/"')[1].split("</form>")[0]


def test_the_api_answers_in_accept_language_and_ignores_the_cookie(client):
    client.cookies["django_language"] = "fr"
    response = client.get("/api/v1/listings/999999", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 404
    assert response["Content-Language"] == "de"
    english = client.get("/api/v1/listings/999999")
    assert english["Content-Language"] == "en"
    assert response.json()["error"]["code"] == english.json()["error"]["code"] == "NOT_FOUND"
    with translation.override("de"):
        german = gettext(english.json()["error"]["message"])
    assert german != english.json()["error"]["message"]
    assert response.json()["error"]["message"] == german


def test_a_refused_api_request_keeps_its_code_and_explains_in_the_asked_language(client):
    user = UserFactory()
    client.force_login(user)
    answers = {
        language: client.post(
            "/api/v1/transactions/purchase",
            {"listing_id": "abc"},
            content_type="application/json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        for language in ("en", "nl", "de", "fr", "es")
    }
    codes = {answer.json()["error"]["code"] for answer in answers.values()}
    messages = {answer.json()["error"]["message"] for answer in answers.values()}
    assert len(codes) == 1
    assert len(messages) == 5


def test_the_staff_admin_follows_the_preference_where_it_is(client, settings):
    # Outside the prefixes, answered in the preferred language: its login is
    # the site's own, under that language's prefix.
    response = client.get(f"/{settings.ADMIN_URL}login/", HTTP_ACCEPT_LANGUAGE="de")
    assert response["Content-Language"] == "de"
    assert response["Location"].startswith("/de/accounts/login/")


def test_the_switcher_never_sends_anyone_to_another_site(client):
    response = client.post("/language/", {"language": "de", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == "/de/"
