"""Notice and action on listings (EU Digital Services Act, Art. 16, 17, 20): a
report from the listing page or the API, staff's decision with a statement of
reasons emailed to both sides, and the seller's one appeal, decided by another
staff member in the admin."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import StaffFactory, UserFactory
from listings.models import Listing, ListingReport
from listings.reports import (
    listing_report_appeal,
    listing_report_create,
    listing_report_decide,
    listing_report_decide_appeal,
)
from listings.tests.factories import ListingFactory, ListingReportFactory
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.models import AuditLog

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:listings_listingreport_changelist")


def audit_actions(report):
    return list(
        AuditLog.objects.filter(entity_type="listingreport", entity_id=str(report.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def run_action(client, action, reports, *, note):
    data = {
        "action": action,
        ACTION_CHECKBOX_NAME: [r.pk for r in reports],
        "post": "yes",
        "note": note,
    }
    return client.post(QUEUE, data)


def messages_of(response):
    return [str(m) for m in response.wsgi_request._messages]


# --- reporting: the page ------------------------------------------------------------


def test_every_listing_page_links_to_the_report_form_but_not_for_its_seller(client):
    listing = ListingFactory()
    url = reverse("listings:report", args=[listing.pk])

    assert url in client.get(f"/listings/{listing.pk}/").content.decode()
    client.force_login(listing.seller)
    assert url not in client.get(f"/listings/{listing.pk}/").content.decode()


def test_a_fan_reports_a_listing_from_its_page(client):
    listing, fan = ListingFactory(), UserFactory()
    client.force_login(fan)
    url = reverse("listings:report", args=[listing.pk])

    form = client.get(url)
    response = client.post(
        url, {"reason": "speculative", "text": "Seats not released yet."}, follow=True
    )

    assert 'name="email"' not in form.content.decode()
    report = ListingReport.objects.get()
    assert (report.listing, report.reporter, report.status) == (listing, fan, "open")
    assert "your report has reached Encore" in response.content.decode()
    assert audit_actions(report) == ["listing_report.created"]


def test_a_visitor_reports_with_an_email_address(client):
    listing = ListingFactory()
    url = reverse("listings:report", args=[listing.pk])

    refused = client.post(url, {"reason": "fake_or_duplicate"})
    accepted = client.post(url, {"reason": "fake_or_duplicate", "email": "Fan@Example.com"})

    assert refused.status_code == 200 and "email" in refused.context["form"].errors
    assert accepted.status_code == 302
    report = ListingReport.objects.get()
    assert (report.reporter, report.reporter_email) == (None, "fan@example.com")
    [row] = AuditLog.objects.filter(action="listing_report.created")
    assert row.actor is None


def test_a_seller_cannot_report_their_own_listing_and_a_duplicate_is_refused(client):
    listing, fan = ListingFactory(), UserFactory()
    url = reverse("listings:report", args=[listing.pk])
    client.force_login(listing.seller)

    own = client.post(url, {"reason": "other"})
    client.force_login(fan)
    client.post(url, {"reason": "other"})
    again = client.post(url, {"reason": "speculative"})

    assert "You cannot report your own listing." in own.content.decode()
    assert "already reported" in again.content.decode()
    assert ListingReport.objects.get().reporter == fan


# --- reporting: the API ---------------------------------------------------------------


def test_api_report_answers_201_with_the_id_and_status(api_as):
    listing, fan = ListingFactory(), UserFactory()

    response = api_as(fan).post(
        f"/api/v1/listings/{listing.pk}/report", {"reason": "above_legal_cap"}, format="json"
    )

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    report = ListingReport.objects.get()
    assert data["id"] == report.pk and data["status"] == "open"
    assert data["listing_id"] == listing.pk and data["reason"] == "above_legal_cap"


def test_api_visitor_needs_an_email_and_a_known_reason(api):
    listing = ListingFactory()
    url = f"/api/v1/listings/{listing.pk}/report"

    no_email = api.post(url, {"reason": "other"}, format="json")
    bad_reason = api.post(url, {"reason": "ugly", "email": "v@example.com"}, format="json")
    ok = api.post(url, {"reason": "other", "email": "v@example.com"}, format="json")

    assert no_email.status_code == 400
    assert no_email.json()["error"]["details"]["field"] == "email"
    assert bad_reason.status_code == 400
    assert ok.status_code == 201
    assert ListingReport.objects.get().reporter_email == "v@example.com"


def test_api_own_listing_is_400_and_an_unknown_or_hidden_listing_404(api_as, api):
    listing = ListingFactory()
    cancelled = ListingFactory(status=Listing.Status.CANCELLED)
    body = {"reason": "other", "email": "v@example.com"}

    own = api_as(listing.seller).post(f"/api/v1/listings/{listing.pk}/report", body, format="json")
    hidden = api.post(f"/api/v1/listings/{cancelled.pk}/report", body, format="json")
    missing = api.post("/api/v1/listings/999999/report", body, format="json")

    assert own.status_code == 400
    assert own.json()["error"]["details"]["reason"] == "OWN_LISTING"
    assert (hidden.status_code, missing.status_code) == (404, 404)
    assert not ListingReport.objects.exists()


# --- the decision, its reasons, the appeal --------------------------------------------


def test_upheld_report_removes_the_listing_and_emails_reasons_to_both_sides(
    client, django_capture_on_commit_callbacks
):
    # given a visitor's report on an active listing
    listing = ListingFactory(ticket__event__name="Fontaines D.C.")
    report = listing_report_create(
        reporter=None, listing=listing, reason="fake_or_duplicate", email="v@example.com"
    )
    staff = StaffFactory()
    client.force_login(staff)

    # when staff uphold it from the admin queue, with reasons
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "uphold", [report], note="Same barcode as ticket #12.")

    # then the listing is off sale and both sides have the statement of reasons
    assert response.status_code == 302
    report.refresh_from_db()
    listing.refresh_from_db()
    assert (report.status, report.decided_by, listing.status) == ("upheld", staff, "cancelled")
    assert report.statement_of_reasons == "Same barcode as ticket #12."
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {listing.seller.email, "v@example.com"}
    for sent in by_address.values():
        assert "Same barcode as ticket #12." in sent.body
        assert "Fontaines D.C." in sent.subject
    assert "appeal once" in by_address[listing.seller.email].body
    assert audit_actions(report) == ["listing_report.created", "listing_report.upheld"]
    assert AuditLog.objects.filter(action="listing.cancelled", entity_id=str(listing.pk)).exists()


def test_rejected_report_leaves_the_listing_on_sale_and_needs_reasons(client):
    report = ListingReportFactory()
    client.force_login(StaffFactory())

    no_reasons = run_action(client, "reject", [report], note="  ")
    report.refresh_from_db()
    assert report.status == "open"
    assert any("Please write the reasons." in m for m in messages_of(no_reasons))

    run_action(client, "reject", [report], note="The seats exist: checked with the venue.")

    report.refresh_from_db()
    assert report.status == "rejected"
    assert report.listing.status == "active"
    assert audit_actions(report) == ["listing_report.rejected"]


def test_seller_sees_the_decision_in_my_listings_and_appeals_once(client):
    report = ListingReportFactory()
    listing_report_decide(
        staff=StaffFactory(), report=report, outcome="upheld", reasons="Speculative."
    )
    seller = report.listing.seller
    client.force_login(seller)
    url = reverse("listings:report-appeal", args=[report.pk])
    field = f"appeal-{report.pk}-text"

    page = client.get(reverse("listings:mine")).content.decode()
    first = client.post(url, {field: "I hold the ticket: here is the order number."}, follow=True)
    second = client.post(url, {field: "Again."}, follow=True)

    assert "Statement of reasons: Speculative." in page and url in page
    assert "Your appeal has been sent." in first.content.decode()
    assert "You have already appealed this decision." in second.content.decode()
    report.refresh_from_db()
    assert report.appeal_text == "I hold the ticket: here is the order number."
    assert url not in client.get(reverse("listings:mine")).content.decode()
    assert audit_actions(report).count("listing_report.appealed") == 1


def test_only_the_seller_may_appeal_and_only_an_upheld_decision(client):
    report = ListingReportFactory()
    listing_report_decide(staff=StaffFactory(), report=report, outcome="rejected", reasons="Fine.")
    other = ListingReportFactory()
    listing_report_decide(staff=StaffFactory(), report=other, outcome="upheld", reasons="Fake.")

    with pytest.raises(ValidationFailed):
        listing_report_appeal(seller=report.listing.seller, report=report, text="Why?")
    with pytest.raises(PermissionDenied):
        listing_report_appeal(seller=UserFactory(), report=other, text="Mine!")
    client.force_login(UserFactory())
    stranger = client.post(
        reverse("listings:report-appeal", args=[other.pk]), {f"appeal-{other.pk}-text": "x"}
    )
    assert stranger.status_code == 404


def test_the_appeal_is_decided_by_another_staff_member_only(
    client, django_capture_on_commit_callbacks
):
    # given an upheld report, appealed by the seller
    report = ListingReportFactory()
    first, second = StaffFactory(), StaffFactory()
    listing_report_decide(staff=first, report=report, outcome="upheld", reasons="Fake.")
    listing_report_appeal(seller=report.listing.seller, report=report, text="It is real.")
    mail.outbox.clear()

    # when the staff member who decided tries to decide the appeal
    client.force_login(first)
    refused = run_action(client, "appeal_reverse", [report], note="I was wrong.")

    # then it is refused with a clear message, and nothing changes
    report.refresh_from_db()
    assert report.appeal_decided_at is None
    assert any("another staff member must decide the appeal" in m for m in messages_of(refused))
    with pytest.raises(PermissionDenied):
        listing_report_decide_appeal(staff=first, report=report, outcome="reversed", reasons="x")

    # when another staff member decides it
    client.force_login(second)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "appeal_reverse", [report], note="The organizer confirmed the ticket.")

    # then the outcome and its reasons reach both sides, once
    report.refresh_from_db()
    assert (report.appeal_outcome, report.appeal_decided_by) == ("reversed", second)
    assert {m.to[0] for m in mail.outbox} == {report.listing.seller.email, report.reporter.email}
    assert all("The organizer confirmed the ticket." in m.body for m in mail.outbox)
    with pytest.raises(ValidationFailed):
        listing_report_decide_appeal(staff=second, report=report, outcome="confirmed", reasons="x")
    assert audit_actions(report) == [
        "listing_report.upheld",
        "listing_report.appealed",
        "listing_report.appeal_decided",
    ]


def test_a_report_is_decided_once_and_only_by_staff():
    report = ListingReportFactory()

    with pytest.raises(PermissionDenied):
        listing_report_decide(staff=UserFactory(), report=report, outcome="upheld", reasons="x")
    listing_report_decide(staff=StaffFactory(), report=report, outcome="rejected", reasons="ok")
    with pytest.raises(ValidationFailed):
        listing_report_decide(staff=StaffFactory(), report=report, outcome="upheld", reasons="x")


# --- the admin queue ---------------------------------------------------------------------


def test_admin_queue_filters_overdue_reports_and_its_queries_do_not_grow(
    client, django_assert_max_num_queries
):
    client.force_login(StaffFactory())
    old = ListingReportFactory()
    ListingReport.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    fresh = ListingReportFactory()
    client.get(QUEUE)  # warm up (session, content types)
    for _ in range(10):
        ListingReportFactory(reporter=None, reporter_email="visitor@example.com")

    with django_assert_max_num_queries(12):
        page = client.get(QUEUE, {"status__exact": "open"})
    overdue = client.get(QUEUE, {"open_for": "24h"})

    assert page.status_code == 200
    assert len(page.context["cl"].result_list) == 12
    assert list(overdue.context["cl"].result_list) == [old]
    assert fresh not in overdue.context["cl"].result_list
