"""Hypothesis strategies for random game trees (perfect information, chance
nodes and simultaneous stages), shared by the solver tests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st

from realpolitik.games.tree import GameTree, TreeBuilder, TreeGame


@dataclass(frozen=True)
class TreeSpec:
    """A recipe for a tree: built deterministically from a seed."""

    seed: int
    n_players: int
    max_depth: int
    allow_chance: bool
    allow_stages: bool


def build_tree(spec: TreeSpec) -> GameTree:
    rng = np.random.default_rng(spec.seed)
    players = [f"P{i + 1}" for i in range(spec.n_players)]
    b = TreeBuilder(players)
    counter = [0]

    def grow(node: int, depth: int) -> None:
        counter[0] += 1
        if depth >= spec.max_depth or (depth > 0 and rng.random() < 0.25) or counter[0] > 60:
            b.terminal(node, [0.0] * spec.n_players)
            return
        roll = rng.random()
        if spec.allow_chance and roll < 0.2:
            k = int(rng.integers(2, 4))
            p = rng.dirichlet(np.ones(k))
            p[-1] = 1.0 - p[:-1].sum()
            kids = b.chance(node, [f"c{j}" for j in range(k)], p.tolist())
        elif spec.allow_stages and spec.n_players >= 2 and roll < 0.4:
            movers = rng.choice(spec.n_players, size=2, replace=False)
            n1, n2 = int(rng.integers(2, 4)), int(rng.integers(2, 4))
            key = ("stage", node)
            firsts = b.decision(node, int(movers[0]), [f"a{j}" for j in range(n1)])
            kids = []
            for f in firsts:
                kids.extend(
                    b.decision(f, int(movers[1]), [f"b{j}" for j in range(n2)], infoset=key)
                )
        else:
            mover = int(rng.integers(spec.n_players))
            k = int(rng.integers(2, 4))
            kids = b.decision(node, mover, [f"x{j}" for j in range(k)])
        for kid in kids:
            grow(kid, depth + 1)

    grow(b.root, 0)
    tree, _ = b.build()
    return tree


def random_payoffs(tree: GameTree, draws: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(draws, tree.n_terminals, tree.n_players))


@st.composite
def tree_specs(
    draw: st.DrawFn, *, chance: bool = True, stages: bool = False, max_depth: int = 4
) -> TreeSpec:
    return TreeSpec(
        seed=draw(st.integers(0, 2**31 - 1)),
        n_players=draw(st.integers(1, 3)),
        max_depth=draw(st.integers(1, max_depth)),
        allow_chance=chance,
        allow_stages=stages,
    )


@st.composite
def random_games(
    draw: st.DrawFn, *, chance: bool = True, stages: bool = False, draws: int = 3
) -> TreeGame:
    spec = draw(tree_specs(chance=chance, stages=stages))
    tree = build_tree(spec)
    return TreeGame(tree, random_payoffs(tree, draws, spec.seed + 1))
