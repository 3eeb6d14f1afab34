"""Compile a scenario into a game tree, and evaluate its payoff terms, chance
probabilities and metrics on parameter draws as arrays.

The tree's shape depends only on actions (conditions may not test
parameters), so it is built once; everything that depends on parameters is
evaluated per draw with the expression kernels, all draws and all paths at
once: parameters enter as ``(draws, 1)`` arrays and each action variable as
a ``(1, paths)`` array of action indices, so every term is one broadcast
evaluation of shape ``(draws, paths)``.

Move semantics (see ``docs/scenario-format.md``): moves happen in the order
listed; a move whose ``when`` is false on a path is skipped there. A
simultaneous move becomes a stage: the first listed actor's node, then each
further actor's nodes in one information set (nobody sees the others'
choice), Gambit's encoding.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from realpolitik.compiler._chance_kernel import fill_chance
from realpolitik.compiler._payoff_kernels import PayoffSum
from realpolitik.compiler.factored import (
    MIN_TERMINALS,
    FactoredEvaluator,
    GatheredValues,
    gathered,
)
from realpolitik.errors import InputError
from realpolitik.games.tree import PROB_SUM_TOL, GameTree, TreeBuilder, TreeGame
from realpolitik.scenario.expressions import Expression, ExpressionError, NonFiniteError
from realpolitik.scenario.model import Move, Scenario, Term
from realpolitik.scenario.paths import (
    CHANCE,
    History,
    Slot,
    Subject,
    condition_holds,
    record_in_slot,
    round_view,
    subjects_of,
    unrolled,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _history_arrays(
    histories: list[History], subjects: Mapping[str, Subject]
) -> dict[str, IntArray]:
    """``subject -> (1, n)`` action indices (-1: did not move) for ``n`` histories."""
    out: dict[str, IntArray] = {}
    for subject in subjects:
        out[subject] = np.array([[h.get(subject, -1) for h in histories]], dtype=np.int64)
    return out


def _stacked(
    evaluated: list[tuple[FloatArray, IntArray | None]], n_draws: int, n_nodes: int
) -> tuple[FloatArray, IntArray]:
    """A chance move's outcome values as one ``(K, 1 or D, U)`` array (each
    outcome's values per combination, padded to the widest) and ``(K,
    nodes)`` the combination of each node: the arguments of
    :func:`~realpolitik.compiler._chance_kernel.fill_chance`. A value the
    same at every node is one combination; one evaluated in full has a
    combination per node."""
    evaluated = [
        (np.asarray(v, dtype=np.float64).reshape(1, -1) if np.ndim(v) < 2 else v, inverse)
        for v, inverse in evaluated
    ]
    rows = 1 if all(np.shape(v)[0] == 1 for v, _ in evaluated) else n_draws
    width = max(np.shape(v)[-1] for v, _ in evaluated)
    values = np.zeros((len(evaluated), rows, width))
    inverse_all = np.zeros((len(evaluated), n_nodes), dtype=np.int64)
    for k, (v, inverse) in enumerate(evaluated):
        u = np.shape(v)[-1]
        values[k, :, :u] = np.broadcast_to(v, (rows, u))
        if inverse is not None:
            inverse_all[k] = inverse
        elif u == n_nodes and u > 1:
            inverse_all[k] = np.arange(n_nodes)
    return values, inverse_all


def _at_draw(first_draw: int | None, draw: int) -> str:
    """Where a value was found: "at draw 12", or "at the central values"."""
    return "at the central values" if first_draw is None else f"at draw {first_draw + draw}"


@dataclass(frozen=True, eq=False)
class CompiledScenario:
    """A scenario's game tree plus what is needed to evaluate it on draws.

    Attributes
    ----------
    scenario : the source scenario.
    tree : the game tree (players = the scenario's actors, in order).
    terminal_history : each terminal's history, in terminal order.
    node_move : ``(nodes,)`` index into :attr:`slots` of the move made at
        each node (-1 at terminals).
    slots : the moves in playing order (a stage repeated over rounds appears
        once per round, as ``move@round``; see
        :func:`realpolitik.scenario.paths.unrolled`).
    """

    scenario: Scenario
    tree: GameTree
    terminal_history: tuple[History, ...]
    node_move: IntArray
    node_history: tuple[History, ...]
    subjects: Mapping[str, Subject]
    #: decision node -> what its mover has seen of the path, where the mover
    #: does not see everything (steps ``(move position, mover, action index or
    #: per-dimension levels with -1 for the unseen)``)
    node_seen: Mapping[int, tuple[Any, ...]] = field(default_factory=dict)
    slots: tuple[Slot, ...] = ()

    @property
    def moves(self) -> tuple[Move, ...]:
        """The moves in playing order (``node_move`` indexes them)."""
        return tuple(slot.move for slot in self.slots)

    def describe_seen(self, seen: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
        """``((subject, action or level), ...)``: what a mover has seen, in words."""
        out: list[tuple[str, str]] = []
        for position, mover, index in seen:
            move = self.slots[position].move
            if isinstance(index, tuple):
                for dim, level in zip(move.dimensions[mover], index, strict=True):
                    if level >= 0:
                        out.append((f"{mover}.{dim.id}", dim.levels[level].id))
            else:
                who = move.id if mover == CHANCE else mover
                out.append((who, move.action_ids(mover)[index]))
        return tuple(out)

    @property
    def players(self) -> tuple[str, ...]:
        return self.tree.players

    @cached_property
    def _factored(self) -> FactoredEvaluator:
        """Evaluates expressions once per combination of the actions they test."""
        return FactoredEvaluator()

    @cached_property
    def terminal_actions(self) -> dict[str, IntArray]:
        """``subject -> (1, terminals)`` action indices for expression
        evaluation (the stage's subjects as in the last round played)."""
        return _history_arrays([round_view(h, 0) for h in self.terminal_history], self.subjects)

    @cached_property
    def round_actions(self) -> tuple[dict[str, IntArray], ...]:
        """Per round of the stage, ``subject -> (1, terminals)`` as that round's
        expressions see them (empty without rounds)."""
        count = self.scenario.rounds.count if self.scenario.rounds else 0
        return tuple(
            _history_arrays([round_view(h, r) for h in self.terminal_history], self.subjects)
            for r in range(1, count + 1)
        )

    @cached_property
    def _payoff_patterns(self) -> dict[bytes, tuple[IntArray, IntArray]]:
        """The payoff patterns of :class:`~realpolitik.compiler._payoff_kernels.PayoffSum`,
        found once and kept for every later block of draws."""
        return {}

    @cached_property
    def _chance_columns(self) -> list[IntArray]:
        """Per chance group (:attr:`_chance_groups`), the column among the
        tree's chance edges of each outcome at each of its nodes ``(outcomes,
        nodes)``."""
        tree = self.tree
        column = {int(e): k for k, e in enumerate(tree.chance_edge)}
        found = []
        for move, nodes, _ in self._chance_groups:
            n_outcomes = len(move.action_ids(CHANCE))
            found.append(
                np.array(
                    [
                        [column[int(tree.child_offset[n]) + k] for n in nodes]
                        for k in range(n_outcomes)
                    ],
                    dtype=np.int64,
                ).reshape(n_outcomes, len(nodes))
            )
        return found

    @cached_property
    def _chance_groups(self) -> list[tuple[Move, IntArray, dict[str, IntArray]]]:
        groups = []
        for index, slot in enumerate(self.slots):
            if slot.base.kind != "chance":
                continue
            nodes = np.flatnonzero(self.node_move == index)
            if len(nodes) == 0:
                continue
            histories = [round_view(self.node_history[n], slot.round) for n in nodes]
            groups.append((slot.base, nodes, _history_arrays(histories, self.subjects)))
        return groups

    @cached_property
    def derived_subjects(self) -> dict[str, frozenset[str]]:
        """Derived name -> the subjects whose actions (in
        :attr:`terminal_actions`) its value is a function of, besides the
        parameters: the subjects it tests and those of the derived names it
        reads. A derived name that reads a state variable (directly or
        through another) is left out: its value is read in full."""
        rounds = self.scenario.rounds
        state = {v.id for v in rounds.state} if rounds is not None else set()
        derived = {item.id for item in self.scenario.derived}
        out: dict[str, frozenset[str]] = {}
        for item in self.scenario.derived:
            names = item.expression.names
            if any(n in state or (n in derived and n not in out) for n in names):
                continue
            subjects = set(item.expression.actors)
            for n in names & out.keys():
                subjects |= out[n]
            out[item.id] = frozenset(subjects)
        return out

    def parameter_values(self, draws: FloatArray | None = None) -> dict[str, FloatArray]:
        """``name -> (D, 1)`` parameter arrays from ``(D, k)`` draws (columns in
        the scenario's parameter order), or the central values when None; the
        parameters estimated from data (``scenario.linear``) are computed
        from their drawn coefficients and columns."""
        names = self.scenario.parameter_ids
        if draws is None:
            row = np.array([[self.scenario.parameters[n].central for n in names]])
        else:
            row = np.asarray(draws, dtype=np.float64)
            if row.ndim != 2 or row.shape[1] != len(names):
                raise ValueError(f"draws must be (D, {len(names)}), got {row.shape}")
        values = {name: row[:, k : k + 1] for k, name in enumerate(names)}
        for predictor in self.scenario.linear:
            values[predictor.id] = predictor.evaluate(values, self.scenario.file)
        return values

    def _evaluate(
        self,
        expression: Expression,
        params: Mapping[str, FloatArray],
        actions: Mapping[str, IntArray],
        what: str,
        line: int | None,
        first_draw: int | None = 0,
        depends: Mapping[str, frozenset[str]] | None = None,
    ) -> FloatArray:
        return gathered(
            *self._evaluate_reduced(expression, params, actions, what, line, first_draw, depends)
        )

    def _evaluate_reduced(
        self,
        expression: Expression,
        params: Mapping[str, FloatArray],
        actions: Mapping[str, IntArray],
        what: str,
        line: int | None,
        first_draw: int | None = 0,
        depends: Mapping[str, frozenset[str]] | None = None,
    ) -> tuple[FloatArray, IntArray | None]:
        """:meth:`_evaluate` before its gather: float64 values per
        combination of the actions the expression tests and each terminal's
        combination, or ``(value, None)`` evaluated in full (see
        :meth:`realpolitik.compiler.factored.FactoredEvaluator.evaluate_reduced`);
        ``depends``: the derived quantities' actors (:attr:`derived_subjects`),
        only with the values and :attr:`terminal_actions` of :meth:`with_derived`."""
        try:
            value, inverse = self._factored.evaluate_reduced(expression, params, actions, depends)
        except NonFiniteError as error:
            draw = error.index[0] if error.index else 0
            found = re.search(r" is (-?inf|nan) for ", error.reason)
            bad = found.group(1) if found else "not finite"
            raise InputError(
                f"`{expression.text}` is {bad} {_at_draw(first_draw, draw)} "
                f"({self._draw_text(params, draw, expression.parameters)}); check the "
                "parameter ranges, or guard the formula with `clip`, `max` or `where`",
                file=self.scenario.file,
                line=line,
                field=what,
            ) from None
        except ExpressionError as error:
            raise InputError(error.reason, file=self.scenario.file, line=line, field=what) from None
        return np.asarray(value, dtype=np.float64), inverse

    def draws_of(self, params: Mapping[str, FloatArray]) -> int:
        return max((int(np.shape(v)[0]) for v in params.values()), default=1)

    def chance_probabilities(
        self, params: Mapping[str, FloatArray], *, first_draw: int | None = 0
    ) -> FloatArray:
        """``(D, chance edges)`` probabilities, checked to lie in [0, 1] and sum to 1.

        ``first_draw`` numbers the draws in error messages (the index of the
        first row of ``params`` in the whole run; None: the central values).
        """
        n_draws = self.draws_of(params)
        out = np.empty((n_draws, len(self.tree.chance_edge)))
        for (move, nodes, actions), columns in zip(
            self._chance_groups, self._chance_columns, strict=True
        ):
            evaluated = [
                self._evaluate_reduced(
                    move.probabilities[outcome],
                    params,
                    actions,
                    self._chance_field(move, outcome),
                    move.probability_lines.get(outcome, move.line),
                    first_draw,
                )
                for outcome in move.action_ids(CHANCE)
            ]
            values, inverse = _stacked(evaluated, n_draws, len(nodes))
            if not fill_chance(values, inverse, columns, PROB_SUM_TOL, out):
                self._refuse_chance(move, len(nodes), evaluated, params, first_draw)
        return out

    @staticmethod
    def _chance_field(move: Move, outcome: str) -> str:
        return (
            f"types.{move.type_of}.{outcome}"
            if move.type_of
            else f"moves.{move.id}.chance.{outcome}"
        )

    def _refuse_chance(
        self,
        move: Move,
        n_nodes: int,
        evaluated: list[tuple[FloatArray, IntArray | None]],
        params: Mapping[str, FloatArray],
        first_draw: int | None,
    ) -> None:
        """Raise for the first outcome probability of ``move`` out of [0, 1]
        (in outcome order), else for the first node whose outcomes do not
        sum to 1 (what :func:`~realpolitik.compiler._chance_kernel.fill_chance`
        found, located)."""
        n_draws = self.draws_of(params)
        total = np.zeros((n_draws, n_nodes))
        used: set[str] = set()
        for outcome, (reduced, inverse) in zip(move.action_ids(CHANCE), evaluated, strict=True):
            expr = move.probabilities[outcome]
            used |= expr.parameters
            full = gathered(reduced, inverse)
            value = np.broadcast_to(full, (n_draws, n_nodes))
            bad = (value < -PROB_SUM_TOL) | (value > 1 + PROB_SUM_TOL)
            if bad.any():
                draw, node = (int(i) for i in np.argwhere(bad)[0])
                raise InputError(
                    f"probability {value[draw, node]:.6g} is outside [0, 1] "
                    f"{_at_draw(first_draw, draw)} "
                    f"({self._draw_text(params, draw, expr.parameters)}); "
                    "keep it in range, e.g. with clip(..., 0, 1)",
                    file=self.scenario.file,
                    line=move.probability_lines.get(outcome, move.line),
                    field=self._chance_field(move, outcome),
                )
            total += value
        off = np.abs(total - 1.0) > PROB_SUM_TOL
        if off.any():
            draw, node = (int(i) for i in np.argwhere(off)[0])
            raise InputError(
                f"the outcome probabilities sum to {total[draw, node]:.9g}, not 1, "
                f"{_at_draw(first_draw, draw)} ({self._draw_text(params, draw, used)}); "
                "make the last outcome '1 - ...' of the others",
                file=self.scenario.file,
                line=move.line,
                field=f"types.{move.type_of}" if move.type_of else f"moves.{move.id}.chance",
            )
        # the compiled check and these agree on finite values, and the
        # values are finite (evaluated with check_finite): not reached
        raise InputError(  # pragma: no cover - defensive
            "the outcome probabilities are not numbers in [0, 1] that sum to 1",
            file=self.scenario.file,
            line=move.line,
            field=f"types.{move.type_of}" if move.type_of else f"moves.{move.id}.chance",
        )

    def _draw_text(
        self, params: Mapping[str, FloatArray], draw: int, names: Collection[str]
    ) -> str:
        shown = [
            f"{p}={float(np.ravel(params[p])[min(draw, np.size(params[p]) - 1)]):.6g}"
            for p in sorted(names)
            if p in self.scenario.parameters
        ]
        return ", ".join(shown) or "no parameters"

    def state_values(
        self, params: Mapping[str, FloatArray], *, first_draw: int | None = 0
    ) -> list[dict[str, FloatArray]]:
        """The state variables at the start of each round ``1..R`` and after the
        last (``R + 1`` mappings ``name -> (D, T)``; empty without rounds)."""
        rounds = self.scenario.rounds
        if rounds is None or not rounds.state:
            return []
        current = {
            v.id: self._evaluate(
                v.initial, params, {}, f"rounds.state.{v.id}.initial", v.line, first_draw
            )
            for v in rounds.state
        }
        out = [current]
        for r in range(rounds.count):
            values = {**params, **current}
            current = {
                v.id: self._evaluate(
                    v.next,
                    values,
                    self.round_actions[r],
                    f"rounds.state.{v.id}.next",
                    v.line,
                    first_draw,
                )
                for v in rounds.state
            }
            out.append(current)
        return out

    def with_derived(
        self, params: Mapping[str, FloatArray], *, first_draw: int | None = 0
    ) -> Mapping[str, FloatArray]:
        """Parameters, the final state and every derived quantity at every
        terminal ``(D, T)``; a numeric derived quantity computed per
        combination of actions is gathered to every terminal only when read
        in full (:class:`~realpolitik.compiler.factored.GatheredValues`)."""
        states = self.state_values(params, first_draw=first_draw)
        if not self.scenario.derived and not states:
            return dict(params)
        values = GatheredValues({**params, **(states[-1] if states else {})})
        for item in self.scenario.derived:
            if item.expression.kind == "number":
                reduced, inverse = self._evaluate_reduced(
                    item.expression,
                    values,
                    self.terminal_actions,
                    f"derived.{item.id}",
                    item.line,
                    first_draw,
                    self.derived_subjects,
                )
                values.put(item.id, reduced, inverse)
            else:
                condition = np.asarray(item.expression.evaluate(values, self.terminal_actions))
                values.put(item.id, condition, None)
        return values

    def _term_value(
        self,
        term: Term,
        values: Mapping[str, FloatArray],
        params: Mapping[str, FloatArray],
        first_draw: int | None,
    ) -> FloatArray:
        """A term at every terminal ``(D, T)``: per-round terms summed over the
        rounds with ``discount ** (r - 1)``, each round seeing its own moves and
        the state at its start."""
        pieces, per_round = self._term_pieces(term, values, params, first_draw)
        if not per_round:
            _, value, inverse = pieces[0]
            return gathered(value, inverse)
        total: FloatArray = np.zeros(())
        for factor, value, inverse in pieces:
            assert factor is not None  # every round has its discount
            full = gathered(value, inverse)
            total = total + factor * full
        return total

    def _term_pieces(
        self,
        term: Term,
        values: Mapping[str, FloatArray],
        params: Mapping[str, FloatArray],
        first_draw: int | None,
    ) -> tuple[list[tuple[FloatArray | None, FloatArray, IntArray | None]], bool]:
        """:meth:`_term_value` before its gathers and sums: ``([(factor,
        values, inverse), ...], per_round)``, one piece (no factor) for a
        term of the whole path, else one per round with its discount
        ``discount ** (r - 1)`` (see :class:`PayoffSum`)."""
        field_name = f"payoffs.{term.actor}.{term.id}"
        rounds = self.scenario.rounds
        if not term.per_round or rounds is None:
            value, inverse = self._evaluate_reduced(
                term.expression,
                values,
                self.terminal_actions,
                field_name,
                term.line,
                first_draw,
                self.derived_subjects,
            )
            return [(None, value, inverse)], False
        states = self.state_values(params, first_draw=first_draw)
        discount = self._evaluate(
            rounds.discount, params, {}, "rounds.discount", rounds.line, first_draw
        )
        pieces: list[tuple[FloatArray | None, FloatArray, IntArray | None]] = []
        for r in range(rounds.count):
            seen = {**values, **(states[r] if states else {})}
            value, inverse = self._evaluate_reduced(
                term.expression, seen, self.round_actions[r], field_name, term.line, first_draw
            )
            pieces.append((discount**r, value, inverse))
        return pieces, True

    def payoff_terms(
        self,
        params: Mapping[str, FloatArray],
        *,
        first_draw: int | None = 0,
        term_weights: FloatArray | None = None,
        derived: Mapping[str, FloatArray] | None = None,
    ) -> FloatArray:
        """``(D, terminals, players, terms)`` every term at every terminal.

        ``term_weights`` ``(D or 1, len(scenario.terms))`` multiplies each
        term (in the order of ``scenario.terms``) per draw: a view's weight,
        0 for a term switched off. None leaves the terms as written.
        ``derived``: :meth:`with_derived` of these ``params`` if the caller
        has it already (a block's payoffs and metrics read the same values).
        """
        scenario = self.scenario
        n_draws = self.draws_of(params)
        term_ids = scenario.term_ids
        shape = (n_draws, self.tree.n_terminals)
        out = np.zeros((*shape, len(self.players), len(term_ids)))
        values = self._derived(params, first_draw, derived)
        weights = self._term_weights(term_weights)
        # each player's terms, column -> (D, T) values (a later term of the
        # same name replaces an earlier one, as writing them one by one did)
        placed: list[dict[int, FloatArray]] = [{} for _ in self.players]
        for k, term in enumerate(scenario.terms):
            value = self._term_value(term, values, params, first_draw)
            if weights is not None:
                value = value * weights[:, k : k + 1]
            column = term_ids.index(term.id)
            placed[self.players.index(term.actor)][column] = np.broadcast_to(value, shape)
        # written a run of adjacent columns at a time: a term at a time wrote
        # one value in every 64 of the flagship's array per pass, 16 passes
        for player, columns in enumerate(placed):
            for run in _runs(sorted(columns)):
                lo, hi = run[0], run[-1] + 1
                out[:, :, player, lo:hi] = np.stack([columns[c] for c in run], axis=-1)
        return out

    def _derived(
        self,
        params: Mapping[str, FloatArray],
        first_draw: int | None,
        derived: Mapping[str, FloatArray] | None,
    ) -> Mapping[str, FloatArray]:
        return self.with_derived(params, first_draw=first_draw) if derived is None else derived

    def _term_weights(self, term_weights: FloatArray | None) -> FloatArray | None:
        if term_weights is None:
            return None
        weights = np.asarray(term_weights, dtype=np.float64)
        if weights.ndim != 2 or weights.shape[1] != len(self.scenario.terms):
            raise ValueError(
                f"term weights must be (D, {len(self.scenario.terms)}), got {weights.shape}"
            )
        return weights

    def payoffs(
        self,
        params: Mapping[str, FloatArray],
        *,
        first_draw: int | None = 0,
        term_weights: FloatArray | None = None,
        derived: Mapping[str, FloatArray] | None = None,
        out: FloatArray | None = None,
    ) -> FloatArray:
        """``(D, terminals, players)`` total payoffs (terms summed; weights
        and ``derived`` as :meth:`payoff_terms`), written into ``out`` when
        given (see :meth:`game`)."""
        total = self._payoff_sum(params, first_draw, term_weights, derived)
        return total.payoffs(out=out)

    def payoffs_and_terms(
        self,
        params: Mapping[str, FloatArray],
        *,
        first_draw: int | None = 0,
        term_weights: FloatArray | None = None,
        derived: Mapping[str, FloatArray] | None = None,
        terms_out: FloatArray | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """:meth:`payoffs` and :meth:`payoff_terms` together (arguments as
        there), the same bits as each: on a compiled tree from one pass over
        the terms' values per combination, which writes each term into the
        terms array as it sums it (explaining 20000 flagship draws spent
        half its time gathering each term to every terminal in NumPy).
        ``terms_out``: the terms array to write into, zero outside the
        terms' columns (see :meth:`PayoffSum.payoffs_and_terms`)."""
        term_ids = self.scenario.term_ids
        column = np.array([term_ids.index(t.id) for t in self.scenario.terms], dtype=np.int64)
        if self.tree.n_terminals < MIN_TERMINALS:
            # evaluated in full: the totals are the terms added from 0.0 in
            # the scenario's order, as PayoffSum adds them in NumPy (the same
            # bits), not every term evaluated a second time
            split = self.payoff_terms(
                params, first_draw=first_draw, term_weights=term_weights, derived=derived
            )
            totals = np.zeros(split.shape[:3])
            for term, c in zip(self.scenario.terms, column, strict=True):
                p = self.players.index(term.actor)
                totals[:, :, p] = totals[:, :, p] + split[:, :, p, c]
            if terms_out is not None:
                terms_out[...] = split
                split = terms_out
            return totals, split
        total = self._payoff_sum(params, first_draw, term_weights, derived)
        return total.payoffs_and_terms(column, len(term_ids), split_out=terms_out)

    def _payoff_sum(
        self,
        params: Mapping[str, FloatArray],
        first_draw: int | None,
        term_weights: FloatArray | None,
        derived: Mapping[str, FloatArray] | None,
    ) -> PayoffSum:
        """Every term's values per action combination, collected to be
        summed per player by one compiled pass (the same bits as adding the
        gathered (D, T) terms in NumPy: see _payoff_kernels)."""
        n_draws = self.draws_of(params)
        values = self._derived(params, first_draw, derived)
        weights = self._term_weights(term_weights)
        total = PayoffSum(n_draws, self.tree.n_terminals, len(self.players), self._payoff_patterns)
        for k, term in enumerate(self.scenario.terms):
            pieces, per_round = self._term_pieces(term, values, params, first_draw)
            total.add_term(
                self.players.index(term.actor),
                pieces,
                per_round=per_round,
                weight=None if weights is None else weights[:, k : k + 1],
            )
        return total

    def metric_values(
        self,
        params: Mapping[str, FloatArray],
        *,
        first_draw: int | None = 0,
        derived: Mapping[str, FloatArray] | None = None,
    ) -> dict[str, FloatArray]:
        """``metric -> (D, terminals)`` each metric at each terminal
        (``derived`` as :meth:`payoff_terms`)."""
        shape = (self.draws_of(params), self.tree.n_terminals)
        parts = self.metric_parts(params, first_draw=first_draw, derived=derived)
        return {
            name: np.broadcast_to(gathered(values, inverse), shape)
            for name, (values, inverse) in parts.items()
        }

    def metric_parts(
        self,
        params: Mapping[str, FloatArray],
        *,
        first_draw: int | None = 0,
        derived: Mapping[str, FloatArray] | None = None,
    ) -> dict[str, tuple[FloatArray, IntArray | None]]:
        """``metric -> (values, inverse)``: :meth:`metric_values` before its
        gathers, the values per combination of the actions the metric tests
        ``(D or 1, U)`` and each terminal's combination ``(T,)``, or
        ``(values, None)`` evaluated in full (for the forecast's sums, which
        read the few values per draw rather than a ``(D, T)`` array per
        metric)."""
        params = self._derived(params, first_draw, derived)
        return {
            metric.id: self._evaluate_reduced(
                metric.expression,
                params,
                self.terminal_actions,
                f"metrics.{metric.id}",
                metric.line,
                first_draw,
                self.derived_subjects,
            )
            for metric in self.scenario.metrics
        }

    def game(
        self,
        params: Mapping[str, FloatArray],
        *,
        terms: bool = True,
        first_draw: int | None = 0,
        term_weights: FloatArray | None = None,
        derived: Mapping[str, FloatArray] | None = None,
        payoffs_out: FloatArray | None = None,
        terms_out: FloatArray | None = None,
    ) -> TreeGame:
        """The tree with payoffs (and chance probabilities) for these draws.

        ``first_draw`` numbers the draws in error messages: the index of the
        first row of ``params`` in the whole run, or None for the central values.
        ``term_weights`` multiplies the payoff terms per draw, ``derived``
        saves evaluating the derived values again (see :meth:`payoff_terms`).
        ``payoffs_out`` (without ``terms``): a ``(D, terminals, players)``
        array the total payoffs are written into, for a caller that solves
        slice after slice into the same array; the game holds it, so it must
        not be used after the array's next use. ``terms_out`` (with
        ``terms``): the same for the terms array, zero outside the terms'
        columns (see :meth:`payoffs_and_terms`).
        """
        chance = (
            self.chance_probabilities(params, first_draw=first_draw)
            if len(self.tree.chance_edge)
            else None
        )
        if terms:
            # the totals summed as the forecast sums them (not split.sum(axis=3),
            # pairwise, 1e-15 away): an explanation solves the forecast's game
            totals, split = self.payoffs_and_terms(
                params,
                first_draw=first_draw,
                term_weights=term_weights,
                derived=derived,
                terms_out=terms_out,
            )
            return TreeGame(
                self.tree,
                split,
                term_names=self.scenario.term_ids,
                chance_probs=chance,
                source=self.scenario.file,
                totals=totals,
                chance_checked=True,
            )
        return TreeGame(
            self.tree,
            self.payoffs(
                params,
                first_draw=first_draw,
                term_weights=term_weights,
                derived=derived,
                out=payoffs_out,
            ),
            chance_probs=chance,
            source=self.scenario.file,
            chance_checked=True,
        )

    def check(self, params: Mapping[str, FloatArray], *, first_draw: int | None = 0) -> None:
        """Evaluate every expression (chance probabilities, derived values,
        payoff terms, metrics) on these draws, raising the first
        :class:`InputError` found (a probability outside [0, 1], outcome
        probabilities not summing to 1, a value that is not finite)."""
        if len(self.tree.chance_edge):
            self.chance_probabilities(params, first_draw=first_draw)
        self.payoff_terms(params, first_draw=first_draw)
        self.metric_values(params, first_draw=first_draw)


def _runs(columns: list[int]) -> list[list[int]]:
    """Sorted column indices as runs of adjacent ones: [0, 1, 2, 5, 6] ->
    [[0, 1, 2], [5, 6]]."""
    runs: list[list[int]] = []
    for c in columns:
        if runs and c == runs[-1][-1] + 1:
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


#: One step of a path: (position of the move, mover or "chance", action index).
Step = tuple[int, str, int]


def _visible_trail(moves: tuple[Move, ...], trail: tuple[Step, ...], actor: str) -> tuple[Any, ...]:
    """What ``actor`` has seen of a path: each step it observes (a compound
    move's step with the levels it does not see as -1); steps it does not
    observe at all are left out, as if they had not happened."""
    seen: list[Any] = []
    for position, mover, index in trail:
        move = moves[position]
        visible = move.visible_to(actor, mover)
        if visible is True or (isinstance(visible, tuple) and all(visible)):
            seen.append((position, mover, index))
        elif isinstance(visible, tuple) and any(visible):
            levels = move.joint_levels[mover][index]
            seen.append(
                (
                    position,
                    mover,
                    tuple(lv if v else -1 for lv, v in zip(levels, visible, strict=True)),
                )
            )
    return tuple(seen)


#: The scenarios compiled last in this process, by identity: a forecast and
#: the explanation printed under it compile the scenario once (0.25 s for the
#: flagship, and the solvers' plans cached per tree are built once). A
#: scenario and its compilation are immutable; an entry holds its scenario,
#: so no other object takes its id while it is kept.
_RECENT: dict[int, CompiledScenario] = {}
_RECENT_KEPT = 4
_RECENT_LOCK = threading.Lock()


def compile_scenario(scenario: Scenario) -> CompiledScenario:
    """Build the scenario's game tree (see the module docstring); the same
    object again for a scenario compiled recently in this process.

    Information: every actor sees every earlier move and chance outcome,
    except what a move's (or a dimension's) ``observed_by`` hides from it and
    the other actors' private types; a mover in a simultaneous move does not
    see the others' choices in it. Nodes that an actor cannot tell apart at a
    move (the same observed path) form one information set. Because a mover
    always sees its own choices and what it once observed stays observed,
    the information sets have perfect recall.
    """
    with _RECENT_LOCK:
        kept = _RECENT.get(id(scenario))
    if kept is not None and kept.scenario is scenario:
        return kept
    compiled = _compile(scenario)
    with _RECENT_LOCK:
        _RECENT[id(scenario)] = compiled
        while len(_RECENT) > _RECENT_KEPT:
            del _RECENT[next(iter(_RECENT))]
    return compiled


def _compile(scenario: Scenario) -> CompiledScenario:
    subjects = subjects_of(scenario.moves)
    slots = unrolled(scenario.moves, scenario.rounds)
    moves = tuple(slot.move for slot in slots)
    builder = TreeBuilder(list(scenario.actor_ids), title=scenario.title)
    node_move: dict[int, int] = {}
    node_history: dict[int, History] = {}
    terminals: list[tuple[int, History]] = []
    node_seen: dict[int, tuple[Any, ...]] = {}

    def infoset_of(move: Move, actor: str, k: int, node: int, trail: tuple[Step, ...]) -> Any:
        """The information-set key of ``actor``, the ``k``-th mover of ``move``
        (stage root ``node``), after ``trail`` (the path before the move)."""
        seen = _visible_trail(moves, trail, actor)
        if seen == trail:
            # nothing hidden: a decision node is its own set; in a simultaneous
            # move the later movers' sets are those of this stage instance
            return None if k == 0 else (move.id, actor, node)
        return ("observed", move.id, actor, seen)

    def decide(at: int, actor: str, move: Move, infoset: Any) -> list[int]:
        if isinstance(infoset, tuple) and infoset[0] == "observed":
            node_seen[at] = infoset[3]
        return builder.decision(at, actor, move.action_ids(actor), infoset=infoset, label=move.id)

    def happens(position: int, history: History) -> bool:
        slot = slots[position]
        return condition_holds(slot.base, round_view(history, slot.round), subjects)

    def grow(node: int, position: int, history: History, trail: tuple[Step, ...]) -> None:
        while position < len(slots) and not happens(position, history):
            position += 1
        if position == len(slots):
            builder.terminal(node, [0.0] * len(scenario.actors))
            terminals.append((node, history))
            return
        slot = slots[position]
        move = slot.move
        node_move[node] = position
        node_history[node] = history
        if move.kind == "chance":
            outcomes = move.action_ids(CHANCE)
            kids = builder.chance(
                node, outcomes, [1.0 / len(outcomes)] * len(outcomes), label=move.id
            )
            for k, kid in enumerate(kids):
                grow(
                    kid,
                    position + 1,
                    record_in_slot(history, slot, CHANCE, k, subjects),
                    (*trail, (position, CHANCE, k)),
                )
            return
        # a decision is a one-actor stage; a simultaneous move chains its actors,
        # none of whom sees the others' choices in it
        frontier: list[tuple[int, History, tuple[Step, ...]]] = [(node, history, ())]
        for k, actor in enumerate(move.actors):
            infoset = infoset_of(move, actor, k, node, trail)
            nxt: list[tuple[int, History, tuple[Step, ...]]] = []
            for at, h, staged in frontier:
                node_move[at] = position
                node_history[at] = h
                kids = decide(at, actor, move, infoset)
                for a, kid in enumerate(kids):
                    nxt.append(
                        (
                            kid,
                            record_in_slot(h, slot, actor, a, subjects),
                            (*staged, (position, actor, a)),
                        )
                    )
            frontier = nxt
        for kid, h, staged in frontier:
            grow(kid, position + 1, h, (*trail, *staged))

    grow(builder.root, 0, {}, ())
    tree, _ = builder.build()
    # map builder ids (creation order) to the tree's prefix order
    order = builder.node_index()
    n = tree.n_nodes
    move_of = np.full(n, -1, dtype=np.int64)
    history_of: list[History] = [{} for _ in range(n)]
    seen_of: dict[int, tuple[Any, ...]] = {}
    for old, new in order.items():
        if old in node_move:
            move_of[new] = node_move[old]
            history_of[new] = node_history[old]
        if old in node_seen:
            seen_of[new] = node_seen[old]
    terminal_history: list[History] = [{} for _ in range(tree.n_terminals)]
    for old, history in terminals:
        terminal_history[int(tree.node_terminal[order[old]])] = history
    return CompiledScenario(
        scenario=scenario,
        tree=tree,
        terminal_history=tuple(terminal_history),
        node_move=move_of,
        node_history=tuple(history_of),
        subjects=subjects,
        node_seen=MappingProxyType(seen_of),
        slots=slots,
    )
