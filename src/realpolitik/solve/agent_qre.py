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

import warnings
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
        out.append(
            TreeSolution(
                game=game,
                concept="qre",
                mixed_t=np.ascontiguousarray(behaviour.T),
                lam=points.lam[:, k].copy(),
                residual=points.residual_norm[:, k].copy(),
            )
        )
    return out


def agent_qre_per_draw(
    game: TreeGame, lam: FloatArray, *, options: TraceOptions | None = None
) -> TreeSolution:
    """Agent logit QRE with a precision per draw, ``lam`` ``(draws,)``.

    The QRE of a game at precision ``lam_d`` is the QRE of ``lam_d *
    payoffs`` at precision 1 (the logit response depends on ``lam * u``
    only), so the branch is followed to 1 on the scaled game and the values
    are those of the behaviour on the game as given.
    """
    row = np.asarray(lam, dtype=np.float64)
    scale = row.reshape(-1, *([1] * (game.payoffs.ndim - 1)))
    scaled = TreeGame(
        game.tree,
        game.payoffs * scale,
        term_names=game.term_names,
        chance_probs=game.chance_probs,
        source=game.source,
        totals=None if game.totals is None else game.totals * row.reshape(-1, 1, 1),
    )
    solved = agent_qre(scaled, 1.0, options=options)
    behaviour = solved.behaviour
    return TreeSolution(
        game=game,
        concept="qre",
        mixed_t=np.ascontiguousarray(behaviour.T),
        lam=np.asarray(solved.lam) * row,
        residual=solved.residual,
    )


# ---------------------------------------------------------------------------
# The agent QRE by belief iteration: backward sweeps with fixed beliefs.
#
# The path follower above is exact (it stays on the principal branch) but
# needs one tree evaluation per action for each Jacobian: right for small
# trees, too slow for a compound move with dozens of joint actions under
# private information over many draws. There the fixed point is found by
# sweeps (Gauss-Seidel in the order of play, backwards):
#
# 1. with beliefs held fixed (each information set's distribution over its
#    nodes), the information sets are solved from the last movers back:
#    sets are grouped in layers (a set's layer is one more than the largest
#    layer of the sets below any of its nodes), and each layer takes the
#    logit response to the continuation values under the layers already
#    solved, so with beliefs fixed one sweep is exact (in a game of perfect
#    information it is the backward pass of backward_induction);
# 2. a forward pass gives the reach probabilities, hence new beliefs by
#    Bayes' rule; beliefs move part of the way to them (damping), and the
#    sweep repeats until strategies and beliefs stop moving.
#
# Lambda is raised in steps from 0 to its target (continuation, each step
# starting from the last solution), which keeps the iteration on the
# principal branch where it is unique. Draws that do not converge are
# re-solved by the path follower when the tree is small, else returned with
# their residual and a warning.

#: Residual ``max |p - logit(lam v(p))|`` at which a draw has converged.
FIXED_POINT_TOL = 1e-10
#: Sweeps at most per continuation step and at the target lambda.
STEP_SWEEPS = 30
FINAL_SWEEPS = 400
#: Actions at most for the path-follower fallback (its Jacobian is A x A).
FALLBACK_MAX_ACTIONS = 120


@dataclass(frozen=True, eq=False)
class _Layers:
    """Information sets grouped for the backward sweep (see the comment above)."""

    action_layer: NDArray[np.int64]  # (A,) the layer of each action's set
    n_layers: int
    member_sets: NDArray[np.int64]  # infoset of each decision node (s.decision_nodes order)

    @classmethod
    def of(cls, s: _Structure) -> _Layers:
        tree = s.tree
        layer = np.zeros(tree.n_infosets, dtype=np.int64)
        below = np.full(tree.n_nodes, -1, dtype=np.int64)  # largest layer strictly below
        for _ in range(tree.n_nodes + 1):  # the set DAG is acyclic: settles within depth passes
            changed = False
            for node in range(tree.n_nodes - 1, -1, -1):  # children come after parents
                kids = tree.children(node)
                best = -1
                for child in kids:
                    c = int(child)
                    mine = (
                        int(layer[tree.node_infoset[c]])
                        if tree.node_kind[c] == NodeKind.DECISION
                        else -1
                    )
                    best = max(best, int(below[c]), mine)
                if best != below[node]:
                    below[node] = best
                    changed = True
            new = np.zeros(tree.n_infosets, dtype=np.int64)
            for node in s.decision_nodes:
                iset = int(tree.node_infoset[node])
                new[iset] = max(new[iset], int(below[node]) + 1)
            if np.array_equal(new, layer) and not changed:
                break
            layer = new
        return cls(
            action_layer=layer[s.action_infoset],
            n_layers=int(layer.max()) + 1 if tree.n_infosets else 0,
            member_sets=tree.node_infoset[s.decision_nodes].astype(np.int64),
        )


def _edge_probabilities(s: _Structure, p: FloatArray, chance: FloatArray) -> FloatArray:
    edge = np.empty((p.shape[0], s.tree.n_edges))
    edge[:, s.decision_edges] = p[:, s.decision_actions]
    if len(s.tree.chance_edge):
        edge[:, s.tree.chance_edge] = chance
    return edge


def _reach(s: _Structure, edge: FloatArray) -> FloatArray:
    """``(b, nodes)`` reach probabilities (forward pass)."""
    tree = s.tree
    reach = np.empty((edge.shape[0], tree.n_nodes))
    reach[:, 0] = 1.0
    for edges, children in tree.depth_schedule:
        reach[:, children] = reach[:, tree.edge_parent[edges]] * edge[:, edges]
    return reach


def _values(s: _Structure, edge: FloatArray, payoffs: FloatArray) -> FloatArray:
    """``(b, nodes, players)`` continuation values (backward pass)."""
    tree = s.tree
    value = np.zeros((edge.shape[0], tree.n_nodes, tree.n_players))
    value[:, tree.terminal_node] = payoffs
    for edges, children in reversed(tree.depth_schedule):
        parents = tree.edge_parent[edges].astype(np.int64)
        _accumulate(value, parents, edge[:, edges, None] * value[:, children])
    return value


def _beliefs(s: _Structure, layers: _Layers, reach: FloatArray) -> FloatArray:
    """``(b, decision nodes)`` each decision node's probability within its
    information set (Bayes' rule); equal weights in a set no node of which is
    reached (possible only through chance probabilities of 0)."""
    tree = s.tree
    node_reach = reach[:, s.decision_nodes]
    total = np.zeros((reach.shape[0], tree.n_infosets))
    _accumulate(total, layers.member_sets, node_reach)
    size = np.bincount(layers.member_sets, minlength=tree.n_infosets)
    denominator = total[:, layers.member_sets]
    return np.where(
        denominator > 0,
        node_reach / np.where(denominator > 0, denominator, 1.0),
        1.0 / size[layers.member_sets],
    )


def _action_values(
    s: _Structure, belief: FloatArray, value: FloatArray, node_position: NDArray[np.int64]
) -> FloatArray:
    """``(b, A)`` belief-weighted value of each action to its mover."""
    tree = s.tree
    weight = belief[:, node_position[tree.edge_parent[s.decision_edges]]]
    child_value = value[:, tree.child_index[s.decision_edges], s.edge_player]
    out = np.zeros((belief.shape[0], tree.n_actions))
    _accumulate(out, s.decision_actions, weight * child_value)
    return out


def _logit_response(s: _Structure, values: FloatArray, lam: FloatArray) -> FloatArray:
    """``(b, A)`` p(a) ∝ exp(lam v(a)) within each information set (actions
    of a set are contiguous, so the set sums are ``reduceat`` segments)."""
    starts = s.tree.action_offset[:-1].astype(np.int64)
    z = lam[:, None] * values
    z -= np.maximum.reduceat(z, starts, axis=1)[:, s.action_infoset]
    e = np.exp(z)
    out: FloatArray = e / np.add.reduceat(e, starts, axis=1)[:, s.action_infoset]
    return out


def _sweeps(
    s: _Structure,
    layers: _Layers,
    p: FloatArray,
    belief: FloatArray,
    lam: FloatArray,
    payoffs: FloatArray,
    chance: FloatArray,
    tol: float,
    sweeps: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Sweeps on every draw until converged (converged draws are left
    alone). Returns profiles, beliefs and residuals ``max |p - logit(lam
    v(p))|`` under Bayes-consistent beliefs."""
    tree = s.tree
    position = np.full(tree.n_nodes, -1, dtype=np.int64)
    position[s.decision_nodes] = np.arange(len(s.decision_nodes))
    b = p.shape[0]
    residual = np.full(b, np.inf)
    damping = np.ones(b)
    active = np.arange(b)
    for _ in range(sweeps):
        q = p[active].copy()
        pay, ch, lm, bel = payoffs[active], chance[active], lam[active], belief[active]
        for layer in range(layers.n_layers):
            columns = layers.action_layer == layer
            value = _values(s, _edge_probabilities(s, q, ch), pay)
            response = _logit_response(s, _action_values(s, bel, value, position), lm)
            q[:, columns] = response[:, columns]
        consistent = _beliefs(s, layers, _reach(s, _edge_probabilities(s, q, ch)))
        # the residual of the profile q under the beliefs q itself induces
        value = _values(s, _edge_probabilities(s, q, ch), pay)
        check = _logit_response(s, _action_values(s, consistent, value, position), lm)
        gap = np.abs(check - q).max(axis=1)
        worse = gap > residual[active]
        damping[active[worse]] = np.maximum(damping[active[worse]] * 0.5, 1 / 64)
        residual[active] = gap
        alpha = damping[active, None]
        p[active] = q
        belief[active] = (1.0 - alpha) * bel + alpha * consistent
        active = active[gap > tol]
        if active.size == 0:
            break
    return p, belief, residual


def agent_qre_fixed_point(
    game: TreeGame,
    lam: float | FloatArray,
    *,
    tol: float = FIXED_POINT_TOL,
    steps: int = 6,
    fallback: bool = True,
) -> TreeSolution:
    """Agent logit QRE of any tree at precision ``lam`` (a number, or one per
    draw), for every draw, by belief iteration (see the comment above).

    Parameters
    ----------
    game : the tree with payoffs ``(draws, terminals, players[, terms])``.
    lam : logit precision on the raw payoff scale, scalar or ``(draws,)``.
    tol : residual ``max |p - logit(lam v(p))|`` of a converged draw.
    steps : continuation steps from 0 to each draw's lambda.
    fallback : re-solve draws that do not converge with the path follower
        (:func:`agent_qre`) when the tree has at most
        :data:`FALLBACK_MAX_ACTIONS` actions.

    Returns
    -------
    TreeSolution
        ``residual`` holds each draw's final residual; draws above ``tol``
        did not converge (a warning says how many).
    """
    tree = game.tree
    n_draws = game.n_draws
    lams = np.broadcast_to(np.asarray(lam, dtype=np.float64), (n_draws,)).copy()
    if not np.isfinite(lams).all() or (lams < 0).any():
        raise GameClassError(f"the agent QRE needs a precision lambda >= 0, got {lam}")
    s = _Structure.of(tree)
    layers = _Layers.of(s)
    payoffs = game.total_payoffs
    chance = np.ascontiguousarray(
        np.broadcast_to(game.edge_chance_probs(), (n_draws, len(tree.chance_edge)))
    )
    sizes = np.diff(tree.action_offset)
    p = np.repeat(1.0 / sizes.astype(np.float64), sizes)[None, :].repeat(n_draws, axis=0)
    belief = _beliefs(s, layers, _reach(s, _edge_probabilities(s, p, chance)))
    for k in range(1, steps):
        p, belief, _ = _sweeps(
            s, layers, p, belief, lams * (k / steps), payoffs, chance, 1e-6, STEP_SWEEPS
        )
    p, belief, residual = _sweeps(s, layers, p, belief, lams, payoffs, chance, tol, FINAL_SWEEPS)
    stuck = np.flatnonzero(residual > tol)
    same_lambda = stuck.size and lams[stuck].max() == lams[stuck].min()
    small = tree.n_actions <= FALLBACK_MAX_ACTIONS and bool((chance > 0).all())
    if stuck.size and fallback and small and same_lambda:
        exact = agent_qre(game.take(stuck), float(lams[stuck[0]]))
        p[stuck] = exact.behaviour
        residual[stuck] = 0.0 if exact.residual is None else exact.residual
    unresolved = int((residual > max(tol, 1e-8)).sum())
    if unresolved:
        warnings.warn(
            f"the agent QRE did not converge in {unresolved} of {n_draws} draws (largest "
            f"residual {float(residual.max()):.3g}); the last iterate is used there",
            UserWarning,
            stacklevel=2,
        )
    return TreeSolution(
        game=game,
        concept="qre",
        mixed_t=np.ascontiguousarray(p.T),
        lam=lams,
        residual=residual,
    )
