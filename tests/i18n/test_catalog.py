"""Each language's catalog has every string the code and templates mark: extraction runs as
``make translations-update`` runs it, into a temporary file, and the catalogs are compared with
it. A missing, empty or fuzzy translation, or one whose placeholders differ, fails."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from lms.config import PROJECT_ROOT
from lms.i18n import CATALOG, SOURCE_LOCALE, TRANSLATIONS_DIR, discover_locales
from tests.i18n.conftest import pending

PLACEHOLDER = re.compile(r"%\([A-Za-z_]+\)[sd]|%%")


def _make_variable(name: str) -> str:
    """A variable of the Makefile, so the test extracts exactly as the build does."""
    text = (PROJECT_ROOT / "Makefile").read_text()
    return re.search(rf"^{name} := (.*)$", text, re.MULTILINE).group(1).strip()


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Catalog:
    out = tmp_path_factory.mktemp("extract") / "messages.pot"
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run(
        [str(pybabel), "extract", "-F", "babel.cfg", *_make_variable("BABEL_KEYWORDS").split(),
         f"--ignore-dirs={_make_variable('BABEL_IGNORE_DIRS')}", "--add-location=file",
         "-o", str(out), "."],
        cwd=PROJECT_ROOT, check=True, capture_output=True, text=True, timeout=300)
    with out.open("rb") as handle:
        return read_po(handle)


def _languages() -> list[str]:
    return [name for name in discover_locales(TRANSLATIONS_DIR) if name != SOURCE_LOCALE]


def test_the_catalogs_are_found_from_the_translations_folder():
    assert "zh_Hans" in _languages()


def test_extraction_finds_the_strings_of_python_templates_and_partials(extracted):
    where = {path for message in extracted for path, _line in message.locations}
    for expected in ("lms/auth/views.py", "courses/forms.py", "templates/base.html",
                     "templates/_macros/charts.html", "templates/_partials/language.html",
                     "lms/statuses.py",
                     "templates/pdf/certificate.html"):
        assert expected in where, expected
    assert extracted.get("Certificate of Completion") is not None
    assert extracted.get("Next", context="the step to do next") is not None


@pytest.mark.parametrize("language", _languages())
def test_every_marked_string_is_translated(extracted, language):
    with (TRANSLATIONS_DIR / language / CATALOG).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    problems = []
    for message in extracted:
        if not message.id:
            continue
        places = sorted({path for path, _line in message.locations})
        if places and all(pending(path) for path in places):
            continue  # an area still being written (tests/i18n/conftest.py)
        label = f"{message.id!r} ({', '.join(places)})"
        found = catalog.get(message.id, context=message.context)
        if found is None:
            problems.append(f"missing: {label}")
            continue
        strings = found.string if isinstance(found.string, tuple) else (found.string,)
        if found.fuzzy:
            problems.append(f"fuzzy (check it, then remove the fuzzy flag): {label}")
        elif not all(strings):
            problems.append(f"not translated: {label}")
        else:
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            wanted = set(PLACEHOLDER.findall(ids[-1]))
            for text in strings:
                if set(PLACEHOLDER.findall(text)) != wanted:
                    problems.append(f"placeholders differ ({text!r}): {label}")
    assert not problems, (
        f"{language}: {len(problems)} strings need work (docs/translating.md):\n  "
        + "\n  ".join(problems))


@pytest.mark.parametrize("language", _languages())
def test_plural_forms_match_the_language(language):
    """Chinese has one plural form: one msgstr per plural message, and a header that says so."""
    with (TRANSLATIONS_DIR / language / CATALOG).open("rb") as handle:
        catalog = read_po(handle, locale=language)
    if language.startswith("zh"):
        assert catalog.plural_forms == "nplurals=1; plural=0;"
    for message in catalog:
        if message.pluralizable and message.string:
            assert len(message.string) == catalog.num_plurals, message.id
