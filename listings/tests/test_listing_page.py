"""The listing page (listings.views.listing_detail): the ticket, its seller, the
fee breakdown and the buy button, at /listings/<id>/."""

import re
from decimal import Decimal

import pytest
from django.urls import Resolver404, resolve, reverse

from accounts.tests.factories import StaffFactory, UserFactory
from events.models import Event
from listings.models import Listing
from listings.tests.factories import ListingFactory

pytestmark = pytest.mark.django_db


def test_the_listing_page_is_the_listings_apps_at_the_same_path(client):
    listing = _listing()

    assert reverse("listings:detail", args=[listing.pk]) == f"/listings/{listing.pk}/"
    assert client.get(f"/listings/{listing.pk}/").templates[0].name == "listings/detail.html"


def _listing(**kwargs):
    defaults = {
        "ticket__event__name": "Hozier Live",
        "ticket__event__category": Event.Category.CONCERT,
        "ticket__face_value": Decimal("50.00"),
        "ticket__section": "C",
        "ticket__row": "3",
        "ticket__seat": "9",
        "ticket__owner__name": "Ciara Walsh",
        "ticket__owner__phone_verified": True,
        "price": Decimal("55.00"),
    }
    return ListingFactory(**{**defaults, **kwargs})


def _breakdown_rows(html):
    table = re.search(r'<table class="breakdown">(.*?)</table>', html, flags=re.S).group(1)
    return {
        re.sub(r"\s+", " ", th).strip(): re.sub(r"<[^>]+>", "", td).strip()
        for th, td in re.findall(r"<th scope=\"row\">(.*?)</th><td>(.*?)</td>", table)
    }


def test_listing_page_shows_the_ticket_the_seller_and_the_full_fee_breakdown(client):
    listing = _listing()

    response = client.get(f"/listings/{listing.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Hozier Live" in html
    assert "Section C, Row 3, Seat 9" in html
    assert "Seated" in html
    assert "Ciara Walsh" in html
    assert "Email verified" in html and "Phone verified" in html
    assert _breakdown_rows(html) == {
        "Face value": "€50.00",
        "Markup": "+10%",
        "Price cap": "Encore&#x27;s cap for concert events: at most 20% above face value",
        "Highest price allowed": "€60.00",
        "Ticket price": "€55.00",
        "Encore's fee (8%, included)": "€4.40",
        "The seller receives": "€50.60",
        "You pay (all-in)": "€55.00",
    }
    assert "the price you see is the price you pay (fee included)" in html


def test_the_cap_shown_follows_the_category(client):
    listing = _listing(ticket__event__category=Event.Category.FESTIVAL, price=Decimal("64.00"))

    rows = _breakdown_rows(client.get(f"/listings/{listing.pk}/").content.decode())

    assert (
        rows["Price cap"] == "Encore&#x27;s cap for festival events: at most 30% above face value"
    )
    assert rows["Highest price allowed"] == "€65.00"
    assert rows["Markup"] == "+28%"


def test_a_logged_in_buyer_gets_a_buy_form_posting_to_the_purchase(client):
    listing = _listing()
    client.force_login(UserFactory())

    html = client.get(f"/listings/{listing.pk}/").content.decode()

    action = reverse("payments:buy", args=[listing.pk])
    assert f'<form method="post" action="{action}"' in html
    assert "csrfmiddlewaretoken" in html
    assert '<button type="submit" class="button buy-button">Buy this ticket</button>' in html


def test_the_seller_sees_that_the_listing_is_theirs_instead_of_a_buy_button(client):
    listing = _listing()
    client.force_login(listing.seller)

    html = client.get(f"/listings/{listing.pk}/").content.decode()

    assert "This is your listing" in html
    assert "Buy this ticket" not in html


def test_a_visitor_is_asked_to_log_in_to_buy_and_comes_back_after(client):
    listing = _listing()

    html = client.get(f"/listings/{listing.pk}/").content.decode()

    login = reverse("account_login")
    assert f'href="{login}?next=/listings/{listing.pk}/">Log in to buy</a>' in html
    assert "Buy this ticket" not in html


@pytest.mark.parametrize(
    ("status", "answer"),
    [(Listing.Status.PENDING, 200), (Listing.Status.SOLD, 410), (Listing.Status.CANCELLED, 410)],
)
def test_a_listing_not_on_sale_answers_the_gone_page_to_others(client, status, answer):
    # (What that page says: test_gone_listing.py.)
    listing = _listing(status=status)

    for _ in ("anonymous", "logged in"):
        response = client.get(f"/listings/{listing.pk}/")
        assert response.status_code == answer
        assert response.templates[0].name == "listings/gone.html"
        assert "Buy this ticket" not in response.content.decode()
        client.force_login(UserFactory())


def test_the_seller_still_sees_their_sold_listing_without_a_buy_button(client):
    listing = _listing(status=Listing.Status.SOLD)
    client.force_login(listing.seller)

    response = client.get(f"/listings/{listing.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "This listing is <strong>sold</strong>" in html
    assert "Buy this ticket" not in html


def test_staff_see_a_cancelled_listing_but_cannot_buy_it(client):
    listing = _listing(status=Listing.Status.CANCELLED)
    client.force_login(StaffFactory())

    html = client.get(f"/listings/{listing.pk}/").content.decode()

    assert "not on sale any more" in html
    assert "Buy this ticket" not in html


def test_an_unknown_listing_is_not_found(client):
    assert client.get("/listings/987654/").status_code == 404


@pytest.mark.parametrize("logged_in", [False, True])
def test_listing_page_runs_a_fixed_number_of_queries(
    client, django_assert_max_num_queries, logged_in
):
    listing = _listing()
    if logged_in:
        client.force_login(UserFactory())

    # The listing with its ticket, event and seller; plus the session, the user
    # and the unread notifications for a logged-in visitor.
    with django_assert_max_num_queries(4 if logged_in else 1):
        response = client.get(f"/listings/{listing.pk}/")

    assert response.status_code == 200


TOO_LONG_ID = "1234567890123456789"  # 19 digits: more than any id (marketplace.core.ids)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/listings/{TOO_LONG_ID}/"),
        ("get", f"/sell/{TOO_LONG_ID}/"),
        ("get", f"/sell/{TOO_LONG_ID}/price-range/?face_value=50"),
        ("get", f"/my/tickets/{TOO_LONG_ID}/list/"),
        ("post", f"/my/listings/{TOO_LONG_ID}/price/"),
        ("post", f"/my/listings/{TOO_LONG_ID}/cancel/"),
    ],
)
def test_an_id_of_19_digits_finds_no_route_and_answers_404(client, method, path):
    client.force_login(UserFactory())

    with pytest.raises(Resolver404):
        resolve(path.split("?")[0])
    assert getattr(client, method)(path).status_code == 404
