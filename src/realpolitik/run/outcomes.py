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

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import CompiledScenario
from realpolitik.games.tree import NodeKind
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


@dataclass(frozen=True, eq=False)
class OutcomeLayout:
    """Which tree edges make up each action column; built once per scenario."""

    compiled: CompiledScenario
    keys: tuple[ActionKey, ...]
    edge_column: NDArray[np.int64]  # (edges,) action column of each decision edge, -1 else

    @classmethod
    def of(cls, compiled: CompiledScenario) -> OutcomeLayout:
        tree = compiled.tree
        scenario = compiled.scenario
        keys: list[ActionKey] = []
        index: dict[tuple[str, str, str], int] = {}
        for move in scenario.moves:
            if move.kind == "chance":
                continue
            for actor in move.actors:
                for option in move.actions[actor]:
                    index[(move.id, actor, option.id)] = len(keys)
                    keys.append(ActionKey(actor, move.id, option.id, option.label or option.id))
        edge_column = np.full(tree.n_edges, -1, dtype=np.int64)
        for node in np.flatnonzero(tree.node_kind == NodeKind.DECISION):
            move = scenario.moves[int(compiled.node_move[node])]
            actor = tree.players[int(tree.node_player[node])]
            lo = int(tree.child_offset[node])
            for k, action in enumerate(move.action_ids(actor)):
                edge_column[lo + k] = index[(move.id, actor, action)]
        return cls(compiled, tuple(keys), edge_column)

    @cached_property
    def moves_of_keys(self) -> dict[tuple[str, str], list[int]]:
        """(move, actor) -> the action columns of that choice."""
        out: dict[tuple[str, str], list[int]] = {}
        for k, key in enumerate(self.keys):
            out.setdefault((key.move, key.actor), []).append(k)
        return out

    def path_label(self, terminal: int) -> list[tuple[str, str]]:
        """``[(actor or chance move, action), ...]`` along a terminal's path."""
        tree = self.compiled.tree
        scenario = self.compiled.scenario
        steps = []
        for node, action in tree.path(int(tree.terminal_node[terminal])):
            move = scenario.moves[int(self.compiled.node_move[node])]
            if tree.node_kind[node] == NodeKind.CHANCE:
                steps.append((move.id, move.action_ids(CHANCE)[action]))
            else:
                actor = tree.players[int(tree.node_player[node])]
                steps.append((actor, move.action_ids(actor)[action]))
        return steps


@dataclass(frozen=True, eq=False)
class DrawOutcomes:
    """Per-draw outcomes (see the module docstring), draws first.

    ``metric_columns`` holds each metric at each terminal, one ``(D,
    terminals)`` array per metric (possibly broadcast views: a metric that
    depends on the actions alone is one row); :attr:`metric_at_terminal`
    stacks them when asked.
    """

    layout: OutcomeLayout
    action_probability: FloatArray  # (D, actions)
    path_probability: FloatArray  # (D, terminals)
    metric_columns: tuple[FloatArray, ...]  # per metric (D, terminals)

    @property
    def n_draws(self) -> int:
        return int(self.path_probability.shape[0])

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
    each action's probability summed edge by edge in a fixed order
    (elementwise adds) rather than by a matrix product, whose BLAS kernel, and
    so its last bits, may depend on how many draws share the product; the
    results are the same bit for bit however the draws are chunked.
    """
    tree = layout.compiled.tree
    reach = solution.node_reach_t  # (N, D)
    edge_reach = np.take(reach, tree.edge_parent, axis=0) * solution.edge_probability_t
    action = np.zeros((len(layout.keys), solution.n_draws))
    for e in np.flatnonzero(layout.edge_column >= 0):
        action[layout.edge_column[e]] += edge_reach[e]
    return action.T, reach[tree.terminal_node].T


def draw_outcomes(
    layout: OutcomeLayout, solution: TreeSolution, metrics: dict[str, FloatArray]
) -> DrawOutcomes:
    """Compute :class:`DrawOutcomes` from a solution and the metric values
    ``metric -> (D, terminals)`` of the same draws."""
    action_probability, path_probability = action_and_path_probability(layout, solution)
    columns = tuple(np.asarray(metrics[m.id]) for m in layout.compiled.scenario.metrics)
    return DrawOutcomes(layout, action_probability, path_probability, columns)
