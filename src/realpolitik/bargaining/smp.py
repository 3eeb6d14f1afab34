"""KTAB's spatial model of politics (SMP), vectorised over actors.

Why this module exists: KTAB's SMP (KAPSARC) forecasts
how actors with capabilities and salience-weighted ideal points on several
issue dimensions move through rounds of challenges and bargains. The C++
reference (``smpc``) evaluates every challenge in its own loop over third
parties; here every quantity of a round is one NumPy expression over actors
(N x N and N x N x N arrays), so a round costs O(N^3) array work and no Python
loop runs over pairs of actors.

One round (``SMPState::stepBCN`` / ``doBCN`` in KTAB):

1. Distances ``d[i, j]`` from actor i's ideal to actor j's position, weighted
   by i's saliences; risk-neutral utilities ``1 - d``.
2. Risk attitudes: a probabilistic Condorcet election (PCE) over the N
   positions with capability-weighted votes gives each position's probability
   p; the most probable positions make their holders risk-averse
   (``BigRRange``: R in [0, 1], [-1/2, 1] or [-1, 1]).
3. Each actor h estimates everybody's utilities ``u(d, R) = (1 - d)(1 + d R)``
   with its own anchoring of the others' risk attitudes (``BigRAdjust``).
4. Each actor i evaluates, in its own view, challenging each j: the principals
   vote, each third party joins the side it prefers in the "little conflict"
   (``ThirdPartyCommit``), giving P(i beats j); the expected change in i's
   utility is ``(1 - S_j) U_win + S_j [P U_win + (1 - P) U_loss] - U_SQ``.
   i challenges the j with the largest gain above 1e-5 (lowest index on ties).
5. Each challenge becomes a bargain interpolated per dimension with weights
   salience^2 x probability^2 (``InterVecBrgn`` S2P2), rounded to 4 decimals.
6. Every actor's queue (its status quo and the bargains it is party to) goes to
   a PCE with capability weights over the utilities of the resulting states;
   the actor adopts its coordinates in the winner (deterministic) or a draw.
7. Ideals follow positions through the accommodation matrix (identity: ideals
   equal positions); the run stops once the summed movement falls below 2 %
   of the first round's (after at least 2 rounds) or after ``max_turns``.

The default :class:`SMPConfig` is KTAB's default (Linear, Prop, Conditional,
Deterministic, Mid, OneThird, SemiCommit, S2P2, InitOnlyInterp) and reproduces
KTAB's official regression log for ``SOE-Pol-Comp.csv`` (every position, every
"prob" line, every stopping ratio, 28 states): see ``tests/bargaining``.
Operations follow KTAB's order where it matters for rounding (sums over actors
accumulate in index order, bargains are rounded exactly as in
``SMPActor::interpBrgnSnPm``).

Differences from KTAB, by design: the order of bargains in a queue (random
thread order in KTAB; here the status quo, the actor's own bargain, then the
bargains it receives by initiator) only matters for exact ties; stochastic
state transitions draw from NumPy's generator seeded with ``seed``, not from
KTAB's PRNG, whose draws also depend on thread scheduling; a Markov PCE that
has not converged after 1000 iterations keeps its last iterate where KTAB
aborts; when all positions are equally probable every actor is risk neutral
(KTAB aborts on 0/0).

Many problems at once: :func:`realpolitik.bargaining.smp_batch.run_smp_batch`
runs B problems of the same size (one per parameter draw, say) with the same
operations over a leading batch axis, each problem stopping on its own rule,
and gives bit for bit the forecasts, final win probabilities and numbers of
states of :func:`run_smp` on each problem alone. It covers KTAB's default
model options only (the per-problem :func:`run_smp` remains the path for the
others).

References
----------
KTAB, ``examples/smp/libsrc/smp.cpp``, ``smpbcn.cpp`` and
``KTAB/kmodel/libsrc/kmodel.cpp`` (MIT licence), https://github.com/KAPSARC/KTAB,
read via the lsyaseen/KTAB mirror @3b5b0635.
"Markov Voting with Incentives in KTAB", ``KTAB/kmodel/doc/markov-incentives.tex``
in the same repository.
KAPSARC, "An Introduction to the KAPSARC Toolkit for Behavioral Analysis
(KTAB)" and "Multidimensional Bargaining Using KTAB", methodology papers listed
at https://www.kapsarc.org/research/publications/ (linked from KTAB's
``web/papers.html``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal, cast, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.bargaining.baselines import baselines
from realpolitik.bargaining.types import BargainingProblem, BargainingRun, FloatArray, Move
from realpolitik.errors import InputError

__all__ = [
    "BargainInterpolation",
    "BargainModel",
    "BigRAdjust",
    "BigRRange",
    "ForecastRule",
    "PCEModel",
    "SMPConfig",
    "StateTransitions",
    "ThirdPartyCommit",
    "VictoryModel",
    "VotingRule",
    "pce",
    "run_smp",
    "victory_probability",
    "vote",
]

IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

VotingRule = Literal["Binary", "PropBin", "Prop", "PropCbc", "Cubic", "ASymProsp"]
VictoryModel = Literal["Linear", "Square", "Quartic", "Octic", "Binary"]
PCEModel = Literal["Conditional", "MarkovIncentive", "MarkovUniform"]
StateTransitions = Literal["Deterministic", "Stochastic"]
BigRRange = Literal["Min", "Mid", "Max"]
BigRAdjust = Literal["None", "OneThird", "Half", "TwoThirds", "Full"]
ThirdPartyCommit = Literal["NoCommit", "SemiCommit", "FullCommit"]
BargainInterpolation = Literal["S1P1", "S2P2", "S2PMax"]
BargainModel = Literal["InitOnlyInterp", "InitRcvrInterp", "PWCompInterp"]
ForecastRule = Literal["most_probable", "expected"]

# KTAB's constants (names of the C++ source in comments).
_MIN_COALITION = 1e-8  # Model::coalitions minC
_MIN_CONTRIBUTION = 1e-10  # probEduChlg minCltn
_MIN_GAIN = 1e-5  # bestChallenge minSigEDU
_BARGAIN_MIN_WEIGHT = 1e-6  # interpBrgnSnPm minW
_BINARY_VOTE_SCALE = 1e-8  # Model::vote sTol
_BINARY_VICTORY_THRESHOLD = 1.10  # Model::vProb thresh
_BINARY_VICTORY_MIN = 1e-6  # Model::vProb minX
_MARKOV_MAX_ITERATIONS = 1000  # iMax
_CHUNK_ELEMENTS = 1 << 17  # work arrays in blocks of 128k entries (1 MB), cache-sized

# KTAB's XML/GUI parameter name -> SMPConfig field
_KTAB_PARAMETERS: dict[str, str] = {
    "VictoryProbModel": "victory_model",
    "VotingRule": "voting_rule",
    "PCEModel": "pce_model",
    "StateTransitions": "state_transitions",
    "BigRRange": "big_r_range",
    "BigRAdjust": "big_r_adjust",
    "ThirdPartyCommit": "third_party_commit",
    "InterVecBrgn": "bargain_interpolation",
    "BargnModel": "bargain_model",
}
_ALIASES = {"Proportional": "Prop", "No": "None"}  # smpSchema.xsd spellings


@dataclass(frozen=True)
class SMPConfig:
    """Options of the spatial model; the defaults are KTAB's defaults.

    Attributes
    ----------
    victory_model : ``VictoryProbModel``. P(a beats b) from coalition strengths
        C: ``C_ab^k / (C_ab^k + C_ba^k)`` with k = 1 (Linear), 2, 4, 8; Binary:
        certain beyond a 10 % advantage, linear in between.
    voting_rule : ``VotingRule``. Vote of weight w for a over b with utility
        difference du: Binary ``w clip(du / 1e-8, -1, 1)``, PropBin
        ``w (0.8 du + 0.2 bin)``, Prop ``w du``, PropCbc ``w (du + du^3) / 2``,
        Cubic ``w du^3``, ASymProsp ``w du`` for losses, ``2/3 w du`` for gains.
    pce_model : ``PCEModel``. Conditional: p_a proportional to the product over
        b of P(a beats b). MarkovUniform: stationary distribution of uniformly
        chosen challenges. MarkovIncentive: challenges chosen in proportion to
        the incentive C_ab P(a beats b) (KTAB's ``markov-incentives.tex``).
    state_transitions : ``StateTransitions``. Deterministic: each actor takes
        the most probable bargain of its queue (first on ties); Stochastic:
        draws one with its probability (NumPy generator, ``seed``).
    big_r_range : ``BigRRange``. Risk attitude R from the risk-neutral PCE
        probability p: Min ``(p - pmin) / (pmax - pmin)``, Mid
        ``(3p - pmax - 2 pmin) / (2 (pmax - pmin))``, Max ``(2p - pmax - pmin) /
        (pmax - pmin)``.
    big_r_adjust : ``BigRAdjust``. Actor h's estimate of i's R: None ``r_h``,
        OneThird ``(2 r_h + r_i) / 3``, Half, TwoThirds ``(r_h + 2 r_i) / 3``,
        Full ``r_i``.
    third_party_commit : ``ThirdPartyCommit``. What a third party k, joining
        one side of a challenge, expects for itself (the principals take the
        winner's position): SemiCommit keeps its own position if its side wins
        and adopts the winner's if it loses; FullCommit adopts the winner's
        either way; NoCommit keeps its own either way. Under KTAB's
        sum-of-utilities evaluation the last two make k indifferent between
        the sides, so only SemiCommit lets third parties vote.
    bargain_interpolation : ``InterVecBrgn``. S2P2: per dimension, weights
        ``s^2 p^2`` for each side, rounded to 4 decimals; S1P1: ``s p``; S2PMax:
        shift by the truncated probability gap, not rounded.
    bargain_model : ``BargnModel``. InitOnlyInterp: the initiator's
        interpolation is the bargain; InitRcvrInterp: the initiator's and the
        receiver's are both offered; PWCompInterp: their capability x salience
        weighted average (KTAB weighs both with the initiator's capability;
        kept for fidelity).
    min_turns, min_delta_ratio, min_significant_delta : stopping rule: stop at
        turn t >= ``min_turns`` once ``D_t / (D_1 + min_significant_delta) <
        min_delta_ratio``, D_t the summed Euclidean movement of turn t on the
        0-1 scale (KTAB: 2, 0.02, 1e-4). ``max_turns`` is an argument of
        :func:`run_smp` (KTAB: 100).
    position_tolerance : positions closer than this (0-1 scale) are one
        position in the reported win probabilities (KTAB's ``posTol``, 1e-3).
    forecast : what :attr:`BargainingRun.forecast` reports (KTAB has no single
        forecast): ``"most_probable"``, the final position with the highest
        win probability, or ``"expected"``, the probability-weighted mean of
        the final distinct positions.

    Examples
    --------
    >>> SMPConfig() == SMPConfig.from_ktab({"VotingRule": "Prop"})
    True
    >>> SMPConfig(pce_model="MarkovIncentive").ktab_names()["PCEModel"]
    'MarkovIncentive'
    """

    victory_model: VictoryModel = "Linear"
    voting_rule: VotingRule = "Prop"
    pce_model: PCEModel = "Conditional"
    state_transitions: StateTransitions = "Deterministic"
    big_r_range: BigRRange = "Mid"
    big_r_adjust: BigRAdjust = "OneThird"
    third_party_commit: ThirdPartyCommit = "SemiCommit"
    bargain_interpolation: BargainInterpolation = "S2P2"
    bargain_model: BargainModel = "InitOnlyInterp"
    min_turns: int = 2
    min_delta_ratio: float = 0.02
    min_significant_delta: float = 1e-4
    position_tolerance: float = 1e-3
    forecast: ForecastRule = "most_probable"

    def __post_init__(self) -> None:
        choices: dict[str, tuple[str, ...]] = {
            "victory_model": get_args(VictoryModel),
            "voting_rule": get_args(VotingRule),
            "pce_model": get_args(PCEModel),
            "state_transitions": get_args(StateTransitions),
            "big_r_range": get_args(BigRRange),
            "big_r_adjust": get_args(BigRAdjust),
            "third_party_commit": get_args(ThirdPartyCommit),
            "bargain_interpolation": get_args(BargainInterpolation),
            "bargain_model": get_args(BargainModel),
            "forecast": get_args(ForecastRule),
        }
        for name, allowed in choices.items():
            value = getattr(self, name)
            if value not in allowed:
                raise InputError(f"{value!r} is not one of {', '.join(allowed)}", field=name)
        if self.min_turns < 1:
            raise InputError("must be at least 1", field="min_turns")
        if not self.min_delta_ratio >= 0.0:
            raise InputError("must be non-negative", field="min_delta_ratio")
        if not self.min_significant_delta > 0.0:
            raise InputError("must be positive", field="min_significant_delta")
        if not self.position_tolerance >= 0.0:
            raise InputError("must be non-negative", field="position_tolerance")

    @classmethod
    def from_ktab(cls, params: dict[str, str]) -> SMPConfig:
        """Build from KTAB's parameter names and values (XML ``ModelParameters``).

        Unknown names and values raise :class:`InputError` whose ``field`` is
        the KTAB name. ``Proportional`` (VotingRule) and ``No`` (BigRAdjust),
        the schema's spellings, are accepted.
        """
        kwargs: dict[str, str] = {}
        for key, value in params.items():
            if key not in _KTAB_PARAMETERS:
                raise InputError(
                    f"unknown model parameter; known: {', '.join(_KTAB_PARAMETERS)}",
                    field=key,
                )
            kwargs[_KTAB_PARAMETERS[key]] = _ALIASES.get(value.strip(), value.strip())
        try:
            return cls(**kwargs)  # type: ignore[arg-type]
        except InputError as err:
            attr = err.problems[0].field
            ktab = next(k for k, v in _KTAB_PARAMETERS.items() if v == attr)
            raise InputError(err.problems[0].message, field=ktab) from None

    def ktab_names(self) -> dict[str, str]:
        """The nine model options under KTAB's names, as its log prints them."""
        return {k: str(getattr(self, v)) for k, v in _KTAB_PARAMETERS.items()}

    def variant(self) -> str:
        """``"ktab-default"`` or the options that differ from it, for reports."""
        default = SMPConfig()
        diffs = [
            f"{f.name}={getattr(self, f.name)}"
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        ]
        return "ktab-default" if not diffs else "ktab:" + ",".join(diffs)


# --------------------------------------------------------------------------- kernels


def _seqsum(x: FloatArray) -> FloatArray:
    """Sum over axis 0 in index order (KTAB's loops), not NumPy's pairwise order."""
    return cast(FloatArray, np.add.reduce(np.ascontiguousarray(x), axis=0))


def _accumulate(start: FloatArray, terms: FloatArray, *, add_positive: bool) -> FloatArray:
    """KTAB's coalition loops in index order over axis 0 of ``terms``:
    ``start + t_0 + t_1 ...`` over the positive terms (``add_positive``), or
    ``start - t_0 - t_1 ...`` over the negative ones. Skipped terms enter as
    zeros, which leave the running sum exactly unchanged."""
    buf = np.empty((terms.shape[0] + 1, *terms.shape[1:]))
    buf[0] = start
    if add_positive:
        np.maximum(terms, 0.0, out=buf[1:])
        return cast(FloatArray, np.add.reduce(buf, axis=0))
    np.minimum(terms, 0.0, out=buf[1:])
    return cast(FloatArray, np.subtract.reduce(buf, axis=0))


def _vote_du(rule: VotingRule, w: FloatArray, du: FloatArray, *, inplace: bool) -> FloatArray:
    """``Model::vote`` from the utility difference ``du`` (may overwrite it)."""
    if rule == "Prop":
        return cast(FloatArray, np.multiply(du, w, out=du if inplace else None))
    binary = np.clip(du / _BINARY_VOTE_SCALE, -1.0, 1.0)
    if rule == "Binary":
        return w * binary
    if rule == "PropBin":
        rbp = 0.2
        return w * ((1 - rbp) * du + rbp * binary)
    cubic = du * du * du
    if rule == "PropCbc":
        rpc = 0.5
        return w * ((1 - rpc) * du + rpc * cubic)
    if rule == "Cubic":
        return w * cubic
    if rule == "ASymProsp":
        gain = (2.0 * w * du) / 3.0
        return cast(FloatArray, np.where(du < 0.0, w * du, np.where(du > 0.0, gain, 0.0)))
    raise ValueError(f"unknown voting rule {rule!r}")


def vote(rule: VotingRule, weight: ArrayLike, u_a: ArrayLike, u_b: ArrayLike) -> FloatArray:
    """Vote of a voter of weight ``weight`` for option a over option b.

    Parameters
    ----------
    rule : the voting rule (see :class:`SMPConfig`).
    weight : positive voting weight, broadcast against the utilities.
    u_a, u_b : the voter's utilities of the two options.

    Returns
    -------
    The signed vote (positive: for a), KTAB's ``Model::vote``.

    Examples
    --------
    >>> float(vote("Prop", 2.0, 0.9, 0.6))
    0.6000000000000001
    >>> float(vote("ASymProsp", 3.0, 0.5, 0.8))  # losses count fully
    -0.9000000000000001
    """
    w = np.asarray(weight, dtype=float)
    du = np.asarray(u_a, dtype=float) - np.asarray(u_b, dtype=float)
    return _vote_du(rule, w, np.asarray(du, dtype=float), inplace=True)


def victory_probability(
    model: VictoryModel, strength_a: ArrayLike, strength_b: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """P(a beats b) and P(b beats a) from coalition strengths (``Model::vProb``).

    Examples
    --------
    >>> p, q = victory_probability("Square", 3.0, 1.0)
    >>> float(p), float(q)
    (0.9, 0.1)
    """
    s1 = np.asarray(strength_a, dtype=float)
    s2 = np.asarray(strength_b, dtype=float)
    if model == "Linear":
        x1, x2 = s1, s2
    elif model == "Square":
        x1, x2 = s1 * s1, s2 * s2
    elif model == "Quartic":
        x1, x2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
    elif model == "Octic":
        q1, q2 = s1 * s1 * s1 * s1, s2 * s2 * s2 * s2
        x1, x2 = q1 * q1, q2 * q2
    elif model == "Binary":
        t = _BINARY_VICTORY_THRESHOLD
        with np.errstate(invalid="ignore", divide="ignore"):
            r12 = s1 / (s1 + s2)
            p12 = (r12 * (t + 1.0) - 1.0) / (t - 1.0)
        a_wins = s1 >= t * s2
        b_wins = ~a_wins & (s2 >= t * s1)
        x1 = np.where(a_wins, 1.0, np.where(b_wins, _BINARY_VICTORY_MIN, p12))
        x2 = np.where(a_wins, _BINARY_VICTORY_MIN, np.where(b_wins, 1.0, 1 - p12))
    else:
        raise ValueError(f"unknown victory model {model!r}")
    total = x1 + x2
    return cast(FloatArray, x1 / total), cast(FloatArray, x2 / total)


def _grouped_pce(
    utility: FloatArray,
    weight: FloatArray,
    group: IntArray,
    rule: VotingRule,
    victory: VictoryModel,
    model: PCEModel,
) -> FloatArray:
    """Probabilistic Condorcet elections over several option sets at once.

    ``utility[v, m]`` is voter v's utility of option m; options with the same
    ``group`` compete (KTAB's ``Model::scalarPCE`` per group). Returns p[m],
    summing to 1 within each group. Cost O(V * sum of squared group sizes).
    """
    n_opt = utility.shape[1]
    same = group[:, None] == group[None, :]
    lo_a, lo_b = np.nonzero(np.tril(same, -1))  # pairs a > b within a group
    # Model::coalitions: voters accumulate in index order from minC; pairs in
    # cache-sized blocks
    c_low = np.empty(lo_a.size)
    c_up = np.empty(lo_a.size)
    block = max(1, _CHUNK_ELEMENTS // utility.shape[0])
    for lo in range(0, lo_a.size, block):
        a, b = lo_a[lo : lo + block], lo_b[lo : lo + block]
        du = np.subtract(utility[:, a], utility[:, b])
        votes = _vote_du(rule, weight[:, None], du, inplace=True)
        start = np.full(a.size, _MIN_COALITION)
        c_low[lo : lo + block] = _accumulate(start, votes, add_positive=True)
        c_up[lo : lo + block] = _accumulate(start, votes, add_positive=False)
    p_low, p_up = victory_probability(victory, c_low, c_up)
    diag = np.arange(n_opt)

    if model == "Conditional":
        pv = np.where(same, 0.0, 1.0)  # other groups: factor 1 in the product
        pv[lo_a, lo_b] = p_low
        pv[lo_b, lo_a] = p_up
        pv[diag, diag] = 0.5
        prod = cast(FloatArray, np.multiply.reduce(np.ascontiguousarray(pv.T), axis=0))
        totals = np.bincount(group, weights=prod)
        return prod / totals[group]

    pv = np.zeros((n_opt, n_opt))  # other groups: no interaction
    pv[lo_a, lo_b] = p_low
    pv[lo_b, lo_a] = p_up
    pv[diag, diag] = 0.5
    sizes = np.bincount(group)
    p = 1.0 / sizes[group].astype(float)
    active = np.ones(sizes.size, dtype=bool)

    if model == "MarkovUniform":
        tol = 1e-6
        n_group = sizes[group].astype(float)
        for _ in range(_MARKOV_MAX_ITERATIONS):
            terms = pv * (p[:, None] + p[None, :])
            q = _seqsum(terms.T) / n_group
            p, active = _markov_update(p, q, group, active, tol)
            if not active.any():
                break
        return p

    if model == "MarkovIncentive":
        tol = 1e-8
        strength = np.zeros((n_opt, n_opt))
        strength[lo_a, lo_b] = c_low
        strength[lo_b, lo_a] = c_up
        strength[diag, diag] = _MIN_COALITION
        incentive = strength * pv
        incentive[diag, diag] += 1e-10
        challenge = incentive / _seqsum(incentive)[None, :]  # P[i -> j], per column j
        for _ in range(_MARKOV_MAX_ITERATIONS):
            ct = p[:, None] * challenge.T  # ct[i, j] = p_i P[j -> i]
            terms = pv * (ct + ct.T)
            q = _seqsum(terms.T)
            p, active = _markov_update(p, q, group, active, tol)
            if not active.any():
                break
        return p

    raise ValueError(f"unknown PCE model {model!r}")


def _markov_update(
    p: FloatArray, q: FloatArray, group: IntArray, active: BoolArray, tol: float
) -> tuple[FloatArray, BoolArray]:
    """One damped step ``p <- (p + q) / 2`` for the groups still iterating."""
    change = np.zeros(active.size)
    np.maximum.at(change, group, np.abs(q - p))
    moving = active[group]
    p = np.where(moving, (p + q) / 2.0, p)
    return p, active & (change > tol)


def pce(
    utility: ArrayLike,
    weight: ArrayLike,
    *,
    rule: VotingRule = "Prop",
    victory: VictoryModel = "Linear",
    model: PCEModel = "Conditional",
) -> FloatArray:
    """Probability that each option wins a probabilistic Condorcet election.

    Parameters
    ----------
    utility : (V, M) utility of each option to each voter.
    weight : (V,) positive voting weights.
    rule, victory, model : voting rule, victory-probability model and PCE
        model (see :class:`SMPConfig`).

    Returns
    -------
    (M,) probabilities summing to 1 (KTAB's ``Model::scalarPCE``).

    Examples
    --------
    Two voters of weight 1 and 3, two options; Prop votes give coalitions 0.2
    and 0.6 (plus 1e-8 each), so P(0 beats 1) = 0.25 and conditional PCE
    gives (0.25, 0.75):

    >>> p = pce([[0.9, 0.7], [0.5, 0.7]], [1.0, 3.0])
    >>> [round(float(x), 6) for x in p]
    [0.25, 0.75]
    """
    u = np.asarray(utility, dtype=float)
    w = np.asarray(weight, dtype=float)
    if u.ndim != 2 or w.shape != (u.shape[0],):
        raise ValueError("utility must be (V, M) and weight (V,)")
    if np.any(w <= 0.0):
        raise ValueError("voting weights must be positive")
    return _grouped_pce(u, w, np.zeros(u.shape[1], dtype=np.intp), rule, victory, model)


def _salience_distance(ideal: FloatArray, position: FloatArray, salience: FloatArray) -> FloatArray:
    """``d[i, j]``: distance from i's ideal to j's position, weighted by i's
    saliences, ``sqrt(sum_k (s_ik (I_ik - X_jk))^2 / sum_k s_ik^2)``
    (``SMPModel::bvDiff``); ``position`` may hold any number of points."""
    diff = (ideal.T[:, :, None] - position.T[:, None, :]) * salience.T[:, :, None]  # (D, i, j)
    ds2 = _seqsum(diff * diff)
    ss2 = _seqsum(salience.T * salience.T)
    return cast(FloatArray, np.sqrt(ds2 / ss2[:, None]))


def _utility(d: FloatArray, risk: FloatArray | float) -> FloatArray:
    """``(1 - d)(1 + d R)`` (``SMPModel::bsUtil``; beyond d = 1 linear in R)."""
    r = np.asarray(risk, dtype=float)
    if np.all(d <= 1.0):  # always, up to round-off
        out = np.multiply(d, r)
        out += 1
        out *= 1 - d
        return cast(FloatArray, out)
    return cast(FloatArray, np.where(d <= 1.0, (1 - d) * (1 + d * r), (1 - d) * (1 + r)))


def _big_r(p: FloatArray, rng: BigRRange) -> FloatArray:
    pmin, pmax = float(p.min()), float(p.max())
    if pmax <= pmin:
        return np.zeros_like(p)
    if rng == "Min":
        return (p - pmin) / (pmax - pmin)
    if rng == "Mid":
        return (3 * p - (pmax + 2 * pmin)) / (2 * (pmax - pmin))
    return (2 * p - (pmax + pmin)) / (pmax - pmin)


def _estimated_risk(r: FloatArray, adjust: BigRAdjust) -> FloatArray:
    """``est[h, i]``: h's estimate of i's risk attitude (``Model::estNRA``)."""
    rh, ri = r[:, None], r[None, :]
    if adjust == "Full":
        out = np.broadcast_to(ri, (r.size, r.size))
    elif adjust == "TwoThirds":
        out = (rh + (2.0 * ri)) / 3.0
    elif adjust == "Half":
        out = (rh + ri) / 2
    elif adjust == "OneThird":
        out = ((2.0 * rh) + ri) / 3.0
    else:
        out = np.broadcast_to(rh, (r.size, r.size))
    return np.array(out, dtype=float)


# --------------------------------------------------------------------------- state


@dataclass(frozen=True, eq=False)
class _State:
    """One state of the model on the 0-1 scale, with its derived utilities."""

    position: FloatArray  # (N, D)
    ideal: FloatArray  # (N, D)
    distance: FloatArray  # (N, N) d[i, j], ideal i to position j
    risk: FloatArray  # (N,) R_i
    util: FloatArray  # (N, N, N) util[i, h, j]: h's estimate of u_i(x_j)


@dataclass(frozen=True, eq=False)
class _Actors:
    """Fixed actor attributes used in every round."""

    capability: FloatArray  # (N,) c_i
    salience: FloatArray  # (N, D) on 0-1
    total_salience: FloatArray  # (N,) S_i
    weight: FloatArray  # (N,) S_i c_i, the challenge-voting weight


def _make_state(
    position: FloatArray, ideal: FloatArray, actors: _Actors, config: SMPConfig
) -> _State:
    """Distances, risk attitudes and every actor's utility estimates
    (``SMPState::setAllAUtil``)."""
    d = _salience_distance(ideal, position, actors.salience)
    neutral = _utility(d, 0.0)
    n = d.shape[0]
    p = _grouped_pce(
        neutral,
        actors.capability,
        np.zeros(n, dtype=np.intp),
        config.voting_rule,
        config.victory_model,
        config.pce_model,
    )
    risk = _big_r(p, config.big_r_range)
    est = _estimated_risk(risk, config.big_r_adjust)  # (h, i)
    # laid out [i, h, j] so that the third-party slices of every challenge
    # (u[h=i][n, j] for all i) are the array itself, not a transposed copy
    util = _utility(d[:, None, :], est.T[:, :, None])
    return _State(position, ideal, d, risk, util)


def _challenge_core(
    uii: FloatArray,
    uij: FloatArray,
    uji: FloatArray,
    ujj: FloatArray,
    uki: FloatArray,
    ukj: FloatArray,
    uni: FloatArray,
    unj: FloatArray,
    unn: FloatArray,
    w_i: FloatArray,
    w_j: FloatArray,
    w_n: FloatArray,
    s_j: FloatArray,
    principals: list[tuple[IntArray | slice, ...]],
    config: SMPConfig,
) -> tuple[FloatArray, FloatArray]:
    """P(i beats j) and the expected utility change to k, in h's view
    (``SMPState::probEduChlg``), for arrays of challenges.

    Principal arrays (``uii``... ``ukj``, ``w_i``, ``w_j``, ``s_j``) share one
    shape C; third-party arrays (``uni``, ``unn``, ``w_n``) have the third
    party n on axis 0 and broadcast to ``unj.shape`` = (N, *C). ``principals``
    index the entries of that shape where n is i or j (they do not vote as
    third parties). Every expression keeps KTAB's order of operations; the
    big arrays are reused in place to limit memory traffic.
    """
    rule = config.voting_rule
    contrib_i = vote(rule, w_i, uii, uij)
    contrib_j = vote(rule, w_j, uji, ujj)
    c_ij = (_MIN_CONTRIBUTION + np.maximum(contrib_i, 0.0)) + np.maximum(contrib_j, 0.0)
    c_ji = (_MIN_CONTRIBUTION - np.minimum(contrib_i, 0.0)) - np.minimum(contrib_j, 0.0)

    # Actor::vProbLittle: n's little conflict with the principals only
    buf_a = np.subtract(uni, unj)
    v0 = _vote_du(rule, w_n, buf_a, inplace=True)
    pin = np.maximum(v0, 0.0)
    pin += c_ij  # cni
    cnj = np.minimum(v0, 0.0, out=v0)
    np.subtract(c_ji, cnj, out=cnj)
    buf_b = np.add(pin, cnj)
    np.divide(pin, buf_b, out=pin)
    pjn = np.subtract(1.0, pin, out=buf_a)

    # Actor::thirdPartyVoteSU: sums of three position utilities
    commit = config.third_party_commit
    u_ik_def_j = uni + uni + (uni if commit == "FullCommit" else unn)
    u_i_def_jk = uni + uni + (unn if commit == "NoCommit" else uni)
    np.add(unj, unj, out=buf_b)
    buf_b += unn if commit == "NoCommit" else unj  # u_j_def_ik
    buf_b *= pjn
    u_ik_j = np.multiply(pin, u_ik_def_j)
    u_ik_j += buf_b
    np.add(unj, unj, out=buf_b)
    buf_b += unj if commit == "FullCommit" else unn  # u_jk_def_i
    buf_b *= pjn
    u_i_jk = np.multiply(pin, u_i_def_jk, out=pin)
    u_i_jk += buf_b
    du = np.subtract(u_ik_j, u_i_jk, out=u_ik_j)
    vn = _vote_du(rule, w_n, du, inplace=True)
    for index in principals:
        vn[index] = 0.0
    chij = _accumulate(c_ij, vn, add_positive=True)
    chji = _accumulate(c_ji, vn, add_positive=False)

    phij = chij / (chij + chji)
    phji = chji / (chij + chji)
    eu_sq = uki + ukj
    u_win = uki + uki
    u_loss = ukj + ukj
    eu_contest = phij * u_win + phji * u_loss
    eu_challenge = (1 - s_j) * u_win + s_j * eu_contest
    return phij, eu_challenge - eu_sq


def _own_challenges(
    state: _State, actors: _Actors, config: SMPConfig
) -> tuple[FloatArray, FloatArray]:
    """``(P, G)``: each actor i's estimate (h = k = i) of P(i beats j) and of
    its gain from challenging j, for every pair, as (N, N) arrays.

    O(N^3) time; the (third party, initiator, target) arrays are built for
    blocks of initiators so that memory stays O(N^3) with a small constant.
    """
    u = state.util
    n = u.shape[0]
    ar = np.arange(n)
    # i's estimates (h = i) of u_a(x_b) are u[a, i, b]
    uii = u[ar, ar, ar][:, None]  # u_i(x_i)
    uij = u[ar, ar, :]  # u_i(x_j), (i, j)
    uni = u[:, ar, ar][:, :, None]  # u_n(x_i), (n, i, 1)
    unn = u[ar[None, :], ar[:, None], ar[None, :]].T[:, :, None]  # u_n(x_n), (n, i, 1)
    uji = uni[:, :, 0].T  # u_j(x_i), (i, j)
    ujj = unn[:, :, 0].T  # u_j(x_j), (i, j)
    w = actors.weight
    s_j = actors.total_salience[None, :]
    block = max(1, _CHUNK_ELEMENTS // (n * n))
    prob = np.empty((n, n))
    gain = np.empty((n, n))
    for lo in range(0, n, block):  # blocks of initiators, not pairs
        hi = min(n, lo + block)
        rows = ar[lo:hi]
        local = np.arange(hi - lo)
        prob[lo:hi], gain[lo:hi] = _challenge_core(
            uii[lo:hi],
            uij[lo:hi],
            uji[lo:hi],
            ujj[lo:hi],
            uii[lo:hi],
            uij[lo:hi],
            uni[:, lo:hi],
            u[:, lo:hi],  # u_n(x_j), (n, i, j)
            unn[:, lo:hi],
            w[lo:hi, None],
            w[None, :],
            w[:, None, None],
            s_j,
            [(rows, local, slice(None)), (ar, slice(None), ar)],  # n == i, n == j
            config,
        )
    return prob, gain


def _challenges(
    state: _State,
    actors: _Actors,
    config: SMPConfig,
    h: IntArray,
    k: IntArray,
    i: IntArray,
    j: IntArray,
) -> tuple[FloatArray, FloatArray]:
    """``probEduChlg(h, k, i, j)`` for index arrays of equal length M."""
    u = state.util  # u[a, h, b]: h's estimate of u_a(x_b)
    n = u.shape[0]
    nn = np.arange(n)[:, None]
    w = actors.weight
    return _challenge_core(
        u[i, h, i],
        u[i, h, j],
        u[j, h, i],
        u[j, h, j],
        u[k, h, i],
        u[k, h, j],
        u[nn, h[None, :], i[None, :]],
        u[nn, h[None, :], j[None, :]],
        u[nn, h[None, :], nn],
        w[i],
        w[j],
        w[:, None],
        actors.total_salience[j],
        [(i, np.arange(i.size)), (j, np.arange(j.size))],
        config,
    )


def _interpolate(
    x_i: FloatArray,
    s_i: FloatArray,
    p_i: FloatArray,
    x_j: FloatArray,
    s_j: FloatArray,
    p_j: FloatArray,
    how: BargainInterpolation,
) -> tuple[FloatArray, FloatArray]:
    """Bargain coordinates for initiator and receiver, per dimension
    (``SMPActor::interpolateBrgn``). Arrays (M, D); probabilities (M, 1)."""
    min_w = _BARGAIN_MIN_WEIGHT
    if how == "S2PMax":
        di = np.where(p_j > p_i, p_j - p_i, 0.0)
        dj = np.where(p_i > p_j, p_i - p_j, 0.0)
        si2, sj2 = s_i * s_i, s_j * s_j
        dik = (di * sj2) / ((di * sj2) + min_w + ((1 - di) * si2))
        djk = (dj * si2) / ((dj * si2) + min_w + ((1 - dj) * sj2))
        return x_i + dik * (x_j - x_i), x_j + djk * (x_i - x_j)
    if how == "S2P2":
        w_i = (s_i * s_i) * (p_i * p_i)
        w_j = (s_j * s_j) * (p_j * p_j)
    else:  # S1P1
        w_i = s_i * p_i
        w_j = s_j * p_j
    total = w_i + min_w + w_j
    b_i = ((w_i + min_w) * x_i + w_j * x_j) / total
    b_j = (w_i * x_i + (min_w + w_j) * x_j) / total
    return _round4(b_i), _round4(b_j)


def _round4(x: FloatArray) -> FloatArray:
    """KTAB's ``round4``: ``(int)(0.5 + x * 1e4) / 1e4``."""
    return np.trunc(0.5 + x * 10000.0) / 10000.0


@dataclass(frozen=True, eq=False)
class _Round:
    """What happened in one round (for explanations and diagnostics)."""

    target: IntArray  # (N,) best target or -1
    target_probability: FloatArray  # (N,) P(i beats target), i's view
    target_gain: FloatArray  # (N,) expected gain
    target_loss: FloatArray  # (N,) i's estimate of the target's change
    receiver_probability: FloatArray  # (N,) the target's estimate of P(i beats it)
    receiver_gain: FloatArray  # (N,) the target's estimate of i's change
    receiver_loss: FloatArray  # (N,) the target's estimate of its own change
    bargain_init: FloatArray  # (N, D) first bargain i offers: i's coordinates
    bargain_rcvr: FloatArray  # (N, D) ... the target's coordinates
    chosen_init: IntArray  # (N,) initiator of the bargain k adopted (k: SQ)
    chosen_rcvr: IntArray  # (N,) receiver of the bargain k adopted
    chosen_probability: FloatArray  # (N,) its PCE probability in k's queue
    queue_size: IntArray  # (N,)


def _step(
    state: _State,
    actors: _Actors,
    config: SMPConfig,
    rng: np.random.Generator,
) -> tuple[FloatArray, _Round]:
    """One round of challenges, bargains and resolution; returns new positions."""
    n, n_dims = state.position.shape
    x = state.position
    probability, gain = _own_challenges(state, actors, config)
    ar = np.arange(n)
    candidate = np.where((ar[:, None] != ar[None, :]) & (gain > _MIN_GAIN), gain, -np.inf)
    target = np.argmax(candidate, axis=1)  # first maximum: lowest index on ties
    has = np.isfinite(candidate[ar, target])
    init = ar[has]
    rcvr = target[has]
    p_init = probability[init, rcvr]
    # the other estimates KTAB reports for each challenge: i's view of the
    # change to j (h = i, k = j); j's view of P(i beats j) and of the
    # changes to i (h = j, k = i) and to itself (h = j, k = j)
    m = init.size
    other_p, other_du = _challenges(
        state,
        actors,
        config,
        np.concatenate([init, rcvr, rcvr]),
        np.concatenate([rcvr, init, rcvr]),
        np.concatenate([init, init, init]),
        np.concatenate([rcvr, rcvr, rcvr]),
    )
    p_rcvr_view = other_p[m : 2 * m]

    sal = actors.salience
    b_ii, b_ij = _interpolate(
        x[init],
        sal[init],
        p_init[:, None],
        x[rcvr],
        sal[rcvr],
        (1 - p_init)[:, None],
        config.bargain_interpolation,
    )
    if config.bargain_model == "InitOnlyInterp":
        b_init, b_rcvr, b_from, b_to = b_ii, b_ij, init, rcvr
    else:
        b_ji, b_jj = _interpolate(
            x[init],
            sal[init],
            p_rcvr_view[:, None],
            x[rcvr],
            sal[rcvr],
            (1 - p_rcvr_view)[:, None],
            config.bargain_interpolation,
        )
        if config.bargain_model == "InitRcvrInterp":
            b_init = np.concatenate([b_ii, b_ji])
            b_rcvr = np.concatenate([b_ij, b_jj])
            b_from = np.concatenate([init, init])
            b_to = np.concatenate([rcvr, rcvr])
        else:  # PWCompInterp, with KTAB's initiator capability for both weights
            cap = actors.capability[init][:, None]
            w_i = cap * actors.total_salience[init][:, None]
            w_j = cap * actors.total_salience[rcvr][:, None]
            b_init = (w_i * b_ii + w_j * b_ji) / (w_i + w_j)
            b_rcvr = (w_i * b_ij + w_j * b_jj) / (w_i + w_j)
            b_from, b_to = init, rcvr

    # options: every actor's status quo, then each bargain in both parties' queues
    n_b = b_from.size
    owner = np.concatenate([ar, b_from, b_to])
    rank = np.concatenate(
        [np.zeros(n, dtype=np.intp), np.ones(n_b, dtype=np.intp), np.full(n_b, 2, dtype=np.intp)]
    )
    column = np.concatenate([np.full(n, -1), np.arange(n_b), np.arange(n_b)])
    tie = np.concatenate([ar, b_from, b_from])  # receivers list offers by initiator
    order = np.lexsort((np.arange(owner.size), tie, rank, owner))
    owner, column = owner[order], column[order]

    # utility to voter a of the state after each bargain (updateBestBrgnPositions)
    own = state.util[ar, ar, :]  # own[a, m] = u[a, a, m], a's true utility of x_m
    sq_util = _seqsum(own.T) / n
    if n_b:
        pts = np.concatenate([b_init, b_rcvr])
        d_b = _salience_distance(state.ideal, pts, sal)
        u_b = _utility(d_b, state.risk[:, None])  # posUtil uses a's own R
        keep = (ar[:, None] != b_from[None, :]) & (ar[:, None] != b_to[None, :])  # (n, b)
        # u(init) + u(rcvr) + the unchanged positions, summed in KTAB's order,
        # in blocks of bargains
        brg_util = np.empty((n, n_b))
        block = max(1, _CHUNK_ELEMENTS // (n * n))
        for lo in range(0, n_b, block):
            hi = min(n_b, lo + block)
            stacked = np.empty((n + 1, n, hi - lo))
            np.add(u_b[:, lo:hi], u_b[:, n_b + lo : n_b + hi], out=stacked[0])
            np.multiply(own.T[:, :, None], keep[:, None, lo:hi], out=stacked[1:])  # (n, a, b)
            brg_util[:, lo:hi] = np.add.reduce(stacked, axis=0) / n
        util = np.where(column[None, :] < 0, sq_util[:, None], brg_util[:, np.maximum(column, 0)])
    else:
        util = np.repeat(sq_util[:, None], n, axis=1)

    p = _grouped_pce(
        util,
        actors.capability,
        owner,
        config.voting_rule,
        config.victory_model,
        config.pce_model,
    )
    if config.state_transitions == "Deterministic":
        pick = np.lexsort((np.arange(owner.size), -p, owner))
        first = np.ones(owner.size, dtype=bool)
        first[1:] = owner[pick][1:] != owner[pick][:-1]
        chosen = pick[first]  # one option per owner, owners in order
    else:
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        cum = np.cumsum(p)
        base = np.concatenate(([0.0], cum))[starts]
        within = cum - np.repeat(base, np.diff(np.r_[starts, owner.size]))
        draw = np.asarray(rng.uniform(0.0, 1.0, size=n), dtype=float)[owner]
        hit = (draw <= within) | (np.r_[owner[1:] != owner[:-1], True])
        hit_idx = np.flatnonzero(hit)
        chosen = hit_idx[np.searchsorted(hit_idx, starts)]

    new = x.copy()
    col = column[chosen]
    moved = col >= 0
    c = col[moved]
    is_init = b_from[c] == ar[moved]
    new[moved] = np.where(is_init[:, None], b_init[c], b_rcvr[c])

    sizes = np.bincount(owner, minlength=n)
    tgt = np.full(n, -1, dtype=np.intp)
    tgt[init] = rcvr
    tp = np.full(n, np.nan)
    tp[init] = p_init
    tg = np.full(n, np.nan)
    tg[init] = gain[init, rcvr]
    views = np.full((4, n), np.nan)
    views[0, init] = other_du[:m]
    views[1, init] = p_rcvr_view
    views[2, init] = other_du[m : 2 * m]
    views[3, init] = other_du[2 * m :]
    bi = np.full((n, n_dims), np.nan)
    br = np.full((n, n_dims), np.nan)
    bi[init] = b_init[: init.size]
    br[init] = b_rcvr[: init.size]
    ch_i = ar.copy()
    ch_r = ar.copy()
    ch_i[moved] = b_from[c]
    ch_r[moved] = b_to[c]
    return new, _Round(
        tgt, tp, tg, views[0], views[1], views[2], views[3], bi, br, ch_i, ch_r, p[chosen], sizes
    )


def _distinct(position: FloatArray, tol: float) -> tuple[IntArray, IntArray]:
    """KTAB's ``ueIndices`` with ``equivNdx`` (Euclidean distance < tol):
    indices of the first actor of each distinct position, and for each actor
    the last distinct position it is equivalent to (``State::posProb``)."""
    diff = position[:, None, :] - position[None, :, :]
    close = np.sqrt(_seqsum(np.moveaxis(diff * diff, 2, 0))) < tol
    unique: list[int] = []
    for a in range(position.shape[0]):  # greedy over actors, O(N) iterations
        if not unique or not close[a, unique].any():
            unique.append(a)
    uidx = np.asarray(unique, dtype=np.intp)
    member = close[:, uidx]
    last = member.shape[1] - 1 - np.argmax(member[:, ::-1], axis=1)
    return uidx, last


def _position_probability(
    state: _State, actors: _Actors, config: SMPConfig
) -> tuple[FloatArray, IntArray, FloatArray]:
    """Win probability of each actor's position (KTAB's "prob" lines):
    a PCE over the distinct positions, each actor voting with its own
    utilities and its capability. Returns (per actor, distinct indices,
    per distinct position)."""
    n = state.position.shape[0]
    ar = np.arange(n)
    uidx, last = _distinct(state.position, config.position_tolerance)
    own = state.util[ar, ar, :]
    p = _grouped_pce(
        own[:, uidx],
        actors.capability,
        np.zeros(uidx.size, dtype=np.intp),
        config.voting_rule,
        config.victory_model,
        config.pce_model,
    )
    return p[last], uidx, p


def _validate(problem: BargainingProblem, accommodation: FloatArray | None) -> None:
    """Refuse a problem the model cannot run, naming the attribute at fault."""
    x = np.asarray(problem.position, dtype=float)
    if x.ndim != 2:
        raise InputError("must be an (N, D) array", field="position")
    n, n_dims = x.shape
    scen = f" in {problem.name!r}" if problem.name else ""
    if n < 3:
        raise InputError(f"{n} actors{scen}; the spatial model needs at least 3", field="actors")
    cap = np.asarray(problem.capability, dtype=float)
    s = np.asarray(problem.salience, dtype=float)
    if cap.shape != (n,) or s.shape != (n, n_dims) or len(problem.actors) != n:
        raise InputError(
            f"need {n} names, capabilities (N,) and saliences (N, D) to match the positions",
            field="actors",
        )
    bad = np.flatnonzero(~(np.isfinite(cap) & (cap > 0)))
    if bad.size:
        raise InputError(
            f"capability of {problem.actors[bad[0]]}{scen} is {cap[bad[0]]:g}; "
            "give a positive number",
            field="capability",
        )
    bad = np.flatnonzero(~np.all(np.isfinite(s) & (s >= 0) & (s <= 1), axis=1))
    if bad.size:
        raise InputError(
            f"saliences of {problem.actors[bad[0]]}{scen} are outside [0, 1]; "
            "readers divide percentages by 100",
            field="salience",
        )
    total = s.sum(axis=1)
    bad = np.flatnonzero((total > 1 + 1e-9) | (total <= 0))
    if bad.size:
        a = int(bad[0])
        raise InputError(
            f"saliences of {problem.actors[a]}{scen} sum to {total[a]:g}; each actor's must "
            "sum to a value in (0, 1] (drop actors with no salience)",
            field="salience",
        )
    lo, hi = problem.scale
    if not hi > lo:
        raise InputError(f"scale {problem.scale} is empty; give (low, high)", field="scale")
    bad = np.flatnonzero(~np.all(np.isfinite(x) & (x >= lo) & (x <= hi), axis=1))
    if bad.size:
        raise InputError(
            f"position of {problem.actors[bad[0]]}{scen} lies outside the scale {problem.scale}",
            field="position",
        )
    if accommodation is not None:
        acc = accommodation
        if acc.shape != (n, n):
            raise InputError(f"must be {n} x {n}", field="accommodation")
        if not np.all(np.isfinite(acc)) or np.any(acc < 0) or np.any(acc > 1):
            raise InputError("entries must lie in [0, 1]", field="accommodation")
        if np.any(acc.sum(axis=1) > 1 + 1e-10):
            raise InputError("each row must sum to at most 1", field="accommodation")


def run_smp(
    problem: BargainingProblem,
    *,
    config: SMPConfig | None = None,
    max_turns: int = 100,
    seed: int | None = None,
    accommodation: ArrayLike | None = None,
) -> BargainingRun:
    """Run KTAB's spatial model of politics to convergence.

    Parameters
    ----------
    problem : actors, capabilities, positions (any scale, ``problem.scale``)
        and saliences (0-1, each actor's summing to at most 1).
    config : model options; ``None`` is KTAB's default configuration.
    max_turns : the most rounds to run (KTAB: 100).
    seed : seed of the generator for stochastic state transitions.
    accommodation : (N, N) ideal-accommodation matrix A, ideals moving as
        ``I' = A X' + (1 - rowsum A) I``; ``None`` is the identity (ideals
        follow positions, KTAB's default and CSV behaviour).

    Returns
    -------
    BargainingRun
        ``positions`` (T + 1, N, D) on the problem's scale, turn 0 the input;
        ``forecast`` per ``config.forecast``; ``moves``: one record per actor
        and turn in which it moved, naming the bargain it adopted; ``extra``:

        - ``win_probability`` (T + 1, N): probability that each actor's
          position wins the PCE (KTAB's "prob" lines),
        - ``risk_attitude`` (T + 1, N): R_i,
        - ``state_distance`` (T,), ``stopping_ratio`` (T,): the movement of
          each round (0-1 scale) and its ratio to the first (KTAB's
          "Fractional change compared to first step"),
        - ``target`` (T, N): the actor each actor challenged (-1: none), with
          ``target_probability`` and ``target_gain`` (its own estimates of
          P(it beats the target) and of its gain), ``target_loss`` (its
          estimate of the target's change), ``receiver_probability``,
          ``receiver_gain`` and ``receiver_loss`` (the target's estimates of
          the same probability, of the initiator's change and of its own),
        - ``bargain_initiator`` and ``bargain_receiver`` (T, N, D): the
          coordinates of the bargain each initiator offered (NaN: none),
        - ``adopted_initiator``, ``adopted_receiver`` (T, N): the parties of
          the bargain each actor adopted (both itself: status quo), and
          ``adopted_probability`` (T, N) its probability in the actor's queue,
        - ``queue_size`` (T, N), ``ideal`` (T + 1, N, D),
          ``expected_position`` (T + 1, D).

    Raises
    ------
    InputError
        If the problem has fewer than 3 actors, a non-positive capability,
        saliences outside [0, 1] or summing above 1, positions outside the
        scale, or an invalid accommodation matrix.

    Notes
    -----
    Cost per round O(N^3 D) time and O(N^3) memory (the utility estimates of
    every actor about every pair, and the third-party votes on every
    challenge), plus the queue elections, O(N * sum of squared queue sizes).

    Examples
    --------
    >>> import numpy as np
    >>> from realpolitik.bargaining.types import BargainingProblem
    >>> problem = BargainingProblem(
    ...     actors=("A", "B", "C"), capability=np.array([1.0, 1.0, 2.0]),
    ...     position=np.array([[10.0], [50.0], [90.0]]),
    ...     salience=np.array([[0.5], [0.5], [0.5]]))
    >>> run = run_smp(problem)
    >>> run.positions.shape[1:], run.model
    ((3, 1), 'smp')
    """
    config = config or SMPConfig()
    acc = None if accommodation is None else np.asarray(accommodation, dtype=float)
    _validate(problem, acc)
    if max_turns < 1:
        raise InputError("must be at least 1", field="max_turns")
    identity = acc is None or bool(np.array_equal(acc, np.eye(problem.n_actors)))

    lo, hi = problem.scale
    span = hi - lo
    sal = np.asarray(problem.salience, dtype=float)
    total_sal = _seqsum(sal.T)
    cap = np.asarray(problem.capability, dtype=float)
    actors = _Actors(cap, sal, total_sal, total_sal * cap)
    rng = np.random.default_rng(seed)

    x0 = (np.asarray(problem.position, dtype=float) - lo) / span
    state = _make_state(x0, x0.copy(), actors, config)
    # per state: positions, ideals, risk attitudes, win probabilities; the
    # O(N^3) utility estimates live only as long as their state is current
    history_x, history_ideal, history_risk = [state.position], [state.ideal], [state.risk]
    win: list[FloatArray] = []
    expected: list[FloatArray] = []
    rounds: list[_Round] = []
    distances: list[float] = []
    ratios: list[float] = []
    turn = 0
    while True:
        per_actor, uidx, pu = _position_probability(state, actors, config)
        win.append(per_actor)
        expected.append(pu @ state.position[uidx])
        if turn > 0 and (
            turn >= max_turns or (turn >= config.min_turns and ratios[-1] < config.min_delta_ratio)
        ):
            break
        turn += 1
        new_x, info = _step(state, actors, config, rng)
        if identity:
            ideal = new_x.copy()
        else:
            assert acc is not None
            lag = 1.0 - np.minimum(acc.sum(axis=1), 1.0)
            ideal = acc @ new_x + lag[:, None] * state.ideal
        delta = np.sqrt(_seqsum(((new_x - state.position) ** 2).T))
        distances.append(float(_seqsum(delta)))
        ratios.append(distances[-1] / (distances[0] + config.min_significant_delta))
        rounds.append(info)
        state = _make_state(new_x, ideal, actors, config)
        history_x.append(state.position)
        history_ideal.append(state.ideal)
        history_risk.append(state.risk)

    if config.forecast == "most_probable":
        fc01 = state.position[uidx[int(np.argmax(pu))]]
    else:
        fc01 = pu @ state.position[uidx]

    def scale(v: FloatArray) -> FloatArray:
        return lo + v * span

    positions = scale(np.stack(history_x))
    moves: list[Move] = []
    names = problem.actors
    for t, info in enumerate(rounds, start=1):
        before, after = positions[t - 1], positions[t]
        for k in np.flatnonzero(np.any(history_x[t] != history_x[t - 1], axis=1)):
            a, b = int(info.chosen_init[k]), int(info.chosen_rcvr[k])
            other = b if a == k else a
            role = "its own challenge of" if a == k else "the challenge by"
            detail = (
                f"adopted the bargain from {role} {names[other]} "
                f"({names[a]} estimated P({names[a]} beats {names[b]}) = "
                f"{info.target_probability[a]:.4f} and a gain of {info.target_gain[a]:+.4f}; "
                f"{names[b]}'s estimate: {info.receiver_probability[a]:.4f}); the bargain won "
                f"{names[k]}'s election among its {int(info.queue_size[k])} options "
                f"with probability {info.chosen_probability[k]:.4f}"
            )
            moves.append(
                Move(
                    turn=t,
                    actor=names[k],
                    kind="bargain",
                    counterpart=names[other],
                    old=tuple(float(v) for v in before[k]),
                    new=tuple(float(v) for v in after[k]),
                    detail=detail,
                )
            )

    def stack(attr: str) -> FloatArray:
        return np.stack([np.asarray(getattr(r, attr), dtype=float) for r in rounds])

    extra: dict[str, FloatArray] = {
        "win_probability": np.stack(win),
        "risk_attitude": np.stack(history_risk),
        "state_distance": np.asarray(distances),
        "stopping_ratio": np.asarray(ratios),
        "target": stack("target"),
        "target_probability": stack("target_probability"),
        "target_gain": stack("target_gain"),
        "target_loss": stack("target_loss"),
        "receiver_probability": stack("receiver_probability"),
        "receiver_gain": stack("receiver_gain"),
        "receiver_loss": stack("receiver_loss"),
        "bargain_initiator": scale(stack("bargain_init")),
        "bargain_receiver": scale(stack("bargain_rcvr")),
        "adopted_initiator": stack("chosen_init"),
        "adopted_receiver": stack("chosen_rcvr"),
        "adopted_probability": stack("chosen_probability"),
        "queue_size": stack("queue_size"),
        "ideal": scale(np.stack(history_ideal)),
        "expected_position": scale(np.stack(expected)),
    }
    return BargainingRun(
        model="smp",
        variant=config.variant(),
        problem=problem,
        positions=positions,
        forecast=scale(fc01),
        baselines=baselines(problem),
        moves=tuple(moves),
        extra=extra,
    )
