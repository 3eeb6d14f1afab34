"""The agent logit QRE of large general trees by belief iteration, compiled.

At an agent QRE each information set's mover plays ``p(a) ∝ exp(lam v(a))``,
``v(a)`` the expected payoff of ``a`` averaged over the set's nodes weighted
by their reach probabilities (beliefs by Bayes' rule on the path), on the raw
payoff scale (McKelvey and Palfrey 1998; Gambit's ``logit_solve_lambda``).
The exact path follower (:func:`realpolitik.solve.agent_qre.agent_qre`) needs
one tree evaluation per action for each Jacobian, right for small trees; a
compound move with dozens of joint actions under private information over
many draws needs something cheaper per draw. This module finds the same fixed
point by iterating, per draw:

1. beliefs from the reach probabilities of the current profile (a forward
   pass);
2. a backward sweep in which each information set, from the last movers
   back, takes the logit response to its belief-weighted action values under
   the responses already computed below it (sets are ordered so that every
   set comes after every set and chance node below any of its nodes; with
   beliefs fixed one sweep is exact, and in a game of perfect information it
   is the backward pass of :mod:`realpolitik.solve.backward_induction`);

accelerated by Anderson mixing of the logits, with lambda continuation from
the centroid only for draws that do not converge at the target directly. The
iteration runs in :mod:`realpolitik.solve._belief_kernels` (compiled, one draw
at a time, blocks of draws over the cores): each iteration is one forward and
one backward pass over flat edge arrays with no temporaries, and a draw stops
costing work when it has converged. :mod:`realpolitik.solve._belief_lanes`
runs the same steps for 64 draws side by side (draws innermost, so the
arithmetic is vectorised), with the same bits, about three times faster;
draws that need continuation go to the one-draw path.

Convergence is reported per draw as before: ``residual = max |p -
softmax(lam v(p))|`` of the returned profile (beliefs and values of the
profile itself). Draws above ``tol`` after continuation are re-solved by the
path follower when the tree is small enough (at most
:data:`FALLBACK_MAX_ACTIONS` actions, chance outcomes of positive
probability), else returned as they are, with a warning.

Off the path: a set none of whose nodes is reached (only possible through
chance probabilities of 0, or underflow) weighs its nodes equally.

Which fixed point: where the agent QRE is unique (lambda small against the
payoff differences) there is only one. Where there are several, the one
reached from the centroid at the target lambda may lie on another branch than
the principal one, which the path follower traces; the tests compare both on
hand-solved games, pygambit's points and random trees.

Cost per draw: ``O(iterations x (edges + players x edges))`` with the
iterations typically 5 to 30; memory ``O(nodes x players)`` per thread.

References
----------
McKelvey, R. D. and Palfrey, T. R. (1998). Quantal response equilibria for
extensive form games. Experimental Economics 1, 9-41.

Walker, H. F. and Ni, P. (2011). Anderson acceleration for fixed-point
iterations. SIAM Journal on Numerical Analysis 49(4), 1715-1735.
"""

from __future__ import annotations

import heapq
import itertools
import warnings
import weakref
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import GameClassError
from realpolitik.games.recall import require_perfect_recall
from realpolitik.games.tree import GameTree, NodeKind, TreeGame
from realpolitik.solve import _belief_kernels as kernels
from realpolitik.solve import _belief_lanes as lanes
from realpolitik.solve.agent_qre import agent_qre, agent_qre_per_draw
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Residual ``max |p - logit(lam v(p))|`` at which a draw has converged.
FIXED_POINT_TOL = 1e-10
#: Sweeps at most per attempt (at the target, or per continuation step).
MAX_SWEEPS = 400
#: Past differences kept by Anderson acceleration.
MEMORY = 5
#: Continuation steps of the first retry (the second takes four times as many).
STEPS = 8
#: Actions at most for the path-follower fallback (its Jacobian is A x A).
FALLBACK_MAX_ACTIONS = 120


@dataclass(frozen=True, eq=False)
class BeliefPlan:
    """The flat arrays of a tree that the kernels read (int64 throughout).

    Attributes
    ----------
    terminal_node : ``(T,)`` the node of each terminal.
    arrays : the tree's structure as the passes read it
        (:class:`realpolitik.solve._belief_kernels.TreeArrays`).
    n_nodes : the tree's nodes.
    inner_row : ``(nodes, players)`` the row of each decision and chance
        node's value for each player who needs one there, numbered from 0 in
        the order the backward sweep writes them; -1 elsewhere (the lanes'
        value rows, :func:`realpolitik.solve._belief_lanes.value_rows`).
    terminal_valued : ``(terminals, players)`` whether a pass reads each
        terminal's payoff for each player (a player who moves above it).
    """

    terminal_node: IntArray
    arrays: kernels.TreeArrays
    n_nodes: int
    inner_row: IntArray
    terminal_valued: NDArray[np.bool_]

    @property
    def solve_arrays(self) -> tuple[IntArray, kernels.TreeArrays]:
        """The arrays of :func:`realpolitik.solve._belief_lanes.solve_draws`:
        the terminals' nodes and the tree's structure."""
        return self.terminal_node, self.arrays

    @property
    def lane_arrays(self) -> tuple[IntArray, kernels.TreeArrays, IntArray, NDArray[np.bool_]]:
        """:attr:`solve_arrays`, the inner nodes' value rows and the
        terminals' valued players, what
        :func:`realpolitik.solve._belief_lanes.solve_draws` reads."""
        return self.terminal_node, self.arrays, self.inner_row, self.terminal_valued


_PLANS: weakref.WeakKeyDictionary[GameTree, BeliefPlan] = weakref.WeakKeyDictionary()


def belief_plan(tree: GameTree) -> BeliefPlan:
    """The tree's :class:`BeliefPlan` (built once per tree, then cached)."""
    plan = _PLANS.get(tree)
    if plan is None:
        plan = _build_plan(tree)
        _PLANS[tree] = plan
    return plan


def _build_plan(tree: GameTree) -> BeliefPlan:
    as64 = np.int64
    child_offset = tree.child_offset.astype(as64)
    child_index = tree.child_index.astype(as64)
    edge_chance = np.zeros(tree.n_edges, dtype=as64)
    edge_chance[tree.chance_edge] = np.arange(len(tree.chance_edge))
    edge_source = tree.edge_action.astype(as64)
    chance_edges = tree.chance_edge.astype(as64)
    edge_source[chance_edges] = -(np.arange(len(chance_edges)) + 1)
    set_nodes_list = tree.infoset_nodes
    sizes = np.array([len(nodes) for nodes in set_nodes_list], dtype=as64)
    set_node_offset = np.zeros(tree.n_infosets + 1, dtype=as64)
    set_node_offset[1:] = np.cumsum(sizes)
    set_nodes = (
        np.concatenate(set_nodes_list).astype(as64) if tree.n_infosets else np.zeros(0, as64)
    )
    # nodes whose reach beliefs need: members of sets with several nodes, and ancestors
    need = np.zeros(tree.n_nodes, dtype=bool)
    for nodes in set_nodes_list:
        if len(nodes) > 1:
            need[nodes] = True
    parent = tree.node_parent.astype(as64)
    for node in range(tree.n_nodes - 1, 0, -1):  # children have larger ids
        if need[node]:
            need[parent[node]] = True
    need[0] = False
    fwd_node = np.flatnonzero(need).astype(as64)
    unit_kind, unit_ref = _backward_order(tree)
    valued = _valued(tree)
    value_offset = np.zeros(tree.n_nodes + 1, dtype=as64)
    value_offset[1:] = np.cumsum(valued.sum(axis=1))
    inner_row = _inner_rows(valued, unit_kind, unit_ref, set_node_offset, set_nodes)
    return BeliefPlan(
        terminal_node=tree.terminal_node.astype(as64),
        arrays=kernels.TreeArrays(
            fwd_node=fwd_node,
            fwd_parent=parent[fwd_node],
            fwd_source=edge_source[tree.node_parent_edge[fwd_node].astype(as64)],
            unit_kind=unit_kind,
            unit_ref=unit_ref,
            child_offset=child_offset,
            child_index=child_index,
            edge_chance=edge_chance,
            action_offset=tree.action_offset.astype(as64),
            set_player=tree.infoset_player.astype(as64),
            set_node_offset=set_node_offset,
            set_nodes=set_nodes,
            value_offset=value_offset,
            value_players=np.nonzero(valued)[1].astype(as64),
            stale_nodes=_stale_nodes(tree, unit_kind, unit_ref),
        ),
        n_nodes=tree.n_nodes,
        inner_row=inner_row,
        terminal_valued=valued[tree.terminal_node],
    )


def _stale_nodes(tree: GameTree, unit_kind: IntArray, unit_ref: IntArray) -> IntArray:
    """The decision and chance nodes whose unit comes after their parent's in
    the backward order (:attr:`~realpolitik.solve._belief_kernels.TreeArrays.stale_nodes`):
    only where :func:`_backward_order` broke a cycle."""
    position = np.full(tree.n_nodes, -1, dtype=np.int64)
    n_sets = tree.n_infosets
    set_position = np.full(n_sets, -1, dtype=np.int64)
    chance_units = unit_kind == kernels.CHANCE_UNIT
    set_position[unit_ref[~chance_units]] = np.flatnonzero(~chance_units)
    decision = tree.node_kind == NodeKind.DECISION
    position[decision] = set_position[tree.node_infoset[decision]]
    position[unit_ref[chance_units]] = np.flatnonzero(chance_units)
    parent = tree.node_parent
    inner = np.flatnonzero((position >= 0) & (parent >= 0))
    stale = inner[position[inner] > position[parent[inner]]]
    return stale.astype(np.int64)


def _inner_rows(
    valued: NDArray[np.bool_],
    unit_kind: IntArray,
    unit_ref: IntArray,
    set_node_offset: IntArray,
    set_nodes: IntArray,
) -> IntArray:
    """:attr:`BeliefPlan.inner_row`: rows in the sweep's order of writing
    (so that a pass walks the rows forward), a node's players together."""
    pieces = [
        unit_ref[u : u + 1]
        if unit_kind[u] == kernels.CHANCE_UNIT
        else set_nodes[set_node_offset[unit_ref[u]] : set_node_offset[unit_ref[u] + 1]]
        for u in range(len(unit_kind))
    ]
    written = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)
    at, players = np.nonzero(valued[written])  # node by node, players ascending
    inner_row = np.full(valued.shape, -1, dtype=np.int64)
    inner_row[written[at], players] = np.arange(len(players))
    return inner_row


def _valued(tree: GameTree) -> NDArray[np.bool_]:
    """``(nodes, players)``: whether a pass needs each node's value for each
    player (kept as offsets and a flat list in
    :class:`~realpolitik.solve._belief_kernels.TreeArrays`): the players who
    move at a decision node strictly above it. A node's value
    for player ``r`` is read only by its parent, to value the parent for
    ``r`` or to value one of ``r``'s actions there, so it is needed exactly
    when the parent's is or the parent is ``r``'s; none at the root."""
    n_players = tree.n_players
    parent = tree.node_parent
    decision = tree.node_kind == NodeKind.DECISION
    mover = np.full(tree.n_nodes, -1, dtype=np.int64)
    mover[decision] = tree.infoset_player[tree.node_infoset[decision]]
    valued = np.zeros((tree.n_nodes, n_players), dtype=bool)
    depth = tree.node_depth
    by_depth = np.argsort(depth, kind="stable")
    bounds = np.searchsorted(depth[by_depth], np.arange(1, int(depth.max(initial=0)) + 2))
    for lo, hi in itertools.pairwise(bounds):  # one depth at a time
        nodes = by_depth[lo:hi]
        up = parent[nodes]
        valued[nodes] = valued[up]
        moved = mover[up] >= 0
        valued[nodes[moved], mover[up[moved]]] = True
    return valued


def _backward_order(tree: GameTree) -> tuple[IntArray, IntArray]:
    """Chance nodes and information sets in an order where each comes after
    every unit below any of its nodes (Kahn's topological sort, deepest
    first among the ready ones). A cycle is broken at its deepest unit: the
    sweep then reads some values of the previous sweep, still a fixed-point
    iteration of the same map."""
    kind = tree.node_kind
    infoset = tree.node_infoset
    depth = tree.node_depth
    n_sets = tree.n_infosets
    chance_nodes = np.flatnonzero(kind == NodeKind.CHANCE)
    # unit ids: sets 0..n_sets-1, then chance nodes
    unit_of_node = np.full(tree.n_nodes, -1, dtype=np.int64)
    decision = kind == NodeKind.DECISION
    unit_of_node[decision] = infoset[decision]
    unit_of_node[chance_nodes] = n_sets + np.arange(len(chance_nodes))
    n_units = n_sets + len(chance_nodes)
    members: list[list[int]] = [[] for _ in range(n_units)]
    for member in np.flatnonzero(unit_of_node >= 0).tolist():
        members[int(unit_of_node[member])].append(member)
    below: list[set[int]] = [set() for _ in range(n_units)]
    for unit in range(n_units):
        for node in members[unit]:
            for child in tree.children(node):
                u = int(unit_of_node[child])
                if u >= 0 and u != unit:
                    below[unit].add(u)
    waiting = [len(b) for b in below]
    above: list[list[int]] = [[] for _ in range(n_units)]
    for unit in range(n_units):
        for u in below[unit]:
            above[u].append(unit)
    deepest = [max(int(depth[n]) for n in nodes) if nodes else 0 for nodes in members]
    ready = [(-deepest[u], u) for u in range(n_units) if waiting[u] == 0]
    heapq.heapify(ready)
    done = np.zeros(n_units, dtype=bool)
    order: list[int] = []
    while len(order) < n_units:
        if not ready:  # a cycle: take the deepest unit left
            rest = [u for u in range(n_units) if not done[u]]
            u = max(rest, key=lambda r: (deepest[r], -r))
            heapq.heappush(ready, (-deepest[u], u))
            waiting[u] = 0
        _, unit = heapq.heappop(ready)
        if done[unit]:
            continue
        done[unit] = True
        order.append(unit)
        for u in above[unit]:
            waiting[u] -= 1
            if waiting[u] == 0 and not done[u]:
                heapq.heappush(ready, (-deepest[u], u))
    units = np.asarray(order, dtype=np.int64)
    is_set = units < n_sets
    unit_kind = np.where(is_set, kernels.SET_UNIT, kernels.CHANCE_UNIT).astype(np.int64)
    unit_ref = units.copy()
    unit_ref[~is_set] = chance_nodes[units[~is_set] - n_sets]
    return unit_kind, unit_ref


@dataclass(frozen=True, eq=False)
class BeliefIteration:
    """What the iteration did per draw.

    ``profile`` ``(D, actions)``; ``residual`` ``max |p - softmax(lam
    v(p))|``; ``status`` 0 converged at the target lambda, 1 converged by
    continuation, 2 not converged (the kernel's codes);
    ``passes`` tree passes (forward and backward) spent.
    """

    profile: FloatArray
    residual: FloatArray
    status: IntArray
    passes: IntArray


def iterate_beliefs(
    game: TreeGame,
    lam: FloatArray,
    *,
    tol: float = FIXED_POINT_TOL,
    memory: int = MEMORY,
    steps: int = STEPS,
    max_sweeps: int = MAX_SWEEPS,
    threads: int | None = None,
    one_draw_at_a_time: bool = False,
) -> BeliefIteration:
    """The kernel's result for every draw, lambda ``(draws,)`` (no fallback);
    ``one_draw_at_a_time`` runs the one-draw path instead of the lanes (the
    same bits, slower: the reference the lanes are tested against)."""
    plan = belief_plan(game.tree)
    payoffs = np.ascontiguousarray(game.total_payoffs, dtype=np.float64)
    chance = np.ascontiguousarray(game.edge_chance_probs(), dtype=np.float64)
    lams = np.ascontiguousarray(lam, dtype=np.float64)
    profile, residual, status, passes = lanes.solve_draws(
        payoffs, chance, lams, kernels.Settings(tol, max_sweeps, memory, steps),
        plan.lane_arrays, plan.n_nodes, threads, not one_draw_at_a_time,
    )  # fmt: skip
    return BeliefIteration(profile, residual, status, passes)


def agent_qre_fixed_point(
    game: TreeGame,
    lam: float | FloatArray,
    *,
    tol: float = FIXED_POINT_TOL,
    fallback: bool = True,
    threads: int | None = None,
) -> TreeSolution:
    """Agent logit QRE of any tree at precision ``lam`` (a number, or one per
    draw), for every draw, by belief iteration (see the module docstring).

    Parameters
    ----------
    game : the tree with payoffs ``(draws, terminals, players[, terms])``.
    lam : logit precision on the raw payoff scale, scalar or ``(draws,)``.
    tol : residual ``max |p - logit(lam v(p))|`` of a converged draw.
    fallback : re-solve draws that do not converge with the path follower
        when the tree has at most :data:`FALLBACK_MAX_ACTIONS` actions and
        chance outcomes of positive probability.
    threads : threads to spread the draws over (default: the cores).

    Returns
    -------
    TreeSolution
        ``residual`` holds each draw's final residual; draws above ``tol``
        did not converge (a warning says how many).

    Examples
    --------
    Selten's horse has one information set of two nodes; at lambda = 0 every
    mover plays each action with equal probability:

    >>> from realpolitik.games.tree import TreeBuilder
    >>> b = TreeBuilder(["1", "2", "3"])
    >>> c, d = b.decision(b.root, "1", ["C", "D"])
    >>> c2, d2 = b.decision(c, "2", ["c", "d"])
    >>> b.terminal(c2, [1, 1, 1])
    >>> for node in (d, d2):
    ...     left, right = b.decision(node, "3", ["L", "R"], infoset="3")
    ...     b.terminal(left, [3, 2, 2] if node == d else [4, 4, 0])
    ...     b.terminal(right, [0, 0, 0] if node == d else [1, 1, 1])
    >>> tree, payoffs = b.build()
    >>> agent_qre_fixed_point(TreeGame.single(tree, payoffs), 0.0).behaviour.round(3)
    array([[0.5, 0.5, 0.5, 0.5, 0.5, 0.5]])
    """
    tree = game.tree
    n_draws = game.n_draws
    lams = np.broadcast_to(np.asarray(lam, dtype=np.float64), (n_draws,)).copy()
    if not np.isfinite(lams).all() or (lams < 0).any():
        raise GameClassError(f"the agent QRE needs a precision lambda >= 0, got {lam}")
    require_perfect_recall(tree, "the agent QRE")
    result = iterate_beliefs(game, lams, tol=tol, threads=threads)
    profile, residual = result.profile, result.residual
    stuck = np.flatnonzero(~(residual <= tol))
    small = tree.n_actions <= FALLBACK_MAX_ACTIONS
    positive = bool((game.edge_chance_probs() > 0).all())
    if stuck.size and fallback and small and positive:
        part = game.take(stuck)
        same = lams[stuck].min() == lams[stuck].max()
        exact = (
            agent_qre(part, float(lams[stuck[0]]))
            if same
            else agent_qre_per_draw(part, lams[stuck])
        )
        profile[stuck] = exact.behaviour
        residual[stuck] = np.inf if exact.residual is None else exact.residual
    unresolved = int((~(residual <= max(tol, 1e-8))).sum())
    if unresolved:
        warnings.warn(
            f"the agent QRE did not converge in {unresolved} of {n_draws} draws (largest "
            f"residual {float(np.nanmax(residual)):.3g}); the last iterate is used there",
            UserWarning,
            stacklevel=2,
        )
    return TreeSolution(
        game=game,
        concept="qre",
        mixed_t=np.ascontiguousarray(profile.T),
        lam=lams,
        residual=residual,
    )
