"""Translations: every message has Chinese, the catalogs are compiled, people hear their language."""

from __future__ import annotations

import ast
import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from linli.core.i18n import LOCALE_DIR, N_, translator
from linli.locale import catalogs
from linli.testing import ChatHarness

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "linli"
#: the marking functions, written out as a translator would pass them to pybabel (-k ...)
KEYWORDS = {"t": None, "tr": None, "plural": (1, 2), "N_": None, "_t": None}
HAN = re.compile(r"[\u4e00-\u9fff]")
REFRESH = "run `make catalogs` (or `python -m linli.locale.catalogs`) and translate what it lists"


def po(language: str) -> Catalog:
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "linli.po", "rb") as f:
        return read_po(f, locale=language, domain="linli")


@pytest.fixture(scope="module")
def source_messages(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """Every marked string of the package, extracted with Babel into a throwaway .pot."""
    template = Catalog(fuzzy=False)

    def wanted(directory: str) -> bool:  # Babel skips "_cli" on its own: folders starting with "_"
        parts = Path(directory).relative_to(PACKAGE).parts
        return not any(p.startswith(".") or p == "__pycache__" for p in parts)

    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE),
        [("**.py", "python"), ("web/templates/**.html", "jinja2")],  # as babel.cfg
        keywords=KEYWORDS,
        directory_filter=wanted,
    ):
        template.add(message, None, [(f"linli/{filename}", lineno)], auto_comments=comments, context=context)
    pot = tmp_path_factory.mktemp("pot") / "linli.pot"
    with open(pot, "wb") as f:
        write_po(f, template)
    with open(pot, "rb") as f:
        return read_po(f)


# --- the catalogs keep up with the code ----------------------------------------------------


def test_extraction_finds_messages_in_every_kind_of_marking(source_messages: Catalog) -> None:
    ids = {m.id for m in source_messages}
    assert "Send /help to see what I can do for you." in ids  # N_ passed to a helper (dispatcher)
    assert "Show what you can do here" in ids  # N_ in a decorator's keyword argument
    assert "Thank you. Send /help to see what you can do here." in ids  # ctx.t(...)
    assert "Your roles here: {roles}" in ids  # t = ctx.t; t(...)
    assert any(loc.startswith("linli/_cli/") for m in source_messages for loc, _ in m.locations), (
        "nothing was extracted from linli/_cli: Babel skips folders starting with '_' unless told not to"
    )
    roles = source_messages.get("Sorry, /{command} is only for: {roles}.")
    assert roles is not None and "python-brace-format" in roles.flags


def test_every_message_in_the_source_has_a_chinese_translation(source_messages: Catalog) -> None:
    chinese = po("zh_CN")
    missing = []
    for message in source_messages:
        if not message.id:
            continue
        translated = chinese.get(message.id, message.context)
        strings = (
            translated.string
            if translated and isinstance(translated.string, tuple)
            else ((translated.string,) if translated else ("",))
        )
        if translated is None or translated.fuzzy or not all(strings):
            where = ", ".join(sorted({f for f, _ in message.locations}))
            missing.append(f"  {message.id!r} ({where})")
    assert not missing, f"{len(missing)} message(s) have no checked Chinese translation; {REFRESH}:\n" + "\n".join(
        missing
    )


def test_the_refresh_tool_extracts_the_same_messages_as_babel(source_messages: Catalog) -> None:
    assert {m.id for m in catalogs.extract(ROOT) if m.id} == {m.id for m in source_messages if m.id}


def test_no_marked_string_hides_inside_an_f_string() -> None:
    # Babel cannot see into f-strings before Python 3.12: such a message is never translated
    hidden = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fstring in (n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)):
            for call in (n for n in ast.walk(fstring) if isinstance(n, ast.Call)):
                name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                if name in KEYWORDS and call.args and isinstance(call.args[0], ast.Constant):
                    hidden.append(f"  {path.relative_to(ROOT)}:{call.lineno}: {name}({call.args[0].value!r})")
    assert not hidden, "move these calls out of the f-string into a variable, so Babel extracts them:\n" + (
        "\n".join(hidden)
    )


def test_every_name_a_translator_is_given_is_one_the_extraction_looks_for() -> None:
    # ``tr = ctx.translator_for(pid)`` then ``tr("...")``: if ``tr`` were not a keyword, the
    # message would never reach the catalogs and a Chinese reader would get the English text
    unseen = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in (n for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Call)):
            func = node.value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called not in ("translator_for", "translator"):
                continue
            for target in (t for t in node.targets if isinstance(t, ast.Name)):
                if target.id not in KEYWORDS:
                    unseen.append(f"  {path.relative_to(ROOT)}:{node.lineno}: {target.id} = {called}(...)")
    assert not unseen, "name these translators t or tr (catalogs.KEYWORDS), so Babel extracts their texts:\n" + (
        "\n".join(unseen)
    )


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_every_translation_keeps_exactly_the_placeholders_of_its_msgid(language: str) -> None:
    wrong = [
        f"  {m.id!r} -> {m.string!r}"
        for m in po(language)
        if m.id and m.string and catalogs.placeholders(m.id) != catalogs.placeholders(m.string)
    ]
    assert not wrong, f"these {language} translations change the {{placeholders}}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_committed_mo_file_matches_the_po_file(language: str) -> None:
    compiled = io.BytesIO()
    write_mo(compiled, po(language))
    compiled.seek(0)
    with open(LOCALE_DIR / language / "LC_MESSAGES" / "linli.mo", "rb") as f:
        committed = read_mo(f)
    expected = {_key(m.id): m.string for m in read_mo(compiled) if m.id}
    actual = {_key(m.id): m.string for m in committed if m.id}
    assert actual == expected, f"linli/locale/{language}/LC_MESSAGES/linli.mo is stale; {REFRESH}"


def _key(msgid: str | list[str]) -> str | tuple[str, ...]:
    return msgid if isinstance(msgid, str) else tuple(msgid)  # a plural entry's id is its forms


@pytest.mark.parametrize("variant", ["zh_CN@village", "en@village"])
def test_a_variant_catalog_keeps_the_placeholders_of_its_msgids_and_is_compiled(variant: str) -> None:
    path = LOCALE_DIR / variant / "LC_MESSAGES" / "linli.po"
    with open(path, "rb") as f:
        catalog = read_po(f, locale=variant.partition("@")[0], domain="linli")
    template = {_key(m.id) for m in po("zh_CN") if m.id}
    for message in catalog:
        if not message.id:
            continue
        assert _key(message.id) in template, f"{variant}: {message.id!r} is no longer in the code"
        assert catalogs.placeholders(message.string) == catalogs.placeholders(message.id), message.id
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    with open(path.with_suffix(".mo"), "rb") as f:
        committed = {_key(m.id): m.string for m in read_mo(f) if m.id}
    assert committed == {_key(m.id): m.string for m in read_mo(compiled) if m.id}, REFRESH


def test_a_village_reads_its_own_words_and_a_community_the_usual_ones() -> None:
    message = "Thank you! Your suggestion is number {number}; a community worker will answer it."
    assert (
        translator("zh_CN", kind="village")(message, number=3)
        == "谢谢您！您的建议编号是3，村里的工作人员会尽快答复您。"
    )
    assert (
        translator("zh_CN", kind="community")(message, number=3) == "谢谢您！您的建议编号是3，社区工作者会尽快答复您。"
    )
    # what the variant does not reword comes from the language's catalog
    assert translator("zh_CN", kind="village")("Thank you. Send /help to see what you can do here.").startswith("谢谢")
    assert translator("en", kind="village")(message, number=3) == (
        "Thank you! Your suggestion is number 3; the village staff will answer it."
    )
    assert translator("zh_CN", kind="village").language == "zh_CN"  # dates are formatted as zh_CN


def test_the_chinese_catalog_has_the_one_plural_form_of_chinese() -> None:
    assert po("zh_CN").num_plurals == 1
    assert po("en").num_plurals == 2


# --- the translator ---------------------------------------------------------------------------


def test_the_chinese_translator_translates_a_core_message() -> None:
    assert translator("zh_CN")("Send /help to see what I can do for you.") == "发送 /help 看看我能帮您做什么。"


def test_the_english_translator_and_unknown_languages_give_the_english_text() -> None:
    assert translator("en")("Send /help to see what I can do for you.") == "Send /help to see what I can do for you."
    assert translator("fr")("There is nothing to cancel.") == "There is nothing to cancel."


def test_placeholders_are_filled_in_the_translation() -> None:
    text = translator("zh_CN")("Sorry, /{command} is only for: {roles}.", command="answer", roles="staff")
    assert "/answer" in text and "staff" in text and HAN.search(text)


def _catalog(tmp_path: Path, language: str, entries: list[tuple[object, object]]) -> Path:
    catalog = Catalog(locale=language, domain="demo")
    for msgid, msgstr in entries:
        catalog.add(msgid, msgstr)
    target = tmp_path / language / "LC_MESSAGES"
    target.mkdir(parents=True)
    with open(target / "demo.mo", "wb") as f:
        write_mo(f, catalog)
    return tmp_path


def test_plural_uses_the_one_chinese_form_for_every_count(tmp_path: Path) -> None:
    locale_dir = _catalog(
        tmp_path, "zh_CN", [(("{n} suggestion is waiting", "{n} suggestions are waiting"), ("有 {n} 条建议在等待",))]
    )
    t = translator("zh_CN", "demo", str(locale_dir))
    assert t.plural("{n} suggestion is waiting", "{n} suggestions are waiting", 1) == "有 1 条建议在等待"
    assert t.plural("{n} suggestion is waiting", "{n} suggestions are waiting", 5) == "有 5 条建议在等待"


def test_plural_in_english_picks_the_form_by_count() -> None:
    t = translator("en")
    assert t.plural("{n} reply", "{n} replies", 1) == "1 reply"
    assert t.plural("{n} reply in {room}", "{n} replies in {room}", 3, room="group") == "3 replies in group"


def test_a_plugin_catalog_falls_back_to_linli_catalog(tmp_path: Path) -> None:
    t = translator("zh_CN", "demo", str(_catalog(tmp_path, "zh_CN", [("Say it back", "原样说回去")])))
    assert t("Say it back") == "原样说回去"
    assert t("There is nothing to cancel.") == translator("zh_CN")("There is nothing to cancel.")


def test_a_translation_with_a_broken_placeholder_falls_back_to_english(tmp_path: Path) -> None:
    t = translator("zh_CN", "demo", str(_catalog(tmp_path, "zh_CN", [("Hello {name}", "您好 {nmae}")])))
    assert t("Hello {name}", name="张三") == "Hello 张三"


def test_dates_are_written_the_way_the_language_writes_them() -> None:
    import datetime as dt

    when = dt.datetime(2026, 11, 26, 0, 30, tzinfo=dt.UTC)
    assert translator("zh_CN").datetime(when, "Asia/Shanghai", "long").startswith("2026年11月26日")
    assert translator("en").datetime(when, "Asia/Shanghai", "medium").startswith("Nov 26, 2026")


def test_importing_and_translating_does_not_load_babel() -> None:
    code = textwrap.dedent("""
        import sys
        from linli.core.i18n import translator
        translator("zh_CN")("There is nothing to cancel.")
        print(sorted(m for m in sys.modules if m.split(".")[0] == "babel"))
    """)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert out.stdout.strip() == "[]"


# --- people hear their language -------------------------------------------------------------


def test_help_is_chinese_in_a_chinese_district(chat: ChatHarness) -> None:
    zh = translator("zh_CN")
    reply = chat.say("张三", "/help")[-1]
    assert reply.splitlines()[0] == zh("{district}: what you can do here", district="测试社区")
    assert f"/help — {zh(N_('Show what you can do here'))}" in reply
    assert "what you can do" not in reply and HAN.search(reply.splitlines()[-1])


def test_help_is_english_in_an_english_district(tmp_path: Path) -> None:
    harness = ChatHarness(tmp_path, language="en")
    try:
        reply = harness.say("Alice", "/help")[-1]
    finally:
        harness.close()
    assert reply.splitlines()[0] == "Test Community: what you can do here"
    assert "/help — Show what you can do here" in reply
    assert not HAN.search(reply)


def test_lang_en_switches_one_persons_replies_and_not_the_others(chat: ChatHarness) -> None:
    assert chat.say("张三", "/lang en") == ["From now on I will answer you in English."]
    assert "/help — Show what you can do here" in chat.say("张三", "/help")[-1]
    other = chat.say("李四", "/help")[-1]
    assert "Show what you can do here" not in other and HAN.search(other)
    assert chat.say("张三", "/lang zh") == [translator("zh_CN")("From now on I will answer you in English.")]
    assert HAN.search(chat.say("张三", "/help")[-1])
