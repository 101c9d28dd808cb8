"""The sales ledger: products and brands, sales with quantities, prices and dates, revenue to the
collective and to households of the register, monthly totals in chat (and in the village room on
the 1st); money in fen, never a float."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rural_work_helpers import make

from linli.plugins.rural.enterprise_tables import sale_shares, sales


@pytest.fixture
def village(tmp_path):
    chat = make(tmp_path)
    chat.say("曲书记", "/product 大米 斤 雅河硕丰")
    chat.say("曲书记", "/product 草莓 斤")
    yield chat
    chat.close()


def counts(chat) -> tuple[int, int]:
    with chat.runtime.store.connect() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(sales)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(sale_shares)).scalar_one(),
        )


def test_a_sale_is_recorded_and_the_months_totals_add_up(village):
    assert village.say("队员", "/sale 大米 500 3.5 沈阳海关食堂 2026-11-20") == [
        "Sale #1 on 2026-11-20: 500 斤 of 大米（雅河硕丰） to 沈阳海关食堂 at ¥3.50, ¥1,750.00 in all, to the "
        "collective. Give households their part with /share 1 HOUSEHOLD AMOUNT."
    ]
    village.say("队员", "/sale 草莓 120.5 18 丹东 鲜果 超市")  # today, 26 November; a buyer's name with a space
    village.say("队员", "/sale 雅河硕丰 0.1 0.05 试吃 2026-10-31")  # October, ¥0.005 rounds to ¥0.01
    village.say("队员", "/share 1 一组/12 800", private=True)
    village.say("队员", "/share 2 15 1000.50")
    assert village.say("乡镇", "/sales") == [
        "Sales in 2026-11: 2 sales, ¥3,919.00 in all. "
        "To the collective ¥2,118.50; to households ¥1,800.50 (households paid: 2).\n"
        "· 草莓 120.5 斤 · ¥2,169.00\n"
        "· 大米（雅河硕丰） 500 斤 · ¥1,750.00"
    ]
    assert village.say("乡镇", "/sales 2026-10") == [
        "Sales in 2026-10: 1 sale, ¥0.01 in all. To the collective ¥0.01; to households ¥0.00 (households paid: 0).\n"
        "· 大米（雅河硕丰） 0.1 斤 · ¥0.01"
    ]
    assert village.say("乡镇", "/sales 2026-09") == ["Sales in 2026-09: none recorded."]
    assert village.say("乡镇", "/sales", private=True)[0].endswith(
        "To each household:\n一组/15 · ¥1,000.50\n一组/12 · ¥800.00"
    )
    with village.runtime.store.connect() as conn:
        assert conn.execute(sa.select(sales.c.amount_fen).order_by(sales.c.id)).scalars().all() == [175000, 216900, 1]


def test_a_households_part_is_told_privately_and_never_named_in_the_group(village):
    village.say("队员", "/sale 大米 500 3.5 沈阳海关食堂")
    assert village.say("队员", "/share 1 一组/12 800", private=True) == [
        "Household 一组/12 gets ¥800.00 of sale #1; the collective keeps ¥950.00."
    ]
    assert village.say("队员", "/share 1 二组/3 50") == [
        "Recorded: a household's part of sale #1; the collective keeps ¥900.00."
    ]
    assert not [m for m in village.in_room("group") if "二组" in m or "¥50.00" in m]


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        ("/sale 大米 -5 3.5 食堂", "-5 is not a quantity: a number above zero, like 500 or 12.5."),
        ("/sale 大米 500 3.555 食堂", "3.555 is not an amount of money: write it like 3.5 or 6400."),
        ("/sale 大米 500 abc 食堂", "abc is not an amount of money: write it like 3.5 or 6400."),
        ("/sale 大米 500 3.5 食堂 2026-13-01", "2026-13-01 is not a date; write it as 2029-05-31."),
        ("/sale 大米 500 3.5 食堂 2026-12-01", "A sale cannot be dated after today."),
        ("/sale 玉米 500 3.5 食堂", "There is no product 玉米. Add it with /product NAME UNIT [BRAND]."),
        ("/sale 大米 500 3.5", "Usage: /sale PRODUCT QUANTITY PRICE BUYER [DATE]"),
        ("/sale 大米 1000000000 100000000 食堂", "That amount is too large; check the quantity and the price."),
        ("/share 1 三组/9 100", "There is no household 三组/9 in the register; write it as GROUP/DOOR, like 一组/12."),
        ("/share 1 一组/12 1750.01", "Sale #1 has only ¥1,750.00 left to give (of ¥1,750.00); nothing was recorded."),
        ("/share 7 一组/12 10", "There is no sale #7."),
        ("/share 1 一组/12 0", "0 is not an amount of money: write it like 3.5 or 6400."),
    ],
)
def test_bad_sales_input_gets_a_clear_answer_and_nothing_changes(village, line, answer):
    village.say("队员", "/sale 大米 500 3.5 沈阳海关食堂")
    assert village.say("队员", line)[0].startswith(answer)
    assert counts(village) == (1, 0)


def test_last_months_totals_reach_the_village_room_on_the_first(village):
    village.say("队员", "/sale 大米 500 3.5 沈阳海关食堂")
    village.run_jobs()
    village.advance(days=5, hours=1)  # 1 December, 10:00
    village.run_jobs()
    assert village.in_room("village") == [
        "Sales in 2026-11: 1 sale, ¥1,750.00 in all. "
        "To the collective ¥1,750.00; to households ¥0.00 (households paid: 0).\n"
        "· 大米（雅河硕丰） 500 斤 · ¥1,750.00"
    ]
    village.advance(days=31)  # 1 January: December had no sales, the room is not bothered
    village.run_jobs()
    assert len(village.in_room("village")) == 1


def test_a_product_with_several_brands_is_named_with_its_brand(village):
    village.say("曲书记", "/product 大米 斤 联合村")
    assert village.say("队员", "/sale 大米 1 3 食堂")[0].startswith(
        "Several products are called 大米; write NAME/BRAND"
    )
    assert village.say("队员", "/sale 大米/联合村 1 3 食堂")[0].startswith(
        "Sale #1 on 2026-11-26: 1 斤 of 大米（联合村）"
    )
