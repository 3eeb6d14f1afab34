"""Why each actor chooses what it chooses: the realist calculation, term by term.

For every decision on the equilibrium path, the chosen action is set against
each alternative, and the mover's difference in value is split into the
mover's named payoff terms (sanctions, partnership, status, ...). Values are
continuation values under the solution, so they already include how the
others respond later; because terms are carried separately through solving,
the split is exact: the term differences sum to the value difference.

"On the equilibrium path" means: start at the root; at a decision node
follow the most likely action; at a chance node follow every outcome with
positive probability. Over parameter draws, values are averaged across draws
(means of differences are differences of means, so the split stays exact)
and the chosen action is the one with the highest mean probability.

In a simultaneous move every mover decides without seeing the others: each
mover's decision is reported after the moves finished before the stage (not
after the other movers' choices), with the probability that the stage is
reached, and its values average over the others' choices (Bayes' rule).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.games.tree import NodeKind
from realpolitik.plots.explain_plots import plot_explanation
from realpolitik.plots.notebook import result_html
from realpolitik.run.blocks import evaluate_settings
from realpolitik.run.evaluate import block_draws
from realpolitik.run.settings import Settings
from realpolitik.scenario.load import ScenarioLike, as_scenario
from realpolitik.scenario.model import Move, Scenario
from realpolitik.scenario.paths import CHANCE

if TYPE_CHECKING:  # matplotlib is imported only where a figure is made
    from matplotlib.figure import Figure

#: Chance branches below this probability are not explained.
MIN_BRANCH_PROBABILITY = 1e-9


@dataclass(frozen=True)
class Alternative:
    """One alternative set against the chosen action."""

    action: str
    label: str
    probability: float
    difference: float  # value(chosen) - value(alternative), for the mover
    terms: dict[str, float]  # the difference split into the mover's terms


@dataclass(frozen=True)
class DimensionChoice:
    """One dimension of a compound move's chosen joint action, set against
    each other level of that dimension, the other dimensions as chosen."""

    dimension: str
    chosen: str
    alternatives: list[Alternative]


@dataclass(frozen=True)
class Decision:
    """One decision on the equilibrium path and why it was taken."""

    actor: str
    move: str
    history: list[tuple[str, str]]
    reach: float
    chosen: str
    chosen_label: str
    probability: float
    value: float
    value_terms: dict[str, float]
    alternatives: list[Alternative]
    #: compound moves: each dimension's choice against its other levels
    dimensions: list[DimensionChoice] = field(default_factory=list)

    def sentence(self, actor_name: str) -> str:
        """The decision in words, e.g. 'China chooses neutral (78% given
        full_invasion > sweeping, reached with probability 37%) over
        covert_assist by 0.31: partnership -0.20, secondary_sanctions +0.60'.
        The probability is conditional on reaching the decision (see
        :meth:`where`), not the marginal one of the forecast's actions."""
        if self.dimensions:
            parts = [
                f"on {d.dimension}, {d.chosen} "
                + (
                    ", ".join(_versus(alt) for alt in d.alternatives)
                    or "(no other level allowed with the rest)"
                )
                for d in self.dimensions
            ]
            return f"{actor_name} chooses {self.chosen} ({self.where()}): " + "; ".join(parts)
        parts = [_versus(alt) for alt in self.alternatives]
        return f"{actor_name} chooses {self.chosen} ({self.where()}) " + "; ".join(parts)

    def where(self) -> str:
        """The decision's probability, labelled as conditional on reaching it:
        '78% given full_invasion > sweeping, reached with probability 37%'."""
        if not self.history:
            return f"{self.probability:.0%} at the start"
        after = " > ".join(action for _, action in self.history)
        return f"{self.probability:.0%} given {after}, reached with probability {self.reach:.0%}"


def _versus(alt: Alternative) -> str:
    """``over X by +0.3 (term +0.2, ...)``: one alternative in words."""
    ranked = sorted(alt.terms.items(), key=lambda kv: -abs(kv[1]))
    reasons = ", ".join(f"{name} {value:+.3g}" for name, value in ranked if abs(value) > 1e-12)
    return f"over {alt.action} by {alt.difference:+.3g} ({reasons or 'no difference'})"


@dataclass(frozen=True, eq=False)
class Explanation:
    scenario: Scenario
    settings: Settings
    decisions: list[Decision]

    def plot(self, path: str | None = None) -> Figure:
        """Each decision's alternatives as bars split into the named terms
        (a matplotlib figure; also written as PNG and SVG at ``path``)."""
        return plot_explanation(self, path)

    def _repr_html_(self) -> str:
        actors = self.scenario.actors
        return result_html(
            f"Why: {self.scenario.title}",
            [
                "Each probability is conditional on reaching the decision.",
                *(d.sentence(actors[d.actor].name) for d in self.decisions),
            ],
            {"The term-by-term split": self.table()},
        )

    def table(self) -> pd.DataFrame:
        """One row per (decision, alternative, term): the exact split."""
        rows = []
        for k, d in enumerate(self.decisions):
            for alt in d.alternatives:
                for term, value in alt.terms.items():
                    rows.append(
                        {
                            "decision": k,
                            "actor": d.actor,
                            "move": d.move,
                            "after": " > ".join(f"{a}:{b}" for a, b in d.history) or "(start)",
                            "reach_probability": d.reach,
                            "chosen": d.chosen,
                            "conditional_probability": d.probability,
                            "alternative": alt.action,
                            "term": term,
                            "difference": value,
                        }
                    )
        return pd.DataFrame(rows)

    def to_json(self) -> dict[str, object]:
        return {
            "scenario": self.scenario.id,
            "concept": self.settings.concept,
            "lambda": self.settings.lam,
            "draws": self.settings.draws,
            "seed": self.settings.seed,
            "values": dict(self.settings.values),
            "probabilities": (
                "each decision's probability (and its alternatives') is conditional on reaching "
                "the decision, after its history; reach_probability is the probability of "
                "reaching it"
            ),
            "decisions": [
                _with_dimensions(d)
                | {
                    "actor": d.actor,
                    "move": d.move,
                    "after": [[a, b] for a, b in d.history],
                    "reach_probability": d.reach,
                    "chosen": d.chosen,
                    "probability": d.probability,
                    "value": d.value,
                    "value_terms": d.value_terms,
                    "alternatives": [
                        {
                            "action": a.action,
                            "probability": a.probability,
                            "difference": a.difference,
                            "terms": a.terms,
                        }
                        for a in d.alternatives
                    ],
                    "text": d.sentence(self.scenario.actors[d.actor].name),
                }
                for d in self.decisions
            ],
        }


def _dimension_choices(
    move: Move,
    actor: str,
    best: int,
    probs: NDArray[np.float64],
    action_terms: NDArray[np.float64],
    own_terms: list[str],
) -> list[DimensionChoice]:
    """A compound move's choice, dimension by dimension: the chosen joint
    action against those that change one dimension's level and keep the
    others (where that combination is allowed); exact, as every difference."""
    dims = move.dimensions.get(actor, ())
    if not dims:
        return []
    joint = move.joint_levels[actor]
    where = {combo: k for k, combo in enumerate(joint)}
    chosen = joint[best]
    out = []
    for d, dim in enumerate(dims):
        alternatives = []
        for level in range(len(dim.levels)):
            if level == chosen[d]:
                continue
            k = where.get((*chosen[:d], level, *chosen[d + 1 :]))
            if k is None:  # not allowed
                continue
            diff = action_terms[best] - action_terms[k]
            alternatives.append(
                Alternative(
                    action=dim.levels[level].id,
                    label=dim.levels[level].label or dim.levels[level].id,
                    probability=float(probs[k]),
                    difference=float(diff.sum()),
                    terms={t: float(v) for t, v in zip(own_terms, diff, strict=True)},
                )
            )
        alternatives.sort(key=lambda a: a.difference)
        out.append(DimensionChoice(dim.id, dim.levels[chosen[d]].id, alternatives))
    return out


def _with_dimensions(d: Decision) -> dict[str, object]:
    """A compound move's choice, dimension by dimension (nothing for a plain move)."""
    if not d.dimensions:
        return {}
    return {
        "dimensions": [
            {
                "dimension": c.dimension,
                "chosen": c.chosen,
                "alternatives": [
                    {
                        "level": a.action,
                        "probability": a.probability,
                        "difference": a.difference,
                        "terms": a.terms,
                    }
                    for a in c.alternatives
                ],
            }
            for c in d.dimensions
        ]
    }


def explain(
    scenario: ScenarioLike,
    *,
    concept: str | None = None,
    lam: float | None = None,
    draws: int = 0,
    seed: int | None = None,
    method: str = "mc",
    values: Mapping[str, float] | None = None,
) -> Explanation:
    """Explain every decision on the equilibrium path (module docstring);
    ``values`` replace parameters' central values as in
    :func:`realpolitik.analysis.forecast.forecast`."""
    scenario = as_scenario(scenario)
    settings = Settings.resolve(scenario, concept, lam, draws, seed, method, values)
    compiled = compile_scenario(scenario)
    tree = compiled.tree
    n = 0
    value_sum = None
    behaviour_sum = None
    reach_sum = None
    size = block_draws(compiled, terms=True)
    # each term's values to its own actor, in the order of scenario.terms:
    # all that the split below reads
    term_ids = scenario.term_ids
    term_player = np.array([compiled.players.index(t.actor) for t in scenario.terms])
    term_column = np.array([term_ids.index(t.id) for t in scenario.terms])
    for block in evaluate_settings(compiled, settings, block=size, terms=True):
        sol = block.solution
        terms = sol.term_values(term_player, term_column)
        value_sum = terms.sum(axis=0) if value_sum is None else value_sum + terms.sum(axis=0)
        b = sol.behaviour.sum(axis=0)
        behaviour_sum = b if behaviour_sum is None else behaviour_sum + b
        r = sol.node_reach.sum(axis=0)
        reach_sum = r if reach_sum is None else reach_sum + r
        n += sol.n_draws
    assert value_sum is not None and behaviour_sum is not None and reach_sum is not None
    node_values = value_sum / n  # (nodes, scenario.terms): each term's value to its actor
    behaviour = behaviour_sum / n
    reach = reach_sum / n

    decisions: list[Decision] = []
    # (node, history of finished moves, choices made so far in the current
    # simultaneous move: nobody in the stage sees them, so they join the
    # history only once the stage is over)
    Step = tuple[str, str]
    stack: list[tuple[int, list[Step], list[Step]]] = [(0, [], [])]
    explained: set[int] = set()  # information sets already explained (hidden information)
    while stack:
        node, history, pending = stack.pop()
        kind = tree.node_kind[node]
        if kind == NodeKind.TERMINAL:
            continue
        move = compiled.moves[int(compiled.node_move[node])]
        kids = tree.children(node)
        if kind == NodeKind.CHANCE:
            outcomes = move.action_ids(CHANCE)
            for k in range(len(kids) - 1, -1, -1):
                if reach[kids[k]] > MIN_BRANCH_PROBABILITY * max(reach[node], 1e-300):
                    stack.append((int(kids[k]), [*history, (move.id, outcomes[k])], []))
            continue
        player = int(tree.node_player[node])
        actor = tree.players[player]
        infoset = int(tree.node_infoset[node])
        lo = int(tree.action_offset[infoset])
        probs = behaviour[lo : lo + len(kids)]
        best = int(np.argmax(probs))
        ids = move.action_ids(actor)
        own_terms = [t.id for t in scenario.terms_of(actor)]
        columns = [j for j, t in enumerate(scenario.terms) if t.actor == actor]
        # value of each action to the mover, per term; inside a simultaneous
        # stage the mover does not see the others' choice, so average over the
        # nodes of its information set by how likely each is (Bayes' rule)
        members = tree.infoset_nodes[infoset]
        weight = reach[members]
        weight = (
            weight / weight.sum() if weight.sum() > 0 else np.full(len(members), 1 / len(members))
        )
        member_kids = np.stack([tree.children(int(m)) for m in members])  # (m, a)
        action_terms = np.einsum("m,mak->ak", weight, node_values[member_kids][:, :, columns])
        chosen_terms = action_terms[best]
        alternatives = []
        for k in range(len(kids)):
            if k == best:
                continue
            diff_terms = chosen_terms - action_terms[k]
            alternatives.append(
                Alternative(
                    action=ids[k],
                    label=move.label(actor, ids[k]),
                    probability=float(probs[k]),
                    difference=float(diff_terms.sum()),
                    terms={t: float(v) for t, v in zip(own_terms, diff_terms, strict=True)},
                )
            )
        alternatives.sort(key=lambda a: a.difference)
        seen = compiled.node_seen.get(node)
        if infoset not in explained:
            explained.add(infoset)
            decisions.append(
                Decision(
                    actor=actor,
                    move=move.id,
                    # what the mover knows: the path it has seen, where it does not see it all
                    history=history if seen is None else list(compiled.describe_seen(seen)),
                    reach=float(reach[members].sum()),
                    chosen=ids[best],
                    chosen_label=move.label(actor, ids[best]),
                    probability=float(probs[best]),
                    value=float(chosen_terms.sum()),
                    value_terms={t: float(v) for t, v in zip(own_terms, chosen_terms, strict=True)},
                    alternatives=alternatives,
                    dimensions=_dimension_choices(
                        move, actor, best, probs, action_terms, own_terms
                    ),
                )
            )
        kid = int(kids[best])
        staged = [*pending, (actor, ids[best])]
        if tree.node_kind[kid] == NodeKind.DECISION and int(compiled.node_move[kid]) == int(
            compiled.node_move[node]
        ):  # the next mover of the same simultaneous move
            stack.append((kid, history, staged))
        else:
            stack.append((kid, [*history, *staged], []))
    return Explanation(scenario, settings, decisions)
