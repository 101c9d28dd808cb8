"""Reading commands out of chat text as people type it on Chinese input methods."""

from __future__ import annotations

import pytest

from linli.core.commands import MAX_NUMBER, ParsedCommand, normalize, parse_command, parse_number

# --- what counts as a command ------------------------------------------------------------


def test_a_plain_slash_command_is_read_with_its_arguments():
    assert parse_command("/suggest 楼道灯坏了") == ParsedCommand("suggest", ("楼道灯坏了",), "楼道灯坏了")


def test_a_full_width_slash_starts_a_command_too():
    parsed = parse_command("／suggest 楼道灯坏了")

    assert parsed is not None
    assert parsed.name == "suggest"
    assert parsed.args == ("楼道灯坏了",)


def test_a_chinese_command_name_is_kept_as_typed():
    parsed = parse_command("／建议　楼道灯坏了")

    assert parsed is not None
    assert parsed.name == "建议"


def test_command_names_are_read_in_lower_case():
    parsed = parse_command("/HeLp")

    assert parsed is not None
    assert parsed.name == "help"


@pytest.mark.parametrize(
    "text",
    ["你好", "", "   ", "/", "／", "/ help", "http://example.org/help", "看看 /help", "/@linli_bot"],
)
def test_text_that_is_not_a_command_is_not_read_as_one(text):
    assert parse_command(text) is None


# --- spaces and quotes ------------------------------------------------------------------


def test_ideographic_spaces_separate_arguments_like_ascii_spaces():
    parsed = parse_command("/answer\u30003\u3000\u3000灯已修好")

    assert parsed is not None
    assert parsed.name == "answer"
    assert parsed.args == ("3", "灯已修好")
    assert parsed.argtext == "3\u3000\u3000灯已修好"  # what the person wrote


def test_full_width_digits_and_letters_become_ascii():
    parsed = parse_command("/answer １２ ＯＫ")

    assert parsed is not None
    assert parsed.args == ("12", "OK")


@pytest.mark.parametrize("quoted", ["“楼道 灯坏了”", "「楼道 灯坏了」", "『楼道 灯坏了』", '"楼道 灯坏了"'])
def test_chinese_quotation_marks_group_words_into_one_argument(quoted):
    parsed = parse_command(f"/议题 {quoted} 三号楼")

    assert parsed is not None
    assert parsed.args == ("楼道 灯坏了", "三号楼")


def test_an_unclosed_quote_reads_the_words_as_they_are():
    parsed = parse_command("/suggest “楼道 灯坏了")

    assert parsed is not None
    assert parsed.args == ("楼道", "灯坏了")
    assert parsed.argtext == "“楼道 灯坏了"


def test_an_apostrophe_in_english_text_does_not_break_the_arguments():
    parsed = parse_command("/suggest the lamp's broken")

    assert parsed is not None
    assert parsed.args == ("the", "lamp's", "broken")


def test_the_argument_text_keeps_chinese_punctuation_and_full_width_forms_as_written():
    parsed = parse_command("／suggest　把“文明养犬”写进公约，ＯＫ？")

    assert parsed is not None
    assert parsed.argtext == "把“文明养犬”写进公约，ＯＫ？"


def test_normalize_collapses_runs_of_mixed_spaces_and_trims():
    assert normalize("\u3000 ／帮助 \u3000\t 一下 ") == "/帮助 一下"


# --- mentions ----------------------------------------------------------------------------


def test_a_bot_mention_is_kept_apart_from_the_command_name():
    parsed = parse_command("/help@linli_bot")

    assert parsed is not None
    assert parsed.name == "help"
    assert parsed.mention == "linli_bot"
    assert parsed.args == ()


def test_a_bot_mention_with_arguments_keeps_the_arguments():
    parsed = parse_command("／suggest@linli_bot　楼道灯坏了")

    assert parsed is not None
    assert (parsed.name, parsed.mention, parsed.args) == ("suggest", "linli_bot", ("楼道灯坏了",))


# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(("word", "number"), [("3", 3), ("#3", 3), ("＃３", 3), ("007", 7), (" 12 ", 12)])
def test_a_number_is_read_from_ascii_or_full_width_digits_with_an_optional_hash(word, number):
    assert parse_number(word) == number


@pytest.mark.parametrize(
    "word",
    ["", "#", "²", "¹²³", "٣", "-1", "+1", "1.5", "1e3", "3号", "0", "##3", "9" * 23, "9" * 5000, str(MAX_NUMBER + 1)],
)
def test_what_is_not_a_whole_number_in_range_is_no_number(word):
    assert parse_number(word) is None


def test_the_largest_number_fits_a_signed_32_bit_column():
    assert parse_number(str(MAX_NUMBER)) == MAX_NUMBER == 2**31 - 1


def test_a_number_outside_the_callers_range_is_refused():
    assert parse_number("31", high=30) is None
    assert parse_number("0", low=0) == 0
