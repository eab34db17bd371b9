"""Event pictures: the organizer's upload, checked and made into a few sizes; the
picture a page, an email or a link preview shows.

An upload is a JPEG, PNG or WebP up to EVENT_IMAGE_MAX_BYTES whose pixels
Pillow really decodes. Its size is read from the header before a pixel is
decoded, so a small file that would unpack to a huge bitmap (a decompression
bomb) is refused unread. Its EXIF orientation is applied, its colours moved to
sRGB, and every piece of metadata (EXIF with its GPS position, ICC profile,
comments) left behind: the files stored are new encodes of the pixels only.

It is stored in the default storage (MEDIA_ROOT in the embedded run; the
STORAGES setting may point at a bucket in production) at each width of
EVENT_IMAGE_WIDTHS narrower than the original, and at the original's own width
when that is below the largest: never enlarged. Each width is a WebP, for
pages, and a JPEG, for emails and link previews that take no WebP. The paths
hold the event's id and a hash of the upload's content:
events/<id>/<hash>-<width>.webp. Event.picture records them.

Without an upload, a picture given by address (image_url) on a host of
EVENT_IMAGE_HOSTS is shown; without either, the event's category picture
(static/img/categories/), drawn at the same 16:9 proportion so cards align.
"""

import contextlib
import hashlib
import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.templatetags.static import static
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from marketplace.core.errors import ValidationFailed
from marketplace.core.image_hosts import image_url_allowed

from .models import Event

# Pillow's names of the formats accepted. MPO is the JPEG many phones write
# (a JPEG with a second, depth or preview, picture after it).
ACCEPTED_FORMATS = {"JPEG": "jpeg", "MPO": "jpeg", "PNG": "png", "WEBP": "webp"}
WEBP_QUALITY = 80
JPEG_QUALITY = 82
# The proportion of the category pictures and of the box a picture given by
# address (whose size is unknown) is drawn in.
FALLBACK_WIDTH, FALLBACK_HEIGHT = 1600, 900
# What a page asks for when it names no width: the JPEG previews take.
SHARE_WIDTH = 960


@dataclass(frozen=True)
class Rendition:
    width: int
    height: int
    webp: bytes
    jpeg: bytes


@dataclass(frozen=True)
class PreparedPicture:
    """An upload that passed the checks, resized and encoded, not yet stored."""

    digest: str
    width: int
    height: int
    renditions: tuple[Rendition, ...]


def _refuse(message: str, reason: str, **details) -> ValidationFailed:
    return ValidationFailed(message, details={"field": "image", "reason": reason, **details})


def _read_upload(upload) -> bytes:
    limit = settings.EVENT_IMAGE_MAX_BYTES
    too_large = _refuse(
        _("The picture is larger than %(size)s.") % {"size": filesizeformat(limit)},
        "FILE_TOO_LARGE",
        max_bytes=limit,
    )
    if getattr(upload, "size", None) is not None and upload.size > limit:
        raise too_large
    upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise too_large
    if not data:
        raise _refuse(_("The picture file is empty."), "NOT_AN_IMAGE")
    return data


def _open_checked(data: bytes) -> Image.Image:
    """The image with its pixels decoded, after its format and size (read from the
    header, before decoding) passed. Raises ValidationFailed otherwise."""
    not_an_image = _refuse(
        _("This file is not a picture Encore can read: upload a JPEG, PNG or WebP image."),
        "NOT_AN_IMAGE",
    )
    megapixels = f"{settings.EVENT_IMAGE_MAX_PIXELS / 1_000_000:g}"
    with warnings.catch_warnings():
        # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse it too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            # Past Pillow's own limit, far past ours: a decompression bomb.
            raise _refuse(
                _("The picture has too many pixels: at most %(megapixels)s megapixels, please.")
                % {"megapixels": megapixels},
                "IMAGE_TOO_LARGE",
                max_pixels=settings.EVENT_IMAGE_MAX_PIXELS,
            ) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise not_an_image from None
        if image.format not in ACCEPTED_FORMATS:
            raise not_an_image
        width, height = image.size
        if width * height > settings.EVENT_IMAGE_MAX_PIXELS:
            raise _refuse(
                _(
                    "The picture is %(width)s × %(height)s pixels: at most %(megapixels)s "
                    "megapixels, please."
                )
                % {"width": width, "height": height, "megapixels": megapixels},
                "IMAGE_TOO_LARGE",
                max_pixels=settings.EVENT_IMAGE_MAX_PIXELS,
            )
        if min(width, height) < settings.EVENT_IMAGE_MIN_SIDE:
            raise _refuse(
                _("The picture is too small: at least %(side)s pixels on each side, please.")
                % {"side": settings.EVENT_IMAGE_MIN_SIDE},
                "IMAGE_TOO_SMALL",
                min_side=settings.EVENT_IMAGE_MIN_SIDE,
            )
        try:
            image.seek(0)  # an animated PNG or WebP: its first frame
            image.load()
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
            raise not_an_image from None
    return image


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )


def _normalised(image: Image.Image) -> Image.Image:
    """Upright, in sRGB, RGB or RGBA, with no metadata left."""
    icc = image.info.get("icc_profile")
    mode = "RGBA" if _has_alpha(image) else "RGB"
    image = ImageOps.exif_transpose(image)
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        # A broken profile: the pixels as they are.
        with contextlib.suppress(ImageCms.PyCMSError, OSError, ValueError):
            image = ImageCms.profileToProfile(
                image,
                ImageCms.ImageCmsProfile(io.BytesIO(icc)),
                ImageCms.createProfile("sRGB"),
                outputMode="RGBA" if image.mode == "RGBA" else "RGB",
            )
    image = image.convert(mode)
    image.info = {}
    return image


def picture_widths(original_width: int) -> list[int]:
    """The widths stored for a picture `original_width` pixels wide: each of
    EVENT_IMAGE_WIDTHS narrower than it, and its own width when it is narrower
    than the largest. Never wider than the original."""
    widths = sorted({w for w in settings.EVENT_IMAGE_WIDTHS if w < original_width})
    if original_width <= max(settings.EVENT_IMAGE_WIDTHS):
        widths.append(original_width)
    else:
        widths.append(max(settings.EVENT_IMAGE_WIDTHS))
    return sorted(set(widths))


def _encode(image: Image.Image, width: int) -> Rendition:
    height = max(1, round(image.height * width / image.width))
    sized = (
        image
        if width == image.width
        else image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    )
    sized.info = {}
    webp = io.BytesIO()
    sized.save(webp, "WEBP", quality=WEBP_QUALITY, method=4)
    if sized.mode == "RGBA":
        # JPEG has no transparency: the picture on white, as a page shows it.
        flat = Image.new("RGB", sized.size, (255, 255, 255))
        flat.paste(sized, mask=sized.getchannel("A"))
        sized = flat
    jpeg = io.BytesIO()
    sized.save(jpeg, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return Rendition(width=width, height=height, webp=webp.getvalue(), jpeg=jpeg.getvalue())


def picture_prepare(upload) -> PreparedPicture:
    """Check an uploaded picture and make its sizes, storing nothing.

    Raises ValidationFailed (details.field "image") with reason FILE_TOO_LARGE
    (over EVENT_IMAGE_MAX_BYTES), NOT_AN_IMAGE (not a JPEG, PNG or WebP Pillow
    decodes: a PDF renamed .jpg, a truncated file), IMAGE_TOO_LARGE (more than
    EVENT_IMAGE_MAX_PIXELS) or IMAGE_TOO_SMALL (a side under EVENT_IMAGE_MIN_SIDE).
    """
    data = _read_upload(upload)
    image = _normalised(_open_checked(data))
    renditions = tuple(_encode(image, width) for width in picture_widths(image.width))
    return PreparedPicture(
        digest=hashlib.sha256(data).hexdigest(),
        width=image.width,
        height=image.height,
        renditions=renditions,
    )


def picture_store(*, event_id: int, prepared: PreparedPicture) -> dict:
    """Write a prepared picture's files to the default storage; returns what
    Event.picture records: {digest, width, height, renditions: [{width, height,
    webp, jpeg}]} with the stored names."""
    stem = f"events/{event_id}/{prepared.digest[:16]}"
    renditions = []
    for rendition in prepared.renditions:
        names = {
            kind: default_storage.save(
                f"{stem}-{rendition.width}.{ext}", ContentFile(getattr(rendition, kind))
            )
            for kind, ext in (("webp", "webp"), ("jpeg", "jpg"))
        }
        renditions.append({"width": rendition.width, "height": rendition.height, **names})
    return {
        "digest": prepared.digest,
        "width": prepared.width,
        "height": prepared.height,
        "renditions": renditions,
    }


def picture_files_delete(picture: dict) -> None:
    """Delete a picture's files (after the event stopped pointing at them)."""
    for rendition in (picture or {}).get("renditions", []):
        for kind in ("webp", "jpeg"):
            if name := rendition.get(kind):
                default_storage.delete(name)


def image_url_check(url: str) -> None:
    """Refuse a picture address on a host outside EVENT_IMAGE_HOSTS: the page
    could not show it (the Content-Security-Policy allows only those hosts)."""
    if url and not image_url_allowed(url, settings.EVENT_IMAGE_HOSTS):
        hosts = ", ".join(settings.EVENT_IMAGE_HOSTS)
        message = (
            _(
                "Pictures by address can come from these hosts only: %(hosts)s. "
                "Upload the picture instead."
            )
            % {"hosts": hosts}
            if hosts
            else _("Pictures cannot be given by address: upload the picture instead.")
        )
        raise ValidationFailed(
            message,
            details={
                "field": "image_url",
                "reason": "IMAGE_HOST_NOT_ALLOWED",
                "allowed_hosts": list(settings.EVENT_IMAGE_HOSTS),
            },
        )


# --- Showing a picture -------------------------------------------------------------


@dataclass(frozen=True)
class PictureView:
    """What templates/events/_picture.html draws. `kind`: upload, remote or category."""

    kind: str
    src: str
    width: int
    height: int
    srcset: str = ""
    webp_srcset: str = ""


def _rendition_for(picture: dict, width: int) -> dict:
    """The narrowest stored size at least `width` wide, else the widest."""
    renditions = sorted(picture["renditions"], key=lambda r: r["width"])
    return next((r for r in renditions if r["width"] >= width), renditions[-1])


def _srcset(picture: dict, kind: str) -> str:
    return ", ".join(
        f"{default_storage.url(r[kind])} {r['width']}w"
        for r in sorted(picture["renditions"], key=lambda r: r["width"])
    )


def _remote_url(event: Event) -> str:
    url = event.image_url
    return url if url and image_url_allowed(url, settings.EVENT_IMAGE_HOSTS) else ""


def category_picture_path(category: str) -> str:
    known = category if category in Event.Category.values else Event.Category.OTHER
    return f"img/categories/{known}.svg"


def event_picture_view(event: Event) -> PictureView:
    """The picture a page shows for `event`: its upload, else its picture by
    address (on an allowed host), else its category's."""
    picture = event.picture or {}
    if picture.get("renditions"):
        largest = max(picture["renditions"], key=lambda r: r["width"])
        return PictureView(
            kind="upload",
            src=default_storage.url(_rendition_for(picture, SHARE_WIDTH)["jpeg"]),
            srcset=_srcset(picture, "jpeg"),
            webp_srcset=_srcset(picture, "webp"),
            width=largest["width"],
            height=largest["height"],
        )
    if remote := _remote_url(event):
        return PictureView(kind="remote", src=remote, width=FALLBACK_WIDTH, height=FALLBACK_HEIGHT)
    return PictureView(
        kind="category",
        src=static(category_picture_path(event.category)),
        width=FALLBACK_WIDTH,
        height=FALLBACK_HEIGHT,
    )


def _absolute(url: str) -> str:
    if url.startswith(("https://", "http://")):
        return url
    return f"{settings.SITE_URL}{url if url.startswith('/') else '/' + url}"


def event_picture_url(event: Event, width: int = SHARE_WIDTH) -> str | None:
    """The absolute address of `event`'s best picture for an email or a link
    preview: its uploaded picture (as a JPEG, the narrowest size at least
    `width` wide), else its picture by address on an allowed host, else None
    (a category picture is an SVG, which previews and mail clients do not show)."""
    picture = event.picture or {}
    if picture.get("renditions"):
        return _absolute(default_storage.url(_rendition_for(picture, width)["jpeg"]))
    return _remote_url(event) or None
