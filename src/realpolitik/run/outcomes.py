"""Per-draw outcomes of a solved scenario: what each actor does, which path
the crisis takes, and the metrics, for every parameter draw.

Why a module of its own: the forecast summaries, the results store and the
sensitivity and discovery analyses all read the same per-draw quantities;
computing them in one place keeps their definitions identical.

Definitions (per draw):

- ``action_probability[a]``: the probability that the actor takes action
  ``a`` anywhere in the game: the sum, over the nodes where the actor makes
  that move, of the probability of reaching the node times the probability
  of choosing ``a`` there. A move that is not reached contributes nothing, so
  an actor's probabilities over one move sum to the probability that the
  move happens.
- ``path_probability[t]``: the probability of ending at terminal ``t``.
- ``metric_expectation[m]``: the metric's expected value, the sum over
  terminals of the path probability times the metric at that terminal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler.factored import gathered
from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.games.tree import NodeKind
from realpolitik.run._segment_kernels import reach_sums, segment_index
from realpolitik.scenario.paths import CHANCE
from realpolitik.solve.tree_solution import TreeSolution

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class ActionKey:
    """One action of one actor in one move."""

    actor: str
    move: str
    action: str
    label: str

    @property
    def name(self) -> str:
        """``actor:action`` (the target syntax of sensitivity and discovery)."""
        return f"{self.actor}:{self.action}"


@dataclass(frozen=True)
class LevelKey:
    """One level of one dimension of a compound move."""

    actor: str
    move: str
    dimension: str
    level: str
    label: str


@dataclass(frozen=True)
class TypeKey:
    """One private type of one actor (drawn by the chance move ``actor.type``)."""

    actor: str
    type: str


@dataclass(frozen=True)
class BeliefKey:
    """What an actor believes, at one information set that hides part of the
    path, about one hidden subject: the probability of ``level``."""

    actor: str
    move: str
    infoset: int
    observed: tuple[tuple[str, str], ...]
    subject: str
    level: str


@dataclass(frozen=True)
class RoundKey:
    """An action of the repeated stage, taken at least once by ``round``."""

    actor: str
    move: str
    action: str
    round: int


@dataclass(frozen=True, eq=False)
class Extras:
    """The outcomes beyond actions and paths, each a sum of edge or node
    reach probabilities over fixed index lists (so they are exact over any
    chunking, like the action columns):

    - ``type_mass[t]``: the probability of type key ``t``;
    - ``type_action[t, a]``: the probability of type ``t`` and action column
      ``a`` (divided by the type's probability: the type-conditional forecast);
    - ``belief[b]`` and ``belief_reach[b]``: the probability of reaching the
      information set of belief key ``b`` with the hidden subject at its
      level, and of reaching the set at all (their ratio is the belief, by
      Bayes' rule);
    - ``by_round[k]``: the probability that round key ``k``'s action is
      taken at least once by its round (the reach of the terminals whose
      path takes it).
    """

    types: tuple[TypeKey, ...]
    beliefs: tuple[BeliefKey, ...]
    edge_lists: tuple[NDArray[np.int64], ...]  # type masses, then type x action columns
    node_lists: tuple[NDArray[np.int64], ...]  # belief numerators, their sets' reach, by round
    rounds: tuple[RoundKey, ...] = ()

    @property
    def width(self) -> int:
        return len(self.edge_lists) + len(self.node_lists)


@dataclass(frozen=True, eq=False)
class OutcomeLayout:
    """Which tree edges make up each action column, which action columns make
    up each level of a compound move, and the extra outcomes of private
    information; built once per scenario."""

    compiled: CompiledScenario
    keys: tuple[ActionKey, ...]
    edge_column: NDArray[np.int64]  # (edges,) action column of each decision edge, -1 else
    levels: tuple[LevelKey, ...] = ()
    level_columns: tuple[tuple[int, ...], ...] = ()
    extras: Extras | None = None

    @classmethod
    def of(cls, compiled: CompiledScenario) -> OutcomeLayout:
        tree = compiled.tree
        keys: list[ActionKey] = []
        index: dict[tuple[str, str, str], int] = {}
        for move in compiled.moves:
            if move.kind == "chance":
                continue
            for actor in move.actors:
                for option in move.actions[actor]:
                    index[(move.id, actor, option.id)] = len(keys)
                    keys.append(ActionKey(actor, move.id, option.id, option.label or option.id))
        edge_column = np.full(tree.n_edges, -1, dtype=np.int64)
        for node in np.flatnonzero(tree.node_kind == NodeKind.DECISION):
            move = compiled.moves[int(compiled.node_move[node])]
            actor = tree.players[int(tree.node_player[node])]
            lo = int(tree.child_offset[node])
            for k, action in enumerate(move.action_ids(actor)):
                edge_column[lo + k] = index[(move.id, actor, action)]
        levels: list[LevelKey] = []
        level_columns: list[tuple[int, ...]] = []
        for move in compiled.moves:
            for actor, dims in move.dimensions.items():
                columns = [index[(move.id, actor, a)] for a in move.action_ids(actor)]
                joint = move.joint_levels[actor]
                for d, dim in enumerate(dims):
                    for lv, level in enumerate(dim.levels):
                        levels.append(
                            LevelKey(actor, move.id, dim.id, level.id, level.label or level.id)
                        )
                        level_columns.append(
                            tuple(
                                c for c, combo in zip(columns, joint, strict=True) if combo[d] == lv
                            )
                        )
        return cls(
            compiled,
            tuple(keys),
            edge_column,
            tuple(levels),
            tuple(level_columns),
            _extras(compiled, edge_column, len(keys)),
        )

    @cached_property
    def action_edges(self) -> tuple[NDArray[np.int64], ...]:
        """Per action column, its decision edges in ascending order."""
        order = np.argsort(self.edge_column, kind="stable")
        starts = np.searchsorted(self.edge_column[order], np.arange(len(self.keys) + 1))
        return tuple(order[starts[k] : starts[k + 1]] for k in range(len(self.keys)))

    @cached_property
    def reach_lists(self) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
        """The node lists whose reach sums are the action columns and the
        extra outcomes, as :func:`~realpolitik.run._segment_kernels.segment_index`:
        each action column's decision edges (ascending) as their child
        nodes, then the extras' edge lists as child nodes and their node
        lists. An edge's probability times its parent's reach is its child's
        reach, the same product (:mod:`realpolitik.solve.reach`), so summing
        child reaches adds the same numbers without an ``(edges, D)`` array."""
        child = np.asarray(self.compiled.tree.child_index, dtype=np.int64)
        lists = [child[edges] for edges in self.action_edges]
        if self.extras is not None:
            lists += [child[edges] for edges in self.extras.edge_lists]
            lists += list(self.extras.node_lists)
        return segment_index(tuple(lists))

    @cached_property
    def moves_of_keys(self) -> dict[tuple[str, str], list[int]]:
        """(move, actor) -> the action columns of that choice."""
        out: dict[tuple[str, str], list[int]] = {}
        for k, key in enumerate(self.keys):
            out.setdefault((key.move, key.actor), []).append(k)
        return out

    def path_label(self, terminal: int) -> list[tuple[str, str]]:
        """``[(actor or chance move, action), ...]`` along a terminal's path."""
        return list(self.path_labels[terminal])

    @cached_property
    def path_labels(self) -> tuple[tuple[tuple[str, str], ...], ...]:
        """Every terminal's :meth:`path_label`, built once down the tree:
        each node's steps are its parent's and one more (walking each of
        3072 paths from the root again cost 0.4 s a forecast of benchmark
        (a))."""
        tree = self.compiled.tree
        moves = self.compiled.moves
        names: dict[tuple[int, str], list[str]] = {}
        steps: list[tuple[tuple[str, str], ...]] = [()] * tree.n_nodes
        for node in range(1, tree.n_nodes):  # a parent's id is smaller than its children's
            parent = int(tree.node_parent[node])
            action = int(tree.node_parent_edge[node] - tree.child_offset[parent])
            index = int(self.compiled.node_move[parent])
            move = moves[index]
            if tree.node_kind[parent] == NodeKind.CHANCE:
                who, subject = CHANCE, move.id
            else:
                who = subject = tree.players[int(tree.node_player[parent])]
            ids = names.get((index, who))
            if ids is None:
                ids = names[(index, who)] = list(move.action_ids(who))
            steps[node] = (*steps[parent], (subject, ids[action]))
        return tuple(steps[int(t)] for t in tree.terminal_node)


#: A metric on a block of draws: ``(values, inverse)``, its values per
#: combination of the actions it tests ``(D or 1, U)`` and each terminal's
#: combination ``(T,)``; or ``(values, None)``, values that broadcast to
#: ``(D, T)`` (:meth:`~realpolitik.compiler.scenario_tree.CompiledScenario.metric_parts`).
MetricPart = tuple[FloatArray, NDArray[np.int64] | None]


@dataclass(frozen=True, eq=False)
class DrawOutcomes:
    """Per-draw outcomes (see the module docstring), draws first.

    ``metric_parts`` holds each metric as the compiler evaluated it
    (:data:`MetricPart`); :attr:`metric_columns` gathers each to every
    terminal, one ``(D, terminals)`` array per metric (possibly broadcast
    views: a metric that depends on the actions alone is one row), and
    :attr:`metric_at_terminal` stacks them, when asked.
    """

    layout: OutcomeLayout
    action_probability: FloatArray  # (D, actions)
    path_probability: FloatArray  # (D, terminals)
    metric_parts: tuple[MetricPart, ...]  # per metric
    extra: FloatArray | None = None  # (D, extras) see Extras

    @property
    def n_draws(self) -> int:
        return int(self.path_probability.shape[0])

    @cached_property
    def metric_columns(self) -> tuple[FloatArray, ...]:
        """Each metric at each terminal, ``(D, terminals)`` per metric."""
        shape = self.path_probability.shape
        return tuple(
            np.broadcast_to(gathered(values, inverse), shape)
            for values, inverse in self.metric_parts
        )

    @cached_property
    def metric_at_terminal(self) -> FloatArray:
        """``(D, terminals, metrics)``."""
        if not self.metric_columns:
            return np.zeros((*self.path_probability.shape, 0))
        return np.stack(self.metric_columns, axis=-1)

    @cached_property
    def metric_expectation(self) -> FloatArray:
        """``(D, metrics)``."""
        result: FloatArray = np.einsum("dt,dtm->dm", self.path_probability, self.metric_at_terminal)
        return result

    @cached_property
    def modal_path(self) -> NDArray[np.int64]:
        """``(D,)`` the most likely terminal of each draw (first on ties)."""
        result: NDArray[np.int64] = np.argmax(self.path_probability, axis=1).astype(np.int64)
        return result

    @cached_property
    def most_likely(self) -> NDArray[np.bool_]:
        """``(D, actions)`` see :func:`most_likely_actions`."""
        return most_likely_actions(self.layout, self.action_probability)


def _extras(
    compiled: CompiledScenario, edge_column: NDArray[np.int64], n_actions: int
) -> Extras | None:
    """The type and belief outcomes of a scenario with private information
    (None without any: such scenarios keep the outcomes they always had)."""
    tree = compiled.tree
    scenario = compiled.scenario
    typed = [(p, m) for p, m in enumerate(compiled.moves) if m.type_of is not None]
    if not typed and not compiled.node_seen and scenario.rounds is None:
        return None
    types: list[TypeKey] = []
    edge_lists: list[NDArray[np.int64]] = []
    type_actions: list[NDArray[np.int64]] = []
    parent_history = [compiled.node_history[int(tree.edge_parent[e])] for e in range(tree.n_edges)]
    for position, move in typed:
        subject = move.id
        outcomes = move.action_ids(CHANCE)
        nodes = np.flatnonzero(compiled.node_move == position)
        for k, outcome in enumerate(outcomes):
            types.append(TypeKey(str(move.type_of), outcome))
            edge_lists.append(
                np.array([int(tree.child_offset[n]) + k for n in nodes], dtype=np.int64)
            )
            for column in range(n_actions):
                type_actions.append(
                    np.array(
                        [
                            e
                            for e in np.flatnonzero(edge_column == column)
                            if parent_history[e].get(subject) == k
                        ],
                        dtype=np.int64,
                    )
                )
    beliefs: list[BeliefKey] = []
    numerators: list[NDArray[np.int64]] = []
    denominators: list[NDArray[np.int64]] = []
    names = _subject_names(compiled)
    for infoset in range(tree.n_infosets):
        members = tree.infoset_nodes[infoset]
        if len(members) < 2 or int(members[0]) not in compiled.node_seen:
            continue
        histories = [compiled.node_history[int(m)] for m in members]
        move = compiled.moves[int(compiled.node_move[int(members[0])])]
        actor = tree.players[int(tree.infoset_player[infoset])]
        observed = compiled.describe_seen(compiled.node_seen[int(members[0])])
        for name, (move_id, mover, dimension) in names.items():
            values = {h.get(name, -1) for h in histories}
            if len(values) < 2:
                continue
            hidden_move = scenario.move(move_id)
            ids = (
                hidden_move.dimensions[mover][dimension].level_ids()
                if dimension >= 0
                else hidden_move.action_ids(mover)
            )
            for level, level_id in enumerate(ids):
                beliefs.append(BeliefKey(actor, move.id, infoset, observed, name, level_id))
                numerators.append(
                    np.array(
                        [
                            int(m)
                            for m, h in zip(members, histories, strict=True)
                            if h.get(name, -1) == level
                        ],
                        dtype=np.int64,
                    )
                )
                denominators.append(np.asarray(members, dtype=np.int64))
    round_keys, round_lists = _by_round(compiled)
    return Extras(
        types=tuple(types),
        beliefs=tuple(beliefs),
        edge_lists=tuple(edge_lists + type_actions),
        node_lists=tuple(numerators + denominators + round_lists),
        rounds=round_keys,
    )


def _by_round(compiled: CompiledScenario) -> tuple[tuple[RoundKey, ...], list[NDArray[np.int64]]]:
    """For each action of the repeated stage and each round, the nodes where
    a path first takes the action in that round or an earlier one: the
    first node of each such path below the step that takes it, so that
    their reach is the probability of the paths that take it (the sum of
    their terminals' reach; summing the terminals themselves cost a third
    of the outcome sums of benchmark (a), 13056 of 40526 list entries)."""
    rounds = compiled.scenario.rounds
    if rounds is None:
        return (), []
    tree = compiled.tree
    parent = np.asarray(tree.node_parent, dtype=np.int64)
    terminal_of = np.asarray(tree.node_terminal, dtype=np.int64)
    history = [
        compiled.terminal_history[int(terminal_of[n])] if terminal_of[n] >= 0 else h
        for n, h in enumerate(compiled.node_history)
    ]
    keys: list[RoundKey] = []
    lists: list[NDArray[np.int64]] = []
    for move_id in rounds.stage:
        move = compiled.scenario.move(move_id)
        if move.kind == "chance":
            continue
        for actor in move.actors:
            subject = None
            if not move.dimensions.get(actor):
                subject = next(
                    (
                        name
                        for name, s in compiled.subjects.items()
                        if s.move == move_id and s.actor == actor and s.dimension < 0
                    ),
                    None,
                )
            if subject is None:
                continue
            # each node's level of the subject in each round (-1: not taken)
            names = [f"{subject}@{q}" for q in range(1, rounds.count + 1)]
            level = np.array(
                [[h.get(name, -1) for name in names] for h in history], dtype=np.int64
            ).reshape(tree.n_nodes, rounds.count)
            for k, action in enumerate(move.action_ids(actor)):
                taken = np.zeros(tree.n_nodes, dtype=bool)
                for r in range(1, rounds.count + 1):
                    taken |= level[:, r - 1] == k
                    first = taken.copy()
                    first[1:] &= ~taken[parent[1:]]
                    keys.append(RoundKey(actor, move_id, action, r))
                    lists.append(np.flatnonzero(first).astype(np.int64))
    return tuple(keys), lists


def _subject_names(compiled: CompiledScenario) -> dict[str, tuple[str, str, int]]:
    """One name per hidden-able subject: an actor's alias where there is one
    (``ch.trade`` rather than ``stance.trade``), else the move's id."""
    chosen: dict[tuple[str, str, int], str] = {}
    for name, subject in compiled.subjects.items():
        key = (subject.move, subject.actor, subject.dimension)
        if key not in chosen or name.split(".")[0] == subject.actor:
            chosen[key] = name
    return {name: key for key, name in chosen.items()}


def extra_outcomes(layout: OutcomeLayout, solution: TreeSolution) -> FloatArray:
    """``(D, extras)``: each extra outcome (see :class:`Extras`) per draw,
    summed over its list in a fixed order."""
    if layout.extras is None:
        return np.zeros((solution.n_draws, 0))
    return _reach_sums(layout, solution)[0][len(layout.keys) :].T


def _reach_sums(layout: OutcomeLayout, solution: TreeSolution) -> tuple[FloatArray, FloatArray]:
    """``(actions + extras, D)`` the sums of :attr:`OutcomeLayout.reach_lists`
    and ``(terminals, D)`` the path probabilities, from the solution's
    behaviour (reached tile by tile, :func:`~realpolitik.run._segment_kernels.reach_sums`)."""
    index, offsets, same = layout.reach_lists
    return reach_sums(solution.game, solution.behaviour_t, index, offsets, same)


def level_probabilities(layout: OutcomeLayout, action_probability: FloatArray) -> FloatArray:
    """``(D, levels)`` each compound-move level's probability: the sum of the
    joint actions that choose it (marginal over the game, like actions)."""
    out = np.zeros((action_probability.shape[0], len(layout.levels)))
    for k, columns in enumerate(layout.level_columns):
        for c in columns:
            out[:, k] += action_probability[:, c]
    return out


def most_likely_actions(layout: OutcomeLayout, action_probability: FloatArray) -> NDArray[np.bool_]:
    """``(D, actions)`` whether each action is its (move, actor)'s most likely
    choice in the draw (first action on exact ties); all False in draws
    where the move never happens."""
    out = np.zeros(action_probability.shape, dtype=bool)
    rows = np.arange(action_probability.shape[0])
    for columns in layout.moves_of_keys.values():
        block = action_probability[:, columns]
        best = np.argmax(block, axis=1)
        out[rows, np.asarray(columns)[best]] = block.sum(axis=1) > 0
    return out


def action_and_path_probability(
    layout: OutcomeLayout, solution: TreeSolution
) -> tuple[FloatArray, FloatArray]:
    """``(D, actions)`` :attr:`DrawOutcomes.action_probability` and ``(D,
    terminals)`` :attr:`DrawOutcomes.path_probability` of a solution.

    Computed draws-last (whole rows of draws, from the solution's reach) and
    each action's probability summed edge by edge in ascending edge order
    (compiled elementwise adds of the edges' child reaches,
    :func:`~realpolitik.run._segment_kernels.indexed_sums`) rather than by a
    matrix product, whose BLAS kernel, and so its last bits, may depend on
    how many draws share the product; the results are the same bit for bit
    however the draws are chunked.
    """
    sums, paths = _reach_sums(layout, solution)
    return sums[: len(layout.keys)].T, paths.T


def draw_outcomes(
    layout: OutcomeLayout, solution: TreeSolution, metrics: Mapping[str, MetricPart]
) -> DrawOutcomes:
    """Compute :class:`DrawOutcomes` from a solution and the metrics of the
    same draws, ``metric -> (values, inverse)``
    (:meth:`~realpolitik.compiler.scenario_tree.CompiledScenario.metric_parts`;
    the action columns and the extra outcomes in one compiled pass over the
    reach)."""
    sums, paths = _reach_sums(layout, solution)
    n_actions = len(layout.keys)
    path_probability = paths.T
    parts = tuple(metrics[m.id] for m in layout.compiled.scenario.metrics)
    extra = sums[n_actions:].T if layout.extras is not None else None
    return DrawOutcomes(layout, sums[:n_actions].T, path_probability, parts, extra)
