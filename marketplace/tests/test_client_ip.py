"""The client's address comes from one place (marketplace.core.client_ip), which
trusts the proxy header named by TRUSTED_PROXY_HEADER as far as
TRUSTED_PROXY_HOPS proxies of our own: the audit trail, the rate limits,
allauth and the admin all read it."""

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from accounts.tests.factories import StaffFactory
from events.tests.factories import EventFactory
from marketplace.core.models import AuditLog

PROXY = "10.0.0.2"


def client_ip(request):
    from marketplace.core.client_ip import client_ip

    return client_ip(request)


def request_from(remote_addr=PROXY, **headers):
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_HOPS = 1


def test_without_a_proxy_setting_the_socket_address_is_the_client(settings):
    settings.TRUSTED_PROXY_HEADER = ""

    request = request_from("203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")

    assert client_ip(request) == "203.0.113.5"


@pytest.mark.parametrize(
    ("forwarded", "hops", "expected"),
    [
        ("203.0.113.5", 1, "203.0.113.5"),
        # What the client sent before our proxy added its address is not believed.
        ("1.2.3.4, 203.0.113.5", 1, "203.0.113.5"),
        # Two proxies of ours (a CDN, then the load balancer).
        ("1.2.3.4, 203.0.113.5, 172.16.0.9", 2, "203.0.113.5"),
        # Fewer addresses than proxies: the request skipped one; the socket's is used.
        ("203.0.113.5", 2, PROXY),
        ("", 1, PROXY),
        ("not-an-address", 1, PROXY),
        ("203.0.113.5:4711", 1, "203.0.113.5"),
        ("[2001:db8::1]:4711", 1, "2001:db8::1"),
        ("2001:db8::1", 1, "2001:db8::1"),
    ],
)
def test_the_trusted_proxy_header_names_the_client(settings, forwarded, hops, expected):
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXY_HOPS = hops

    assert client_ip(request_from(HTTP_X_FORWARDED_FOR=forwarded)) == expected


def test_a_single_address_header_works_too(settings):
    settings.TRUSTED_PROXY_HEADER = "X-Real-IP"  # the header's name, as nginx writes it
    settings.TRUSTED_PROXY_HOPS = 1

    assert client_ip(request_from(HTTP_X_REAL_IP="203.0.113.5")) == "203.0.113.5"


def test_no_address_at_all_is_none(settings):
    settings.TRUSTED_PROXY_HEADER = ""

    assert client_ip(request_from("")) is None


@pytest.mark.django_db
def test_the_audit_trail_records_the_client_behind_the_proxy(behind_proxy):
    client = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.5")

    response = client.post(
        "/api/v1/auth/register",
        {"email": "new.fan@example.com", "password": "a-long-pass-phrase-9"},
    )

    assert response.status_code == 202
    assert AuditLog.objects.get(action="user.registered").ip_address == "203.0.113.5"


@pytest.mark.django_db
def test_the_admin_records_the_client_behind_the_proxy(client, behind_proxy):
    staff = StaffFactory()
    event = EventFactory()
    client.force_login(staff)

    response = client.post(
        f"/admin/events/event/{event.pk}/delete/",
        {"post": "yes"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.5",
    )

    assert response.status_code == 302
    assert AuditLog.objects.get(action="event.admin_deleted").ip_address == "203.0.113.5"


def test_allauth_and_django_ratelimit_read_the_same_address(behind_proxy):
    from allauth.account.adapter import get_adapter
    from django_ratelimit.core import _get_ip

    request = request_from(HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")

    assert get_adapter(request).get_client_ip(request) == "203.0.113.5"
    assert _get_ip(request) == "203.0.113.5"
