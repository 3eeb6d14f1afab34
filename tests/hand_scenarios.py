"""Small scenarios whose answers are worked out by hand, shared by the tests
of the forecast, its summaries, the explanation, the compiler and the sampler.

Every expected number derived from them comes from the arithmetic in the
comments and docstrings (and the logit formula ``p(a) = exp(lam u_a) /
sum_b exp(lam u_b)``, Gambit's convention: payoffs on their raw scale),
never from an earlier run of the package.
"""

from __future__ import annotations

import math

from scipy.optimize import brentq


def sigma(x: float) -> float:
    """The two-action logit choice: exp(x) / (exp(x) + 1)."""
    return 1.0 / (1.0 + math.exp(-x))


# ---------------------------------------------------------------------------
# ENTRY: the entrant enters or stays out; after entry the incumbent fights or
# accommodates.
ENTRY = """\
id: entry
sources: {s: Textbook entry deterrence}
actors: {ent: Entrant, inc: Incumbent}
parameters:
  profit: {dist: fixed, value: 2, source: s}
  fight_cost: {dist: fixed, value: 1, source: s}
moves:
  - id: entry
    actor: ent
    actions: [enter, stay_out]
  - id: reply
    actor: inc
    when: "ent == enter"
    actions: [fight, accommodate]
payoffs:
  ent:
    market: "where(ent == enter, where(inc == accommodate, profit, -1), 0)"
  inc:
    monopoly: "4 * (ent == stay_out)"
    share: "2 * (inc == accommodate)"
    war: "-fight_cost * (inc == fight)"
metrics:
  fought: "inc == fight"
  entrant_profit: "where(ent == enter, where(inc == accommodate, profit, -1), 0)"
"""


def entry_qre(lam: float) -> tuple[float, float]:
    """(P(enter), P(accommodate | enter)) of the agent QRE, by hand.

    The incumbent compares accommodate (2) with fight (-1): a gap of 3, so
    P(acc) = sigma(3 lam). The entrant's value of entering is
    2 P(acc) - (1 - P(acc)) = 3 P(acc) - 1 against 0 for staying out, so
    P(enter) = sigma(lam (3 P(acc) - 1)).
    """
    p_acc = sigma(3 * lam)
    p_enter = sigma(lam * (3 * p_acc - 1))
    return p_enter, p_acc


# ---------------------------------------------------------------------------
# GAMBLE: a chance move that depends on a parameter and on the first action,
# a move that happens only after one outcome, derived values.
GAMBLE = """\
id: gamble
sources: {s: Worked example}
actors: {att: Attacker, def: Defender}
parameters:
  p_base: {dist: fixed, value: 0.3, source: s}
  bonus: {dist: fixed, value: 0.4, source: s}
  prize: {dist: fixed, value: 10, source: s}
  cost: {dist: fixed, value: 3, source: s}
  resist_cost: {dist: fixed, value: 12, source: s}
moves:
  - id: push
    actor: att
    actions: [hard, soft]
  - id: luck
    chance:
      win: "clip(p_base + bonus * (att == hard), 0, 1)"
      lose: "1 - clip(p_base + bonus * (att == hard), 0, 1)"
  - id: answer
    actor: def
    when: "luck == win"
    actions: [concede, resist]
derived:
  won: "luck == win and def == concede"
  spent: "cost * (att == hard)"
payoffs:
  att:
    prize: "prize * won"
    effort: "-spent"
  def:
    loss: "-prize * won"
    fight: "-resist_cost * (def == resist)"
metrics:
  won: "won"
  spent: "spent"
"""


def gamble_qre(lam: float) -> tuple[float, float]:
    """(P(hard), P(concede | win)) of the agent QRE, by hand.

    Defender at a win: concede -10, resist -12: P(concede) = sigma(2 lam).
    Attacker: hard is worth 0.7 * 10 P(c) - 3, soft 0.3 * 10 P(c):
    P(hard) = sigma(lam (4 P(c) - 3)).
    """
    p_c = sigma(2 * lam)
    return sigma(lam * (4 * p_c - 3)), p_c


# ---------------------------------------------------------------------------
# PENNIES: asymmetric matching pennies, a simultaneous move.
PENNIES = """\
id: pennies
actors: {row: Row, col: Column}
moves:
  - id: stage
    actors:
      row: [up, down]
      col: [left, right]
payoffs:
  row:
    match: "2 * (row == up and col == left) + (row == down and col == right)"
  col:
    mismatch: "(row == up and col == right) + (row == down and col == left)"
metrics:
  matched: "(row == up) == (col == left)"
"""


def pennies_qre(lam: float) -> tuple[float, float]:
    """(p, q) = (P(up), P(left)) at the logit QRE, by hand.

    Row's gain of up over down is 2q - (1 - q) = 3q - 1, Column's of left
    over right is (1 - p) - p = 1 - 2p, so p = sigma(lam (3q - 1)) and
    q = sigma(lam (1 - 2p)); substituting q gives one equation in p, whose
    left side minus right side increases in p: one root in (0, 1).
    """

    def gap(p: float) -> float:
        return p - sigma(lam * (3 * sigma(lam * (1 - 2 * p)) - 1))

    p = brentq(gap, 0.0, 1.0, xtol=1e-15, rtol=1e-15)
    return p, sigma(lam * (1 - 2 * p))


# ---------------------------------------------------------------------------
# THRESHOLD: the choice flips where a uniform parameter crosses 0.3.
THRESHOLD = """\
id: threshold
sources: {s: Worked example}
actors: {a: Actor}
parameters:
  t: {dist: uniform, low: 0, high: 1, source: s}
moves:
  - id: choice
    actor: a
    actions: [act, wait]
payoffs:
  a:
    gain: "(t - 0.3) * (a == act)"
metrics:
  acted: "a == act"
"""


CHOICE = """\
id: choice
title: Alpha picks the larger of two values
actors:
  a: {name: Alpha}
sources:
  s: {cite: Hand calculation}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
  w: {dist: pert, low: 0, mode: 0.3, high: 1, source: s}
  k: {dist: fixed, value: 2, source: s}
moves:
  - id: pick
    actor: a
    actions: [left, right]
payoffs:
  a:
    gain: "x * (a == left) + w * (a == right)"
metrics:
  m: {expr: "x", unit: share}
solve: {concept: spe, lambda: 3}
"""
