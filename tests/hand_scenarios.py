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


# ---------------------------------------------------------------------------
# SIGNAL: a sender of private type (strong with probability 0.6) sends A or
# B; a strong sender gains 1 from A, a weak one 1 from B, whatever happens
# next, so its logit choice needs no fixed point: P(A | strong) =
# sigma(lam), P(A | weak) = sigma(-lam). The receiver sees the signal, not
# the type, and fights (+1 against a weak sender, -1 against a strong one)
# or yields (0): after A it believes P(strong | A) = 0.6 sigma(lam) /
# (0.6 sigma(lam) + 0.4 sigma(-lam)) (Bayes' rule) and fights with
# probability sigma(lam (1 - 2 P(strong | A))); likewise after B.
SIGNAL = """\
id: signal
sources: {s: Hand calculation}
actors: {snd: Sender, rcv: Receiver}
parameters:
  p_strong: {dist: fixed, value: 0.6, source: s}
types:
  snd:
    strong: p_strong
    weak: "1 - p_strong"
moves:
  - id: message
    actor: snd
    actions: [A, B]
  - id: reply
    actor: rcv
    actions: [fight, yield_]
payoffs:
  snd:
    taste: "(snd.type == strong and message == A) + (snd.type == weak and message == B)"
  rcv:
    win: "where(snd.type == weak, 1, -1) * (reply == fight)"
"""


def signal_qre(lam: float) -> dict[str, float]:
    """The SIGNAL scenario's agent QRE and beliefs by hand (see above)."""
    p_a = {"strong": sigma(lam), "weak": sigma(-lam)}
    prior = {"strong": 0.6, "weak": 0.4}
    out: dict[str, float] = {}
    for signal, p_signal in (("A", p_a), ("B", {t: 1 - v for t, v in p_a.items()})):
        mass = sum(prior[t] * p_signal[t] for t in prior)
        strong = prior["strong"] * p_signal["strong"] / mass
        out[f"P(strong|{signal})"] = strong
        out[f"P({signal})"] = mass
        out[f"P(fight|{signal})"] = sigma(lam * (1 - 2 * strong))
    return out


# COMPOUND: a third state picks its UN stance and whether it evades sanctions
# jointly (condemning while evading is ruled out); evasion is seen by no one
# but may be detected (probability 0.4); the West sees the stance and the
# detection, not the evasion, and sanctions or not.
COMPOUND = """\
id: compound
sources: {s: Worked example}
actors: {ch: Third state, we: West}
parameters:
  gain: {dist: fixed, value: 1.5, source: s}
  p_detect: {dist: fixed, value: 0.4, source: s}
moves:
  - id: stance
    actor: ch
    dimensions:
      un: [condemn, abstain]
      trade: {levels: [abide, evade], observed_by: []}
    allow: "not (un == condemn and trade == evade)"
  - id: detection
    chance:
      seen: "p_detect * (stance.trade == evade)"
      unseen: "1 - p_detect * (stance.trade == evade)"
  - id: reply
    actor: we
    actions: [nothing, sanction]
payoffs:
  ch:
    rents: "gain * (ch.trade == evade)"
    status: "0.5 * (ch.un == abstain)"
    hit: "-3 * (reply == sanction)"
  we:
    credibility: "(reply == sanction) * where(stance.trade == evade, 1, -1)"
"""


# ROUNDS: a stage (the third state helps or not, then the West lists entities
# or holds) played twice, round 2 discounted by delta = 0.9. The West lists
# after help (1 > 0) and holds otherwise (-0.5 < 0); the third state gains 1
# from helping but loses 2 if listed. Nothing carries over into the payoffs,
# so each round is the one-shot stage game with round r's payoffs scaled by
# delta ** (r - 1): at precision lam, P(list | help) = sigma(l), P(list |
# stay out) = sigma(-0.5 l), P(help) = sigma(l (1 - 2 sigma(l) + 2 sigma(-0.5 l)))
# with l = lam delta ** (r - 1). The state counts the listings.
ROUNDS = """\
id: two-rounds
sources: {s: Hand calculation}
actors: {we: West, ch: Third state}
parameters:
  gain: {dist: fixed, value: 1, source: s}
  delta: {dist: fixed, value: 0.9, source: s}
moves:
  - id: help
    actor: ch
    actions: [stay_out, assist]
  - id: package
    actor: we
    actions: [hold, list_entities]
rounds:
  count: 2
  stage: [help, package]
  discount: delta
  state:
    listed: {initial: "0", next: "listed + (package == list_entities)"}
payoffs:
  ch:
    rents: {expr: "gain * (help == assist) - 2 * (package == list_entities)", per_round: true}
  we:
    credibility:
      expr: "(package == list_entities) * where(help == assist, 1, -0.5)"
      per_round: true
metrics:
  listed_by_end: "listed >= 1"
"""


def rounds_qre(lam: float, delta: float = 0.9) -> dict[str, float]:
    """The ROUNDS scenario by hand (see above): P(help) and P(list) per round,
    and the probability of at least one listing."""
    out: dict[str, float] = {}
    none = 1.0
    for r in (1, 2):
        lam_r = lam * delta ** (r - 1)
        help_ = sigma(lam_r * (1 - 2 * sigma(lam_r) + 2 * sigma(-0.5 * lam_r)))
        listing = help_ * sigma(lam_r) + (1 - help_) * sigma(-0.5 * lam_r)
        out[f"help@{r}"], out[f"list@{r}"] = help_, listing
        none *= 1 - listing
    out["listed"] = 1 - none
    return out
