"""Counting a poll: pure functions over the ballots that count, no database and no chat.

The rule of the residents' meeting, by default: the poll is valid when more than half of the
eligible voters (persons or households) take part, and a yes/no question passes when more than
half of those who voted agree (abstaining is taking part). Single and multiple choice go to the
option with the most votes; ranked choice is counted by instant runoff. A tie decides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from attrs import frozen

__all__ = ["Result", "count", "instant_runoff"]

YES, NO, ABSTAIN = 0, 1, 2


@frozen
class Result:
    """What a poll's ballots add up to.

    Attributes:
      counts: votes per option (first preferences for ranked polls).
      turnout: ballots that count (persons or households).
      electorate: eligible voters (persons or households); never below the turnout.
      quorum_met: whether more than ``quorum`` of the electorate took part.
      outcome: ``passed``, ``rejected``, ``no_quorum``, ``tie``, or the winning option's text.
      rounds: for ranked polls, the continuing options' votes in each round of the runoff.
    """

    counts: tuple[int, ...]
    turnout: int
    electorate: int
    quorum_met: bool
    outcome: str
    rounds: tuple[tuple[int, ...], ...] = ()


def count(
    kind: str,
    options: Sequence[str],
    ballots: Mapping[str, Sequence[int]],
    *,
    electorate: int,
    quorum: float,
    threshold: float,
) -> Result:
    """Count ``ballots`` (voter key → picked option indexes, in the voter's order).

    Parameters:
      kind: ``yesno``, ``single``, ``multiple`` or ``ranked``.
      options: the options' texts (for yes/no: ``yes``, ``no``, ``abstain``).
      ballots: the ballot that counts for each voter; empty ballots do not count.
      electorate: how many may vote.
      quorum: the fraction of the electorate that must be exceeded by the turnout.
      threshold: the fraction of the turnout that a yes/no question's "yes" must exceed.
    """
    cast = {k: list(v) for k, v in ballots.items() if v}
    turnout = len(cast)
    electorate = max(electorate, turnout)
    counts = [0] * len(options)
    for picks in cast.values():
        for i in picks[:1] if kind == "ranked" else picks:
            counts[i] += 1
    quorum_met = electorate > 0 and turnout > quorum * electorate
    rounds: tuple[tuple[int, ...], ...] = ()
    if kind == "ranked":
        winner, rounds = instant_runoff(len(options), list(cast.values()))
        decided = options[winner] if winner is not None else "tie"
    elif kind == "yesno":
        decided = "passed" if counts[YES] > threshold * turnout else "rejected"
    else:
        top = max(counts, default=0)
        leaders = [i for i, n in enumerate(counts) if n == top]
        decided = options[leaders[0]] if top and len(leaders) == 1 else "tie"
    return Result(tuple(counts), turnout, electorate, quorum_met, decided if quorum_met else "no_quorum", rounds)


def instant_runoff(n_options: int, rankings: Sequence[Sequence[int]]) -> tuple[int | None, tuple[tuple[int, ...], ...]]:
    """The winner of ranked ballots by instant runoff, and each round's votes per option.

    Each round counts every ballot for its highest-ranked continuing option; an option with more
    than half of the ballots still counting wins; otherwise the options with the fewest votes are
    eliminated together. When all continuing options are tied, nobody wins (``None``).
    """
    continuing = set(range(n_options))
    rounds: list[tuple[int, ...]] = []
    while continuing:
        votes = [0] * n_options
        for ranking in rankings:
            top = next((i for i in ranking if i in continuing), None)
            if top is not None:
                votes[top] += 1
        rounds.append(tuple(votes))
        counted = sum(votes)
        if counted == 0:
            return None, tuple(rounds)
        best = max(continuing, key=lambda i: votes[i])
        if votes[best] * 2 > counted:
            return best, tuple(rounds)
        fewest = min(votes[i] for i in continuing)
        losers = {i for i in continuing if votes[i] == fewest}
        if losers == continuing:
            return None, tuple(rounds)
        continuing -= losers
    return None, tuple(rounds)
