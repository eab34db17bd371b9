"""Read the barcodes of one ticket file: run as a process of its own by tickets.evidence.

    python -I decoder.py '{"kind": "pdf", "max_pages": 5, ...}' < ticket.pdf

Prints one JSON object: {"pages": n, "codes": [{"format", "binary", "text", "hex"}]}
or {"error": REASON, ...}. It imports no Django and reads no setting:
everything comes from its argument, so it can run with an empty environment.

Why a process: the file is a stranger's. PDFium and the image decoders parse it
in a process that limits its own memory and CPU time before touching a byte, and
that the caller kills at its deadline; a crash or a runaway file costs that
process, never the web worker. (PDFium is not thread-safe either: a process per
file needs no lock.)
"""

import io
import json
import math
import resource
import sys

# Symbologies found on tickets: 2-D codes and the 1-D ones box offices print.
# Not EAN/UPC (products on an advert) nor DX film edge (false positives).
FORMATS = (
    "QRCode",
    "MicroQRCode",
    "Aztec",
    "PDF417",
    "DataMatrix",
    "Code128",
    "Code39",
    "Code93",
    "ITF",
    "Codabar",
)


class Refused(Exception):
    def __init__(self, reason: str, **extra):
        super().__init__(reason)
        self.reason = reason
        self.extra = extra


def limit_self(*, memory_mb: int, cpu_seconds: int) -> None:
    """Cap this process's address space and CPU time (the kernel enforces both)."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))


def pdf_pages(data: bytes, limits: dict):
    """Each page of the PDF as a grayscale image, rendered one at a time."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == pdfium_c.FPDF_ERR_PASSWORD:
            raise Refused("PDF_PROTECTED") from exc
        raise Refused("UNREADABLE") from exc
    pages = len(document)
    if pages == 0:
        raise Refused("UNREADABLE")
    if pages > limits["max_pages"]:
        raise Refused("TOO_MANY_PAGES", pages=pages)
    for index in range(pages):
        page = document[index]
        width, height = page.get_size()  # points, 1/72 inch
        if not (width > 0 and height > 0 and math.isfinite(width * height)):
            raise Refused("UNREADABLE")
        scale = limits["dpi"] / 72
        # A page too large for the pixel budget at this resolution is drawn smaller.
        if width * height * scale * scale > limits["max_pixels"]:
            scale = math.sqrt(limits["max_pixels"] / (width * height))
        bitmap = page.render(scale=scale, grayscale=True, may_draw_forms=True)
        yield bitmap.to_pil()
        bitmap.close()
        page.close()
    document.close()


def image(data: bytes, kind: str, limits: dict):
    """The PNG or JPEG as a grayscale image on white (transparency is paper)."""
    from PIL import Image, UnidentifiedImageError

    # Our own bomb guard replaces Pillow's: open() reads the header only, and the
    # size is checked before a pixel is decoded (a JPEG may first be reduced).
    Image.MAX_IMAGE_PIXELS = None
    try:
        picture = Image.open(io.BytesIO(data), formats=["PNG" if kind == "png" else "JPEG"])
        width, height = picture.size
        if width * height > limits["max_pixels"]:
            if kind != "jpg":
                raise Refused("TOO_MANY_PIXELS", pixels=width * height)
            # A JPEG decodes at 1/2, 1/4 or 1/8 of its size for free. draft() picks
            # the smallest of those at least as large as asked, so ask for half.
            factor = 2 * math.ceil(math.sqrt(width * height / limits["max_pixels"]))
            picture.draft("L", (max(1, width // factor), max(1, height // factor)))
            if picture.size[0] * picture.size[1] > limits["max_pixels"]:
                raise Refused("TOO_MANY_PIXELS", pixels=width * height)
        if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
            paper = Image.new("RGBA", picture.size, "white")
            paper.alpha_composite(picture.convert("RGBA"))
            picture = paper
        return picture.convert("L")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Refused("UNREADABLE") from exc


def codes_in(picture) -> list[dict]:
    import zxingcpp

    formats = zxingcpp.barcode_formats_from_str(",".join(FORMATS))
    found = []
    for barcode in zxingcpp.read_barcodes(picture, formats=formats):
        found.append(
            {
                "format": str(barcode.format),
                "binary": barcode.content_type == zxingcpp.ContentType.Binary,
                "text": barcode.text,
                "hex": barcode.bytes.hex(),
            }
        )
    return found


def read(data: bytes, limits: dict) -> dict:
    kind = limits["kind"]
    pictures = pdf_pages(data, limits) if kind == "pdf" else [image(data, kind, limits)]
    codes, pages = [], 0
    for picture in pictures:
        pages += 1
        codes.extend(codes_in(picture))
    return {"pages": pages, "codes": codes}


def main() -> int:
    limits = json.loads(sys.argv[1])
    limit_self(memory_mb=limits["memory_mb"], cpu_seconds=limits["cpu_seconds"])
    data = sys.stdin.buffer.read()
    try:
        result = read(data, limits)
    except Refused as refused:
        result = {"error": refused.reason, **refused.extra}
    except MemoryError:
        result = {"error": "TOO_LARGE_TO_READ"}
    sys.stdout.write(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
