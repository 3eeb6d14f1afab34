"""Choice probabilities of a binary sequential game with random utilities, and
their exact gradient by a hand-written reverse pass.

Why a module of its own: the canonical strategic models (``egame12``,
``egame122``, ``egame123`` of the R package ``games``) are all trees of
two-action choice nodes where each player moves at most once on any path.
Written once for any such tree, the quantal-response probabilities and their
derivatives serve every model, every link and both error structures, instead
of one hand-derived gradient per model and variant (``games`` has six, and
falls back to numerical gradients whenever a scale equation is estimated).

The model (Signorino 1999, 2003; Kenkel and Signorino 2014). At a node ``n``
where player ``i`` moves, with children ``L`` and ``R``, let ``w_n(t)`` be the
probability of reaching terminal ``t`` from ``n`` once the action at ``n`` that
leads towards ``t`` is taken (the product of the later players' choice
probabilities), and ``u_i(t)`` player ``i``'s utility at ``t``. Then

    a_n     = sum_{t under R} w_n(t) u_i(t) - sum_{t under L} w_n(t) u_i(t)
    sigma_n = v_i * sqrt(c_n)
    P(R)    = F(a_n / sigma_n)

with ``F`` the link (probit or logit) and ``v_i`` player ``i``'s error scale.

* **agent error** (the agent quantal response equilibrium; McKelvey and
  Palfrey 1998, Signorino 1999): each action carries its own error, so the
  difference has scale ``sqrt(2) v_i``: ``c_n = 2``.
* **private information** (Signorino 2003; Lewis and Schultz 2003): player
  ``i`` knows the error on each of its terminal utilities, so the difference
  of expected utilities has variance ``v_i^2 sum_{t under n} w_n(t)^2``:
  ``c_n = sum_t w_n(t)^2``.

Arrays carry any leading shape (cases, or grid points by parameter draws):
every operation is elementwise, so one call evaluates all cases at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from realpolitik.estimation.links import Link, clip_probability

__all__ = [
    "ChoiceNode",
    "ErrorStructure",
    "SequentialTree",
    "Terminal",
    "TreeForward",
    "log_prob_adjoints",
    "tree_backward",
    "tree_forward",
]

FloatArray = NDArray[np.float64]
ErrorStructure = Literal["agent", "private"]
ArrayLike = FloatArray | float

_SQRT2 = float(np.sqrt(2.0))


@dataclass(frozen=True)
class Terminal:
    """A terminal node, numbered left to right from 0."""

    index: int


@dataclass(frozen=True)
class ChoiceNode:
    """A node where ``player`` (0-based) chooses between two children: the
    first ("left", probability ``1 - P``) and the second ("right", ``P``)."""

    player: int
    children: tuple[int | Terminal, int | Terminal]


@dataclass(frozen=True)
class _Reach:
    """A terminal below a node: which side of the node it lies on, and the
    later nodes (with the action taken at each) on the way to it."""

    terminal: int
    side: int
    path: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class SequentialTree:
    """A game tree of two-action choice nodes (``nodes[0]`` is the root) with
    estimated utilities in ``slots``: slot ``k`` is player ``slots[k][0]``'s
    utility at terminal ``slots[k][1]``. Utilities not in ``slots`` are 0."""

    n_players: int
    n_terminals: int
    nodes: tuple[ChoiceNode, ...]
    slots: tuple[tuple[int, int], ...]
    _below: tuple[tuple[_Reach, ...], ...] = field(init=False, repr=False, compare=False)
    _root_paths: tuple[tuple[tuple[int, int], ...], ...] = field(
        init=False, repr=False, compare=False
    )
    _bottom_up: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _slot_of: dict[tuple[int, int], int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        below: list[tuple[_Reach, ...]] = [() for _ in self.nodes]
        order: list[int] = []

        def walk(n: int, movers: frozenset[int]) -> list[tuple[int, tuple[tuple[int, int], ...]]]:
            node = self.nodes[n]
            if node.player in movers:
                raise ValueError(f"player {node.player + 1} moves twice on one path")
            found: list[_Reach] = []
            reached: list[tuple[int, tuple[tuple[int, int], ...]]] = []
            for side, child in enumerate(node.children):
                sub: list[tuple[int, tuple[tuple[int, int], ...]]]
                if isinstance(child, Terminal):
                    sub = [(child.index, ())]
                else:
                    sub = walk(child, movers | {node.player})
                for t, path in sub:
                    found.append(_Reach(t, side, path))
                    reached.append((t, ((n, side), *path)))
            below[n] = tuple(found)
            order.append(n)
            return reached

        root = walk(0, frozenset())
        terminals = sorted(t for t, _ in root)
        if terminals != list(range(self.n_terminals)):
            raise ValueError("terminals must be numbered 0..n_terminals-1, each reached once")
        paths = dict(root)
        object.__setattr__(self, "_below", tuple(below))
        object.__setattr__(self, "_root_paths", tuple(paths[t] for t in range(self.n_terminals)))
        object.__setattr__(self, "_bottom_up", tuple(order))
        object.__setattr__(self, "_slot_of", {s: k for k, s in enumerate(self.slots)})

    def root_path(self, terminal: int) -> tuple[tuple[int, int], ...]:
        """The nodes from the root to ``terminal``, each with the action taken."""
        return self._root_paths[terminal]

    def terminals_after(self, node: int, side: int) -> tuple[int, ...]:
        """Terminals reached through action ``side`` (0 or 1) at ``node``."""
        return tuple(r.terminal for r in self._below[node] if r.side == side)

    def node_slots(self, node: int) -> tuple[tuple[int, int, tuple[tuple[int, int], ...]], ...]:
        """The mover's utility slots below ``node``: ``(slot, side, path)``."""
        mover = self.nodes[node].player
        out = []
        for r in self._below[node]:
            slot = self._slot_of.get((mover, r.terminal))
            if slot is not None:
                out.append((slot, r.side, r.path))
        return tuple(out)

    @property
    def bottom_up(self) -> tuple[int, ...]:
        """Node indices, every node after all nodes below it."""
        return self._bottom_up


def _q(p: FloatArray, side: int) -> FloatArray:
    return p if side == 1 else 1.0 - p


def _path_product(p: Sequence[FloatArray], path: tuple[tuple[int, int], ...]) -> ArrayLike:
    out: ArrayLike = 1.0
    for m, side in path:
        out = out * _q(p[m], side)
    return out


@dataclass
class TreeForward:
    """Everything the reverse pass needs, per node: the utility difference
    ``a``, its scale ``sigma``, ``z = a / sigma``, the (clipped) probability of
    the second action ``p``, the private-information variance factor ``c``,
    and the reach weights ``w[(n, t)]``."""

    a: list[FloatArray]
    sigma: list[FloatArray]
    z: list[FloatArray]
    p: list[FloatArray]
    c: list[FloatArray]
    w: dict[tuple[int, int], ArrayLike]
    utilities: Sequence[ArrayLike]
    scales: Sequence[ArrayLike]

    def terminal_log_probs(self, tree: SequentialTree) -> FloatArray:
        """``log P(t)`` for every terminal, stacked on a leading axis."""
        out = []
        for t in range(tree.n_terminals):
            total: ArrayLike = 0.0
            for m, side in tree.root_path(t):
                total = total + np.log(_q(self.p[m], side))
            out.append(np.asarray(total, dtype=np.float64))
        return np.stack(np.broadcast_arrays(*out))

    def terminal_probs(self, tree: SequentialTree) -> FloatArray:
        """``P(t)`` for every terminal, stacked on a leading axis."""
        out = [
            np.asarray(_path_product(self.p, tree.root_path(t))) for t in range(tree.n_terminals)
        ]
        return np.stack(np.broadcast_arrays(*out)).astype(np.float64)


def tree_forward(
    tree: SequentialTree,
    link: Link,
    errors: ErrorStructure,
    utilities: Sequence[ArrayLike],
    scales: Sequence[ArrayLike],
) -> TreeForward:
    """Choice probabilities at every node, bottom up.

    Parameters
    ----------
    tree : the game.
    link : probit or logit.
    errors : ``agent`` or ``private``.
    utilities : one array (or scalar) per slot of ``tree``.
    scales : one error scale ``v_i`` (array or scalar) per player.

    Returns
    -------
    TreeForward
        Node quantities; ``terminal_probs`` gives the outcome probabilities.

    Examples
    --------
    The first example of ``games``' ``egame12`` test (agent error, probit, all
    scales 1): player 2 fights with ``Phi(u24 / sqrt 2)``.

    >>> from realpolitik.estimation.canonical import EGAME12
    >>> from realpolitik.estimation.links import get_link
    >>> fwd = tree_forward(EGAME12.tree, get_link("probit"), "agent",
    ...                    [0.0, 0.0, 1.0, 1.0], [1.0, 1.0])
    >>> round(float(fwd.p[1]), 6)   # Pr(player 2 chooses the third outcome)
    0.76025
    """
    n_nodes = len(tree.nodes)
    a: list[FloatArray] = [np.zeros(0)] * n_nodes
    sigma: list[FloatArray] = [np.zeros(0)] * n_nodes
    z: list[FloatArray] = [np.zeros(0)] * n_nodes
    p: list[FloatArray] = [np.zeros(0)] * n_nodes
    c: list[FloatArray] = [np.zeros(0)] * n_nodes
    w: dict[tuple[int, int], ArrayLike] = {}
    for n in tree.bottom_up:
        mover = tree.nodes[n].player
        diff: ArrayLike = 0.0
        for slot, side, path in tree.node_slots(n):
            weight = _path_product(p, path)
            w[(n, slot)] = weight
            term = weight * utilities[slot]
            diff = diff + term if side == 1 else diff - term
        if errors == "private":
            var: ArrayLike = 0.0
            for reach in tree._below[n]:
                var = var + np.square(_path_product(p, reach.path))
            c_n = np.asarray(var, dtype=np.float64)
            s_n = np.asarray(scales[mover] * np.sqrt(c_n), dtype=np.float64)
        else:
            c_n = np.asarray(2.0)
            s_n = np.asarray(scales[mover] * _SQRT2, dtype=np.float64)
        a_n = np.asarray(diff, dtype=np.float64)
        z_n = a_n / s_n
        a[n], sigma[n], z[n], c[n] = a_n, s_n, z_n, c_n
        p[n] = clip_probability(link.cdf(z_n))
    return TreeForward(a, sigma, z, p, c, w, utilities, scales)


def log_prob_adjoints(
    tree: SequentialTree, fwd: TreeForward, d_log_probs: Sequence[ArrayLike]
) -> list[ArrayLike]:
    """Adjoints of the node probabilities for ``sum_t d_log_probs[t] * log P(t)``
    (the input :func:`tree_backward` takes). For a log-likelihood,
    ``d_log_probs[t]`` is the case weight where the observed outcome is ``t``."""
    d_p: list[ArrayLike] = [0.0] * len(tree.nodes)
    for t in range(tree.n_terminals):
        g = d_log_probs[t]
        if np.isscalar(g) and g == 0.0:
            continue
        for m, side in tree.root_path(t):
            d_p[m] = d_p[m] + (g / fwd.p[m] if side == 1 else -g / (1.0 - fwd.p[m]))
    return d_p


def tree_backward(
    tree: SequentialTree,
    link: Link,
    errors: ErrorStructure,
    fwd: TreeForward,
    d_probs: Sequence[ArrayLike],
) -> tuple[list[ArrayLike], list[ArrayLike]]:
    """Reverse pass: gradients of a function of the node probabilities with
    respect to every utility slot and every player's scale ``v_i``.

    ``d_probs[n]`` is the derivative of the function with respect to node
    ``n``'s probability ``P(R)`` holding the other nodes fixed (for a
    log-likelihood, see :func:`log_prob_adjoints`); the reverse pass adds what
    flows through the reach weights of earlier nodes. Clipped probabilities
    keep the unclipped derivative, as ``games`` does.

    Returns
    -------
    (d_utilities, d_scales)
        One array per slot and one per player, shaped like the inputs.
    """
    d_p: list[ArrayLike] = list(d_probs)
    d_u: list[ArrayLike] = [0.0] * len(tree.slots)
    d_v: list[ArrayLike] = [0.0] * tree.n_players
    for n in reversed(tree.bottom_up):
        mover = tree.nodes[n].player
        d_z = d_p[n] * link.pdf(fwd.z[n])
        d_a = d_z / fwd.sigma[n]
        d_sigma = -d_z * fwd.z[n] / fwd.sigma[n]
        d_v[mover] = d_v[mover] + d_sigma * fwd.sigma[n] / fwd.scales[mover]
        d_c: ArrayLike = d_sigma * fwd.sigma[n] / (2.0 * fwd.c[n]) if errors == "private" else 0.0
        d_w: dict[tuple[tuple[int, int], ...], ArrayLike] = {}
        for slot, side, path in tree.node_slots(n):
            sign = 1.0 if side == 1 else -1.0
            d_u[slot] = d_u[slot] + sign * d_a * fwd.w[(n, slot)]
            if path:
                d_w[path] = d_w.get(path, 0.0) + sign * d_a * fwd.utilities[slot]
        if errors == "private":
            for reach in tree._below[n]:
                if reach.path:
                    weight = _path_product(fwd.p, reach.path)
                    d_w[reach.path] = d_w.get(reach.path, 0.0) + 2.0 * d_c * weight
        for path, g in d_w.items():
            for k, (m, side) in enumerate(path):
                others = _path_product(fwd.p, path[:k] + path[k + 1 :])
                d_p[m] = d_p[m] + (g * others if side == 1 else -g * others)
    return d_u, d_v
