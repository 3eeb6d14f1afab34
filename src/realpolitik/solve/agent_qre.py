"""Agent logit QRE of any finite tree by following the principal branch.

At an agent QRE each information set's mover plays p(a) ∝ exp(lam * v(a)),
where v(a) is the expected payoff of action ``a`` conditional on reaching the
information set (beliefs by Bayes' rule, well defined because logit play
reaches every node), on the raw payoff scale (McKelvey and Palfrey 1998;
Gambit's ``logit_solve_lambda`` on trees). Trees of perfect information
(and simultaneous stages) are solved exactly by one backward pass in
:mod:`realpolitik.solve.backward_induction`; this module handles the rest:
information sets spanning several nodes anywhere in the tree.

Method: the system, in log-probability coordinates ``x``, is, per
information set with actions ``a_0 .. a_k``,

    sum_j exp(x_{a_j}) - 1 = 0,
    x_{a_j} - x_{a_0} - lam (v_{a_j}(x) - v_{a_0}(x)) = 0      (j >= 1),

solved from the centroid at ``lam = 0`` along the principal branch by the
vectorised pseudo-arc-length tracer of :mod:`realpolitik.solve.homotopy`
(Turocy 2005), all draws at once. The Jacobian ``dv/dx`` is computed by
complex-step differentiation (Squire and Trapp 1998): every quantity is a
rational function of ``exp(x)``, so ``Im f(x + i h e_k) / h`` gives the
derivative to machine precision with no subtraction error, for any tree,
without hand-written derivative code. Cost per step: one evaluation per
action (a forward and a backward pass over the tree), batched.

References
----------
McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for
extensive form games. Experimental Economics 1, 9-41.

Squire, W. and Trapp, G. (1998). Using complex variables to estimate
derivatives of real functions. SIAM Review 40(1), 110-112.

Turocy, T. L. (2005). A dynamic homotopy interpretation of the logistic
quantal response equilibrium correspondence. Games and Economic Behavior 51,
243-263.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import GameClassError
from realpolitik.games.recall import require_perfect_recall
from realpolitik.games.tree import GameTree, NodeKind, TreeGame
from realpolitik.solve.homotopy import TraceOptions, follow_to_lambdas
from realpolitik.solve.logit import require_logit_scale
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]
#: Real or complex arrays (complex for complex-step derivatives).
Numeric = NDArray[Any]

#: Complex-step size; any tiny value works since there is no cancellation.
STEP = 1e-30


@dataclass(frozen=True, eq=False)
class _Structure:
    """Index arrays of a tree used by every evaluation."""

    tree: GameTree
    decision_edges: NDArray[np.int64]  # edges out of decision nodes
    decision_actions: NDArray[np.int64]  # their flat action index
    edge_player: NDArray[np.int64]  # mover of each decision edge
    action_infoset: NDArray[np.int64]  # (A,) infoset of each action
    first_action: NDArray[np.int64]  # (A,) first action of the action's infoset
    is_first: NDArray[np.bool_]  # (A,) whether the action is its set's first
    node_infoset_action0: NDArray[np.int64]
    decision_nodes: NDArray[np.int64]
    levels: tuple[NDArray[np.int64], ...]  # nodes by depth, deepest last

    @classmethod
    def of(cls, tree: GameTree) -> _Structure:
        decision_edges = np.flatnonzero(tree.edge_action >= 0)
        actions = tree.edge_action[decision_edges].astype(np.int64)
        parents = tree.edge_parent[decision_edges]
        action_infoset = np.repeat(np.arange(tree.n_infosets), np.diff(tree.action_offset)).astype(
            np.int64
        )
        first = tree.action_offset[action_infoset].astype(np.int64)
        depth = tree.node_depth
        levels = tuple(np.flatnonzero(depth == d) for d in range(int(depth.max()) + 1))
        return cls(
            tree=tree,
            decision_edges=decision_edges,
            decision_actions=actions,
            edge_player=tree.node_player[parents].astype(np.int64),
            action_infoset=action_infoset,
            first_action=first,
            is_first=np.arange(tree.n_actions) == first,
            node_infoset_action0=first,
            decision_nodes=np.flatnonzero(tree.node_kind == NodeKind.DECISION),
            levels=levels,
        )


def _evaluate(
    s: _Structure, x: Numeric, payoffs: FloatArray, chance: FloatArray
) -> tuple[Numeric, Numeric, Numeric]:
    """Conditional action values, node values and reach for log-probabilities
    ``x`` (b, A); ``payoffs`` (b, T, P); ``chance`` (b, chance edges)."""
    tree = s.tree
    b = x.shape[0]
    dtype = x.dtype
    p = np.exp(x)
    edge = np.empty((b, tree.n_edges), dtype=dtype)
    edge[:, s.decision_edges] = p[:, s.decision_actions]
    if len(tree.chance_edge):
        edge[:, tree.chance_edge] = chance
    reach = np.empty((b, tree.n_nodes), dtype=dtype)
    reach[:, 0] = 1.0
    for edges, children in tree.depth_schedule:
        reach[:, children] = reach[:, tree.edge_parent[edges]] * edge[:, edges]
    value = np.zeros((b, tree.n_nodes, tree.n_players), dtype=dtype)
    value[:, tree.terminal_node] = payoffs
    for edges, children in reversed(tree.depth_schedule):
        parents = tree.edge_parent[edges].astype(np.int64)
        _accumulate(value, parents, edge[:, edges, None] * value[:, children])
    # conditional action values: sum over the set's nodes of reach x child value,
    # divided by the set's reach
    contrib = (
        reach[:, tree.edge_parent[s.decision_edges]]
        * value[:, tree.child_index[s.decision_edges], s.edge_player]
    )
    numer = np.zeros((b, tree.n_actions), dtype=dtype)
    _accumulate(numer, s.decision_actions, contrib)
    set_reach = np.zeros((b, tree.n_infosets), dtype=dtype)
    _accumulate(
        set_reach, tree.node_infoset[s.decision_nodes].astype(np.int64), reach[:, s.decision_nodes]
    )
    values = numer / set_reach[:, s.action_infoset]
    return values, value, reach


def _accumulate(target: Numeric, index: NDArray[np.int64], source: Numeric) -> None:
    """``target[:, index[k]] += source[:, k]`` (indices may repeat)."""
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = np.flatnonzero(np.r_[True, sorted_index[1:] != sorted_index[:-1]])
    sums = np.add.reduceat(source[:, order], starts, axis=1)
    target[:, sorted_index[starts]] += sums


def _residual(
    s: _Structure,
    x: Numeric,
    lam: FloatArray,
    payoffs: FloatArray,
    chance: FloatArray,
) -> Numeric:
    values, _, _ = _evaluate(s, x, payoffs, chance)
    first = s.first_action
    h = x - x[:, first] - lam[:, None] * (values - values[:, first])
    sums = np.zeros((x.shape[0], s.tree.n_infosets), dtype=x.dtype)
    _accumulate(sums, s.action_infoset, np.exp(x))
    out: Numeric = np.where(s.is_first[None, :], sums[:, s.action_infoset] - 1.0, h)
    return out


def agent_qre(
    game: TreeGame, lam: float | Sequence[float], *, options: TraceOptions | None = None
) -> TreeSolution:
    """Agent logit QRE of any tree at precision ``lam`` (first crossing of the
    principal branch, as Gambit's ``logit_solve_lambda``), for every draw.

    With a list of lambdas the solution at the last one is returned; use
    :func:`agent_qre_path` for all of them.
    """
    lams = np.atleast_1d(np.asarray(lam, dtype=np.float64))
    points = agent_qre_path(game, lams, options=options)
    return points[-1]


def agent_qre_path(
    game: TreeGame, lams: Sequence[float] | FloatArray, *, options: TraceOptions | None = None
) -> list[TreeSolution]:
    """Agent logit QRE at each of several ascending lambdas (one trace)."""
    tree = game.tree
    require_perfect_recall(tree, "the agent QRE")
    if np.any(game.edge_chance_probs() <= 0):
        raise GameClassError(
            "the agent QRE needs every chance outcome to have positive probability "
            "(beliefs at unreachable information sets are undefined)"
        )
    s = _Structure.of(tree)
    n_draws = game.n_draws
    payoffs = game.total_payoffs
    require_logit_scale(payoffs, float(np.max(lams)) if len(lams) else 0.0)
    chance = np.broadcast_to(game.edge_chance_probs(), (n_draws, len(tree.chance_edge)))
    sizes = np.diff(tree.action_offset)
    x0 = np.repeat(-np.log(sizes.astype(np.float64)), sizes)[None, :].repeat(n_draws, axis=0)
    n = tree.n_actions
    eye = np.eye(n) * STEP

    def residual(x: FloatArray, lam_: FloatArray, rows: NDArray[np.int64]) -> FloatArray:
        result: FloatArray = _residual(s, x, lam_, payoffs[rows], chance[rows]).real
        return result

    def jacobian(
        x: FloatArray, lam_: FloatArray, rows: NDArray[np.int64]
    ) -> tuple[FloatArray, FloatArray]:
        b = x.shape[0]
        perturbed = (x[:, None, :] + 1j * eye[None, :, :]).reshape(b * n, n)
        res = _residual(
            s,
            perturbed,
            np.repeat(lam_, n),
            np.repeat(payoffs[rows], n, axis=0),
            np.repeat(chance[rows], n, axis=0),
        )
        jx = (res.imag / STEP).reshape(b, n, n).transpose(0, 2, 1)
        values, _, _ = _evaluate(s, x.astype(np.complex128), payoffs[rows], chance[rows])
        v = values.real
        jl: FloatArray = np.where(s.is_first[None, :], 0.0, -(v - v[:, s.first_action]))
        jx_real: FloatArray = np.ascontiguousarray(jx, dtype=np.float64)
        return jx_real, jl

    opts = options or TraceOptions()
    points = follow_to_lambdas(
        residual, jacobian, x0, np.asarray(lams, dtype=np.float64), options=opts, pass_rows=True
    )
    out = []
    for k in range(points.x.shape[1]):
        x = points.x[:, k]
        behaviour = np.exp(x)
        _, value, _ = _evaluate(s, x.astype(np.complex128), payoffs, chance)
        node_value: FloatArray = np.asarray(value.real, dtype=np.float64)
        if game.has_terms:
            value_t = _term_values(game, behaviour)
        else:
            value_t = np.moveaxis(node_value, 0, -1)
        out.append(
            TreeSolution(
                game=game,
                concept="qre",
                value_t=value_t,
                mixed_t=np.ascontiguousarray(behaviour.T),
                lam=points.lam[:, k].copy(),
                residual=points.residual_norm[:, k].copy(),
            )
        )
    return out


def _term_values(game: TreeGame, behaviour: FloatArray) -> FloatArray:
    """``(nodes, players, terms, draws)`` node values per payoff term."""
    from realpolitik.solve.tree_solution import edge_probabilities

    tree = game.tree
    edge = edge_probabilities(game, behaviour)
    value = np.zeros((game.n_draws, tree.n_nodes, *game.payoffs.shape[2:]))
    value[:, tree.terminal_node] = game.payoffs
    for edges, children in reversed(tree.depth_schedule):
        parents = tree.edge_parent[edges]
        contrib = edge[:, edges, None, None] * value[:, children]
        _accumulate(value, parents.astype(np.int64), contrib)
    result: FloatArray = np.moveaxis(value, 0, -1)
    return result
