"""What the API tells about people: no shared cache keeps an answer meant for
one caller, another user is known by an opaque id and a name that is never a
way to contact them, and nobody's role is shown to others."""

import pytest
from django.test import Client
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.tests.factories import OrganizerFactory, UserFactory
from events.tests.factories import EventFactory
from listings.tests.factories import ListingFactory
from marketplace.testing import error_of, ok_data
from messaging.masking import CONTACT_HIDDEN

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"  # UserFactory's


# --- Cache-Control -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/users/profile", "/api/v1/tickets", "/api/v1/transactions", "/api/v1/events"]
)
def test_every_authenticated_answer_is_private_and_not_stored(api_as, path):
    response = api_as(UserFactory()).get(path)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_answers_with_personal_data_are_not_stored_either(api):
    UserFactory(email="fan@example.com")

    login = api.post("/api/v1/auth/login", {"email": "fan@example.com", "password": PASSWORD})
    refresh = api.post("/api/v1/auth/refresh", {"refresh": login.json()["data"]["refresh"]})
    refused = api.get("/api/v1/users/profile")

    for response in (login, refresh, refused):
        assert response["Cache-Control"] == "private, no-store"


# --- Public profiles and the other party ----------------------------------------------


def test_a_public_profile_shows_no_role_and_no_sequential_id(api):
    organizer = OrganizerFactory(name="Olive Organizer")

    data = ok_data(api.get(f"/api/v1/users/{organizer.public_id}"))

    assert "role" not in data
    assert data["id"] == organizer.public_id
    assert not str(data["id"]).isdigit()
    # No field holds the row id (its digits may appear inside a timestamp or
    # the random public id by chance: the values are compared, not the text).
    values = _values(data)
    assert organizer.pk not in values
    assert str(organizer.pk) not in values
    # Nor a link to it.
    assert not [v for v in values if isinstance(v, str) and f"/{organizer.pk}" in v]


def _values(data) -> list:
    """Every scalar value in a JSON answer, however deep."""
    if isinstance(data, dict):
        return [v for value in data.values() for v in _values(value)]
    if isinstance(data, list):
        return [v for value in data for v in _values(value)]
    return [data]


def test_a_numeric_user_id_finds_nobody(api):
    user = UserFactory()

    error_of(api.get(f"/api/v1/users/{user.pk}"), 404, "NOT_FOUND")


def test_public_ids_are_random_and_unguessable():
    ids = [UserFactory().public_id for _ in range(20)]

    assert len(set(ids)) == 20
    assert all(len(public_id) >= 20 for public_id in ids)


def test_a_seller_is_shown_by_public_id_in_listings(api):
    listing = ListingFactory()

    data = ok_data(api.get(f"/api/v1/listings/{listing.pk}"))

    assert data["seller"]["id"] == listing.seller.public_id
    assert "role" not in data["seller"]


def test_an_organizer_is_shown_by_public_id_in_events(api):
    event = EventFactory()

    data = ok_data(api.get(f"/api/v1/events/{event.pk}"))

    assert data["organizer"]["id"] == event.organizer.public_id


@pytest.mark.parametrize(
    "name", ["jo.doe@gmail.com", "087 123 4567", "Jo, text +353 87 123 4567", "insta: jodoe99"]
)
def test_a_name_that_is_a_contact_channel_is_not_shown_as_one(api, name):
    listing = ListingFactory(seller=UserFactory(name=name))

    profile = ok_data(api.get(f"/api/v1/users/{listing.seller.public_id}"))
    seller = ok_data(api.get(f"/api/v1/listings/{listing.pk}"))["seller"]
    page = Client().get(f"/listings/{listing.pk}/").content.decode()

    for shown in (profile["name"], seller["name"]):
        assert shown != name
        assert "4567" not in shown and "gmail" not in shown and "jodoe99" not in shown
    assert name not in page


def test_an_ordinary_name_is_shown_as_it_is(api):
    user = UserFactory(name="Aoife Byrne")

    assert ok_data(api.get(f"/api/v1/users/{user.public_id}"))["name"] == "Aoife Byrne"


def test_a_name_masked_whole_shows_the_placeholder_name(api):
    user = UserFactory(name="jo.doe@gmail.com")

    name = ok_data(api.get(f"/api/v1/users/{user.public_id}"))["name"]

    assert name in ("Encore fan", CONTACT_HIDDEN)


def test_the_token_of_another_app_cannot_see_a_role_either(api):
    user = UserFactory()
    token = RefreshToken.for_user(user).access_token
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    assert "role" not in ok_data(api.get(f"/api/v1/users/{user.public_id}"))
