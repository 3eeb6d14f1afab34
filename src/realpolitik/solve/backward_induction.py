"""Backward induction on trees of perfect information with chance nodes and
simultaneous stages, for all draws at once: the subgame-perfect equilibrium
(SPE) and, with the same pass, the agent logit QRE of such trees.

Algorithm
---------
Kuhn (1953) / Zermelo: solve every subgame from the leaves up. Nodes are
grouped by height and mover (:attr:`GameTree.backward_schedule`); each group
of decision nodes is one call of a compiled kernel
(:mod:`realpolitik.solve._tree_kernels`) that, for every draw, lets the
mover choose among the children and copies or averages their values (per
player, and per payoff term); chance groups and simultaneous stages are
array operations over the whole group.
Cost is O(draws x edges) time; memory O(draws x nodes x players [x terms]),
so callers chunk the draws (:func:`solve_tree_chunked`).

- **SPE tie rule.** At a decision node the mover takes the *first* action (in
  the node's action order) whose value is within ``TIE_RTOL * (1 + |best|)`` of
  the best value. The solution flags, per draw, whether any decision node had
  several best actions (``tie``) and whether one of them lay on the path of
  play (``tie_on_path``): there the SPE is not unique and other tie rules
  would pick another one.
- **Simultaneous stages.** The stage game (children's values for the stage's
  movers) is solved by :func:`realpolitik.solve.logit.logit_limit`: the limit
  of the principal branch of the logit QRE, a Nash equilibrium selection that
  is unique, defined for every game, and what the agent QRE forecast tends to
  as precision grows (McKelvey and Palfrey 1995; Turocy 2005). Alternatives
  (risk dominance, payoff dominance, the first pure equilibrium in some order)
  are not defined for every n-player game or depend on labels.
- **Agent logit QRE.** With ``lam`` given, each mover plays p ∝ exp(lam * u)
  on the raw payoff scale (Gambit's convention). ``lam`` is one precision
  for every draw or one per draw (an array ``(draws,)``: a precision drawn
  like a parameter); the kernels always read a row of precisions, so a
  scalar gives the same bits as before. In a tree of perfect
  information the agent QRE is unique and this single pass computes it
  exactly (McKelvey and Palfrey 1998, "Quantal response equilibria for
  extensive form games"); at a simultaneous stage the stage game's logit QRE
  at ``lam`` on its principal branch is used.

Checked against pygambit 16.7.0 (``reference/games/reference.json``): the SPE
is one of the exactly enumerated pure SPE; the agent QRE equals Gambit's at
each stored lambda.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from realpolitik.errors import GameClassError
from realpolitik.games.recall import require_perfect_recall
from realpolitik.games.tree import GameTree, NodeKind, Stage, TreeClass, TreeGame, UnitGroup
from realpolitik.solve import logit
from realpolitik.solve._tree_kernels import backward_all, decision_group
from realpolitik.solve.homotopy import TraceStatus
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Relative tolerance within which two action values count as tied.
TIE_RTOL = 1e-9

#: A stage solver maps stage payoffs ``(B, k, n_1, ..., n_k)`` to each
#: mover's mixed strategy ``[(B, n_i), ...]``.
StageSolver = Callable[[FloatArray], list[FloatArray]]


def _require_backward_class(game: TreeGame, concept: str) -> None:
    if game.tree.tree_class == TreeClass.GENERAL:
        require_perfect_recall(game.tree, concept)
        bad = game.tree.general_infosets()
        keys = ", ".join(game.tree.infoset_key(s) for s in bad[:3])
        raise GameClassError(
            f"{concept} by backward induction needs perfect information or simultaneous stages; "
            f"information sets {keys} are neither. Use the agent QRE (--concept qre), its "
            "best-response limit (--concept logit-limit), or solve the exported .efg with Gambit"
        )


class _Workspace(threading.local):
    """Scratch buffers reused across groups and calls (one set per thread).

    Fresh multi-megabyte temporaries cost page faults on every allocation;
    the backward pass instead writes its temporaries into these buffers with
    ``out=`` arguments, so it runs at memory speed.
    """

    def __init__(self) -> None:
        self.buffers: dict[str, NDArray[np.uint8]] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: DTypeLike = np.float64) -> NDArray[Any]:
        size = int(np.prod(shape)) * np.dtype(dtype).itemsize
        buffer = self.buffers.get(name)
        if buffer is None or buffer.nbytes < size:
            buffer = np.empty(max(size, 1), dtype=np.uint8)
            self.buffers[name] = buffer
        return buffer[:size].view(dtype).reshape(shape)


_WORKSPACE = _Workspace()


def logit_choice(values: FloatArray, lam: float, axis: int = -1) -> FloatArray:
    """p ∝ exp(lam * u) along ``axis``, computed stably."""
    z = lam * (values - values.max(axis=axis, keepdims=True))
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=axis, keepdims=True)
    return out


#: A precision: one for every draw, or one per draw ``(draws,)``.
Precision = float | FloatArray


def lambda_row(lam: Precision | None, draws: int) -> FloatArray:
    """``(draws,)`` the precision of each draw (zeros for None)."""
    if lam is None:
        return np.zeros(draws)
    row = np.asarray(lam, dtype=np.float64)
    if row.ndim == 0:
        return np.full(draws, float(row))
    if row.shape != (draws,):
        raise ValueError(f"a per-draw lambda must have shape ({draws},), got {row.shape}")
    return np.ascontiguousarray(row)


def common_lambda(lam: Precision | None) -> float | None:
    """The precision shared by every draw, or None when they differ (a
    constant row is the same game as its scalar, bit for bit)."""
    if lam is None:
        return None
    row = np.asarray(lam, dtype=np.float64)
    if row.ndim == 0:
        return float(row)
    return float(row[0]) if row.size and bool(np.all(row == row[0])) else None


def _stage_solver(
    concept: str,
    lam: Precision | None,
    draws: int = 0,
    reached: list[FloatArray] | None = None,
) -> StageSolver:
    """The solver of a batch of stage games; for the QRE, the lambda each
    stage game's branch reached is appended to ``reached`` (one array per call)."""
    if concept == "spe":

        def solve(payoffs: FloatArray) -> list[FloatArray]:
            limit = logit.logit_limit(payoffs)
            inexact = limit.status >= logit.LimitStatus.APPROXIMATE
            inexact &= limit.status != logit.LimitStatus.NASH_RESCALED
            if inexact.any():
                warnings.warn(
                    f"a simultaneous stage: no exact equilibrium found in {int(inexact.sum())} "
                    f"of {inexact.size} draws (largest regret "
                    f"{float(limit.max_regret[inexact].max()):.3g}); the last point of the "
                    "logit branch is used there",
                    UserWarning,
                    stacklevel=2,
                )
            return list(limit.probs)

        return solve

    assert lam is not None
    shared = common_lambda(lam)
    per_draw = lambda_row(lam, draws)

    def solve_qre(payoffs: FloatArray) -> list[FloatArray]:
        if shared is None:
            # the QRE at precision lam_d is the QRE of lam_d * payoffs at 1
            # (logit_qre's notes); rows are (draw, stage) in C order
            rows = np.repeat(per_draw, payoffs.shape[0] // draws)
            scaled = payoffs * rows.reshape(-1, *([1] * (payoffs.ndim - 1)))
            qre = logit.logit_qre(scaled, 1.0)
            if reached is not None:  # back on each draw's own scale
                reached.append(qre.lam[:, 0] * rows)
        else:
            qre = logit.logit_qre(payoffs, shared)
            if reached is not None:
                reached.append(qre.lam[:, 0])
        short = ~np.isin(
            qre.status[:, 0], (TraceStatus.REACHED, TraceStatus.REACHED_AFTER_BIFURCATION)
        )
        if short.any():
            warnings.warn(
                f"a simultaneous stage: the logit branch ended before lambda = "
                f"{np.max(per_draw):g} in "
                f"{int(short.sum())} of {short.size} draws; the last point reached is used there",
                UserWarning,
                stacklevel=2,
            )
        return list(qre.at(0))

    return solve_qre


@dataclass
class _Pass:
    """Arrays filled by one backward pass (draws last)."""

    value: FloatArray  # (N, P[, T], D)
    total: FloatArray  # (N, P, D); the same array as value without terms
    choice: NDArray[np.int16] | None
    mixed: FloatArray | None
    tie: BoolArray | None
    #: (D,) the least lambda reached by any stage game of the draw (QRE only;
    #: None where every stage reached the requested lambda or there are none)
    reached: FloatArray | None = None


_EMPTY_CHOICE = np.zeros((0, 0), dtype=np.int16)
_EMPTY_TIE = np.zeros((0, 0), dtype=bool)
_EMPTY_MIXED = np.zeros((0, 0))


@lru_cache(maxsize=32)
def _whole_tree_plan(
    tree: GameTree,
) -> tuple[IntArray, IntArray, NDArray[np.int8], IntArray, IntArray, IntArray, IntArray, IntArray]:
    """Index arrays for :func:`_tree_kernels.backward_all` (trees without stages)."""
    units = np.flatnonzero(tree.node_kind != NodeKind.TERMINAL)[::-1].astype(np.int64)
    slot = tree.edge_action.astype(np.int64).copy()
    slot[tree.chance_edge] = np.arange(len(tree.chance_edge))
    return (
        tree.terminal_node.astype(np.int64),
        units,
        tree.node_kind[units].astype(np.int8),
        tree.node_player[units].astype(np.int64),
        tree.node_infoset[units].astype(np.int64),
        tree.child_offset.astype(np.int64),
        tree.child_index.astype(np.int64),
        slot,
    )


def _backward_whole(game: TreeGame, concept: str, lam: Precision | None) -> _Pass:
    """Backward pass of a tree without simultaneous stages in one compiled call."""
    tree = game.tree
    draws = game.n_draws
    terms = game.has_terms
    pay_t = np.ascontiguousarray(np.moveaxis(game.payoffs, 0, -1))  # (T, P[, K], D)
    value = np.empty((tree.n_nodes, *pay_t.shape[1:]))
    total = np.empty((tree.n_nodes, tree.n_players, draws)) if terms else value
    spe = concept == "spe"
    # without stages every information set is one decision node, whose row the
    # kernel writes for every draw: no need to initialise these
    choice = np.empty((tree.n_infosets, draws if spe else 0), dtype=np.int16)
    tie = np.empty((tree.n_infosets, draws if spe else 0), dtype=bool)
    mixed = np.empty((tree.n_actions if not spe else 0, draws))
    chance = np.ascontiguousarray(game.edge_chance_probs().T)  # (chance edges, 1|D)
    plan = _whole_tree_plan(tree)
    backward_all(
        pay_t.reshape(tree.n_terminals, -1, draws),
        *plan,
        chance,
        spe,
        lambda_row(lam, draws),
        TIE_RTOL,
        total,
        value.reshape(tree.n_nodes, -1, draws),
        not terms,
        choice,
        tie,
        mixed,
    )
    if spe:
        return _Pass(value, total, choice, None, tie)
    return _Pass(value, total, None, mixed, None)


def _backward(game: TreeGame, concept: str, lam: Precision | None) -> _Pass:
    if not game.tree.stages:
        return _backward_whole(game, concept, lam)
    tree = game.tree
    draws = game.n_draws
    terms = game.has_terms
    # draws-last layout: a node's values for all draws are contiguous
    pay_t = np.moveaxis(game.payoffs, 0, -1)  # (T, P[, K], D)
    value = np.empty((tree.n_nodes, *pay_t.shape[1:]))
    value[tree.terminal_node] = pay_t
    if terms:
        total = np.empty((tree.n_nodes, tree.n_players, draws))
        total[tree.terminal_node] = pay_t.sum(axis=2)
    else:
        total = value
    spe = concept == "spe"
    choice = np.full((tree.n_infosets, draws), -1, dtype=np.int16) if spe else None
    tie = np.zeros((tree.n_infosets, draws), dtype=bool) if spe else None
    has_stages = bool(tree.stages)
    mixed = np.zeros((tree.n_actions, draws)) if (not spe or has_stages) else None
    chance = game.edge_chance_probs().T  # (chance edges, 1|D)
    chance_column = np.full(tree.n_edges, -1, dtype=np.int64)
    chance_column[tree.chance_edge] = np.arange(len(tree.chance_edge))
    stage_solver: StageSolver | None = None
    lam_row = lambda_row(lam, draws)
    reached_log: list[FloatArray] = []
    reached: FloatArray | None = None

    for group in tree.backward_schedule:
        if group.kind == "stage":
            if stage_solver is None:
                stage_solver = _stage_solver(concept, lam, draws, reached_log)
            assert mixed is not None
            _solve_stages(tree, group, value, total, mixed, stage_solver, terms)
            for lams in reached_log:  # batches are (draws x stages of the group)
                least = lams.reshape(draws, -1).min(axis=1)
                reached = least if reached is None else np.minimum(reached, least)
            reached_log.clear()
            continue
        kids = group.children  # (g, a)
        if group.kind == "decision":
            rows = value.reshape(tree.n_nodes, -1, draws)  # (N, P[*K], D), a view
            decision_group(
                total,
                rows,
                not terms,
                kids,
                group.nodes,
                tree.node_infoset[group.nodes].astype(np.int64),
                int(group.movers[0]),
                spe,
                lam_row,
                TIE_RTOL,
                tree.edge_action[group.edges].astype(np.int64),
                choice if choice is not None else _EMPTY_CHOICE,
                tie if tie is not None else _EMPTY_TIE,
                mixed if mixed is not None else _EMPTY_MIXED,
            )
            continue
        # chance nodes: average the children's values with nature's probabilities
        g, arity = kids.shape
        child_values = _WORKSPACE.get("child_values", (g, arity, *value.shape[1:]))
        np.take(value, kids, axis=0, out=child_values)  # (g, a, P[, K], D)
        probs = chance[chance_column[group.edges]]  # (g, a, 1|D)
        expand = probs.reshape(g, arity, *([1] * (child_values.ndim - 3)), -1)
        value[group.nodes] = (expand * child_values).sum(axis=1)
        if terms:
            total[group.nodes] = (probs[:, :, None, :] * total[kids]).sum(axis=1)
    return _Pass(value, total, choice, mixed, tie, reached)


def _solve_stages(
    tree: GameTree,
    group: UnitGroup,
    value: FloatArray,
    total: FloatArray,
    mixed: FloatArray,
    stage_solver: StageSolver,
    terms: bool,
) -> None:
    """Solve every stage of a group as one batch of normal-form games and fill
    in the values of the stage's root and interior nodes."""
    stages = group.stages
    shape = stages[0].shape
    movers = np.asarray(stages[0].players)
    draws = value.shape[-1]
    g = len(stages)
    leaf_totals = total[group.children]  # (g, L, P, D)
    stage_payoffs = leaf_totals[:, :, movers, :]  # (g, L, k, D)
    batch = np.moveaxis(stage_payoffs, (3, 0, 2), (0, 1, 2))  # (D, g, k, L)
    batch = batch.reshape(draws * g, len(movers), *shape)
    probs = [m.reshape(draws, g, -1) for m in stage_solver(np.ascontiguousarray(batch))]
    for index, stage in enumerate(stages):
        for k, infoset in enumerate(stage.infosets):
            lo = tree.action_offset[infoset]
            mixed[lo : lo + shape[k]] = probs[k][:, index].T
    # Contract the joint leaf values mover by mover, last mover first; after
    # contracting mover k the array holds the values of the stage's level-k
    # nodes, indexed by the first k movers' actions.
    for source, target in ((value, value), (total, total)) if terms else ((value, value),):
        leaf = source[group.children]  # (g, L, P[, K], D)
        trailing = leaf.shape[2:]
        current = leaf.reshape(g, *shape, *trailing)
        for k in range(len(shape) - 1, -1, -1):
            p = np.moveaxis(probs[k], 0, -1)  # (g, n_k, D)
            p = p.reshape(g, *([1] * k), shape[k], *([1] * (len(trailing) - 1)), draws)
            current = (current * p).sum(axis=1 + k)
            for index, stage in enumerate(stages):
                nodes = _level_nodes(stage, k)
                target[nodes] = current[index].reshape(len(nodes), *trailing)


def _level_nodes(stage: Stage, level: int) -> NDArray[np.int64]:
    """Nodes of a stage's level (0 = the root), in C order of earlier actions."""
    sizes = [1]
    for n in stage.shape[:-1]:
        sizes.append(sizes[-1] * n)
    start = sum(sizes[:level])
    return np.asarray(stage.interior[start : start + sizes[level]], dtype=np.int64)


def solve_tree(game: TreeGame, concept: str = "spe", lam: Precision | None = None) -> TreeSolution:
    """Solve a perfect-information or staged tree for every draw.

    Parameters
    ----------
    game : the tree with payoffs ``(draws, terminals, players[, terms])``.
    concept : "spe" (subgame-perfect equilibrium, tie rule in the module
        docstring) or "qre" (agent logit QRE at precision ``lam``).
    lam : logit precision on the raw payoff scale (required for "qre"): one
        for every draw, or one per draw ``(draws,)``.

    Returns
    -------
    TreeSolution

    Raises
    ------
    GameClassError
        If the tree has information sets that are not simultaneous stages.

    Examples
    --------
    Selten's chain-store entry game: the entrant stays out (0, 2) or
    enters; the incumbent fights (-1, -1) or accommodates (1, 1). The threat
    to fight is not credible, so in the SPE the entrant enters.

    >>> from realpolitik.games.tree import TreeBuilder, TreeGame
    >>> b = TreeBuilder(["Entrant", "Incumbent"])
    >>> out, enter = b.decision(b.root, "Entrant", ["Out", "In"])
    >>> b.terminal(out, [0, 2])
    >>> fight, accommodate = b.decision(enter, "Incumbent", ["Fight", "Accommodate"])
    >>> b.terminal(fight, [-1, -1]); b.terminal(accommodate, [1, 1])
    >>> tree, payoffs = b.build()
    >>> solution = solve_tree(TreeGame.single(tree, payoffs))
    >>> solution.behaviour[0].tolist(), solution.expected_payoff[0].tolist()
    ([0.0, 1.0, 0.0, 1.0], [1.0, 1.0])
    """
    if concept not in ("spe", "qre"):
        raise ValueError(f"unknown concept {concept!r}")
    if concept == "qre":
        row = None if lam is None else np.asarray(lam, dtype=np.float64)
        if row is None or not np.all(np.isfinite(row)) or np.any(row < 0):
            raise GameClassError(f"the agent QRE needs a precision lambda >= 0, got {lam}")
    _require_backward_class(game, concept.upper())
    result = _backward(game, concept, lam)
    return TreeSolution(
        game=game,
        concept=concept,
        node_values_t=result.value,
        choice_t=result.choice,
        mixed_t=result.mixed,
        lam=(
            None
            if lam is None
            else np.minimum(lambda_row(lam, game.n_draws), result.reached)
            if result.reached is not None
            else lambda_row(lam, game.n_draws).copy()
        ),
        tie_t=result.tie,
        residual=np.zeros(game.n_draws) if concept == "qre" else None,
    )


def iter_chunks(n_draws: int, chunk: int) -> Iterator[slice]:
    """Consecutive slices of at most ``chunk`` draws."""
    for start in range(0, n_draws, chunk):
        yield slice(start, min(start + chunk, n_draws))


def solve_spe(game: TreeGame) -> TreeSolution:
    """The subgame-perfect equilibrium of every draw (the ``spe`` entry of
    :data:`realpolitik.concepts.CONCEPTS`; tie rule in the module docstring)."""
    return solve_tree(game, "spe")
