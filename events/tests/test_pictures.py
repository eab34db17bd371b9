"""Event pictures (events/images.py): the organizer's upload, checked, stripped and
made into a few sizes; the picture the home, the event page and link previews
show; the category picture without one; the hosts a picture by address may
come from, which the Content-Security-Policy allows."""

import io
import os
import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.tests.factories import OrganizerFactory, UserFactory
from events.images import event_picture_url, picture_prepare, picture_widths
from events.models import Event
from events.services import event_create, event_update
from events.tests.factories import EventFactory
from marketplace.core.errors import ValidationFailed
from marketplace.core.image_hosts import image_host_sources, image_url_allowed
from marketplace.testing import in_days

pytestmark = pytest.mark.django_db

NEW = "/organizer/events/new/"
STATIC_IMG = Path(__file__).resolve().parents[2] / "static" / "img" / "categories"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded pictures go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://encore.example"
    settings.EVENT_IMAGE_HOSTS = []
    return settings.MEDIA_ROOT


def stored_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def nothing_stored(root: Path) -> bool:
    return not root.exists() or stored_files(root) == []


def image_bytes(fmt="JPEG", size=(2000, 1000), *, mode="RGB", color=(200, 40, 90), exif=None):
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    options = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def event_form(**overrides):
    data = {
        "name": "Lankum at Vicar Street",
        "event_date": in_days(45).isoformat(),
        "event_time": "20:00",
        "venue_name": "Vicar Street",
        "city": "Dublin",
        "country": "IE",
        "category": "concert",
        "status": "published",
    }
    return {**data, **overrides}


def field_errors(html: str, field: str) -> str:
    match = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    return match.group(1) if match else ""


def open_stored(media: Path, name: str) -> Image.Image:
    image = Image.open(media / name)
    image.load()
    return image


# --- The upload -------------------------------------------------------------------


def test_an_organizer_uploads_a_picture_and_it_is_stored_at_three_widths(client, media):
    organizer = OrganizerFactory()
    client.force_login(organizer)

    response = client.post(NEW, {**event_form(), "image": upload(image_bytes(size=(2000, 1000)))})

    assert response.status_code == 302
    event = Event.objects.get(name="Lankum at Vicar Street")
    picture = event.picture
    assert (picture["width"], picture["height"]) == (2000, 1000)
    assert [(r["width"], r["height"]) for r in picture["renditions"]] == [
        (480, 240),
        (960, 480),
        (1600, 800),
    ]
    for rendition in picture["renditions"]:
        # One folder per event, named by the content's hash.
        assert rendition["webp"].startswith(f"events/{event.pk}/{picture['digest'][:16]}-")
        webp = open_stored(media, rendition["webp"])
        jpeg = open_stored(media, rendition["jpeg"])
        assert (webp.format, webp.size) == ("WEBP", (rendition["width"], rendition["height"]))
        assert (jpeg.format, jpeg.size) == ("JPEG", (rendition["width"], rendition["height"]))
    assert len(stored_files(media)) == 6


def test_a_small_picture_is_never_enlarged():
    prepared = picture_prepare(upload(image_bytes(size=(600, 400))))

    assert [(r.width, r.height) for r in prepared.renditions] == [(480, 320), (600, 400)]
    assert picture_widths(300) == [300]
    assert picture_widths(960) == [480, 960]
    assert picture_widths(5000) == [480, 960, 1600]


def test_the_exif_orientation_is_applied_and_every_piece_of_metadata_removed(media):
    # given a phone photo stored sideways (orientation 6: rotate 90° to show it),
    # with the camera's make and a GPS position
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (53.0, 20.0, 0.0)}  # GPSInfo
    data = image_bytes(size=(1200, 600), exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif()[0x010F] == "PhoneMaker"

    # when it is uploaded
    event = event_create(
        organizer=OrganizerFactory(),
        name="Upright",
        event_date=in_days(10),
        venue_name="Olympia",
        city="Dublin",
        country="IE",
        image=upload(data),
    )

    # then it stands upright and carries nothing but pixels
    assert (event.picture["width"], event.picture["height"]) == (600, 1200)
    for rendition in event.picture["renditions"]:
        for kind in ("webp", "jpeg"):
            stored = open_stored(media, rendition[kind])
            assert stored.height > stored.width
            assert not stored.getexif()
            assert "icc_profile" not in stored.info
            assert "exif" not in stored.info


def test_a_transparent_png_is_stored_as_webp_with_alpha_and_jpeg_on_white(media):
    prepared = picture_prepare(
        upload(
            image_bytes("PNG", size=(500, 300), mode="RGBA", color=(0, 0, 0, 0)),
            "logo.png",
            "image/png",
        )
    )

    webp = Image.open(io.BytesIO(prepared.renditions[-1].webp))
    jpeg = Image.open(io.BytesIO(prepared.renditions[-1].jpeg))
    assert webp.mode == "RGBA"
    assert jpeg.mode == "RGB"
    assert jpeg.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)


def test_a_webp_upload_is_accepted():
    prepared = picture_prepare(upload(image_bytes("WEBP", size=(800, 450)), "a.webp", "image/webp"))

    assert (prepared.width, prepared.height) == (800, 450)


def _huge_png() -> bytes:
    # 12,000 x 12,000 pixels (144 megapixels) in a few kilobytes: a bitmap of one
    # colour compresses to nearly nothing, and would fill memory once decoded.
    buffer = io.BytesIO()
    Image.new("1", (12_000, 12_000), 0).save(buffer, "PNG")
    return buffer.getvalue()


REFUSALS = {
    "text": (lambda: b"just some words, not a picture", "notes.jpg", "not a picture"),
    "pdf_renamed": (
        lambda: b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
        "ticket.jpg",
        "not a picture",
    ),
    "gif": (lambda: image_bytes("GIF", size=(400, 300), mode="P", color=1), "a.jpg", "not a"),
    "truncated": (lambda: image_bytes(size=(800, 600))[:400], "cut.jpg", "not a picture"),
    "huge_dimensions": (_huge_png, "huge.png", "at most 25 megapixels"),
    "many_pixels": (
        lambda: image_bytes("PNG", size=(8000, 4000), mode="1", color=0),
        "x.png",
        "8000 × 4000 pixels: at most 25 megapixels",
    ),
    "too_small": (lambda: image_bytes(size=(120, 80)), "tiny.jpg", "too small"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_a_refused_file_is_said_next_to_the_field_and_nothing_is_stored(client, media, case):
    make, name, message = REFUSALS[case]
    client.force_login(OrganizerFactory())

    response = client.post(NEW, {**event_form(), "image": upload(make(), name)})

    assert response.status_code == 200
    assert message in field_errors(response.content.decode(), "image")
    assert not Event.objects.exists()
    assert nothing_stored(media)


def test_a_file_over_the_size_limit_is_refused(client, media, settings):
    settings.EVENT_IMAGE_MAX_BYTES = 100_000
    noise = Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert buffer.tell() > 100_000
    client.force_login(OrganizerFactory())

    response = client.post(
        NEW, {**event_form(), "image": upload(buffer.getvalue(), "big.png", "image/png")}
    )

    assert response.status_code == 200
    assert "The picture is larger than 97.7" in field_errors(response.content.decode(), "image")
    assert not Event.objects.exists()
    assert nothing_stored(media)


@pytest.mark.parametrize("reason", ["NOT_AN_IMAGE", "IMAGE_TOO_LARGE"])
def test_the_service_names_the_field_and_the_reason(reason, settings):
    settings.EVENT_IMAGE_MAX_PIXELS = 100_000
    data = b"%PDF-1.7" if reason == "NOT_AN_IMAGE" else image_bytes(size=(1000, 1000))

    with pytest.raises(ValidationFailed) as refused:
        picture_prepare(upload(data))

    assert refused.value.details["field"] == "image"
    assert refused.value.details["reason"] == reason


# --- Changing and removing it ---------------------------------------------------------


def _event_with_picture(color=(10, 120, 200)):
    return event_create(
        organizer=OrganizerFactory(),
        name="Pictured",
        event_date=in_days(10),
        venue_name="Olympia",
        city="Dublin",
        country="IE",
        status=Event.Status.PUBLISHED,
        image=upload(image_bytes(size=(1000, 500), color=color)),
    )


def test_a_new_picture_replaces_the_old_files(media, django_capture_on_commit_callbacks):
    event = _event_with_picture()
    old = stored_files(media)

    with django_capture_on_commit_callbacks(execute=True):
        event_update(actor=event.organizer, event=event, image=upload(image_bytes(color=(1, 2, 3))))

    event.refresh_from_db()
    now = stored_files(media)
    assert len(now) == 6
    assert not set(old) & set(now)
    assert all(f"events/{event.pk}/{event.picture['digest'][:16]}" in name for name in now)


def test_the_organizer_removes_the_picture_on_the_edit_page(
    client, media, django_capture_on_commit_callbacks
):
    event = _event_with_picture()
    client.force_login(event.organizer)
    form = event_form(name=event.name, event_date=event.event_date.isoformat())
    assert (
        'name="image_remove"' in client.get(f"/organizer/events/{event.pk}/edit/").content.decode()
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/organizer/events/{event.pk}/edit/", {**form, "image_remove": "on"}
        )

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.picture == {}
    assert stored_files(media) == []


# --- Shown: home cards and the event page ----------------------------------------------


def test_the_home_card_draws_the_upload_at_every_width_without_jumping(client):
    event = _event_with_picture()

    html = client.get("/").content.decode()

    card = re.search(r'<li class="event-card">.*?</li>', html, re.S).group(0)
    assert event.name in card
    base = f"/media/events/{event.pk}/{event.picture['digest'][:16]}"
    assert f'srcset="{base}-480.webp 480w, {base}-960.webp 960w, {base}-1000.webp 1000w"' in card
    assert f"{base}-480.jpg 480w, {base}-960.jpg 960w, {base}-1000.jpg 1000w" in card
    img = re.search(r"<img [^>]*>", card).group(0)
    assert 'width="1000" height="500"' in img
    assert 'sizes="' in img
    assert 'loading="lazy"' in img
    assert 'decoding="async"' in img
    assert 'alt=""' in img  # the card's title says it: the picture is decoration


def test_the_event_page_draws_its_picture_first_with_its_name(client):
    event = _event_with_picture()

    html = client.get(f"/events/{event.pk}/").content.decode()

    img = re.search(
        r'<picture class="event-picture event-picture-upload event-image">.*?</picture>', html, re.S
    ).group(0)
    assert 'type="image/webp"' in img
    assert 'width="1000" height="500"' in img
    assert f'alt="{event.name}"' in img
    assert 'fetchpriority="high"' in img
    assert "loading=" not in img


@pytest.mark.parametrize("category", Event.Category.values)
def test_an_event_without_a_picture_shows_its_category_picture(client, category):
    EventFactory(name=f"A {category} night", category=category, image_url="")

    html = client.get("/").content.decode()

    img = re.search(r"<img [^>]*>", html).group(0)
    assert f'src="/static/img/categories/{category}.svg"' in img
    # The same 16:9 box as every card, so the grid lines up.
    assert 'width="1600" height="900"' in img
    svg = (STATIC_IMG / f"{category}.svg").read_text()
    assert 'viewBox="0 0 1600 900"' in svg
    assert "<script" not in svg


def test_a_picture_by_address_on_an_allowed_host_is_shown(client, settings):
    settings.EVENT_IMAGE_HOSTS = ["images.example.com"]
    event = EventFactory(image_url="https://images.example.com/night.jpg")

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert '<img src="https://images.example.com/night.jpg"' in html
    assert 'referrerpolicy="no-referrer"' in html


def test_a_picture_by_address_elsewhere_is_not_shown(client, settings):
    # An address saved before the host was taken off the list: the page would
    # not load it (the policy refuses it), so the category picture stands in.
    settings.EVENT_IMAGE_HOSTS = ["images.example.com"]
    event = EventFactory(image_url="https://tracker.example.org/pixel.jpg", category="sports")

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert "tracker.example.org" not in html
    assert "/static/img/categories/sports.svg" in html


def test_an_upload_wins_over_a_picture_by_address(client, settings):
    settings.EVENT_IMAGE_HOSTS = ["images.example.com"]
    event = _event_with_picture()
    Event.objects.filter(pk=event.pk).update(image_url="https://images.example.com/x.jpg")

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert "https://images.example.com/x.jpg" not in html
    assert f"/media/events/{event.pk}/" in html


# --- Picture addresses: the allowed hosts ---------------------------------------------


def test_a_picture_address_on_a_host_not_allowed_is_refused_on_the_form(client):
    client.force_login(OrganizerFactory())

    response = client.post(NEW, event_form(image_url="https://elsewhere.example/a.jpg"))

    assert response.status_code == 200
    assert "upload the picture instead" in field_errors(response.content.decode(), "image_url")
    assert not Event.objects.exists()


def test_a_picture_address_on_an_allowed_host_is_kept(client, settings):
    settings.EVENT_IMAGE_HOSTS = ["*.cdn.example.net"]
    client.force_login(OrganizerFactory())

    response = client.post(NEW, event_form(image_url="https://img.cdn.example.net/a.jpg"))

    assert response.status_code == 302
    assert Event.objects.get().image_url == "https://img.cdn.example.net/a.jpg"


def test_the_api_refuses_a_picture_address_on_a_host_not_allowed(api_as, settings):
    settings.EVENT_IMAGE_HOSTS = ["images.example.com"]
    client = api_as(OrganizerFactory())

    response = client.post(
        "/api/v1/events",
        {
            "name": "Elsewhere",
            "event_date": in_days(20).isoformat(),
            "venue_name": "Olympia",
            "city": "Dublin",
            "country": "IE",
            "image_url": "https://elsewhere.example/a.jpg",
        },
        format="json",
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["field"] == "image_url"
    assert error["details"]["reason"] == "IMAGE_HOST_NOT_ALLOWED"
    assert error["details"]["allowed_hosts"] == ["images.example.com"]
    assert not Event.objects.exists()


def test_an_unchanged_old_address_does_not_block_other_edits():
    # Saved before the host left the list; the organizer edits something else.
    event = EventFactory(image_url="https://old.example/a.jpg")

    event_update(actor=event.organizer, event=event, image_url=event.image_url, name="Renamed")

    event.refresh_from_db()
    assert event.name == "Renamed"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://images.example.com/a.jpg", True),
        ("https://IMAGES.example.com/a.jpg", True),
        ("http://images.example.com/a.jpg", False),
        ("https://images.example.com:8443/a.jpg", False),
        ("https://user@images.example.com/a.jpg", False),
        ("https://images.example.com.evil.test/a.jpg", False),
        ("https://a.cdn.example.net/x.png", True),
        ("https://cdn.example.net/x.png", False),
        ("https://evilcdn.example.net/x.png", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_which_addresses_are_allowed(url, allowed):
    hosts = ["images.example.com", "*.cdn.example.net"]

    assert image_url_allowed(url, hosts) is allowed
    assert image_host_sources(hosts) == ["https://images.example.com", "https://*.cdn.example.net"]


# --- The Content-Security-Policy ---------------------------------------------------------


def _img_src(response) -> list[str]:
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        if name == "img-src":
            return sources
    return []


def test_the_policy_allows_images_from_the_site_only_by_default(client):
    assert _img_src(client.get("/")) == ["'self'", "data:"]


def test_the_policy_allows_the_picture_hosts_of_the_setting(client, settings):
    settings.EVENT_IMAGE_HOSTS = ["images.example.com", "*.cdn.example.net"]

    assert _img_src(client.get("/")) == [
        "'self'",
        "data:",
        "https://images.example.com",
        "https://*.cdn.example.net",
    ]


def test_the_policy_allows_the_media_bucket_when_pictures_are_served_from_one(client, settings):
    settings.MEDIA_URL = "https://media.encore.example/pictures/"

    assert _img_src(client.get("/")) == ["'self'", "data:", "https://media.encore.example"]


def test_a_members_own_avatar_is_allowed_on_their_profile_page_only(client):
    member = UserFactory(avatar_url="https://avatars.example.org/me.png")
    client.force_login(member)

    profile = client.get("/profile/")

    assert profile.status_code == 200
    assert _img_src(profile) == ["'self'", "data:", "https://avatars.example.org"]
    assert _img_src(client.get("/")) == ["'self'", "data:"]


# --- Sharing: og:image and the picture for emails ------------------------------------------


def test_a_shared_link_previews_the_uploaded_picture_as_an_absolute_jpeg(client):
    event = _event_with_picture()
    base = f"https://encore.example/media/events/{event.pk}/{event.picture['digest'][:16]}"

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert f'<meta property="og:image" content="{base}-960.jpg">' in html
    assert '<meta name="twitter:card" content="summary_large_image">' in html
    assert f'"image": ["{base}-960.jpg"]' in html  # the JSON-LD


def test_the_picture_for_emails_and_previews():
    event = _event_with_picture()
    base = f"https://encore.example/media/events/{event.pk}/{event.picture['digest'][:16]}"

    assert event_picture_url(event) == f"{base}-960.jpg"
    assert event_picture_url(event, width=400) == f"{base}-480.jpg"
    assert event_picture_url(event, width=4000) == f"{base}-1000.jpg"
    assert event_picture_url(EventFactory(image_url="")) is None


def test_the_api_gives_the_pictures_address(api):
    event = _event_with_picture()
    base = f"https://encore.example/media/events/{event.pk}/{event.picture['digest'][:16]}"
    bare = EventFactory(image_url="")

    pictured = api.get(f"/api/v1/events/{event.pk}").json()["data"]
    plain = api.get(f"/api/v1/events/{bare.pk}").json()["data"]

    assert pictured["picture_url"] == f"{base}-960.jpg"
    assert plain["picture_url"] is None


def test_without_a_picture_a_shared_link_has_no_image(client):
    event = EventFactory(image_url="")

    html = client.get(f"/events/{event.pk}/").content.decode()

    assert "og:image" not in html
    assert '<meta name="twitter:card" content="summary">' in html
