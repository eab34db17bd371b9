"""Human text in a template that is not marked for translation (docs/i18n.md).

The template is read with Django's own lexer. What a translation tag gives
({% translate %}, {% blocktranslate %}...{% endblocktranslate %}), variables,
other tags and comments count as marked; the rest is HTML, read with
Python's html.parser: its text nodes and the attributes people read (alt,
title, placeholder, aria-label, aria-description, a meta description's
content, a button's value) must hold no word. Scripts and styles are code.
"""

import re
from html.parser import HTMLParser

from django.template.base import Lexer, TokenType

# Stands for anything Django renders, so the HTML around it still parses.
HOLE = " "
WORD = re.compile(r"[^\W\d_]{2,}")
# Words that read the same in every language: the brand, and names.
UNTRANSLATED_WORDS = frozenset({"Encore", "Stripe", "Visa", "Mastercard", "IBAN", "API", "JSON"})
READ_ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label", "aria-description"})
CODE_ELEMENTS = frozenset({"script", "style"})
OPENERS = {"blocktranslate": "endblocktranslate", "blocktrans": "endblocktrans"}
SKIPPED = {"comment": "endcomment", "verbatim": "endverbatim"}
# Blocks that fill an attribute of a parent template (the admin's <body class>).
CLASS_BLOCKS = (["block", "bodyclass"],)


def template_skeleton(source: str) -> str:
    """The template's HTML with everything Django renders replaced by HOLE."""
    parts = []
    closing = None
    for token in Lexer(source).tokenize():
        if closing:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == closing:
                closing = None
            continue
        if token.token_type == TokenType.TEXT:
            parts.append(token.contents)
            continue
        if token.token_type == TokenType.BLOCK:
            words = token.contents.split() or [""]
            closing = OPENERS.get(words[0]) or SKIPPED.get(words[0])
            if words[:2] in CLASS_BLOCKS:
                closing = "endblock"
        # A tag whose name Django chooses (<{% if %}a{% else %}button{% endif %}>)
        # still reads as a tag.
        parts.append("x" if parts and parts[-1].endswith("<") else HOLE)
    return "".join(parts)


class _TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._code_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in CODE_ELEMENTS:
            self._code_depth += 1
        attributes = dict(attrs)
        for name, value in attrs:
            if value and (
                name in READ_ATTRIBUTES
                or (name == "content" and attributes.get("name") == "description")
                or (name == "value" and attributes.get("type") in ("submit", "button"))
            ):
                self._keep(value)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in CODE_ELEMENTS:
            self._code_depth -= 1

    def handle_endtag(self, tag):
        if tag in CODE_ELEMENTS and self._code_depth:
            self._code_depth -= 1

    def handle_data(self, data):
        if not self._code_depth:
            self._keep(data)

    def _keep(self, text: str):
        words = [
            word for word in WORD.findall(text.replace(HOLE, " ")) if word not in UNTRANSLATED_WORDS
        ]
        if words:
            self.found.append(" ".join(text.split()))


def unmarked_text(source: str) -> list[str]:
    """Each piece of human text in the template `source` left unmarked."""
    finder = _TextFinder()
    finder.feed(template_skeleton(source))
    finder.close()
    return finder.found
