"""The five languages are complete (docs/i18n.md): every catalogue translates
every string, nothing fuzzy or obsolete, placeholders kept; the catalogues
hold every string the code and templates mark; no template text is left
unmarked."""

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

from marketplace.devtools import translations
from marketplace.devtools.template_text import template_skeleton, unmarked_text

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates"]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_each_catalogue_translates_every_string(language):
    assert tuple(code for code, _name in settings.LANGUAGES) == translations.LANGUAGES
    problems = translations.catalogue_problems(language)
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_no_template_text_is_left_unmarked():
    found = {}
    for directory in TEMPLATE_DIRS:
        for path in sorted(directory.rglob("*")):
            if path.suffix in (".html", ".txt"):
                text = unmarked_text(path.read_text(encoding="utf-8"))
                if text:
                    found[str(path.relative_to(ROOT))] = text
    report = "\n".join(f"{path}: {texts[:3]}" for path, texts in list(found.items())[:30])
    assert not found, f"unmarked text in {len(found)} templates:\n{report}"


def test_the_unmarked_text_finder_sees_text_and_read_attributes_only():
    source = (
        '{% load i18n %}<p class="lead">Buy now</p>'
        '<img alt="A stage" src="{{ url }}"><input placeholder="{% translate \'Search\' %}">'
        "<script>var hidden = 'code';</script>{# a comment #}"
        "{% blocktranslate trimmed with n=name %}Hello {{ n }}{% endblocktranslate %}"
        '<meta name="description" content="Fair tickets"><span>{{ price }} · Encore</span>'
    )
    assert unmarked_text(source) == ["Buy now", "A stage", "Fair tickets"]
    assert "Hello" not in template_skeleton(source)


def _msgids(path: Path) -> set:
    with path.open("rb") as po:
        return {message.id for message in read_po(po) if message.id}


@pytest.mark.system
def test_the_catalogues_hold_every_marked_string(tmp_path):
    """Extract the strings again from a copy of the code (Django's
    makemessages, as `make messages` does) and compare with the catalogue."""
    if shutil.which("xgettext") is None:
        pytest.fail("GNU gettext's xgettext is needed to extract strings (apt-get install gettext)")
    ignored = shutil.ignore_patterns(
        ".venv", "var", ".git", "locale", "__pycache__", "test-artifacts", "node_modules"
    )
    copy = tmp_path / "source"
    shutil.copytree(ROOT, copy, ignore=ignored)
    (copy / "locale" / "nl" / "LC_MESSAGES").mkdir(parents=True)
    translations.extract(copy, languages=["nl"])
    fresh = _msgids(copy / "locale" / "nl" / "LC_MESSAGES" / "django.po")
    for language in translations.LANGUAGES:
        held = _msgids(translations.catalogue_path(language))
        missing, extra = sorted(fresh - held, key=str), sorted(held - fresh, key=str)
        assert not missing, f"{language}: not in the catalogue (make messages): {missing[:20]}"
        assert not extra, f"{language}: no longer in the code (make messages): {extra[:20]}"
