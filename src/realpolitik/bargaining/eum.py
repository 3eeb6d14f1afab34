"""Bueno de Mesquita's expected-utility model (EUM), as reconstructed by Scholz,
Calbert and Smith (2011), vectorised over actor pairs and over a batch axis.

Why this module exists: the EUM is the classic bargaining forecast (positions,
capabilities and saliences on one issue continuum; actors challenge, compromise
or give in, round after round). The published description and the code that
reproduces the published numbers disagree in several places, so every
disputed choice is a field of :class:`EUMVariant`, and named presets collect
the combinations found in the literature (see ``docs/bargaining-eum.md``).

One round (Scholz et al. 2011, appendix, steps 2-11):

1. the median voter (Condorcet winner among held positions, risk-neutral
   votes) and the capability x salience weighted mean;
2. with every risk exponent r = 1: the probability that i prevails over j,
   the expected utility E(U_ij) of i challenging j, each actor's "danger"
   D_a = sum_b E(U_ba), and the risk exponents r_i from the spread of D;
3. with the new r: probabilities (each voter with its own r), expected
   utilities seen from the receiver's (or sender's) perspective, the offers
   (conflict, compromise, capitulation) and one accepted offer per receiver;
4. every actor moves at once.

Complexity: the support sums sum_k c_k s_k [u_k(x_j) - u_k(x_i)]^+ over voters
k for all N^2 pairs would be O(N^3); here they take O(N^2 log N) per round,
because in one dimension the voters that prefer x_i to x_j are exactly those on
x_i's side of the midpoint (x_i + x_j)/2 whatever their risk exponent, so each
sum is a difference of prefix sums over voters sorted by position. Memory is
O(B N^2) for a batch of B problems; large batches are processed in chunks.

References
----------
Bueno de Mesquita, B. (1994). Political forecasting: an expected utility
method. In Bueno de Mesquita and Stokman (eds), *European Community Decision
Making*, ch. 4. Yale University Press.

Scholz, J. B., Calbert, G. J. and Smith, G. A. (2011). Unravelling Bueno De
Mesquita's group decision model. *Journal of Theoretical Politics* 23(4),
510-531.

The default variant matches the replication by J. McKibben
(github.com/jmckib/bdm-scholz-expected-utility-model @55f63e9f), whose author
reports a perfect replication of Scholz et al.'s ten rounds; the ``masad``
variant follows D. Masad (github.com/dmasad/BDM_DecisionModel_Replication).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from realpolitik.bargaining.baselines import baselines as compute_baselines
from realpolitik.bargaining.types import BargainingProblem, BargainingRun, FloatArray, Move
from realpolitik.errors import InputError

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

ProbabilityRule = Literal["global", "pairwise", "pairwise_net"]
CapitulationRule = Literal["code", "published"]
OfferSelection = Literal["scholz", "least_movement", "max_eu"]
Perspective = Literal["receiver", "own"]
VoteRisk = Literal["voter", "neutral"]

#: Offer kinds as stored in :attr:`EUMTrace.move_kind`.
NO_MOVE, CONFLICT, COMPROMISE, CAPITULATION = 0, 1, 2, 3
MOVE_KINDS: tuple[str, ...] = ("none", "conflict", "compromise", "capitulation")

#: Elements of one (chunk, N, N) working array above which the batch is split.
_CHUNK_ELEMENTS = 2_000_000


@dataclass(frozen=True)
class EUMVariant:
    """Every disputed modelling choice of the EUM, as one value.

    Attributes
    ----------
    name : the preset's name (or the name with its overrides).
    probability : how the probability that i prevails over j is normalised.
        ``"global"``: sum of the positive votes for i over j divided by the sum
        of |votes| over every voter and every ordered pair of actors (the
        replicating code; tiny probabilities, P(i,j) + P(j,i) != 1).
        ``"pairwise"``: divided by sum_k |v_k(i:j)| (as printed in Scholz et
        al. 2011; P(i,j) + P(j,i) = 1). ``"pairwise_net"``: numerator
        max(sum_k v_k(i:j), 0), pairwise denominator (Masad 2014).
    capitulation : ``"code"``: capitulation never fires (the replicating code
        tests ``e_ja < |e_ja|``, never true for e_ja > 0); ``"published"``: the
        receiver capitulates when 0 < e_ja < |e_aj|, e_aj < 0.
    offer_selection : which offer a receiver accepts when several arrive.
        ``"scholz"``: any conflict first (least movement), else the compromise
        with the smallest (|e_aj| x_a + |e_ja| x_j)/(|e_aj| + |e_ja|), else the
        capitulation with least movement (the replicating code).
        ``"least_movement"``: the offer that moves the receiver least (the text
        of Scholz et al. and BDM). ``"max_eu"``: the offer whose sender expects
        most, ties to least movement, and only that offer is resolved (Masad).
        Ties between equal keys go to the lowest actor index.
    perspective : whose view the sender's expected utility e_ja is taken from.
        ``"receiver"``: E^a(U_ja), with the receiver's risk exponent (the
        replicating code); ``"own"``: E^j(U_ja), the sender's own (Masad).
    vote_risk : ``"voter"``: voter k's vote uses its own risk exponent r_k,
        v_k(i:j) = c_k s_k [(|x_k - x_j|/D)^r_k - (|x_k - x_i|/D)^r_k];
        ``"neutral"``: votes always use r = 1 (Masad).
    q : probability that the status quo persists absent a challenge (Q).
    t : probability that a change in the status quo is an improvement (T);
        irrelevant when ``q == 1``.
    description : one line for listings.
    """

    name: str
    probability: ProbabilityRule = "global"
    capitulation: CapitulationRule = "code"
    offer_selection: OfferSelection = "scholz"
    perspective: Perspective = "receiver"
    vote_risk: VoteRisk = "voter"
    q: float = 1.0
    t: float = 1.0
    description: str = ""

    def __post_init__(self) -> None:
        choices: dict[str, tuple[str, ...]] = {
            "probability": get_args(ProbabilityRule),
            "capitulation": get_args(CapitulationRule),
            "offer_selection": get_args(OfferSelection),
            "perspective": get_args(Perspective),
            "vote_risk": get_args(VoteRisk),
        }
        for key, allowed in choices.items():
            value = getattr(self, key)
            if value not in allowed:
                raise InputError(
                    f"unknown {key} {value!r}; choose one of {', '.join(allowed)}",
                    field=key,
                )
        for key in ("q", "t"):
            value = float(getattr(self, key))
            if not 0.0 <= value <= 1.0:
                raise InputError(f"{key} must lie in [0, 1], got {value}", field=key)


#: Named presets. ``scholz`` (the default) reproduces the published numbers.
VARIANTS: dict[str, EUMVariant] = {
    v.name: v
    for v in (
        EUMVariant(
            "scholz",
            description="replicating code of Scholz et al. (2011); reproduces the published "
            "rounds (global probability denominator, no capitulation, Q = 1)",
        ),
        EUMVariant(
            "scholz-capitulation",
            capitulation="published",
            description="as scholz, with capitulation as published (0 < e_ja < |e_aj|)",
        ),
        EUMVariant(
            "paper",
            probability="pairwise",
            capitulation="published",
            offer_selection="least_movement",
            description="the equations as printed in Scholz et al. (2011): pairwise "
            "probabilities, capitulation, least-movement offer",
        ),
        EUMVariant(
            "masad",
            probability="pairwise_net",
            capitulation="published",
            offer_selection="max_eu",
            perspective="own",
            vote_risk="neutral",
            description="Masad (2014) replication: net pairwise probabilities with "
            "risk-neutral votes, highest-EU offer seen from the sender",
        ),
    )
}

DEFAULT_VARIANT = "scholz"


def get_variant(spec: str | EUMVariant) -> EUMVariant:
    """A preset by name, optionally with field overrides.

    Parameters
    ----------
    spec : a preset name (see :data:`VARIANTS`), optionally followed by
        ``:field=value,...`` overrides, e.g. ``"scholz:q=0.5,t=0.5"`` or
        ``"scholz:probability=pairwise"``; or an :class:`EUMVariant`.

    Returns
    -------
    EUMVariant

    Raises
    ------
    InputError
        Unknown preset, unknown field or a value out of range.

    Examples
    --------
    >>> get_variant("scholz:q=0.8").q
    0.8
    """
    if isinstance(spec, EUMVariant):
        return spec
    base_name, _, overrides = spec.partition(":")
    base_name = base_name.strip()
    if base_name not in VARIANTS:
        raise InputError(
            f"unknown EUM variant {base_name!r}; choose one of {', '.join(VARIANTS)}",
            field="variant",
        )
    variant = VARIANTS[base_name]
    if not overrides.strip():
        return variant
    names = {f.name for f in fields(EUMVariant)} - {"name", "description"}
    changes: dict[str, str | float] = {}
    for item in overrides.split(","):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq or key not in names:
            raise InputError(
                f"bad variant override {item.strip()!r}; write field=value with field one of "
                f"{', '.join(sorted(names))}",
                field="variant",
            )
        if key in ("q", "t"):
            try:
                changes[key] = float(value)
            except ValueError:
                raise InputError(
                    f"variant override {key}={value!r} is not a number", field="variant"
                ) from None
        else:
            changes[key] = value
    return replace(variant, name=spec.strip(), **changes)  # type: ignore[arg-type]


@dataclass(frozen=True, eq=False)
class EUMTrace:
    """Every round of a batch of EUM runs; arrays carry the batch axes first.

    Attributes
    ----------
    positions : (*batch, T + 1, N) positions, turn 0 = input.
    median : (*batch, T + 1) Condorcet winner among held positions.
    mean : (*batch, T + 1) capability x salience weighted mean position.
    risk_exponent : (*batch, T, N) r_i used in turns 1..T.
    move_kind : (*batch, T, N) offer accepted in each turn (:data:`MOVE_KINDS`).
    move_with : (*batch, T, N) index of the sender of that offer, -1 if none.
    eu_self : (*batch, T, N, N) e_aj = E^a(U_aj) in each turn (receiver a), or
        None when not kept.
    eu_other : (*batch, T, N, N) e_ja as used for the offer (see
        :attr:`EUMVariant.perspective`), or None.
    converged_turn : (*batch,) first turn after which no position moved by
        more than ``tol`` (-1 if never, or if no ``tol`` was given).
    """

    positions: FloatArray
    median: FloatArray
    mean: FloatArray
    risk_exponent: FloatArray
    move_kind: IntArray
    move_with: IntArray
    eu_self: FloatArray | None
    eu_other: FloatArray | None
    converged_turn: IntArray

    @property
    def n_turns(self) -> int:
        return int(self.positions.shape[-2]) - 1


# --------------------------------------------------------------------------- #
# Building blocks (all on (B, N) / (B, N, N) arrays)
# --------------------------------------------------------------------------- #


def weighted_mean(x: FloatArray, w: FloatArray) -> FloatArray:
    """sum_k w_k x_k / sum_k w_k over the last axis."""
    return np.asarray(np.sum(w * x, axis=-1) / np.sum(w, axis=-1), dtype=np.float64)


def condorcet_median(x: FloatArray, w: FloatArray) -> FloatArray:
    """The held position that wins every pairwise risk-neutral vote.

    With votes v_k(a:b) = w_k (|x_k - x_b| - |x_k - x_a|), position a beats b
    when cost(a) = sum_k w_k |x_k - x_a| is smaller, so the Condorcet winner
    among the held positions is the held position of least cost (the weighted
    median restricted to held positions). When several held positions tie (the
    weight splits exactly in two), the one nearest the weighted mean is taken,
    and of those the lowest.

    Parameters
    ----------
    x : (B, N) positions.
    w : (B, N) weights c x s.

    Returns
    -------
    (B,) the median voter position. O(N^2) per problem.
    """
    cost = np.einsum("bk,bka->ba", w, np.abs(x[:, :, None] - x[:, None, :]))
    scale = np.sum(w, axis=-1, keepdims=True) * (np.ptp(x, axis=-1, keepdims=True) + 1.0)
    best = cost.min(axis=-1, keepdims=True)
    tied = cost <= best + 1e-12 * scale
    mean = weighted_mean(x, w)[:, None]
    gap = np.where(tied, np.abs(x - mean), np.inf)
    closest = gap <= gap.min(axis=-1, keepdims=True) + 1e-12 * (scale / np.sum(w, -1)[:, None])
    pick = np.where(closest, x, np.inf).min(axis=-1)
    return np.asarray(pick, dtype=np.float64)


def _sorted_ranks(x: FloatArray, mid: FloatArray) -> IntArray:
    """For each (b, i, j): how many of x[b, :] lie strictly below mid[b, i, j].

    Per batch row, the N^2 midpoints and the N voters are sorted together
    (stable, midpoints first, so a voter equal to a midpoint counts as not
    below it); the count is the number of voters sorted before each midpoint.
    Exact comparisons, O(N^2 log N) per problem.
    """
    b, n = x.shape
    m = n * n
    both = np.concatenate([mid.reshape(b, m), x], axis=1)
    order = np.argsort(both, axis=1, kind="stable")
    is_voter = order >= m
    before = np.cumsum(is_voter, axis=1) - is_voter
    counts = np.empty((b, m + n), dtype=np.int64)
    np.put_along_axis(counts, order, before, axis=1)
    return counts[:, :m].reshape(b, n, n)


def support(x: FloatArray, w: FloatArray, r: FloatArray, delta: FloatArray) -> FloatArray:
    """Positive votes for i over j: S[b, i, j] = sum_k w_k [u_k(i) - u_k(j)]^+.

    With u_k(i) - u_k(j) = (|x_k - x_j|/D)^r_k - (|x_k - x_i|/D)^r_k, voter k
    supports i against j exactly when it is strictly nearer x_i, i.e. on x_i's
    side of the midpoint of x_i and x_j, whatever r_k > 0. Sorting voters by
    position turns each sum into a difference of prefix sums.

    Parameters
    ----------
    x : (B, N) positions (also the voters' ideal points).
    w : (B, N) voting weights c x s.
    r : (B, N) each voter's risk exponent.
    delta : (B,) the position range D.

    Returns
    -------
    (B, N, N) S[b, i, j] >= 0, zero on the diagonal and between equal positions.
    O(N^2 log N) time, O(N^2) memory per problem.
    """
    bsz, n = x.shape
    # a[b, k, j] = (|x_k - x_j| / D) ** r_k: voter k's disutility of position j.
    dist = np.abs(x[:, :, None] - x[:, None, :]) / delta[:, None, None]
    wa = w[:, :, None] * dist ** r[:, :, None]
    order = np.argsort(x, axis=-1, kind="stable")
    wa_sorted = np.take_along_axis(wa, order[:, :, None], axis=1)
    prefix = np.zeros((bsz, n + 1, n))
    np.cumsum(wa_sorted, axis=1, out=prefix[:, 1:, :])
    total = prefix[:, n, :]  # (B, N): sum_k w_k a_kj
    mid = 0.5 * (x[:, :, None] + x[:, None, :])
    below = _sorted_ranks(x, mid)  # voters strictly left of the midpoint
    bi = np.arange(bsz)[:, None, None]
    ii = np.arange(n)[None, :, None]
    jj = np.arange(n)[None, None, :]
    # Votes for i over j by the voters left of the midpoint: sum w (a_kj - a_ki).
    left = prefix[bi, below, jj] - prefix[bi, below, ii]
    right = (total[:, None, :] - total[:, :, None]) - left
    xi = x[:, :, None]
    xj = x[:, None, :]
    out = np.where(xi < xj, left, np.where(xi > xj, right, 0.0))
    return np.asarray(np.maximum(out, 0.0), dtype=np.float64)


def win_probability(
    x: FloatArray,
    w: FloatArray,
    r: FloatArray,
    delta: FloatArray,
    rule: ProbabilityRule,
) -> FloatArray:
    """P[b, i, j]: probability that i prevails over j (0 where x_i = x_j).

    Parameters
    ----------
    x, w, r, delta : as in :func:`support`.
    rule : see :attr:`EUMVariant.probability`.

    Returns
    -------
    (B, N, N) probabilities.
    """
    s = support(x, w, r, delta)
    st = np.swapaxes(s, -1, -2)
    if rule == "global":
        # sum_k sum_a sum_b |v_k(a:b)| = sum over ordered pairs of (S_ab + S_ba).
        denom = 2.0 * np.sum(s, axis=(-1, -2), keepdims=True)
        num = s
    else:
        denom = s + st
        num = s if rule == "pairwise" else np.maximum(s - st, 0.0)
    safe = np.where(denom > 0, denom, 1.0)
    p = np.where(denom > 0, num / safe, 0.0)
    p = np.where(x[:, :, None] == x[:, None, :], 0.0, p)
    return np.asarray(p, dtype=np.float64)


def expected_utility(
    x: FloatArray,
    s: FloatArray,
    p: FloatArray,
    r_eval: FloatArray,
    median: FloatArray,
    delta: FloatArray,
    q: float,
    t: float,
) -> FloatArray:
    """E[b, i, j]: expected utility of i challenging j (Scholz et al. eq. 2).

    E = s_j [P U_s + (1 - P) U_f] + (1 - s_j) U_s - Q U_sq - (1 - Q)[T U_b + (1 - T) U_w]
    with U_s = 2 - 4 (0.5 - 0.5 d)^r, U_f = 2 - 4 (0.5 + 0.5 d)^r, U_sq = 2 - 4 (0.5)^r,
    U_b, U_w = 2 - 4 (0.5 -/+ 0.25 (|x_i - mu| + |x_i - x_j|)/D)^r, d = |x_i - x_j|/D.

    Parameters
    ----------
    x, s : (B, N) positions and saliences.
    p : (B, N, N) probability that i prevails over j.
    r_eval : risk exponent of the evaluating actor, broadcastable to (B, N, N)
        (``r[:, :, None]`` for the challenger's view, ``r[:, None, :]`` for the
        target's).
    median : (B,) the current median voter position mu.
    delta : (B,) position range D.
    q, t : the constants Q and T.

    Returns
    -------
    (B, N, N) expected utilities (the diagonal is meaningless).
    """
    gap = np.abs(x[:, :, None] - x[:, None, :]) / delta[:, None, None]
    u_success = 2.0 - 4.0 * (0.5 - 0.5 * gap) ** r_eval
    u_failure = 2.0 - 4.0 * (0.5 + 0.5 * gap) ** r_eval
    u_status_quo = 2.0 - 4.0 * 0.5**r_eval
    s_j = s[:, None, :]
    eu = s_j * (p * u_success + (1.0 - p) * u_failure) + (1.0 - s_j) * u_success
    eu = eu - q * u_status_quo
    if q != 1.0:
        shift = (
            np.abs(x - median[:, None])[:, :, None] + np.abs(x[:, :, None] - x[:, None, :])
        ) / delta[:, None, None]
        u_better = 2.0 - 4.0 * (0.5 - 0.25 * shift) ** r_eval
        u_worse = 2.0 - 4.0 * (0.5 + 0.25 * shift) ** r_eval
        eu = eu - (1.0 - q) * (t * u_better + (1.0 - t) * u_worse)
    return np.asarray(eu, dtype=np.float64)


def risk_exponents(danger: FloatArray) -> FloatArray:
    """r_i = (1 - R_i/3)/(1 + R_i/3), R_i = (2 D_i - max D - min D)/(max D - min D).

    Parameters
    ----------
    danger : (B, N) D_a = sum_b E(U_ba), each other actor's expected utility of
        challenging a, computed with every r = 1.

    Returns
    -------
    (B, N) risk exponents in [0.5, 2]; all 1 when every D is equal (up to a
    relative 1e-12, so that rounding noise is not blown up to R = +-1).
    """
    hi = danger.max(axis=-1, keepdims=True)
    lo = danger.min(axis=-1, keepdims=True)
    spread = hi - lo
    # Equal dangers up to rounding: no actor is more secure than another.
    ok = spread > 1e-12 * np.maximum(np.abs(hi), np.abs(lo))
    big_r = np.where(ok, (2.0 * danger - hi - lo) / np.where(ok, spread, 1.0), 0.0)
    return np.asarray((1.0 - big_r / 3.0) / (1.0 + big_r / 3.0), dtype=np.float64)


def _first_min(key: FloatArray) -> tuple[IntArray, BoolArray]:
    """Argmin over the last axis (lowest index on ties) and whether it is finite."""
    idx = np.argmin(key, axis=-1)
    found = np.isfinite(np.take_along_axis(key, idx[..., None], axis=-1)[..., 0])
    return np.asarray(idx, dtype=np.int64), np.asarray(found)


def choose_offers(
    x: FloatArray,
    eu_self: FloatArray,
    eu_other: FloatArray,
    variant: EUMVariant,
) -> tuple[FloatArray, IntArray, IntArray]:
    """Each receiver's accepted offer and its new position.

    Parameters
    ----------
    x : (B, N) current positions.
    eu_self : (B, N, N) e_aj, receiver a's expected utility of challenging j.
    eu_other : (B, N, N) e_ja, sender j's expected utility of challenging a
        (from the perspective the variant names).
    variant : the offer rules.

    Returns
    -------
    new_x : (B, N) positions after the round.
    kind : (B, N) :data:`MOVE_KINDS` code of the accepted offer.
    sender : (B, N) the sender's index, -1 if none.
    """
    xa = x[:, :, None]
    xj = x[:, None, :]
    valid = xa != xj
    e_a, e_j = eu_self, eu_other
    is_conflict = valid & (e_j > e_a) & (e_a > 0.0)
    is_compromise = valid & (e_j > 0.0) & (e_a < 0.0) & (e_j > np.abs(e_a))
    if variant.capitulation == "published":
        is_capitulation = valid & (e_j > 0.0) & (e_a < 0.0) & (e_j < np.abs(e_a))
    else:
        is_capitulation = np.zeros_like(valid)
    ratio = np.abs(e_a / np.where(e_j != 0.0, e_j, 1.0))
    target = np.where(is_compromise, xa + (xj - xa) * ratio, np.broadcast_to(xj, valid.shape))
    kind_all = np.where(
        is_conflict,
        CONFLICT,
        np.where(is_compromise, COMPROMISE, np.where(is_capitulation, CAPITULATION, NO_MOVE)),
    )
    movement = np.abs(target - xa)
    inf = np.inf

    if variant.offer_selection == "scholz":
        conflict_idx, has_conflict = _first_min(np.where(is_conflict, movement, inf))
        weight = np.abs(e_a) + np.abs(e_j)
        odd_key = (np.abs(e_a) * xa + np.abs(e_j) * xj) / np.where(weight > 0, weight, 1.0)
        compromise_idx, has_compromise = _first_min(np.where(is_compromise, odd_key, inf))
        capit_idx, has_capit = _first_min(np.where(is_capitulation, movement, inf))
        chosen = np.where(
            has_conflict, conflict_idx, np.where(has_compromise, compromise_idx, capit_idx)
        )
        moves = has_conflict | has_compromise | has_capit
    elif variant.offer_selection == "least_movement":
        offered = kind_all != NO_MOVE
        chosen, moves = _first_min(np.where(offered, movement, inf))
    else:  # max_eu: the best offer for its sender is the one resolved
        sent = valid & (e_j > 0.0)
        best = np.where(sent, e_j, -inf).max(axis=-1, keepdims=True)
        top = sent & (e_j == best)
        chosen, any_sent = _first_min(np.where(top, np.abs(xj - xa), inf))
        picked_kind = np.take_along_axis(kind_all, chosen[..., None], axis=-1)[..., 0]
        moves = any_sent & (picked_kind != NO_MOVE)

    chosen = np.asarray(chosen, dtype=np.int64)
    kind = np.where(moves, np.take_along_axis(kind_all, chosen[..., None], -1)[..., 0], NO_MOVE)
    new_x = np.where(moves, np.take_along_axis(target, chosen[..., None], -1)[..., 0], x)
    sender = np.where(moves, chosen, -1)
    return (
        np.asarray(new_x, dtype=np.float64),
        np.asarray(kind, dtype=np.int64),
        np.asarray(sender, dtype=np.int64),
    )


@dataclass(frozen=True)
class EUMRound:
    """One round for a batch: positions after it, and what led to them.

    Attributes
    ----------
    new_x : (B, N) positions after the round.
    median, mean : (B,) median voter and weighted mean before the round.
    r : (B, N) risk exponents of the round.
    kind, sender : (B, N) accepted offer (:data:`MOVE_KINDS` code) and its
        sender (-1: none).
    eu_self, eu_other : (B, N, N) e_aj and e_ja for receiver a and sender j.
    """

    new_x: FloatArray
    median: FloatArray
    mean: FloatArray
    r: FloatArray
    kind: IntArray
    sender: IntArray
    eu_self: FloatArray
    eu_other: FloatArray


def eum_round(
    x: FloatArray,
    c: FloatArray,
    s: FloatArray,
    delta: FloatArray,
    variant: EUMVariant,
) -> EUMRound:
    """One round of the EUM for a batch of problems.

    Parameters
    ----------
    x, c, s : (B, N) positions, capabilities and saliences (0-1).
    delta : (B,) position range D.
    variant : the modelling choices.

    Returns
    -------
    EUMRound
    """
    w = c * s
    ones = np.ones_like(x)
    median = condorcet_median(x, w)
    mean = weighted_mean(x, w)
    # Security step, every r = 1.
    p1 = win_probability(x, w, ones, delta, variant.probability)
    e1 = expected_utility(x, s, p1, 1.0 * ones[:, :, None], median, delta, variant.q, variant.t)
    n = x.shape[-1]
    off_diagonal = ~np.eye(n, dtype=bool)
    danger = np.sum(np.where(off_diagonal, e1, 0.0), axis=-2)  # D_a = sum_b E(U_ba)
    r = risk_exponents(danger)
    # Offers with the new exponents.
    r_vote = r if variant.vote_risk == "voter" else ones
    p = win_probability(x, w, r_vote, delta, variant.probability)
    e_challenger = expected_utility(x, s, p, r[:, :, None], median, delta, variant.q, variant.t)
    eu_self = e_challenger  # [a, j] = E^a(U_aj)
    if variant.perspective == "receiver":
        e_target = expected_utility(x, s, p, r[:, None, :], median, delta, variant.q, variant.t)
        eu_other = np.swapaxes(e_target, -1, -2)  # [a, j] = E^a(U_ja)
    else:
        eu_other = np.swapaxes(e_challenger, -1, -2)  # [a, j] = E^j(U_ja)
    new_x, kind, sender = choose_offers(x, eu_self, eu_other, variant)
    return EUMRound(new_x, median, mean, r, kind, sender, eu_self, np.ascontiguousarray(eu_other))


def eum_rounds(
    capability: FloatArray,
    position: FloatArray,
    salience: FloatArray,
    *,
    variant: str | EUMVariant = DEFAULT_VARIANT,
    rounds: int = 10,
    tol: float | None = None,
    position_range: FloatArray | float | None = None,
    keep_eu: bool = False,
) -> EUMTrace:
    """Run the EUM on a batch of one-dimensional problems at once.

    Parameters
    ----------
    capability : (*batch, N) or (N,) positive capabilities c.
    position : (*batch, N) positions x.
    salience : (*batch, N) or (N,) saliences s in [0, 1].
    variant : preset name (with optional overrides) or :class:`EUMVariant`.
    rounds : maximum number of rounds.
    tol : stop once no position in any problem of the batch moved by more than
        ``tol`` in a round (None: always ``rounds`` rounds).
    position_range : the range D used to scale distances; default the range of
        the initial positions of each problem (as the replicating code).
    keep_eu : keep the (*batch, T, N, N) expected utilities of every round.

    Returns
    -------
    EUMTrace

    Notes
    -----
    Time O(T B N^2 log N), memory O(B N^2) (batches split into chunks).

    Examples
    --------
    The EC car-emission example of Bueno de Mesquita (1994):

    >>> import numpy as np
    >>> c = np.array([.08, .08, .03, .16, .16, .16, .16, .05, .05, .08])
    >>> x = np.array([4., 7, 4, 4, 10, 10, 10, 7, 4, 7])
    >>> s = np.array([.8, .4, .2, .8, .6, .6, .9, .1, 1., .7])
    >>> trace = eum_rounds(c, x, s, rounds=1)
    >>> round(float(trace.positions[1, 1]), 3)  # Belgium compromises with France
    8.416
    """
    spec = get_variant(variant)
    if rounds < 0:
        raise InputError(f"rounds must be >= 0, got {rounds}", field="rounds")
    x0 = np.asarray(position, dtype=np.float64)
    if x0.ndim < 1:
        raise ValueError("position needs an actor axis")
    c0 = np.broadcast_to(np.asarray(capability, dtype=np.float64), x0.shape)
    s0 = np.broadcast_to(np.asarray(salience, dtype=np.float64), x0.shape)
    batch_shape = x0.shape[:-1]
    n = x0.shape[-1]
    bsz = math.prod(batch_shape)
    xb = x0.reshape(bsz, n)
    cb = c0.reshape(bsz, n)
    sb = s0.reshape(bsz, n)
    if position_range is None:
        delta = np.ptp(xb, axis=-1) if n else np.zeros(bsz)
    else:
        delta = np.broadcast_to(np.asarray(position_range, dtype=np.float64), batch_shape)
        delta = delta.reshape(bsz).copy()
    delta = np.where(delta > 0, delta, 1.0)

    positions = np.empty((bsz, rounds + 1, n))
    median = np.empty((bsz, rounds + 1))
    mean = np.empty((bsz, rounds + 1))
    risk = np.full((bsz, rounds, n), np.nan)
    kinds = np.zeros((bsz, rounds, n), dtype=np.int64)
    senders = np.full((bsz, rounds, n), -1, dtype=np.int64)
    eu_self = np.full((bsz, rounds, n, n), np.nan) if keep_eu else None
    eu_other = np.full((bsz, rounds, n, n), np.nan) if keep_eu else None
    converged = np.full(bsz, -1, dtype=np.int64)

    chunk = max(1, _CHUNK_ELEMENTS // max(1, n * n))
    for start in range(0, bsz, chunk):
        sl = slice(start, min(bsz, start + chunk))
        x = xb[sl].copy()
        positions[sl, 0] = x
        turns = rounds
        for turn in range(1, rounds + 1):
            step = eum_round(x, cb[sl], sb[sl], delta[sl], spec)
            median[sl, turn - 1] = step.median
            mean[sl, turn - 1] = step.mean
            risk[sl, turn - 1] = step.r
            kinds[sl, turn - 1] = step.kind
            senders[sl, turn - 1] = step.sender
            if eu_self is not None and eu_other is not None:
                eu_self[sl, turn - 1] = step.eu_self
                eu_other[sl, turn - 1] = step.eu_other
            shift = np.max(np.abs(step.new_x - x), axis=-1)
            x = step.new_x
            positions[sl, turn] = x
            if tol is not None:
                done = converged[sl]
                converged[sl] = np.where((done < 0) & (shift <= tol), turn, done)
                if np.all(converged[sl] >= 0):
                    turns = turn
                    break
        w = cb[sl] * sb[sl]
        median[sl, turns] = condorcet_median(x, w)
        mean[sl, turns] = weighted_mean(x, w)
        # A chunk that converged early holds its state for the remaining turns.
        positions[sl, turns + 1 :] = x[:, None, :]
        median[sl, turns + 1 :] = median[sl, turns, None]
        mean[sl, turns + 1 :] = mean[sl, turns, None]

    keep = int(converged.max()) if tol is not None and np.all(converged >= 0) else rounds
    shape = batch_shape
    return EUMTrace(
        positions=positions[:, : keep + 1].reshape(*shape, keep + 1, n),
        median=median[:, : keep + 1].reshape(*shape, keep + 1),
        mean=mean[:, : keep + 1].reshape(*shape, keep + 1),
        risk_exponent=risk[:, :keep].reshape(*shape, keep, n),
        move_kind=kinds[:, :keep].reshape(*shape, keep, n),
        move_with=senders[:, :keep].reshape(*shape, keep, n),
        eu_self=None if eu_self is None else eu_self[:, :keep].reshape(*shape, keep, n, n),
        eu_other=None if eu_other is None else eu_other[:, :keep].reshape(*shape, keep, n, n),
        converged_turn=converged.reshape(shape),
    )


# --------------------------------------------------------------------------- #
# Problem-level entry point
# --------------------------------------------------------------------------- #


def check_problem(problem: BargainingProblem) -> None:
    """Refuse a problem the EUM cannot run, with a message that says why.

    Raises
    ------
    InputError
        Fewer than 3 actors, non-finite values, capabilities <= 0, saliences
        outside [0, 1], or a dimension where every salience is zero.
    """
    where = problem.name or None
    n = problem.n_actors
    if n < 3:
        raise InputError(f"the EUM needs at least 3 actors, got {n}", file=where)
    c = np.asarray(problem.capability, dtype=np.float64)
    x = np.asarray(problem.position, dtype=np.float64)
    s = np.asarray(problem.salience, dtype=np.float64)
    if c.shape != (n,) or x.shape != (n, problem.n_dimensions) or s.shape != x.shape:
        raise InputError(
            f"shapes do not match: capability {c.shape}, position {x.shape}, "
            f"salience {s.shape} for {n} actors and {problem.n_dimensions} dimensions",
            file=where,
        )
    for label, arr in (("capability", c), ("position", x), ("salience", s)):
        if not np.all(np.isfinite(arr)):
            raise InputError("values must be finite numbers", file=where, field=label)
    if np.any(c <= 0):
        bad = problem.actors[int(np.argmax(c <= 0))]
        raise InputError(f"capability of {bad} must be positive", file=where, field="capability")
    if np.any((s < 0) | (s > 1)):
        raise InputError("saliences must lie in [0, 1]", file=where, field="salience")
    zero = np.all(s == 0, axis=0)
    if np.any(zero):
        dim = problem.dimensions[int(np.argmax(zero))]
        raise InputError(
            f"every salience on dimension {dim!r} is zero; nothing to weigh",
            file=where,
            field="salience",
        )


def run_eum(
    problem: BargainingProblem,
    *,
    variant: str | EUMVariant = DEFAULT_VARIANT,
    rounds: int = 10,
    tol: float | None = None,
    forecast: Literal["median", "mean"] = "median",
) -> BargainingRun:
    """Forecast a bargaining problem with the expected-utility model.

    Each dimension is an independent issue (the EUM is one-dimensional), run
    together as a batch.

    Parameters
    ----------
    problem : actors, capabilities, positions and saliences (0-1).
    variant : preset name, ``name:field=value,...`` or an :class:`EUMVariant`;
        default ``"scholz"``, which reproduces Scholz et al. (2011).
    rounds : maximum number of rounds (Scholz et al. report 10).
    tol : stop early once no actor moves by more than ``tol`` in a round.
    forecast : ``"median"`` (the median voter after the last round, BDM's
        forecast under majority rule) or ``"mean"`` (the weighted mean).

    Returns
    -------
    BargainingRun
        ``positions`` (T + 1, N, D); ``extra`` holds ``median`` and ``mean``
        (T + 1, D), ``risk_exponent`` (T, N, D), ``eu_self`` and ``eu_other``
        (T, N, N, D) (receiver a's e_aj and e_ja, as in the offers) and
        ``converged_turn`` (D,).

    Examples
    --------
    >>> import numpy as np
    >>> from realpolitik.bargaining.types import BargainingProblem
    >>> p = BargainingProblem(("A", "B", "C"), np.array([1.0, 1.0, 2.0]),
    ...                       np.array([[0.0], [50.0], [100.0]]), np.full((3, 1), 0.5))
    >>> run = run_eum(p, rounds=2)
    >>> run.positions.shape
    (3, 3, 1)
    """
    check_problem(problem)
    spec = get_variant(variant)
    if forecast not in ("median", "mean"):
        raise InputError(f"forecast must be 'median' or 'mean', got {forecast!r}", field="forecast")
    x = np.asarray(problem.position, dtype=np.float64).T  # (D, N)
    s = np.asarray(problem.salience, dtype=np.float64).T
    c = np.asarray(problem.capability, dtype=np.float64)
    trace = eum_rounds(c, x, s, variant=spec, rounds=rounds, tol=tol, keep_eu=True)
    positions = np.moveaxis(trace.positions, 0, -1)  # (T + 1, N, D)
    med = trace.median.T
    mean = trace.mean.T
    extra: dict[str, FloatArray] = {
        "median": med,
        "mean": mean,
        "risk_exponent": np.moveaxis(trace.risk_exponent, 0, -1),
        "converged_turn": trace.converged_turn.astype(np.float64),
    }
    if trace.eu_self is not None and trace.eu_other is not None:
        extra["eu_self"] = np.moveaxis(trace.eu_self, 0, -1)
        extra["eu_other"] = np.moveaxis(trace.eu_other, 0, -1)
    moves = _moves(problem, trace)
    return BargainingRun(
        model="eum",
        variant=spec.name,
        problem=problem,
        positions=positions,
        forecast=(med if forecast == "median" else mean)[-1].copy(),
        baselines=compute_baselines(problem),
        moves=moves,
        extra=extra,
    )


def _moves(problem: BargainingProblem, trace: EUMTrace) -> tuple[Move, ...]:
    """One :class:`Move` per actor, dimension and turn in which it moved."""
    out: list[Move] = []
    n_dim = problem.n_dimensions
    pos = trace.positions  # (D, T + 1, N)
    for turn in range(1, trace.n_turns + 1):
        for actor in range(problem.n_actors):
            for dim in range(n_dim):
                kind = int(trace.move_kind[dim, turn - 1, actor])
                if kind == NO_MOVE:
                    continue
                sender = int(trace.move_with[dim, turn - 1, actor])
                old = tuple(float(v) for v in pos[:, turn - 1, actor])
                new = list(old)
                new[dim] = float(pos[dim, turn, actor])
                detail = ""
                if trace.eu_self is not None and trace.eu_other is not None:
                    e_a = float(trace.eu_self[dim, turn - 1, actor, sender])
                    e_j = float(trace.eu_other[dim, turn - 1, actor, sender])
                    detail = f"e_self={e_a:.6g} e_other={e_j:.6g}"
                if n_dim > 1:
                    detail = f"dimension {problem.dimensions[dim]}: {detail}".strip()
                out.append(
                    Move(
                        turn=turn,
                        actor=problem.actors[actor],
                        kind=MOVE_KINDS[kind],
                        counterpart=problem.actors[sender],
                        old=old,
                        new=tuple(new),
                        detail=detail,
                    )
                )
    return tuple(out)
