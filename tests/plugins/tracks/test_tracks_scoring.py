"""The scoring module on its own: exact figures, and scores and rankings that never depend on
the order the verified results arrived in (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from linli.plugins.tracks.scoring import Band, Indicator, Item, Result, Rules, overall, rank, score, score_track

D = Decimal
RULES = Rules(
    indicators=(
        Indicator("I1", "新增企业", "家", D("33.3"), "linear", target=D(3)),
        Indicator("I2", "满意度", "%", D("33.3"), "bands", bands=(Band(D(60), D("0.6")), Band(D(90), D(1)))),
        Indicator("I3", "制度建成", "", D("33.4"), "yesno"),
    ),
    items=(
        Item("B1", "表彰", "bonus", D("1.5"), cap=D(3)),
        Item("P1", "信访", "penalty", D(2)),
    ),
    max_bonus=D(5),
)
UNITS = ("HP", "SH", "DD", "TX")

results = st.lists(
    st.builds(
        Result,
        unit=st.sampled_from(UNITS),
        code=st.sampled_from(("I1", "I2", "I3", "B1", "P1")),
        value=st.decimals(min_value=0, max_value=200, places=2, allow_nan=False, allow_infinity=False),
        revision=st.integers(min_value=1, max_value=5),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(results, st.randoms(use_true_random=False))
def test_scores_and_rankings_never_depend_on_the_order_results_arrived_in(found, rnd):
    shuffled = list(found)
    rnd.shuffle(shuffled)
    first = score_track(RULES, UNITS, found)
    second = score_track(RULES, UNITS, reversed(shuffled))
    assert first == second
    assert rank(first.values()) == rank(reversed(list(second.values())))


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(UNITS), st.lists(st.decimals(min_value=-10, max_value=110, places=4), min_size=1, max_size=12)
    ),
    st.randoms(use_true_random=False),
)
def test_the_overall_ranking_never_depends_on_the_order_of_tracks_or_units(totals, rnd):
    shuffled = {u: sorted(v, key=lambda _: rnd.random()) for u, v in sorted(totals.items(), key=lambda _: rnd.random())}
    assert overall(totals) == overall(shuffled)


def test_a_score_is_exact_to_the_last_place_with_a_third_of_a_target():
    card = score(RULES, "HP", [Result("HP", "I1", D(1)), Result("HP", "I3", D(1))])
    # 1/3 of the target: 0.3333 × 33.3 = 11.09889 → 11.0989; plus 33.4 for yes
    assert card.lines[0].share == D("0.3333")
    assert card.lines[0].points == D("11.0989")
    assert card.total == D("44.4989")


def test_only_the_latest_revision_of_an_indicator_counts_and_every_award_adds_up_to_its_cap():
    card = score(
        RULES,
        "HP",
        [
            Result("HP", "I1", D(3), 2),
            Result("HP", "I1", D(1), 1),
            *[Result("HP", "B1", D(1))] * 3,
            Result("HP", "P1", D(1)),
        ],
    )
    assert card.base == D("33.3")
    assert card.bonus == D(3)  # 4.5 capped at 3
    assert card.penalty == D(2)
    assert card.total == D("34.3")


def test_bands_take_the_highest_band_reached():
    card = score(RULES, "HP", [Result("HP", "I2", D(75))])
    assert card.lines[1].share == D("0.6") and card.lines[1].points == D("19.98")


def test_ties_go_to_the_higher_indicator_score_then_fewer_penalties_then_share_the_rank():
    cards = score_track(
        RULES,
        ("A", "B", "C", "D"),
        [
            Result("A", "I3", D(1)),  # 33.4
            Result("B", "I1", D(3)),
            Result("B", "B1", D(1)),
            Result("B", "P1", D(1)),  # 33.3 + 1.5 - 2 = 32.8
            Result("C", "I1", D(3)),
            Result("C", "B1", D(1)),
            Result("C", "P1", D(1)),
            Result("D", "I3", D(1)),
        ],
    )
    placed = rank(cards.values())
    assert [(p.unit, p.rank) for p in placed] == [("A", 1), ("D", 1), ("B", 3), ("C", 3)]
