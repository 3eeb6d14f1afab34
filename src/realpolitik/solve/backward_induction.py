"""Backward induction on trees of perfect information with chance nodes and
simultaneous stages, for all draws at once: the subgame-perfect equilibrium
(SPE) and, with the same pass, the agent logit QRE of such trees.

Algorithm
---------
Kuhn (1953) / Zermelo: solve every subgame from the leaves up. Nodes are
grouped by height (:attr:`GameTree.backward_schedule`) so that each group is
a handful of array operations over ``(draws, nodes in group, actions)``:
gather the children's values, let the mover choose, average the children's
values (per player, and per payoff term) with the choice probabilities.
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
  on the raw payoff scale (Gambit's convention). In a tree of perfect
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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from realpolitik.errors import GameClassError
from realpolitik.games.tree import GameTree, Stage, TreeClass, TreeGame, UnitGroup
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Relative tolerance within which two action values count as tied.
TIE_RTOL = 1e-9

#: A stage solver maps stage payoffs ``(B, k, n_1, ..., n_k)`` to each
#: mover's mixed strategy ``[(B, n_i), ...]``.
StageSolver = Callable[[FloatArray], list[FloatArray]]


def _require_backward_class(game: TreeGame, concept: str) -> None:
    if game.tree.tree_class == TreeClass.GENERAL:
        bad = game.tree.general_infosets()
        keys = ", ".join(game.tree.infoset_key(s) for s in bad[:3])
        raise GameClassError(
            f"{concept} by backward induction needs perfect information or simultaneous stages; "
            f"information sets {keys} are neither. Use the agent QRE (--concept qre), or solve "
            "the exported .efg with Gambit"
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


def first_best(values: FloatArray, axis: int = -1) -> tuple[NDArray[np.intp], BoolArray]:
    """Index of the first best action along ``axis`` and a tie flag.

    An action counts as best when its value is within
    ``TIE_RTOL * (1 + |best|)`` of the maximum; the first such action wins.
    """
    actions = np.moveaxis(values, axis, 0)
    index = np.zeros(actions.shape[1:], dtype=np.intp)
    tied = np.zeros(actions.shape[1:], dtype=bool)
    _first_best_into(actions, index, tied)
    return index, tied


def _first_best_into(actions: FloatArray, index: NDArray[Any], tied: BoolArray) -> None:
    """:func:`first_best` over the leading axis of ``actions``, written into
    ``index`` and ``tied``: a short loop over the (few) actions with
    branch-free elementwise operations on reused buffers."""
    shape = actions.shape[1:]
    best = _WORKSPACE.get("best", shape)
    np.copyto(best, actions[0])
    for column in actions[1:]:
        np.maximum(best, column, out=best)
    threshold = _WORKSPACE.get("threshold", shape)
    np.abs(best, out=threshold)
    threshold += 1.0
    threshold *= -TIE_RTOL
    threshold += best
    near = _WORKSPACE.get("near", shape, np.bool_)
    count = _WORKSPACE.get("count", shape, np.int8)
    step = _WORKSPACE.get("step", shape, index.dtype)
    np.greater_equal(actions[-1], threshold, out=near)
    np.copyto(count, near)
    index.fill(len(actions) - 1)
    for a in range(len(actions) - 2, -1, -1):
        # index <- a where action a is near the best: index -= (index - a) * near
        np.greater_equal(actions[a], threshold, out=near)
        count += near
        np.subtract(index, a, out=step)
        step *= near
        index -= step
    np.greater(count, 1, out=tied)


def select_rows(source: FloatArray, index: NDArray[Any]) -> FloatArray:
    """``source[g, index[g, d], ..., d]``: each group node's chosen child.

    ``source`` is the children's values ``(g, a, ..., D)`` and ``index``
    ``(g, D)``. The selection is a branch-free bitwise blend on the float
    bits (``x ^ ((x ^ y) & mask)``), which copies values exactly and runs at
    memory speed, unlike a masked copy with a random mask.
    """
    g, arity = source.shape[:2]
    out = _WORKSPACE.get("select", (g, *source.shape[2:]))
    np.copyto(out, source[:, 0])
    if arity == 1:
        return out
    bits = out.view(np.int64)
    other = _WORKSPACE.get("select_other", out.shape, np.int64)
    mask = _WORKSPACE.get("select_mask", index.shape, np.int64)
    shape = (g,) + (1,) * (source.ndim - 3) + (index.shape[1],)
    for a in range(1, arity):
        np.equal(index, a, out=mask, casting="unsafe")
        np.negative(mask, out=mask)
        np.bitwise_xor(source[:, a].view(np.int64), bits, out=other)
        np.bitwise_and(other, mask.reshape(shape), out=other)
        np.bitwise_xor(bits, other, out=bits)
    return out


def logit_choice(values: FloatArray, lam: float, axis: int = -1) -> FloatArray:
    """p ∝ exp(lam * u) along ``axis``, computed stably."""
    z = lam * (values - values.max(axis=axis, keepdims=True))
    e = np.exp(z)
    out: FloatArray = e / e.sum(axis=axis, keepdims=True)
    return out


def _stage_solver(concept: str, lam: float | None) -> StageSolver:
    from realpolitik.solve import logit

    if concept == "spe":

        def solve(payoffs: FloatArray) -> list[FloatArray]:
            return list(logit.logit_limit(payoffs).probs)

        return solve

    assert lam is not None

    def solve_qre(payoffs: FloatArray) -> list[FloatArray]:
        return list(logit.logit_qre(payoffs, float(lam)).at(0))

    return solve_qre


@dataclass
class _Pass:
    """Arrays filled by one backward pass (draws last)."""

    value: FloatArray  # (N, P[, T], D)
    total: FloatArray  # (N, P, D); the same array as value without terms
    choice: NDArray[np.int16] | None
    mixed: FloatArray | None
    tie: BoolArray | None


def _backward(game: TreeGame, concept: str, lam: float | None) -> _Pass:
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

    for group in tree.backward_schedule:
        if group.kind == "stage":
            if stage_solver is None:
                stage_solver = _stage_solver(concept, lam)
            assert mixed is not None
            _solve_stages(tree, group, value, total, mixed, stage_solver, terms)
            continue
        kids = group.children  # (g, a)
        g, arity = kids.shape
        child_values = _WORKSPACE.get("child_values", (g, arity, *value.shape[1:]))
        np.take(value, kids, axis=0, out=child_values)  # (g, a, P[, K], D)
        if group.kind == "chance":
            probs = chance[chance_column[group.edges]]  # (g, a, 1|D)
        else:
            infosets = tree.node_infoset[group.nodes]
            mover = int(group.movers[0])  # one mover per group
            if terms:
                child_totals = _WORKSPACE.get("child_totals", (g, arity, *total.shape[1:]))
                np.take(total, kids, axis=0, out=child_totals)
            else:
                child_totals = child_values
            mover_values = child_totals[:, :, mover]  # (g, a, D), a view
            if spe:
                assert choice is not None and tie is not None
                best = _WORKSPACE.get("index", (g, draws), np.intp)
                tied = _WORKSPACE.get("tied", (g, draws), np.bool_)
                _first_best_into(np.moveaxis(mover_values, 1, 0), best, tied)
                choice[infosets] = best
                tie[infosets] = tied
                value[group.nodes] = select_rows(child_values, best)
                if terms:
                    total[group.nodes] = select_rows(child_totals, best)
                continue
            assert lam is not None and mixed is not None
            probs = logit_choice(mover_values, lam, axis=1)  # (g, a, D)
            mixed[tree.edge_action[group.edges]] = probs
        expand = probs.reshape(probs.shape[0], probs.shape[1], *([1] * (child_values.ndim - 3)), -1)
        value[group.nodes] = (expand * child_values).sum(axis=1)
        if terms:
            total[group.nodes] = (probs[:, :, None, :] * total[kids]).sum(axis=1)
    return _Pass(value, total, choice, mixed, tie)


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


def solve_tree(game: TreeGame, concept: str = "spe", lam: float | None = None) -> TreeSolution:
    """Solve a perfect-information or staged tree for every draw.

    Parameters
    ----------
    game : the tree with payoffs ``(draws, terminals, players[, terms])``.
    concept : "spe" (subgame-perfect equilibrium, tie rule in the module
        docstring) or "qre" (agent logit QRE at precision ``lam``).
    lam : logit precision on the raw payoff scale (required for "qre").

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
    if concept == "qre" and (lam is None or not np.isfinite(lam) or lam < 0):
        raise GameClassError(f"the agent QRE needs a precision lambda >= 0, got {lam}")
    _require_backward_class(game, concept.upper())
    result = _backward(game, concept, lam)
    return TreeSolution(
        game=game,
        concept=concept,
        value_t=result.value,
        choice_t=result.choice,
        mixed_t=result.mixed,
        lam=None if lam is None else np.full(game.n_draws, float(lam)),
        tie_t=result.tie,
        residual=np.zeros(game.n_draws) if concept == "qre" else None,
    )


def iter_chunks(n_draws: int, chunk: int) -> Iterator[slice]:
    """Consecutive slices of at most ``chunk`` draws."""
    for start in range(0, n_draws, chunk):
        yield slice(start, min(start + chunk, n_draws))
