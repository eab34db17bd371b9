"""Staff moderate accounts and listings from the admin: each action asks for
confirmation, goes through the service, and is audited; a refused change
shows why and changes nothing."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import StaffFactory, UserFactory
from listings.models import Listing
from listings.tests.factories import ListingFactory
from marketplace.core.models import AuditLog
from messaging.models import Email, Notification
from tickets.models import Ticket

USERS = reverse("admin:accounts_user_changelist")
LISTINGS = reverse("admin:listings_listing_changelist")

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    staff = StaffFactory()
    client.force_login(staff)
    return staff


def run_action(client, url, action, objects, *, confirm=False, note=""):
    data = {"action": action, ACTION_CHECKBOX_NAME: [o.pk for o in objects]}
    if confirm:
        data.update(post="yes", note=note)
    return client.post(url, data)


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


# --- Users: suspend, ban, reactivate ------------------------------------------------


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [
        ("suspend", User.Status.ACTIVE, User.Status.SUSPENDED),
        ("ban", User.Status.SUSPENDED, User.Status.BANNED),
        ("reactivate", User.Status.BANNED, User.Status.ACTIVE),
    ],
)
def test_status_action_confirms_then_changes_the_status_with_its_audit_row(
    client, staff, action, start, end
):
    user = UserFactory(status=start)

    page = run_action(client, USERS, action, [user])

    assert page.status_code == 200
    assert page.templates[0].name == "admin/confirm_action.html"
    assert user.email in page.content.decode()
    user.refresh_from_db()
    assert user.status == start  # nothing before the confirmation

    done = run_action(client, USERS, action, [user], confirm=True, note="Chargeback fraud.")

    assert done.status_code == 302
    user.refresh_from_db()
    assert user.status == end
    log = AuditLog.objects.get(
        entity_type="user", entity_id=str(user.pk), action="user.status_changed"
    )
    assert (log.actor, log.ip_address) == (staff, "127.0.0.1")
    assert log.changes == {"status": {"from": start, "to": end}, "reason": "Chargeback fraud."}


def test_status_action_without_a_reason_asks_again_and_changes_nothing(client, staff, db_snapshot):
    user = UserFactory()
    before = db_snapshot()

    response = run_action(client, USERS, "suspend", [user], confirm=True, note="   ")

    assert response.status_code == 200
    assert response.templates[0].name == "admin/confirm_action.html"
    assert "Give the reason" in response.content.decode()
    assert db_snapshot() == before


def test_staff_cannot_suspend_themselves_and_the_others_still_go_through(client, staff):
    other = UserFactory()

    response = run_action(client, USERS, "suspend", [staff, other], confirm=True, note="Spam.")

    assert response.status_code == 302
    assert any("Only staff can change another account" in m for m in messages_of(response))
    staff.refresh_from_db()
    other.refresh_from_db()
    assert staff.status == User.Status.ACTIVE
    assert other.status == User.Status.SUSPENDED
    assert not AuditLog.objects.filter(entity_type="user", entity_id=str(staff.pk)).exists()


def test_a_refused_status_change_alone_changes_nothing(client, staff, db_snapshot):
    before = db_snapshot()

    response = run_action(client, USERS, "ban", [staff], confirm=True, note="Oops.")

    assert response.status_code == 302
    assert any("Only staff" in m for m in messages_of(response))
    assert not any("done" in m for m in messages_of(response))
    assert db_snapshot() == before


# --- Listings: take off sale ---------------------------------------------------------


def test_take_off_sale_confirms_then_cancels_the_listing_with_its_audit_rows(client, staff):
    listing = ListingFactory()

    page = run_action(client, LISTINGS, "take_off_sale", [listing])

    assert page.status_code == 200
    assert "goes back to the seller" in page.content.decode()
    listing.refresh_from_db()
    assert listing.status == Listing.Status.ACTIVE

    done = run_action(
        client, LISTINGS, "take_off_sale", [listing], confirm=True, note="Counterfeit report."
    )

    assert done.status_code == 302
    listing.refresh_from_db()
    assert listing.status == Listing.Status.CANCELLED
    assert Ticket.objects.get(pk=listing.ticket_id).status == Ticket.Status.AVAILABLE
    logs = {
        log.action: log for log in AuditLog.objects.filter(entity_id=str(listing.pk), actor=staff)
    }
    assert logs["listing.cancelled"].changes["status"] == {"from": "active", "to": "cancelled"}
    assert logs["listing.moderated"].changes == {"note": "Counterfeit report."}
    assert logs["listing.cancelled"].ip_address == "127.0.0.1"
    # The seller is told, with the note, on the site and by email.
    notice = Notification.objects.get(user=listing.seller, type="listing_removed")
    assert notice.payload["note"] == "Counterfeit report."
    assert "Counterfeit report." in Email.objects.get(notification=notice).body


def test_a_reserved_listing_cannot_be_taken_off_sale(client, staff, db_snapshot):
    listing = ListingFactory(status=Listing.Status.PENDING)
    before = db_snapshot()

    response = run_action(
        client, LISTINGS, "take_off_sale", [listing], confirm=True, note="Counterfeit report."
    )

    assert response.status_code == 302
    assert any("reserved, sold or already closed" in m for m in messages_of(response))
    assert db_snapshot() == before


# --- Who may reach the actions -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "action", "make"),
    [(USERS, "suspend", UserFactory), (LISTINGS, "take_off_sale", ListingFactory)],
)
def test_non_staff_cannot_reach_the_admin_actions(client, db_snapshot, url, action, make):
    target = make()
    client.force_login(UserFactory())
    before = db_snapshot()

    response = run_action(client, url, action, [target], confirm=True, note="Nope.")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    assert db_snapshot() == before
