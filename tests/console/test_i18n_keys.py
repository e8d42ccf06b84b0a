"""The console's words: every key of the string tables (the main one and the verify
page's own) is used by some template or code, every key a template or the code asks for
exists in Chinese and in English, and both languages have the same keys."""

from __future__ import annotations

import html
import re
from pathlib import Path

from api.console import i18n, verify_texts
from tests.console.conftest import ConsoleWorld

CONSOLE = Path(i18n.__file__).resolve().parent
#: The tables themselves (a key named there is defined, not used).
TABLES = {"i18n.py", "i18n_admin.py", "i18n_more.py", "i18n_workbench.py", "verify_texts.py"}
LANGS = ("zh", "en")


def _sources() -> dict[str, str]:
    files = [*CONSOLE.rglob("*.html"), *CONSOLE.rglob("*.py"), *CONSOLE.rglob("*.js")]
    return {
        str(path.relative_to(CONSOLE)): path.read_text(encoding="utf-8")
        for path in files
        if path.name not in TABLES and "vendor" not in path.parts
    }


SOURCES = _sources()
EVERYTHING = "\n".join(SOURCES.values())
#: ``t('key' ...)`` in a template, ``i18n.t(lang, "key" ...)`` in code
ASKED = re.compile(r"""(?:\bt\(\s*|\bi18n\.t\(\s*\w+\s*,\s*)['"]([a-z][a-z0-9_]*)['"]\s*[,)]""")
#: ``t('prefix_' ~ x)``: a key built from a prefix and a value
BUILT = re.compile(r"""\bt\(\s*['"]([a-z][a-z0-9_]*_)['"]\s*[~+]""")
#: the verify page's words: ``vt.key`` or ``vt['prefix_' ~ x]``
VT_ASKED = re.compile(r"\bvt\.([a-z][a-z0-9_]*)")
VT_BUILT = re.compile(r"""\bvt\[\s*['"]([a-z][a-z0-9_-]*)['"]\s*[~+]""")
LITERAL = re.compile(r"""['"]([a-z][a-z0-9_-]*)['"]""")


def _keys(table: dict[str, dict[str, str]]) -> set[str]:
    return set(table["zh"]) | set(table["en"])


def test_both_languages_have_the_same_keys() -> None:
    for name, table in (("strings", i18n.STRINGS), ("errors", i18n.ERRORS),
                        ("statuses", i18n.STATUS_NAMES),
                        ("verify", verify_texts.TEXTS)):  # fmt: skip
        assert set(table["zh"]) ^ set(table["en"]) == set(), name
        empty = [k for lang in LANGS for k, v in table[lang].items() if not str(v).strip()]
        assert empty == [], name


def test_every_key_a_template_or_the_code_asks_for_exists_in_both_languages() -> None:
    asked = {key for text in SOURCES.values() for key in ASKED.findall(text)}
    assert len(asked) > 200  # the walk reads the templates and the code
    for lang in LANGS:
        missing = sorted(k for k in asked if k not in i18n.STRINGS[lang])
        assert missing == [], (lang, missing)
    for prefix in {p for text in SOURCES.values() for p in BUILT.findall(text)}:
        built = {lang: {k for k in i18n.STRINGS[lang] if k.startswith(prefix)} for lang in LANGS}
        assert built["zh"] and built["zh"] == built["en"], prefix
    vt_asked = {key for text in SOURCES.values() for key in VT_ASKED.findall(text)}
    for lang in LANGS:
        assert vt_asked <= set(verify_texts.TEXTS[lang]), (lang, vt_asked)


def test_every_key_is_used_by_some_template_or_code() -> None:
    named = set(LITERAL.findall(EVERYTHING)) | set(VT_ASKED.findall(EVERYTHING))
    prefixes = set(BUILT.findall(EVERYTHING)) | set(VT_BUILT.findall(EVERYTHING))

    def used(key: str) -> bool:
        return key in named or any(key.startswith(p) for p in prefixes)

    unused = sorted(k for k in _keys(i18n.STRINGS) if not used(k))
    assert unused == [], unused
    unused_vt = sorted(k for k in _keys(verify_texts.TEXTS) if not used(k))
    assert unused_vt == [], unused_vt


def test_the_verify_page_shows_its_help_and_drop_zone_in_either_language(
    console: ConsoleWorld,
) -> None:
    """/verify says how to check a certificate and what the drop zone takes (PDF, QR
    picture or JSON), in the page's language; the older JSON-only keys are gone."""
    for lang in LANGS:
        page = console.browser().get(f"/verify?lang={lang}")
        assert page.status_code == 200
        words = verify_texts.texts(lang)
        assert words["verify_help_any"] in html.unescape(page.text), lang
        drop = re.search(r'<div class="dropzone" data-verify-drop>([^<]+)<', page.text)
        assert drop and html.unescape(drop[1]).strip() == words["drop_any"], lang
    assert (
        "PDF" in verify_texts.texts("en")["drop_any"]
        and "二维码" in verify_texts.texts("zh")["drop_any"]
    )
    for gone in ("verify_help", "drop_here"):
        assert gone not in _keys(i18n.STRINGS)
