"""Counting polls: quorum, threshold, plurality and instant runoff, without a chat."""

from __future__ import annotations

from linli.plugins.council.tally import count, instant_runoff

YESNO = ["yes", "no", "abstain"]


def test_a_yes_no_question_passes_with_more_than_half_of_those_who_vote():
    ballots = {"a": [0], "b": [0], "c": [1], "d": [2]}
    result = count("yesno", YESNO, ballots, electorate=6, quorum=0.5, threshold=0.5)
    assert (result.counts, result.turnout, result.quorum_met, result.outcome) == ((2, 1, 1), 4, True, "rejected")
    ballots["d"] = [0]
    assert count("yesno", YESNO, ballots, electorate=6, quorum=0.5, threshold=0.5).outcome == "passed"


def test_exactly_half_taking_part_is_no_quorum():
    result = count("yesno", YESNO, {"a": [0], "b": [0]}, electorate=4, quorum=0.5, threshold=0.5)
    assert (result.quorum_met, result.outcome) == (False, "no_quorum")


def test_empty_ballots_do_not_count_and_the_electorate_is_never_below_the_turnout():
    result = count("single", ["A", "B"], {"a": [1], "b": []}, electorate=0, quorum=0.5, threshold=0.5)
    assert (result.turnout, result.electorate, result.outcome) == (1, 1, "B")


def test_a_tie_decides_nothing():
    result = count("multiple", ["A", "B", "C"], {"a": [0, 1], "b": [1, 0]}, electorate=2, quorum=0.5, threshold=0.5)
    assert (result.counts, result.outcome) == ((2, 2, 0), "tie")


def test_instant_runoff_moves_the_votes_of_the_eliminated_option():
    rankings = [[0, 1], [0, 1], [1, 0], [1, 0], [2, 1]]
    assert instant_runoff(3, rankings) == (1, ((2, 2, 1), (2, 3, 0)))
    result = count(
        "ranked", ["A", "B", "C"], {str(i): r for i, r in enumerate(rankings)}, electorate=5, quorum=0.5, threshold=0.5
    )
    assert (result.counts, result.outcome, len(result.rounds)) == ((2, 2, 1), "B", 2)


def test_instant_runoff_with_all_options_tied_has_no_winner():
    assert instant_runoff(2, [[0], [1]])[0] is None
