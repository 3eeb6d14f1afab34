"""Extensive-form game trees as flat, immutable arrays.

A crisis is a finite tree: decision nodes (one player moves), chance nodes
(nature moves with probabilities that may differ per parameter draw) and
terminal nodes. Players who move *simultaneously* are written the way Gambit
writes them: the first mover's node, then the next mover's nodes all in one
information set, and so on; :class:`GameTree` recognises such *simultaneous
stages* and the solvers treat each as a normal-form stage game.

Why arrays and not node objects: every solver works on all parameter draws at
once, gathering child values with fancy indexing over groups of nodes. The
structure (:class:`GameTree`) is compiled once; payoffs and chance
probabilities (:class:`TreeGame`) carry a leading draws axis.

Conventions
-----------
- Nodes are numbered in depth-first prefix order (Gambit's ``.efg`` order),
  so a parent always precedes its children. Terminals are numbered in the same
  order: ``payoffs[draw, terminal, player]``.
- Children of node ``n`` are ``child_index[child_offset[n]:child_offset[n+1]]``
  in action order; the position ``e`` of a child in ``child_index`` is the
  *edge* id of the action leading to it.
- Information sets are numbered player by player, each player's in order of
  first appearance, so the flat action vector (``action_offset``) has Gambit's
  order: players, then information sets, then actions.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import InitVar, dataclass, field
from enum import IntEnum
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import InputError
from realpolitik.limits import require_bytes

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Chance probabilities at one node must sum to 1 within this tolerance.
PROB_SUM_TOL = 1e-9


class NodeKind(IntEnum):
    """What happens at a node."""

    TERMINAL = 0
    DECISION = 1
    CHANCE = 2


class TreeClass(IntEnum):
    """Which solvers apply. ``PERFECT``: every information set is a single
    node. ``STAGED``: the only larger information sets are simultaneous
    stages. ``GENERAL``: anything else (solved by the general agent QRE, or
    exported to Gambit)."""

    PERFECT = 0
    STAGED = 1
    GENERAL = 2


def _frozen(array: NDArray[np.generic]) -> NDArray[np.generic]:
    array.setflags(write=False)
    return array


@dataclass(frozen=True)
class Stage:
    """A simultaneous-move stage inside a tree.

    ``players[k]`` moves at level ``k`` (level 0 is the single root node) in
    information set ``infosets[k]``; every node of level ``k`` belongs to that
    information set, so no mover sees another's choice. ``leaves`` are the
    nodes reached after the stage, in C order over the joint action profile
    (the root mover's action varies slowest).
    """

    root: int
    players: tuple[int, ...]
    infosets: tuple[int, ...]
    shape: tuple[int, ...]
    interior: tuple[int, ...]
    leaves: IntArray


@dataclass(frozen=True)
class UnitGroup:
    """Nodes solved together in the backward pass: same kind, same height,
    same number of actions (or, for stages, the same players and shape)."""

    kind: str  # "decision" | "chance" | "stage"
    nodes: IntArray  # (g,) the decision/chance nodes, or stage roots
    children: IntArray  # (g, arity) child nodes; for stages (g, prod(shape)) leaves
    edges: IntArray  # (g, arity) edge ids (decision/chance); stages: unused (g, 0)
    movers: IntArray  # (g,) player index (decision); -1 otherwise
    stages: tuple[Stage, ...] = ()


@dataclass(frozen=True, eq=False)
class GameTree:
    """The structure of a finite extensive-form game (no payoffs).

    Build one with :class:`TreeBuilder` or :func:`realpolitik.games.gambit_io.read_efg`.
    """

    players: tuple[str, ...]
    node_kind: NDArray[np.int8]
    node_player: NDArray[np.int16]
    node_parent: NDArray[np.int32]
    node_parent_edge: NDArray[np.int32]
    child_offset: NDArray[np.int32]
    child_index: NDArray[np.int32]
    node_infoset: NDArray[np.int32]
    node_label: tuple[str, ...]
    node_terminal: NDArray[np.int32]
    terminal_node: NDArray[np.int32]
    terminal_label: tuple[str, ...]
    infoset_player: NDArray[np.int16]
    infoset_number: NDArray[np.int32]
    infoset_label: tuple[str, ...]
    infoset_actions: tuple[tuple[str, ...], ...]
    action_offset: NDArray[np.int32]
    chance_actions: dict[int, tuple[str, ...]]
    chance_edge: NDArray[np.int32]
    chance_prob: FloatArray
    title: str = ""
    comment: str = ""

    # ---- sizes -------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.node_kind)

    @property
    def n_players(self) -> int:
        return len(self.players)

    @property
    def n_terminals(self) -> int:
        return len(self.terminal_node)

    @property
    def n_infosets(self) -> int:
        return len(self.infoset_player)

    @property
    def n_actions(self) -> int:
        """Length of the flat behaviour vector (player actions only)."""
        return int(self.action_offset[-1])

    @property
    def n_edges(self) -> int:
        return len(self.child_index)

    # ---- navigation ----------------------------------------------------------
    def children(self, node: int) -> IntArray:
        """Children of ``node`` in action order."""
        return self.child_index[self.child_offset[node] : self.child_offset[node + 1]].astype(
            np.int64
        )

    def action_labels(self, node: int) -> tuple[str, ...]:
        """Labels of the actions available at ``node`` (empty at terminals)."""
        kind = self.node_kind[node]
        if kind == NodeKind.DECISION:
            return self.infoset_actions[int(self.node_infoset[node])]
        if kind == NodeKind.CHANCE:
            return self.chance_actions[node]
        return ()

    def path(self, node: int) -> list[tuple[int, int]]:
        """``(node, action index)`` pairs from the root down to ``node``."""
        steps: list[tuple[int, int]] = []
        while self.node_parent[node] >= 0:
            parent = int(self.node_parent[node])
            steps.append((parent, int(self.node_parent_edge[node] - self.child_offset[parent])))
            node = parent
        return steps[::-1]

    def mover_label(self, node: int) -> str:
        """The player moving at ``node``, or "chance"."""
        kind = self.node_kind[node]
        if kind == NodeKind.DECISION:
            return self.players[int(self.node_player[node])]
        return "chance" if kind == NodeKind.CHANCE else ""

    @cached_property
    def edge_action(self) -> NDArray[np.int32]:
        """For each edge, the index of its action in the flat behaviour vector
        (-1 for edges out of chance nodes)."""
        out = np.full(self.n_edges, -1, dtype=np.int32)
        for node in np.flatnonzero(self.node_kind == NodeKind.DECISION):
            start, stop = self.child_offset[node], self.child_offset[node + 1]
            first = self.action_offset[self.node_infoset[node]]
            out[start:stop] = np.arange(first, first + (stop - start))
        return _frozen(out)  # type: ignore[return-value]

    @cached_property
    def edge_parent(self) -> NDArray[np.int32]:
        """The node each edge leaves."""
        counts = np.diff(self.child_offset)
        return _frozen(np.repeat(np.arange(self.n_nodes, dtype=np.int32), counts))  # type: ignore[return-value]

    @cached_property
    def infoset_nodes(self) -> tuple[IntArray, ...]:
        """The nodes of each information set, in node order."""
        order = np.argsort(self.node_infoset, kind="stable")
        sorted_sets = self.node_infoset[order]
        out: list[IntArray] = []
        for infoset in range(self.n_infosets):
            lo, hi = np.searchsorted(sorted_sets, [infoset, infoset + 1])
            out.append(order[lo:hi].astype(np.int64))
        return tuple(out)

    @cached_property
    def node_depth(self) -> IntArray:
        depth = np.zeros(self.n_nodes, dtype=np.int64)
        for node in range(1, self.n_nodes):
            depth[node] = depth[self.node_parent[node]] + 1
        return depth

    # ---- structure analysis ---------------------------------------------------
    @cached_property
    def stages(self) -> tuple[Stage, ...]:
        """Every simultaneous stage (see :class:`Stage`), outermost first."""
        stages: list[Stage] = []
        set_sizes = np.bincount(
            self.node_infoset[self.node_infoset >= 0], minlength=self.n_infosets
        )
        for root in range(self.n_nodes):
            if self.node_kind[root] != NodeKind.DECISION or set_sizes[self.node_infoset[root]] != 1:
                continue
            stage = self._stage_at(root, set_sizes)
            if stage is not None:
                stages.append(stage)
        return tuple(stages)

    def _stage_at(self, root: int, set_sizes: IntArray) -> Stage | None:
        level = np.array([root], dtype=np.int64)
        players = [int(self.node_player[root])]
        infosets = [int(self.node_infoset[root])]
        shape = [len(self.children(root))]
        interior: list[int] = [root]
        while True:
            nxt = np.concatenate([self.children(int(n)) for n in level])
            if not np.all(self.node_kind[nxt] == NodeKind.DECISION):
                break
            sets = np.unique(self.node_infoset[nxt])
            if len(sets) != 1 or set_sizes[sets[0]] != len(nxt):
                break
            player = int(self.node_player[nxt[0]])
            if player in players:
                break
            players.append(player)
            infosets.append(int(sets[0]))
            shape.append(len(self.children(int(nxt[0]))))
            interior.extend(int(n) for n in nxt)
            level = nxt
        if len(players) == 1:
            return None
        leaves = np.concatenate([self.children(int(n)) for n in level])
        return Stage(
            root=root,
            players=tuple(players),
            infosets=tuple(infosets),
            shape=tuple(shape),
            interior=tuple(interior),
            leaves=leaves,
        )

    @cached_property
    def tree_class(self) -> TreeClass:
        """:class:`TreeClass` of this tree."""
        sizes = np.bincount(self.node_infoset[self.node_infoset >= 0], minlength=self.n_infosets)
        if np.all(sizes == 1):
            return TreeClass.PERFECT
        staged = {s for stage in self.stages for s in stage.infosets[1:]}
        big = {int(s) for s in np.flatnonzero(sizes > 1)}
        return TreeClass.STAGED if big <= staged else TreeClass.GENERAL

    def general_infosets(self) -> list[int]:
        """Information sets with several nodes that are not simultaneous stages."""
        sizes = np.bincount(self.node_infoset[self.node_infoset >= 0], minlength=self.n_infosets)
        staged = {s for stage in self.stages for s in stage.infosets[1:]}
        return [int(s) for s in np.flatnonzero(sizes > 1) if int(s) not in staged]

    @cached_property
    def backward_schedule(self) -> tuple[UnitGroup, ...]:
        """Groups of nodes for a vectorised backward pass, deepest first.

        A *unit* is a decision node with a singleton information set, a chance
        node, or a whole simultaneous stage. Units of equal height (longest
        distance to a terminal, counted in units) only depend on lower units,
        so each group is solved with a few array operations over all its nodes.
        Only defined for perfect-information and staged trees.
        """
        if self.tree_class == TreeClass.GENERAL:
            raise ValueError("backward schedule needs a perfect-information or staged tree")
        stage_of_root = {stage.root: stage for stage in self.stages}
        interior = {n for stage in self.stages for n in stage.interior}
        height = np.zeros(self.n_nodes, dtype=np.int64)
        units: list[tuple[int, int]] = []  # (height, node)
        for node in range(self.n_nodes - 1, -1, -1):
            kind = self.node_kind[node]
            if kind == NodeKind.TERMINAL:
                continue
            if node in stage_of_root:
                below = stage_of_root[node].leaves
            elif node in interior:
                continue
            else:
                below = self.children(node)
            height[node] = 1 + int(height[below].max())
            units.append((int(height[node]), node))
        groups: dict[tuple[object, ...], list[int]] = {}
        for h, node in sorted(units):
            if node in stage_of_root:
                stage = stage_of_root[node]
                key: tuple[object, ...] = (h, "stage", stage.players, stage.shape)
            elif self.node_kind[node] == NodeKind.CHANCE:
                key = (h, "chance", len(self.children(node)))
            else:
                key = (h, "decision", len(self.children(node)), int(self.node_player[node]))
            groups.setdefault(key, []).append(node)
        schedule: list[UnitGroup] = []
        for key, nodes in groups.items():
            kind = str(key[1])
            node_array = np.asarray(nodes, dtype=np.int64)
            if kind == "stage":
                stages = tuple(stage_of_root[n] for n in nodes)
                children = np.stack([s.leaves for s in stages])
                schedule.append(
                    UnitGroup(
                        kind,
                        node_array,
                        children,
                        np.zeros((len(nodes), 0), dtype=np.int64),
                        np.full(len(nodes), -1, dtype=np.int64),
                        stages,
                    )
                )
                continue
            edges = np.stack(
                [np.arange(self.child_offset[n], self.child_offset[n + 1]) for n in nodes]
            ).astype(np.int64)
            children = self.child_index[edges].astype(np.int64)
            movers = self.node_player[node_array].astype(np.int64)
            schedule.append(UnitGroup(kind, node_array, children, edges, movers))
        return tuple(schedule)

    @cached_property
    def depth_schedule(self) -> tuple[tuple[IntArray, IntArray], ...]:
        """For a forward pass: per depth, the edges leaving nodes at that depth
        and their child nodes (parents are always at the previous depth)."""
        parent_depth = self.node_depth[self.edge_parent]
        out = []
        for d in range(int(self.node_depth.max()) if self.n_nodes > 1 else 0):
            edges = np.flatnonzero(parent_depth == d)
            out.append((edges.astype(np.int64), self.child_index[edges].astype(np.int64)))
        return tuple(out)

    @cached_property
    def edge_chance_column(self) -> IntArray:
        """``(edges,)`` each chance edge's column in :attr:`chance_edge`
        (and in a game's chance probabilities), -1 for decision edges."""
        column = np.full(self.n_edges, -1, dtype=np.int64)
        column[np.asarray(self.chance_edge, dtype=np.int64)] = np.arange(len(self.chance_edge))
        return column

    @cached_property
    def reach_order(self) -> tuple[IntArray, IntArray, IntArray]:
        """For a compiled forward pass: every edge in depth order (each
        parent before its children), with its parent and child node."""
        schedule = self.depth_schedule
        if not schedule:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        edges = np.concatenate([e for e, _ in schedule])
        children = np.concatenate([c for _, c in schedule])
        return edges, self.edge_parent[edges].astype(np.int64), children

    # ---- labels ---------------------------------------------------------------
    def infoset_key(self, infoset: int) -> str:
        """Gambit-style key ``"<player>:<number>"`` (number 0-based per player)."""
        player = self.players[int(self.infoset_player[infoset])]
        return f"{player}:{int(self.infoset_number[infoset])}"

    def path_labels(self, terminal: int) -> list[tuple[str, str]]:
        """``(mover, action)`` pairs along the path to a terminal."""
        node = int(self.terminal_node[terminal])
        return [(self.mover_label(n), self.action_labels(n)[a]) for n, a in self.path(node)]


@dataclass
class _BuildNode:
    kind: NodeKind = NodeKind.TERMINAL
    player: int = -1
    infoset_key: tuple[int, Hashable] | None = None
    actions: tuple[str, ...] = ()
    probs: tuple[float, ...] = ()
    children: list[int] = field(default_factory=list)
    label: str = ""
    payoff: tuple[float, ...] | None = None
    outcome_label: str = ""


class TreeBuilder:
    """Build a :class:`GameTree` node by node.

    Examples
    --------
    An entry game: the entrant stays out (0, 2) or enters; the incumbent
    fights (-1, -1) or accommodates (1, 1).

    >>> b = TreeBuilder(["Entrant", "Incumbent"])
    >>> out, enter = b.decision(b.root, "Entrant", ["Out", "In"])
    >>> b.terminal(out, [0, 2])
    >>> fight, accommodate = b.decision(enter, "Incumbent", ["Fight", "Accommodate"])
    >>> b.terminal(fight, [-1, -1]); b.terminal(accommodate, [1, 1])
    >>> tree, payoffs = b.build()
    >>> tree.n_terminals, payoffs.shape
    (3, (3, 2))
    """

    root = 0

    def __init__(self, players: Sequence[str], title: str = "", comment: str = "") -> None:
        if not players:
            raise InputError("a game needs at least one player")
        if len(set(players)) != len(players):
            raise InputError(f"player names must be unique, got {list(players)}")
        self.players = tuple(players)
        self.title = title
        self.comment = comment
        self._nodes: list[_BuildNode] = [_BuildNode()]
        self._infoset_actions: dict[tuple[int, Hashable], tuple[str, ...]] = {}

    def _player_index(self, player: int | str) -> int:
        if isinstance(player, str):
            if player not in self.players:
                raise InputError(f"unknown player {player!r}; players are {list(self.players)}")
            return self.players.index(player)
        if not 0 <= player < len(self.players):
            raise InputError(f"player index {player} out of range")
        return player

    def _fresh(self, node: int) -> _BuildNode:
        target = self._nodes[node]
        if target.kind != NodeKind.TERMINAL or target.children or target.payoff is not None:
            raise InputError(f"node {node} already has a move or an outcome")
        return target

    def decision(
        self,
        node: int,
        player: int | str,
        actions: Sequence[str],
        *,
        infoset: Hashable = None,
        label: str = "",
    ) -> list[int]:
        """Make ``node`` a decision of ``player``; return the new children.

        Nodes given the same ``infoset`` key (per player) share an information
        set: the player cannot tell them apart, so their actions must match.
        """
        target = self._fresh(node)
        index = self._player_index(player)
        if not actions:
            raise InputError(f"decision node {label or node} needs at least one action")
        actions = tuple(actions)
        if len(set(actions)) != len(actions):
            raise InputError(
                f"action labels at {label or node} must be unique, got {list(actions)}"
            )
        key = (index, infoset if infoset is not None else ("node", node))
        known = self._infoset_actions.get(key)
        if known is not None and known != actions:
            raise InputError(
                f"information set {infoset!r} of {self.players[index]} has actions {list(known)}, "
                f"but node {label or node} has {list(actions)}"
            )
        self._infoset_actions[key] = actions
        target.kind = NodeKind.DECISION
        target.player = index
        target.infoset_key = key
        target.actions = actions
        target.label = label
        return self._add_children(target, len(actions))

    def chance(
        self, node: int, actions: Sequence[str], probs: Sequence[float], *, label: str = ""
    ) -> list[int]:
        """Make ``node`` a move of nature with default probabilities ``probs``."""
        target = self._fresh(node)
        if len(actions) != len(probs) or not actions:
            raise InputError(f"chance node {label or node} needs one probability per action")
        p = np.asarray(probs, dtype=np.float64)
        if not np.all(np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1.0) > PROB_SUM_TOL:
            raise InputError(
                f"chance probabilities at {label or node} must be in [0, 1] and sum to 1, "
                f"got {list(probs)}"
            )
        target.kind = NodeKind.CHANCE
        target.actions = tuple(actions)
        target.probs = tuple(float(x) for x in p)
        target.label = label
        return self._add_children(target, len(actions))

    def terminal(self, node: int, payoff: Sequence[float], *, label: str = "") -> None:
        """Give terminal ``node`` its payoff vector (one number per player)."""
        target = self._fresh(node)
        if len(payoff) != len(self.players):
            raise InputError(
                f"terminal {label or node} needs {len(self.players)} payoffs, got {len(payoff)}"
            )
        target.payoff = tuple(float(x) for x in payoff)
        target.outcome_label = label

    def label(self, node: int, label: str) -> None:
        """Set a node's label."""
        self._nodes[node].label = label

    def _add_children(self, target: _BuildNode, count: int) -> list[int]:
        first = len(self._nodes)
        self._nodes.extend(_BuildNode() for _ in range(count))
        target.children = list(range(first, first + count))
        return list(target.children)

    def node_index(self) -> dict[int, int]:
        """Builder node id -> node id in the built tree (depth-first prefix order)."""
        order: list[int] = []
        stack = [0]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(reversed(self._nodes[node].children))
        return {old: new for new, old in enumerate(order)}

    def build(self) -> tuple[GameTree, FloatArray]:
        """The tree and its payoffs ``(terminals, players)`` (NaN where unset)."""
        new_id = self.node_index()
        order = sorted(new_id, key=new_id.__getitem__)
        n = len(order)
        kind = np.zeros(n, dtype=np.int8)
        player = np.full(n, -1, dtype=np.int16)
        parent = np.full(n, -1, dtype=np.int32)
        parent_edge = np.full(n, -1, dtype=np.int32)
        offsets = np.zeros(n + 1, dtype=np.int32)
        child_index: list[int] = []
        labels: list[str] = []
        node_terminal = np.full(n, -1, dtype=np.int32)
        terminal_node: list[int] = []
        terminal_label: list[str] = []
        payoffs: list[tuple[float, ...]] = []
        chance_actions: dict[int, tuple[str, ...]] = {}
        chance_edge: list[int] = []
        chance_prob: list[float] = []
        # information sets: per player, by first appearance in prefix order
        first_seen: dict[tuple[int, Hashable], int] = {}
        for new, old in enumerate(order):
            key = self._nodes[old].infoset_key
            if key is not None and key not in first_seen:
                first_seen[key] = new
        keys = sorted(first_seen, key=lambda k: (k[0], first_seen[k]))
        infoset_id = {k: i for i, k in enumerate(keys)}
        infoset_player = np.array([k[0] for k in keys], dtype=np.int16)
        infoset_number = np.zeros(len(keys), dtype=np.int32)
        seen_per_player: dict[int, int] = {}
        for i, k in enumerate(keys):
            infoset_number[i] = seen_per_player.get(k[0], 0)
            seen_per_player[k[0]] = infoset_number[i] + 1
        infoset_actions = tuple(self._infoset_actions[k] for k in keys)
        infoset_label = ["" for _ in keys]
        action_offset = np.zeros(len(keys) + 1, dtype=np.int32)
        action_offset[1:] = np.cumsum([len(a) for a in infoset_actions])
        node_infoset = np.full(n, -1, dtype=np.int32)
        for new, old in enumerate(order):
            b = self._nodes[old]
            kind[new] = b.kind
            labels.append(b.label)
            offsets[new] = len(child_index)
            for position, child in enumerate(b.children):
                parent[new_id[child]] = new
                parent_edge[new_id[child]] = len(child_index)
                if b.kind == NodeKind.CHANCE:
                    chance_edge.append(len(child_index))
                    chance_prob.append(b.probs[position])
                child_index.append(new_id[child])
            if b.kind == NodeKind.DECISION and b.infoset_key is not None:
                player[new] = b.player
                iset = infoset_id[b.infoset_key]
                node_infoset[new] = iset
                if not infoset_label[iset] and isinstance(b.infoset_key[1], str):
                    infoset_label[iset] = b.infoset_key[1]
            elif b.kind == NodeKind.CHANCE:
                chance_actions[new] = b.actions
            else:
                node_terminal[new] = len(terminal_node)
                terminal_node.append(new)
                terminal_label.append(b.outcome_label)
                payoffs.append(b.payoff if b.payoff is not None else (np.nan,) * len(self.players))
        offsets[n] = len(child_index)
        tree = GameTree(
            players=self.players,
            node_kind=_frozen(kind),  # type: ignore[arg-type]
            node_player=_frozen(player),  # type: ignore[arg-type]
            node_parent=_frozen(parent),  # type: ignore[arg-type]
            node_parent_edge=_frozen(parent_edge),  # type: ignore[arg-type]
            child_offset=_frozen(offsets),  # type: ignore[arg-type]
            child_index=_frozen(np.asarray(child_index, dtype=np.int32)),  # type: ignore[arg-type]
            node_infoset=_frozen(node_infoset),  # type: ignore[arg-type]
            node_label=tuple(labels),
            node_terminal=_frozen(node_terminal),  # type: ignore[arg-type]
            terminal_node=_frozen(np.asarray(terminal_node, dtype=np.int32)),  # type: ignore[arg-type]
            terminal_label=tuple(terminal_label),
            infoset_player=_frozen(infoset_player),  # type: ignore[arg-type]
            infoset_number=_frozen(infoset_number),  # type: ignore[arg-type]
            infoset_label=tuple(infoset_label),
            infoset_actions=infoset_actions,
            action_offset=_frozen(action_offset),  # type: ignore[arg-type]
            chance_actions=chance_actions,
            chance_edge=_frozen(np.asarray(chance_edge, dtype=np.int32)),  # type: ignore[arg-type]
            chance_prob=_frozen(np.asarray(chance_prob, dtype=np.float64)),  # type: ignore[arg-type]
            title=self.title,
            comment=self.comment,
        )
        return tree, np.asarray(payoffs, dtype=np.float64).reshape(len(terminal_node), -1)


@dataclass(frozen=True, eq=False)
class TreeGame:
    """A tree with payoffs (and chance probabilities) for many draws.

    Attributes
    ----------
    tree : the structure.
    payoffs : ``(draws, terminals, players)``, or ``(draws, terminals, players,
        terms)`` when payoffs are sums of named terms (``term_names``); terms
        are kept separate through solving so values decompose exactly.
    term_names : names of the trailing terms axis (empty without terms).
    chance_probs : ``(draws or 1, len(tree.chance_edge))`` probabilities of the
        edges out of chance nodes, or None for the tree's defaults.
    totals : ``(draws, terminals, players)`` the terms' sums when the
        builder has them (the scenario compiler adds each player's terms in
        the scenario's order, as the forecast's payoffs do, so a game with
        terms solves to the forecast's very bits), or None to sum ``payoffs``
        over its terms axis when asked (:attr:`total_payoffs`).
    chance_checked : (not kept) whoever built ``chance_probs`` has checked them
        already, as the scenario compiler does, each outcome's expression
        with its file and line
        (:meth:`realpolitik.compiler.scenario_tree.CompiledScenario.chance_probabilities`):
        the same check again here cost 4-8 ms per 1024 draws of a forecast.
    """

    tree: GameTree
    payoffs: FloatArray
    term_names: tuple[str, ...] = ()
    chance_probs: FloatArray | None = None
    source: str = ""
    totals: FloatArray | None = None
    chance_checked: InitVar[bool] = False

    def __post_init__(self, chance_checked: bool) -> None:
        tree, pay = self.tree, self.payoffs
        expected = 4 if self.term_names else 3
        if pay.ndim != expected or pay.shape[1:3] != (tree.n_terminals, tree.n_players):
            terms = f", {len(self.term_names)}" if self.term_names else ""
            raise InputError(
                f"payoffs must be shaped (draws, {tree.n_terminals}, {tree.n_players}{terms}), "
                f"got {pay.shape}"
            )
        if self.term_names and pay.shape[3] != len(self.term_names):
            raise InputError(
                f"payoffs have {pay.shape[3]} terms, names give {len(self.term_names)}"
            )
        if self.totals is not None and self.totals.shape != pay.shape[:3]:
            raise InputError(f"totals must be shaped {pay.shape[:3]}, got {self.totals.shape}")
        # one reduction first (a NaN or an infinity makes the sum NaN or
        # infinite; so may an overflow, which the elementwise check then
        # clears): half the time of ``isfinite`` over every payoff. Where
        # the totals are given, they are what is summed: a term that is not
        # finite makes its total not finite, and they are a quarter of the
        # flagship's terms array or less (each term is one actor's)
        checked = pay if self.totals is None else self.totals
        with np.errstate(over="ignore", invalid="ignore"):
            total = np.add.reduce(checked, axis=None) if checked.size else 0.0
        if not np.isfinite(total):
            self._refuse_non_finite()
        if self.chance_probs is not None:
            cp = self.chance_probs
            if cp.ndim != 2 or cp.shape[1] != len(tree.chance_edge):
                raise InputError(
                    f"chance_probs must be shaped (draws, {len(tree.chance_edge)}), got {cp.shape}"
                )
            if cp.shape[0] not in (1, pay.shape[0]):
                raise InputError("chance_probs must have one row or one row per draw")
            if not chance_checked:
                check_chance_probs(tree, cp, self.source)

    def _refuse_non_finite(self) -> None:
        """Raise for the first payoff (or term) that is not finite, else the
        first total that is not (an overflow of finite terms), if any."""
        tree, pay = self.tree, self.payoffs
        bad = ~np.isfinite(pay)
        if not bad.any() and self.totals is not None:
            pay = self.totals
            bad = ~np.isfinite(pay)
        if not bad.any():
            return
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        draw, terminal, player = first[:3]
        where = self.source + ": " if self.source else ""
        raise InputError(
            f"{where}payoff of {tree.players[player]} is {float(pay[first])!r} "
            f"at draw {draw}, terminal {terminal} "
            f"({tree.terminal_label[terminal] or _path_text(tree, terminal)}); "
            "payoffs must be finite numbers"
        )

    @property
    def n_draws(self) -> int:
        return int(self.payoffs.shape[0])

    @property
    def has_terms(self) -> bool:
        return bool(self.term_names)

    @property
    def total_payoffs(self) -> FloatArray:
        """``(draws, terminals, players)``: the terms summed."""
        if self.totals is not None:
            return self.totals
        return self.payoffs.sum(axis=3) if self.term_names else self.payoffs

    def edge_chance_probs(self) -> FloatArray:
        """``(draws or 1, chance edges)`` probabilities in force."""
        if self.chance_probs is not None:
            return self.chance_probs
        return self.tree.chance_prob[None, :]

    def take(self, draws: slice | IntArray) -> TreeGame:
        """The same game restricted to some draws (for chunking)."""
        cp = self.chance_probs
        if cp is not None and cp.shape[0] > 1:
            cp = cp[draws]
        totals = None if self.totals is None else self.totals[draws]
        return TreeGame(self.tree, self.payoffs[draws], self.term_names, cp, self.source, totals)

    @classmethod
    def single(cls, tree: GameTree, payoffs: FloatArray, source: str = "") -> TreeGame:
        """One draw from ``(terminals, players)`` payoffs."""
        return cls(tree, np.asarray(payoffs, dtype=np.float64)[None], source=source)


def _path_text(tree: GameTree, terminal: int) -> str:
    return " > ".join(f"{m}:{a}" for m, a in tree.path_labels(terminal)) or "root"


def check_chance_probs(tree: GameTree, probs: FloatArray, source: str = "") -> None:
    """Chance probabilities must lie in [0, 1] and sum to 1 at every node and draw."""
    where = source + ": " if source else ""
    bad = ~np.isfinite(probs) | (probs < -PROB_SUM_TOL) | (probs > 1 + PROB_SUM_TOL)
    if bad.any():
        draw, edge = (int(i) for i in np.argwhere(bad)[0])
        node = int(tree.edge_parent[tree.chance_edge[edge]])
        raise InputError(
            f"{where}chance probability {probs[draw, edge]!r} outside [0, 1] at draw {draw}, "
            f"node {tree.node_label[node] or node}"
        )
    parents = tree.edge_parent[tree.chance_edge]
    if len(parents) and np.all(parents[1:] >= parents[:-1]):
        # each node's chance edges are consecutive (the tree's edge order):
        # one segment sum per node (np.add.at cost 13 ms per 1024 flagship draws)
        starts = np.flatnonzero(np.r_[True, parents[1:] != parents[:-1]])
        nodes = parents[starts]
        sums = np.add.reduceat(probs, starts, axis=1)
    else:
        nodes, inverse = np.unique(parents, return_inverse=True)
        sums = np.zeros((probs.shape[0], len(nodes)))
        np.add.at(sums.T, inverse, probs.T)
    off = np.abs(sums - 1.0) > PROB_SUM_TOL
    if off.any():
        draw, k = (int(i) for i in np.argwhere(off)[0])
        raise InputError(
            f"{where}chance probabilities at node {tree.node_label[nodes[k]] or int(nodes[k])} "
            f"sum to {sums[draw, k]:.12g} at draw {draw}; they must sum to 1"
        )


def memory_check_payoffs(n_draws: int, tree: GameTree, n_terms: int = 0, what: str = "") -> None:
    """Refuse, before allocating, payoff arrays larger than the memory budget."""
    shape = (n_draws, tree.n_terminals, tree.n_players) + ((n_terms,) if n_terms else ())
    require_bytes(what or "payoff array", shape, 8, "use fewer draws or solve in chunks")
