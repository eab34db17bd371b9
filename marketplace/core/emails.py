"""Every email Encore sends is ONE template rendered ONCE: the HTML part, its
subject (the template's `{% block subject %}`, which templates/emails/base.html
puts in <title>) and the plain-text part, derived from that same HTML by
`html_to_text`. So the two parts never say different things, and a translator
translates each sentence once.

`email_render` renders in the recipient's language (`email_language`): the
sentences, money ("€34.00", "34,00 €"), dates and the language prefix of the
links (`{% absolute_url %}`, marketplace/core/templatetags/emails.py) all
follow it.
"""

import re
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

# Tags that start and end a block of text (a paragraph in the text part).
BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "blockquote",
        "div",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "ol",
        "p",
        "section",
        "table",
        "tr",
        "ul",
    }
)
# Whose content the reader of the text part never sees.
SKIPPED_TAGS = frozenset({"head", "script", "style", "title", "template"})
VOID_TAGS = frozenset({"br", "hr", "img", "meta", "link", "input", "col", "source", "wbr"})
# An element carrying this attribute is decoration of the HTML part only (the
# wordmark, a spacer): the text part leaves it out.
HTML_ONLY_ATTRIBUTE = "data-html-only"
_LINE_BREAK = "\x00"
_SPACES = re.compile(r"[ \t\n\r\f\v]+")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


class _TextWriter(HTMLParser):
    """HTML to readable plain text: blocks separated by blank lines, list items
    as "- " (or "1. ") lines, links as "text (url)" (the url alone when it is
    the text), buttons as "text: url", whitespace collapsed."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        # (text, kind): kind "block", "first-item" (of a list) or "item"
        self.blocks: list[tuple[str, str]] = []
        self.pieces: list[str] = []
        self.skip_tag = ""
        self.skip_depth = 0
        self.links: list[tuple[str, int, bool]] = []  # (href, first piece, is a button)
        self.lists: list[list] = []  # [tag, counter] of the open lists
        self.item_prefix = ""
        self.item_first = False

    # --- blocks -------------------------------------------------------------------

    def _flush(self, kind: str = "block") -> None:
        text = "".join(self.pieces)
        self.pieces = []
        lines = [_SPACES.sub(" ", line).strip() for line in text.split(_LINE_BREAK)]
        while lines and not lines[0]:
            lines.pop(0)
        while lines and not lines[-1]:
            lines.pop()
        if not lines:
            return
        body = "\n".join(lines)
        if self.item_prefix:
            # The first item of a list stands apart from what came before.
            first = self.item_prefix in ("- ", "1. ") and self.item_first
            body = self.item_prefix + body
            kind, self.item_prefix, self.item_first = ("first-item" if first else "item"), "", False
        self.blocks.append((body, kind))

    # --- parser callbacks ---------------------------------------------------------

    def handle_starttag(self, tag, attrs):
        if self.skip_tag:
            if tag == self.skip_tag and tag not in VOID_TAGS:
                self.skip_depth += 1
            return
        attributes = dict(attrs)
        if tag in SKIPPED_TAGS or HTML_ONLY_ATTRIBUTE in attributes:
            if tag not in VOID_TAGS:
                self.skip_tag, self.skip_depth = tag, 1
            return
        if tag == "br":
            self.pieces.append(_LINE_BREAK)
        elif tag == "a":
            classes = (attributes.get("class") or "").split()
            button = "button" in classes or "data-button" in attributes
            self.links.append((attributes.get("href") or "", len(self.pieces), button))
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag in ("ul", "ol"):
                self.lists.append([tag, 0])
                self.item_first = True
            elif tag == "li" and self.lists:
                current = self.lists[-1]
                current[1] += 1
                self.item_prefix = f"{current[1]}. " if current[0] == "ol" else "- "
            elif tag == "hr":
                self.blocks.append(("--", "block"))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.skip_tag:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = ""
            return
        if tag == "a" and self.links:
            href, start, button = self.links.pop()
            label = _SPACES.sub(" ", "".join(self.pieces[start:]).replace(_LINE_BREAK, " "))
            label = label.strip()
            self.pieces[start:] = [_link_text(label, href, button=button)]
        elif tag in BLOCK_TAGS:
            self._flush()
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()

    def handle_data(self, data):
        if not self.skip_tag:
            self.pieces.append(data)

    def text(self) -> str:
        self._flush()
        out = []
        previous = None
        for body, kind in self.blocks:
            if out:
                items = kind == "item" and previous in ("item", "first-item")
                out.append("\n" if items else "\n\n")
            out.append(body)
            previous = kind
        return "".join(out) + "\n" if out else ""


def _link_text(label: str, href: str, *, button: bool) -> str:
    target = href.removeprefix("mailto:").strip()
    if not target or target.startswith("#"):
        return label
    if not label or label == target or label.rstrip("/") == target.rstrip("/"):
        return f" {target} "
    if button:
        # On a line of its own end: the address is easy to copy, nothing sticks to it.
        return f"{label}: {_LINE_BREAK}{target}"
    return f"{label} ({target})"


def html_to_text(html: str) -> str:
    """The plain-text version of an email's HTML (see _TextWriter)."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()


def subject_from_html(html: str) -> str:
    """The subject line: the <title> of the rendered email, on one line."""
    match = _TITLE.search(html)
    return " ".join(unescape(match.group(1)).split()) if match else ""


def email_language(user=None, fallback: str = "") -> str:
    """The language to write to `user` in: the account's choice, else
    `fallback` (e.g. the sender's language, for an address without an
    account), else the site's default."""
    choice = getattr(user, "language", "") if user is not None else ""
    return choice or fallback or settings.LANGUAGE_CODE


def site_url(path: str) -> str:
    """An absolute address on the site, for links in emails (settings.SITE_URL)."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.SITE_URL}/{path.lstrip('/')}"


def email_render(
    template_name: str, context: dict | None = None, *, language: str = "", request=None
) -> RenderedEmail:
    """Render the email `template_name` (extending templates/emails/base.html)
    in `language` (default: the active one): its subject, HTML and text parts."""
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        html = render_to_string(
            template_name, {"site_url": settings.SITE_URL, **(context or {})}, request
        )
    return RenderedEmail(
        subject=subject_from_html(html), html=html.strip() + "\n", text=html_to_text(html)
    )


def email_subject(template_name: str, context: dict | None = None, *, language: str = "") -> str:
    """The subject line of an email alone (the notifications page reuses it)."""
    return email_render(template_name, context, language=language).subject
