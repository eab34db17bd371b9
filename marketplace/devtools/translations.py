"""The site's translation catalogues (docs/i18n.md): locale/<lang>/LC_MESSAGES/django.po.

    python marketplace/devtools/translations.py extract   # marked strings -> .po (make messages)
    python marketplace/devtools/translations.py compile   # .po -> .mo (make install, the image)
    python marketplace/devtools/translations.py problems  # what is missing, fuzzy or obsolete
    python marketplace/devtools/translations.py english   # English reads its own msgids

Compiling uses Babel (pure Python), so neither the image nor a fresh machine
needs GNU gettext; extracting new strings (`make messages`) uses Django's
makemessages, which does. Fuzzy entries are never compiled: a guess must not
reach a fan.
"""

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LOCALE_DIR = ROOT / "locale"
# The site's languages (settings.LANGUAGES), without importing the settings.
LANGUAGES = ("en", "nl", "de", "fr", "es")
# What holds no text for fans: the tests, the development tools (the demo
# data is data), the benchmark, the docs, what is installed or generated.
EXTRACT_IGNORE = (
    ".venv", "var", "bench", "docs", "test-artifacts", "node_modules", "*/tests",
    "marketplace/devtools", "conftest.py",
)  # fmt: skip


def extract(root: Path = ROOT, languages=LANGUAGES) -> None:
    """Django's makemessages over the tree at `root`: every marked string into
    each language's catalogue (new ones untranslated), none that is gone."""
    command = [sys.executable, "manage.py", "makemessages", "--no-obsolete"]
    command += [f"--locale={language}" for language in languages]
    command += [f"--ignore={pattern}" for pattern in EXTRACT_IGNORE]
    subprocess.run(command, cwd=root, check=True, capture_output=True)  # noqa: S603


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


def catalogue_read(language: str):
    with catalogue_path(language).open("rb") as po:
        return read_po(po, locale=language, abort_invalid=True)


def compile_all() -> list[Path]:
    """Write each catalogue's .mo beside it; returns the files written."""
    written = []
    for language in LANGUAGES:
        source = catalogue_path(language)
        if not source.exists():
            continue
        target = source.with_suffix(".mo")
        catalogue = catalogue_read(language)
        with target.open("wb") as mo:
            write_mo(mo, catalogue, use_fuzzy=False)
        written.append(target)
    return written


def english_fill() -> int:
    """English is the source: its catalogue reads each msgid as its own
    translation (plural forms too), so it is complete by construction."""
    from babel.messages.pofile import write_po

    catalogue = catalogue_read("en")
    filled = 0
    for message in catalogue:
        if not message.id:
            continue
        wanted = tuple(message.id) if isinstance(message.id, tuple) else message.id
        if message.string != wanted or message.fuzzy:
            message.string = wanted
            message.flags.discard("fuzzy")
            filled += 1
    with catalogue_path("en").open("wb") as po:
        write_po(po, catalogue, width=0, include_previous=False)
    return filled


def catalogue_problems(language: str) -> list[str]:
    """Each entry of `language`'s catalogue that is untranslated (any plural
    form), fuzzy, obsolete, or whose placeholders differ from its source."""
    path = catalogue_path(language)
    if not path.exists():
        return [f"{language}: no catalogue at {path.relative_to(ROOT)}"]
    catalogue = catalogue_read(language)
    problems = [
        f"{language}: obsolete entry {message.id!r}" for message in catalogue.obsolete.values()
    ]
    for message in catalogue:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"{language}: fuzzy entry {message.id!r}")
        elif not all(strings):
            problems.append(f"{language}: untranslated entry {message.id!r}")
        else:
            problems += [
                f"{language}: {message.id!r}: {error}"
                for error in catalogue_check(catalogue, message)
            ]
    return problems


def catalogue_check(catalogue, message) -> list[str]:
    """Babel's checkers (python-format placeholders kept, plural forms count)."""
    return [str(error) for error in message.check(catalogue)]


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "extract":
        extract()
        return 0
    if command == "compile":
        for path in compile_all():
            print(f"compiled {path.relative_to(ROOT)}")
        return 0
    if command == "english":
        print(f"English catalogue: {english_fill()} entries filled")
        return 0
    if command == "problems":
        problems = [problem for language in LANGUAGES for problem in catalogue_problems(language)]
        print("\n".join(problems) or "every catalogue is complete")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
