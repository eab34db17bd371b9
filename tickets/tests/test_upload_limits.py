"""Uploads limited in size and type on both paths, the sell page and the API:
a ticket file is recognised by its bytes, never by its name or the content
type the client claims; a file over TICKET_FILE_MAX_BYTES is a clear error;
a request over REQUEST_BODY_MAX_BYTES, too many fields or too much form data
answer 413 or 400 and change nothing, never 500."""

import re

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from tickets.models import Ticket
from tickets.tests.factories import PDF_BYTES
from tickets.tests.helpers import JPEG_BYTES, PNG_BYTES, QR_PDF_BYTES, stored_files, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def page(client, seller):
    client.force_login(seller)
    return client


def sell_url(event) -> str:
    return reverse("listings:sell-event", args=[event.pk])


def sell_form(**overrides):
    form = {
        "file": upload(),
        "barcode": "",  # read from the file
        "face_value": "50.00",
        "ticket_type": "general_admission",
        "price": "55.00",
    }
    form.update(overrides)
    return form


def api_form(event, **overrides):
    form = {
        "event_id": event.pk,
        "face_value": "50.00",
        "barcode": "",  # read from the file
        "ticket_type": "general_admission",
        "file": upload(),
    }
    form.update(overrides)
    return form


def file_error(response) -> str:
    html = response.content.decode()
    match = re.search(r'<ul class="errorlist" id="id_file_error">(.*?)</ul>', html, re.S)
    return re.sub(r"<[^>]+>", "", match.group(1)).strip() if match else ""


def assert_nothing_changed(db_snapshot, before, private_dir):
    assert db_snapshot() == before
    assert stored_files(private_dir) == []


# --- The type, by the bytes ---------------------------------------------------------------


DISGUISED = [
    (b"<html><script>alert(1)</script></html>", "ticket.pdf", "application/pdf"),
    (b"MZ\x90\x00\x03", "ticket.png", "image/png"),
    (b"GIF89a" + b"\x00" * 20, "ticket.jpg", "image/jpeg"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "ticket.png", "image/png"),
]


@pytest.mark.parametrize(("content", "name", "claimed"), DISGUISED)
def test_the_sell_page_refuses_a_file_that_only_claims_to_be_a_ticket(
    page, event, private_dir, db_snapshot, content, name, claimed
):
    before = db_snapshot()

    response = page.post(
        sell_url(event), sell_form(file=upload(content, name, content_type=claimed))
    )

    assert response.status_code == 200
    assert file_error(response) == "The ticket must be a PDF, PNG or JPEG file."
    assert_nothing_changed(db_snapshot, before, private_dir)


@pytest.mark.parametrize(("content", "name", "claimed"), DISGUISED)
def test_the_api_refuses_a_file_that_only_claims_to_be_a_ticket(
    api_as, seller, event, private_dir, db_snapshot, content, name, claimed
):
    before = db_snapshot()

    response = api_as(seller).post(
        "/api/v1/tickets/upload",
        api_form(event, file=upload(content, name, content_type=claimed)),
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"]["reason"] == "UNSUPPORTED_TYPE"
    assert_nothing_changed(db_snapshot, before, private_dir)


@pytest.mark.parametrize(
    ("content", "extension"), [(QR_PDF_BYTES, "pdf"), (PNG_BYTES, "png"), (JPEG_BYTES, "jpg")]
)
def test_a_real_ticket_is_stored_by_its_type_whatever_its_name(
    page, seller, event, content, extension
):
    response = page.post(
        sell_url(event),
        sell_form(file=upload(content, "ticket.txt", content_type="text/plain")),
    )

    assert response.status_code == 302
    assert Ticket.objects.get(owner=seller).file.name.endswith(f".{extension}")


# --- The size of the file ---------------------------------------------------------------


def test_the_sell_page_refuses_a_file_over_the_ticket_limit_on_the_file_field(
    page, event, private_dir, db_snapshot, settings
):
    settings.TICKET_FILE_MAX_BYTES = 1024
    before = db_snapshot()
    big = PDF_BYTES + b"0" * 1024

    response = page.post(sell_url(event), sell_form(file=upload(big)))

    assert response.status_code == 200
    assert file_error(response) == "The file is too large."
    assert_nothing_changed(db_snapshot, before, private_dir)


# --- The size of the request -------------------------------------------------------------


def test_a_page_request_over_the_body_limit_answers_413_with_the_sites_page(
    page, event, private_dir, db_snapshot, settings
):
    settings.REQUEST_BODY_MAX_BYTES = 64 * 1024
    before = db_snapshot()
    big = PDF_BYTES + b"0" * (128 * 1024)

    response = page.post(sell_url(event), sell_form(file=upload(big)))

    assert response.status_code == 413
    html = response.content.decode()
    assert "That was too large to send" in html and "Nothing was saved" in html
    assert "Content-Security-Policy" in response  # the site's own page, headers and all
    assert_nothing_changed(db_snapshot, before, private_dir)


def test_an_api_request_over_the_body_limit_answers_413_in_the_envelope(
    api_as, seller, event, private_dir, db_snapshot, settings
):
    settings.REQUEST_BODY_MAX_BYTES = 64 * 1024
    before = db_snapshot()
    big = PDF_BYTES + b"0" * (128 * 1024)

    response = api_as(seller).post(
        "/api/v1/tickets/upload", api_form(event, file=upload(big)), format="multipart"
    )

    assert response.status_code == 413
    error = response.json()["error"]
    assert error["code"] == "INVALID_INPUT"
    assert error["details"] == {"reason": "REQUEST_TOO_LARGE", "max_bytes": 64 * 1024}
    assert_nothing_changed(db_snapshot, before, private_dir)


def test_the_default_body_limit_leaves_room_for_a_full_size_ticket(settings):
    assert settings.REQUEST_BODY_MAX_BYTES > settings.TICKET_FILE_MAX_BYTES
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2.5 * 1024 * 1024


def test_a_full_size_ticket_passes_every_limit(page, seller, event, settings):
    content = QR_PDF_BYTES + b"0" * (settings.TICKET_FILE_MAX_BYTES - len(QR_PDF_BYTES))

    response = page.post(sell_url(event), sell_form(file=upload(content)))

    assert response.status_code == 302
    assert Ticket.objects.get(owner=seller).file.size == settings.TICKET_FILE_MAX_BYTES


def test_too_many_form_fields_on_a_page_answer_400(page, event, db_snapshot, settings):
    before = db_snapshot()
    fields = {f"extra{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = page.post(sell_url(event), {**sell_form(), **fields})

    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()
    assert db_snapshot() == before


def test_too_many_form_fields_on_the_api_answer_400_in_the_envelope(
    api_as, seller, event, db_snapshot, settings
):
    before = db_snapshot()
    fields = {f"extra{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = api_as(seller).post(
        "/api/v1/tickets/upload", {**api_form(event), **fields}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_INPUT"
    assert db_snapshot() == before


def test_too_many_files_on_a_page_answer_400(page, event, db_snapshot, settings):
    before = db_snapshot()
    files = {f"file{n}": upload() for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)}

    response = page.post(sell_url(event), {**sell_form(), **files})

    assert response.status_code == 400
    assert db_snapshot() == before


def test_too_much_form_data_on_a_page_answers_400(page, event, db_snapshot, settings):
    before = db_snapshot()
    # Form fields (not files) beyond DATA_UPLOAD_MAX_MEMORY_SIZE.
    response = page.post(
        sell_url(event), sell_form(barcode="x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    )

    assert response.status_code == 400
    assert db_snapshot() == before


def test_too_large_a_json_body_answers_413_in_the_envelope(api, settings):
    payload = (
        '{"email": "a@example.com", "password": "'
        + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
        + '"}'
    )

    response = api.post("/api/v1/auth/login", payload, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "INVALID_INPUT"


def test_someone_logged_out_posting_a_huge_body_gets_413_not_a_login_page(client, event):
    UserFactory()
    response = client.post(
        sell_url(event),
        data=b"x",
        content_type="application/octet-stream",
        CONTENT_LENGTH=str(10**9),
    )

    assert response.status_code == 413
