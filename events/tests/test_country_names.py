"""An event's country: stored and answered by the API as its ISO code, shown to
people by name in their language, chosen among the countries Encore serves
(settings.ENCORE_COUNTRIES)."""

import json
import pickle
import re

import pytest
from django.conf import settings
from django.utils import translation

from accounts.tests.factories import OrganizerFactory
from events.models import Event
from events.services import event_create
from events.tests.factories import EventFactory
from marketplace.core.countries import CountryCode, country_choices, country_name
from marketplace.core.errors import ValidationFailed
from marketplace.testing import in_days

IRELAND = {"en": "Ireland", "nl": "Ierland", "de": "Irland", "fr": "Irlande", "es": "Irlanda"}


def _page(language: str, path: str) -> str:
    return path if language == "en" else f"/{language}{path}"


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "name"), list(IRELAND.items()))
def test_the_event_page_names_the_country_in_the_readers_language(client, language, name):
    event = EventFactory(city="Dublin", country="IE")

    response = client.get(_page(language, f"/events/{event.pk}/"))

    assert response.status_code == 200
    assert f"Dublin, {name}</dd>" in response.content.decode()


def test_the_country_is_its_code_that_knows_its_name():
    country = Event(country="DE").country

    assert country == "DE" and isinstance(country, str)
    assert country.upper() == "DE" and {country: 1}["DE"] == 1
    assert json.dumps({"country": country}) == '{"country": "DE"}'
    assert pickle.loads(pickle.dumps(country)) == "DE"  # noqa: S301 (the cache pickles events)
    with translation.override("fr"):
        assert country.name == "Allemagne"
    assert not Event(country="").country


def test_a_code_encore_does_not_serve_shows_as_its_code():
    assert country_name("ZZ") == "ZZ"
    assert CountryCode("GB").name == "United Kingdom"


def test_the_served_countries_keep_every_country_encore_already_supports():
    served = set(settings.ENCORE_COUNTRIES)

    assert {"IE", "GB", "NL", "DE", "FR", "ES"} <= served
    assert set(settings.RESALE_RULES) <= served  # the resale laws (AU...)
    assert set(settings.CONNECT_COUNTRIES) <= served  # the payout countries
    assert {"US", "PT", "JP"} <= served  # countries with known time zones


@pytest.mark.django_db
def test_the_organizers_form_offers_only_the_served_countries_by_name(client, settings):
    settings.ENCORE_COUNTRIES = ["DE", "GB", "IE"]
    client.force_login(OrganizerFactory())

    html = client.get("/de/organizer/events/new/").content.decode()

    select = re.search(r'<select name="country".*?</select>', html, re.S).group(0)
    options = re.findall(r'<option value="(\w*)"[^>]*>([^<]*)</option>', select)
    assert options == [("DE", "Deutschland"), ("IE", "Irland"), ("GB", "Vereinigtes Königreich")]
    assert 'value="IE" selected' in select  # the default


def test_country_choices_follow_the_setting(settings):
    settings.ENCORE_COUNTRIES = ["NL", "ES"]

    with translation.override("en"):
        assert country_choices() == [("NL", "Netherlands"), ("ES", "Spain")]


@pytest.mark.django_db
def test_an_event_in_a_country_encore_does_not_serve_is_refused(settings):
    settings.ENCORE_COUNTRIES = ["IE", "GB"]

    with pytest.raises(ValidationFailed) as refused:
        event_create(
            organizer=OrganizerFactory(),
            name="Far Away",
            event_date=in_days(40),
            venue_name="Hall",
            city="Paris",
            country="FR",
        )

    assert refused.value.details == {"field": "country", "reason": "UNSUPPORTED_COUNTRY"}


@pytest.mark.django_db
def test_the_api_still_answers_the_code(api):
    event = EventFactory(country="GB", city="London", currency="GBP")

    listed = api.get("/api/v1/events", {"q": "London"}, HTTP_ACCEPT_LANGUAGE="de").json()
    detail = api.get(f"/api/v1/events/{event.pk}", HTTP_ACCEPT_LANGUAGE="de").json()

    assert listed["data"][0]["country"] == "GB"
    assert detail["data"]["country"] == "GB"


@pytest.mark.django_db
def test_the_api_refuses_a_country_encore_does_not_serve(api_as, settings):
    settings.ENCORE_COUNTRIES = ["IE"]
    body = {
        "name": "Far Away",
        "event_date": in_days(60).isoformat(),
        "venue_name": "Hall",
        "city": "London",
        "country": "GB",
        "category": "concert",
    }

    response = api_as(OrganizerFactory()).post("/api/v1/events", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "UNSUPPORTED_COUNTRY"
