"""KTAB's spatial model of politics for many problems at once.

The same model for B problems of one size at once: every array gains a
batch axis, so an ensemble of parameter draws costs a few dozen NumPy calls
per round instead of a few dozen per round *and draw*. Only KTAB's default
model options are batched (see _BATCH_OPTIONS); run_smp remains the
reference and the only path for the others.

Bit-for-bit agreement with run_smp needs the same floating-point operations
in the same order, and NumPy's reductions are not all sequential: a
reduction along a contiguous run (a 1-D array, or an axis-0 reduction whose
other axes have size 1) adds ``x0 + pairwise(x1, ...)``, while an axis-0
reduction over several columns adds row after row. run_smp meets the first
kind in two places, summing a round's movement over actors and the one
coalition of an election between exactly two distinct positions; the batch
reproduces both (_movement, _pce_batch's ``single_pair``) and uses strictly
sequential sums (_ordered) everywhere else, as run_smp's _seqsum does there.

Why a module of its own: :mod:`realpolitik.bargaining.smp` is the model for
one problem, the reference that reproduces KTAB's log; this module is the same
model vectorised over problems, checked bit for bit against it
(``tests/bargaining/test_smp_batch.py``). It reuses that module's pieces that
have no batch axis (utilities, interpolation, the challenge kernel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from realpolitik.bargaining.smp import (
    _MIN_COALITION,
    _MIN_GAIN,
    SMPConfig,
    _challenge_core,
    _interpolate,
    _utility,
    run_smp,
    victory_probability,
)
from realpolitik.bargaining.types import BargainingProblem
from realpolitik.errors import InputError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

_BATCH_OPTIONS = (
    "victory_model",
    "voting_rule",
    "pce_model",
    "state_transitions",
    "big_r_range",
    "big_r_adjust",
    "third_party_commit",
    "bargain_interpolation",
    "bargain_model",
)
# run_smp sums its elections' coalitions in blocks of 2^17 / N pairs
# (_CHUNK_ELEMENTS); a last block of one pair would be summed as a contiguous
# run. A queue election has at most 1.5 N^2 pairs (the queues hold N + 2 x
# bargains <= 3N options, none more than N + 1), so up to 44 actors every
# election is one block. Beyond, the batch runs each problem through run_smp
# (each is O(N^3) array work per round, so the loop over problems costs
# little there).
_BATCH_MAX_ACTORS = 44
_BATCH_ELEMENTS = 1 << 20  # entries of the largest (N, B, N, N) arrays per chunk of draws


@dataclass(frozen=True, eq=False)
class SMPBatchRun:
    """Forecasts of a batch of spatial-model problems (:func:`run_smp_batch`).

    Attributes
    ----------
    forecast : (B, D) each problem's forecast on the scale, as
        ``run_smp(problem).forecast``.
    win_probability : (B, N) each actor's probability that its final
        position wins (KTAB's last "prob" line), as
        ``run_smp(problem).extra["win_probability"][-1]``.
    states : (B,) number of states of each run (turn 0 included), as
        ``run_smp(problem).positions.shape[0]``.
    """

    forecast: FloatArray
    win_probability: FloatArray
    states: IntArray


@dataclass(frozen=True, eq=False)
class _BatchActors:
    """Fixed attributes of B problems' actors (batch axis first)."""

    capability: FloatArray  # (B, N)
    salience: FloatArray  # (B, N, D)
    total_salience: FloatArray  # (B, N)
    weight: FloatArray  # (B, N)

    def take(self, rows: IntArray) -> _BatchActors:
        return _BatchActors(
            self.capability[rows], self.salience[rows], self.total_salience[rows], self.weight[rows]
        )


@dataclass(frozen=True, eq=False)
class _BatchState:
    """B states on the 0-1 scale; ideals equal positions (identity accommodation)."""

    position: FloatArray  # (B, N, D)
    risk: FloatArray  # (B, N)
    util: FloatArray  # (N, B, N, N) util[i, b, h, j]: h's estimate of u_i(x_j) in problem b

    def take(self, rows: IntArray) -> _BatchState:
        return _BatchState(self.position[rows], self.risk[rows], self.util[:, rows])


def _ordered(ufunc: np.ufunc, x: FloatArray) -> FloatArray:
    """``ufunc.reduce`` over axis 0 strictly in index order, whatever the shape.

    An axis-0 reduction of a C-contiguous array with at least two columns runs
    row after row; with a single column NumPy would reduce a contiguous run
    instead (pairwise for ``add``), so a copy of the column is put beside it.
    """
    x = np.ascontiguousarray(x)
    rest = x.shape[1:]
    width = int(np.prod(rest, dtype=np.intp))
    if width == 0:
        return np.zeros(rest)
    flat = x.reshape(x.shape[0], width)
    if width == 1:
        flat = np.concatenate([flat, flat], axis=1)
        return cast(FloatArray, ufunc.reduce(flat, axis=0)[:1].reshape(rest))
    return cast(FloatArray, ufunc.reduce(flat, axis=0).reshape(rest))


def _accumulate_batch(start: FloatArray, terms: FloatArray, *, add_positive: bool) -> FloatArray:
    """:func:`_accumulate` with strictly sequential sums (see :func:`_ordered`)."""
    buf = np.empty((terms.shape[0] + 1, *terms.shape[1:]))
    buf[0] = start
    if add_positive:
        np.maximum(terms, 0.0, out=buf[1:])
        return _ordered(np.add, buf)
    np.minimum(terms, 0.0, out=buf[1:])
    return _ordered(np.subtract, buf)


def _distance_batch(ideal: FloatArray, position: FloatArray, salience: FloatArray) -> FloatArray:
    """:func:`_salience_distance` per problem: ``d[b, i, m]`` from i's ideal to
    point m, for ideals and saliences (B, N, D) and points (B, M, D)."""
    s = salience.transpose(2, 0, 1)  # (D, B, N)
    diff = ideal.transpose(2, 0, 1)[:, :, :, None] - position.transpose(2, 0, 1)[:, :, None, :]
    diff *= s[:, :, :, None]
    ds2 = _ordered(np.add, diff * diff)
    ss2 = _ordered(np.add, s * s)
    return cast(FloatArray, np.sqrt(ds2 / ss2[:, :, None]))


def _pce_batch(
    utility: FloatArray,
    weight: FloatArray,
    valid: BoolArray | None = None,
    single_pair: BoolArray | None = None,
) -> FloatArray:
    """KTAB's default election (Prop votes, Linear victory, Conditional PCE)
    over many option sets of equal padded size at once.

    ``utility[v, *S, m]``: voter v's utility of option m of set S; ``weight``
    (V, ...) broadcasts against ``utility[..., 0]``; ``valid[*S, m]`` marks
    the options that exist (``None``: all). Padded options vote in no pair and
    enter each product as a factor 1 and each total as 0, which leaves the
    valid options' arithmetic, in their order, exactly as in
    :func:`_grouped_pce`. ``single_pair[*S]`` marks sets that hold exactly one
    pair, whose coalition run_smp sums as a contiguous run (see
    :func:`_ordered`). Cost O(V M^2) per set.
    """
    m = utility.shape[-1]
    qa, qb = np.tril_indices(m, -1)  # pairs a > b in the order of np.nonzero(np.tril(...))
    votes = np.subtract(utility[..., qa], utility[..., qb])
    np.multiply(votes, weight[..., None], out=votes)  # _vote_du("Prop")
    start = np.full(votes.shape[1:], _MIN_COALITION)
    c_low = _accumulate_batch(start, votes, add_positive=True)
    c_up = _accumulate_batch(start, votes, add_positive=False)
    if single_pair is not None and single_pair.any():
        run = np.moveaxis(votes[:, single_pair], 0, -1)  # (sets, pairs, V)
        buf = np.empty((*run.shape[:-1], run.shape[-1] + 1))
        buf[..., 0] = _MIN_COALITION
        np.maximum(run, 0.0, out=buf[..., 1:])
        c_low[single_pair] = np.add.reduce(buf, axis=-1)  # a contiguous run per pair
    p_low, p_up = victory_probability("Linear", c_low, c_up)
    pv = np.empty((*votes.shape[1:-1], m, m))
    pv[..., qa, qb] = p_low
    pv[..., qb, qa] = p_up
    diag = np.arange(m)
    pv[..., diag, diag] = 0.5
    if valid is not None:
        pv = np.where(valid[..., :, None] & valid[..., None, :], pv, 1.0)
    prod = _ordered(np.multiply, np.moveaxis(pv, -1, 0))
    if valid is not None:
        prod = np.where(valid, prod, 0.0)
    total = _ordered(np.add, np.moveaxis(prod, -1, 0))
    return prod / total[..., None]


def _state_batch(position: FloatArray, actors: _BatchActors) -> _BatchState:
    """:func:`_make_state` for B problems under the default options."""
    d = _distance_batch(position, position, actors.salience)  # (B, i, j)
    neutral = _utility(d, 0.0)
    p = _pce_batch(neutral.transpose(1, 0, 2), actors.capability.T)
    pmin = p.min(axis=1, keepdims=True)
    pmax = p.max(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mid = (3 * p - (pmax + 2 * pmin)) / (2 * (pmax - pmin))  # BigRRange Mid
    risk = np.where(pmax > pmin, mid, 0.0)
    est = ((2.0 * risk[:, :, None]) + risk[:, None, :]) / 3.0  # OneThird, est[b, h, i]
    util = _utility(d.transpose(1, 0, 2)[:, :, None, :], est.transpose(2, 0, 1)[:, :, :, None])
    return _BatchState(position, risk, util)


def _step_batch(state: _BatchState, actors: _BatchActors, config: SMPConfig) -> FloatArray:
    """:func:`_step` for B problems under the default options: new positions.

    The number of challenges and bargains differs between problems, so each
    actor's queue starts as a row of slots (status quo, its own bargain, the
    bargain of every possible initiator), compacted so that the options that
    exist keep run_smp's queue order; the queues of each length are then
    elected together, without padding.
    """
    u = state.util
    x = state.position
    n = u.shape[0]
    n_batch = x.shape[0]
    ar = np.arange(n)
    own = u[ar, :, ar, :]  # (a, B, m): a's own utility of x_m
    uii = own[ar, :, ar].T  # (B, i)
    uij = own.transpose(1, 0, 2)  # (B, i, j)
    uni = np.diagonal(u, axis1=2, axis2=3)  # (n, B, i): u_n(x_i), i's view
    unn = u[ar, :, :, ar]  # (n, B, i): u_n(x_n), i's view
    w = actors.weight
    probability, gain = _challenge_core(
        uii[:, :, None],
        uij,
        uni.transpose(1, 2, 0),  # u_j(x_i), (B, i, j)
        unn.transpose(1, 2, 0),  # u_j(x_j), (B, i, j)
        uii[:, :, None],
        uij,
        uni[..., None],
        u,
        unn[..., None],
        w[:, :, None],
        w[:, None, :],
        w.T[:, :, None, None],
        actors.total_salience[:, None, :],
        [(ar, slice(None), ar, slice(None)), (ar, slice(None), slice(None), ar)],
        config,
    )
    candidate = np.where((ar[:, None] != ar[None, :]) & (gain > _MIN_GAIN), gain, -np.inf)
    target = np.argmax(candidate, axis=2)  # (B, i), lowest index on ties
    has = np.isfinite(np.take_along_axis(candidate, target[:, :, None], axis=2)[:, :, 0])
    p_init = np.take_along_axis(probability, target[:, :, None], axis=2)  # (B, i, 1)
    sal = actors.salience
    b_init, b_rcvr = _interpolate(
        x,
        sal,
        p_init,
        np.take_along_axis(x, target[:, :, None], axis=1),
        np.take_along_axis(sal, target[:, :, None], axis=1),
        1 - p_init,
        "S2P2",
    )

    # utility to voter a of the state after initiator c's bargain
    own_m = own.transpose(2, 1, 0)  # (m, B, a)
    sq_util = _ordered(np.add, own_m) / n  # (B, a)
    d_b = _distance_batch(x, np.concatenate([b_init, b_rcvr], axis=1), sal)
    u_b = _utility(d_b, state.risk[:, :, None])  # (B, a, 2N): a's own R
    keep = (ar[:, None, None] != ar[None, None, :]) & (ar[:, None, None] != target[None, :, :])
    stacked = np.empty((n + 1, n_batch, n, n))  # (1 + m, B, a, c)
    np.add(u_b[:, :, :n], u_b[:, :, n:], out=stacked[0])
    np.multiply(own_m[:, :, :, None], keep[:, :, None, :], out=stacked[1:])
    table = np.empty((n_batch, n, n + 1))  # (B, a, option): bargains by initiator, then SQ
    table[:, :, :n] = _ordered(np.add, stacked) / n
    table[:, :, n] = sq_util

    # queues (B, owner k, slot): status quo, own bargain, bargains by initiator
    src = np.empty((n_batch, n, n + 2), dtype=np.intp)
    src[:, :, 0] = -1
    src[:, :, 1] = ar
    src[:, :, 2:] = ar
    valid = np.empty((n_batch, n, n + 2), dtype=bool)
    valid[:, :, 0] = True
    valid[:, :, 1] = has
    valid[:, :, 2:] = has[:, None, :] & (target[:, None, :] == ar[None, :, None])
    order = np.argsort(~valid, axis=2, kind="stable")  # valid slots first, in order
    src = np.take_along_axis(src, order, axis=2)
    size = valid.sum(axis=2)  # (B, k)
    column = np.where(src < 0, n, src)
    # one election per queue length, over every queue of that length: no
    # padding, and a loop over lengths (at most N + 1), not over problems
    chosen = np.zeros((n_batch, n), dtype=np.intp)  # a queue of one: the status quo
    for length in np.unique(size[size > 1]):
        rows, owners = np.nonzero(size == length)
        util = table[rows[:, None], :, column[rows, owners, :length]]  # (queue, option, voter)
        p = _pce_batch(util.transpose(2, 0, 1), actors.capability.T[:, rows])
        chosen[rows, owners] = np.argmax(p, axis=1)  # first maximum: queue order
    pick = np.take_along_axis(src, chosen[:, :, None], axis=2)  # (B, k, 1)
    received = np.take_along_axis(b_rcvr, np.maximum(pick, 0), axis=1)
    return cast(FloatArray, np.where(pick < 0, x, np.where(pick == ar[:, None], b_init, received)))


def _movement(old: FloatArray, new: FloatArray) -> FloatArray:
    """Each problem's summed Euclidean movement, as run_smp's
    ``_seqsum(delta)`` on a 1-D array adds it (a contiguous run per row)."""
    delta = np.sqrt(_ordered(np.add, ((new - old) ** 2).transpose(2, 0, 1)))  # (B, N)
    return cast(FloatArray, np.add.reduce(np.ascontiguousarray(delta), axis=1))


def _forecast_batch(
    state: _BatchState, actors: _BatchActors, config: SMPConfig
) -> tuple[FloatArray, FloatArray]:
    """:func:`_position_probability` and run_smp's forecast rule, per problem:
    the forecast (B, D) on the 0-1 scale and each actor's win probability
    (B, N), from a PCE over the distinct positions padded to N options."""
    x = state.position
    n = x.shape[1]
    diff = x[:, :, None, :] - x[:, None, :, :]
    close = np.sqrt(_ordered(np.add, np.moveaxis(diff * diff, 3, 0))) < config.position_tolerance
    distinct = np.zeros(close.shape[:2], dtype=bool)  # (B, a): first of its position
    distinct[:, 0] = True
    for a in range(1, n):  # KTAB's greedy ueIndices, over actors (not problems)
        distinct[:, a] = ~np.any(close[:, a, :a] & distinct[:, :a], axis=1)
    ar = np.arange(n)
    own = state.util[ar, :, ar, :]  # (voter a, B, option m)
    p = _pce_batch(own, actors.capability.T, distinct, single_pair=distinct.sum(axis=1) == 2)
    member = close & distinct[:, None, :]
    last = n - 1 - np.argmax(member[:, :, ::-1], axis=2)  # the last distinct position a matches
    win = np.take_along_axis(p, last, axis=1)
    if config.forecast == "most_probable":
        best = np.argmax(np.where(distinct, p, -np.inf), axis=1)
        return np.take_along_axis(x, best[:, None, None], axis=1)[:, 0], win
    weighted = np.where(distinct, p, 0.0).T[:, :, None] * x.transpose(1, 0, 2)  # (m, B, D)
    return _ordered(np.add, weighted), win


def _smp_chunk(
    x0: FloatArray, actors: _BatchActors, config: SMPConfig, max_turns: int
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Run B problems to their own stopping turns; returns forecasts (0-1
    scale), final win probabilities and numbers of states. Only the problems
    still moving are carried from round to round; a finished problem keeps
    its final state."""
    n_batch, n, n_dims = x0.shape
    forecast = np.empty((n_batch, n_dims))
    win = np.empty((n_batch, n))
    states = np.ones(n_batch, dtype=np.intp)
    first = np.zeros(n_batch)
    active = np.arange(n_batch)
    state = _state_batch(x0, actors)
    turn = 0
    while active.size:
        turn += 1
        new_x = _step_batch(state, actors, config)
        distance = _movement(state.position, new_x)
        if turn == 1:
            first[active] = distance
        ratio = distance / (first[active] + config.min_significant_delta)
        state = _state_batch(new_x, actors)
        states[active] += 1
        stop = (
            np.full(active.size, turn >= max_turns)
            if turn >= max_turns
            else (ratio < config.min_delta_ratio) & (turn >= config.min_turns)
        )
        if stop.any():
            done = np.flatnonzero(stop)
            rows = active[done]
            forecast[rows], win[rows] = _forecast_batch(state.take(done), actors.take(done), config)
            going = np.flatnonzero(~stop)
            state, actors, active = state.take(going), actors.take(going), active[going]
    return forecast, win, states


def _validate_batch(
    capability: FloatArray, position: FloatArray, salience: FloatArray, scale: tuple[float, float]
) -> None:
    """:func:`_validate`'s checks for every problem, naming the first bad one."""
    if position.ndim != 3:
        raise InputError("must be a (B, N, D) array", field="position")
    n_batch, n = position.shape[:2]
    if n < 3:
        raise InputError(f"{n} actors; the spatial model needs at least 3", field="actors")
    if capability.shape != (n_batch, n) or salience.shape != position.shape:
        raise InputError(
            "need capabilities (B, N) and saliences (B, N, D) to match the positions (B, N, D)",
            field="actors",
        )

    def first_bad(bad: BoolArray, field: str, rule: str) -> None:
        if bad.any():
            b, a = np.unravel_index(int(np.argmax(bad)), bad.shape)
            raise InputError(f"problem {b}, actor {a}: {rule}", field=field)

    first_bad(
        ~(np.isfinite(capability) & (capability > 0)), "capability", "give a positive capability"
    )
    first_bad(
        ~np.all(np.isfinite(salience) & (salience >= 0) & (salience <= 1), axis=2),
        "salience",
        "saliences must lie in [0, 1] (divide percentages by 100)",
    )
    total = salience.sum(axis=2)
    first_bad(
        (total > 1 + 1e-9) | (total <= 0),
        "salience",
        "saliences must sum to a value in (0, 1] (drop actors with no salience)",
    )
    lo, hi = scale
    if not hi > lo:
        raise InputError(f"scale {scale} is empty; give (low, high)", field="scale")
    first_bad(
        ~np.all(np.isfinite(position) & (position >= lo) & (position <= hi), axis=2),
        "position",
        f"positions must lie on the scale {scale}",
    )


def run_smp_batch(
    capability: ArrayLike,
    position: ArrayLike,
    salience: ArrayLike,
    *,
    scale: tuple[float, float] = (0.0, 100.0),
    config: SMPConfig | None = None,
    max_turns: int = 100,
    chunk: int | None = None,
) -> SMPBatchRun:
    """Forecast B spatial-model problems of the same size at once.

    Why: an uncertainty analysis runs the model once per parameter draw, and
    run draw by draw the per-call overhead of :func:`run_smp` dominates for
    the small problems of a scenario (a handful of actors). Here every round
    is one set of array operations over a leading batch axis; each problem
    stops on its own stopping rule (finished problems drop out of the
    batch), so each forecast is exactly ``run_smp(problem).forecast``.

    Parameters
    ----------
    capability : (B, N) positive capabilities.
    position : (B, N, D) positions on ``scale``.
    salience : (B, N, D) saliences on 0-1, each actor's summing to (0, 1].
    scale : (lo, hi) of the positions, as ``BargainingProblem.scale``.
    config : model options; only KTAB's default model options (those of
        ``SMPConfig()``; the stopping rule, ``position_tolerance`` and
        ``forecast`` may differ) are batched. Others raise: run
        :func:`run_smp` per problem for them (stochastic transitions, Markov
        elections and the other variants keep that per-draw path).
    max_turns : the most rounds to run (KTAB: 100).
    chunk : problems per block; ``None`` bounds the largest work arrays to
        about 8 MB each (``2**20 / N**3`` problems).

    Returns
    -------
    SMPBatchRun
        ``forecast`` (B, D), ``win_probability`` (B, N) and ``states``
        (B,), equal to run_smp's ``forecast``, last ``win_probability`` and
        ``positions.shape[0]`` per problem: bit for bit, except the
        ``"expected"`` forecast rule, which agrees to rounding (run_smp's
        ``@`` leaves its summation order to BLAS; differences ~1e-16
        relative).

    Raises
    ------
    InputError
        For non-default model options, or a problem run_smp would refuse
        (fewer than 3 actors, non-positive capabilities, saliences outside
        [0, 1] or summing above 1, positions outside the scale).

    Notes
    -----
    Same cost per problem as :func:`run_smp`, O(N^3 D) per round, with the
    per-round Python overhead shared by a chunk of problems; memory
    O(chunk N^3). Problems with more than 44 actors go through
    :func:`run_smp` one by one (its elections then split into blocks of
    pairs, which changes their summation order).

    Examples
    --------
    >>> import numpy as np
    >>> from realpolitik.bargaining.types import BargainingProblem
    >>> cap = np.array([[1.0, 1.0, 2.0], [1.0, 3.0, 2.0]])
    >>> pos = np.array([[[10.0], [50.0], [90.0]], [[10.0], [50.0], [90.0]]])
    >>> sal = np.full((2, 3, 1), 0.5)
    >>> batch = run_smp_batch(cap, pos, sal)
    >>> alone = run_smp(BargainingProblem(actors=("A", "B", "C"), capability=cap[1],
    ...                                   position=pos[1], salience=sal[1]))
    >>> bool(np.array_equal(batch.forecast[1], alone.forecast)), batch.forecast.shape
    (True, (2, 1))
    """
    config = config or SMPConfig()
    default = SMPConfig()
    other = [f for f in _BATCH_OPTIONS if getattr(config, f) != getattr(default, f)]
    if other:
        raise InputError(
            f"run_smp_batch runs KTAB's default model options only ({', '.join(other)} "
            "differ); run run_smp per problem for this configuration",
            field=other[0],
        )
    if max_turns < 1:
        raise InputError("must be at least 1", field="max_turns")
    cap = np.asarray(capability, dtype=float)
    pos = np.asarray(position, dtype=float)
    sal = np.asarray(salience, dtype=float)
    _validate_batch(cap, pos, sal, scale)
    n_batch, n, n_dims = pos.shape
    lo, hi = scale
    span = hi - lo
    if n > _BATCH_MAX_ACTORS:
        forecast = np.empty((n_batch, n_dims))
        win = np.empty((n_batch, n))
        states = np.empty(n_batch, dtype=np.intp)
        names = tuple(f"actor {a}" for a in range(n))
        for b in range(n_batch):  # large problems: O(N^3) per call dwarfs the loop
            run = run_smp(
                BargainingProblem(
                    actors=names,
                    capability=cap[b],
                    position=pos[b],
                    salience=sal[b],
                    dimensions=tuple(f"dimension {k}" for k in range(n_dims)),
                    scale=scale,
                ),
                config=config,
                max_turns=max_turns,
            )
            forecast[b], states[b] = run.forecast, run.positions.shape[0]
            win[b] = run.extra["win_probability"][-1]
        return SMPBatchRun(forecast, win, states)

    total_sal = _ordered(np.add, sal.transpose(2, 0, 1))
    x0 = (pos - lo) / span
    size = chunk if chunk is not None else max(1, _BATCH_ELEMENTS // n**3)
    if size < 1:
        raise InputError("must be at least 1", field="chunk")
    forecast = np.empty((n_batch, n_dims))
    win = np.empty((n_batch, n))
    states = np.empty(n_batch, dtype=np.intp)
    for start in range(0, n_batch, size):  # blocks of problems bound the memory
        rows = slice(start, start + size)
        actors = _BatchActors(cap[rows], sal[rows], total_sal[rows], total_sal[rows] * cap[rows])
        fc01, win[rows], states[rows] = _smp_chunk(x0[rows], actors, config, max_turns)
        forecast[rows] = lo + fc01 * span
    return SMPBatchRun(forecast, win, states)
