import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import StaffFactory
from messaging.models import Email
from messaging.tests.factories import EmailFactory, NotificationFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:messaging_email_changelist"


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_staff_read_the_outbox_and_an_email(staff_client):
    email = EmailFactory(notification=NotificationFactory(), status=Email.Status.FAILED)

    changelist = staff_client.get(reverse(CHANGELIST))
    change = staff_client.get(reverse("admin:messaging_email_change", args=[email.pk]))

    assert changelist.status_code == 200
    assert list(changelist.context["cl"].result_list) == [email]
    assert change.status_code == 200
    assert email.body.splitlines()[0] in change.content.decode()


def test_staff_cannot_add_change_or_delete_an_email(staff_client):
    email = EmailFactory()

    add = staff_client.get(reverse("admin:messaging_email_add"))
    post = staff_client.post(
        reverse("admin:messaging_email_change", args=[email.pk]), {"subject": "Changed"}
    )
    delete = staff_client.get(reverse("admin:messaging_email_delete", args=[email.pk]))

    assert (add.status_code, post.status_code, delete.status_code) == (403, 403, 403)
    email.refresh_from_db()
    assert email.subject != "Changed"


def test_outbox_filters_by_status_and_finds_an_address(staff_client):
    failed = EmailFactory(status=Email.Status.FAILED)
    EmailFactory()

    by_status = staff_client.get(reverse(CHANGELIST), {"status__exact": "failed"})
    by_address = staff_client.get(reverse(CHANGELIST), {"q": failed.to})

    assert list(by_status.context["cl"].result_list) == [failed]
    assert list(by_address.context["cl"].result_list) == [failed]


def test_outbox_query_count_does_not_grow_with_rows(staff_client):
    url = reverse(CHANGELIST)
    EmailFactory.create_batch(3, notification=NotificationFactory())
    staff_client.get(url)  # warm up (session, content types)

    with CaptureQueriesContext(connection) as few:
        staff_client.get(url)
    EmailFactory.create_batch(12, notification=NotificationFactory())
    with CaptureQueriesContext(connection) as many:
        response = staff_client.get(url)

    assert len(response.context["cl"].result_list) == 15
    assert len(many.captured_queries) == len(few.captured_queries)
