"""Random small trees with private information (shared by the belief
iteration tests and the script that asks pygambit for their agent QRE).

Each tree is a Bayesian game of the kind the scenario format compiles: a
chance move draws a sender's type; the sender, who knows it, moves; a
receiver moves knowing only what it observes of the sender's move (all of
it, a coarser partition, or nothing: a simultaneous move); optionally a
second chance move (a signal seen by the sender only, e.g. detection) and a
last move of the sender, who recalls everything. Every player has perfect
recall by construction. Payoffs are multiples of 0.25 (exact in ``.efg``).
"""

from __future__ import annotations

import numpy as np

from realpolitik.games.tree import TreeBuilder, TreeGame


def bayesian_tree(seed: int) -> TreeGame:
    """The random tree of ``seed`` (one draw)."""
    rng = np.random.default_rng(seed)
    n_types = int(rng.integers(2, 4))
    n_send = int(rng.integers(2, 5))
    n_reply = int(rng.integers(2, 4))
    # what the receiver sees of the sender's action: a partition label per action
    seen = rng.integers(0, int(rng.integers(1, n_send + 1)), size=n_send)
    signal = bool(rng.random() < 0.5)
    last = bool(rng.random() < 0.6)
    third = bool(rng.random() < 0.4)
    players = ["S", "R", "T"] if third else ["S", "R"]
    b = TreeBuilder(players)
    prior = rng.dirichlet(np.ones(n_types) * 2.0)
    prior = np.round(prior * 20) / 20
    prior = np.maximum(prior, 0.05)
    prior[-1] = 1.0 - prior[:-1].sum()
    if prior[-1] <= 0:
        prior = np.full(n_types, 1.0 / n_types)
    types = b.chance(b.root, [f"t{k}" for k in range(n_types)], list(prior))

    def payoff() -> list[float]:
        return [float(x) for x in rng.integers(-8, 9, size=len(players)) / 4]

    for t, type_node in enumerate(types):
        sends = b.decision(type_node, "S", [f"s{a}" for a in range(n_send)], infoset=("S", t))
        for a, send_node in enumerate(sends):
            replies = b.decision(
                send_node, "R", [f"r{c}" for c in range(n_reply)], infoset=("R", int(seen[a]))
            )
            for c, reply_node in enumerate(replies):
                node = reply_node
                if third:
                    # a bystander who sees the reply only
                    ends = b.decision(node, "T", ["x", "y"], infoset=("T", c))
                    for end in ends:
                        b.terminal(end, payoff())
                    continue
                if signal:
                    caught, missed = b.chance(node, ["seen", "unseen"], [0.25, 0.75])
                    branches = [(caught, "seen"), (missed, "unseen")]
                else:
                    branches = [(node, "")]
                for branch, mark in branches:
                    if last:
                        ends = b.decision(
                            branch, "S", ["keep", "stop"], infoset=("S2", t, a, c, mark)
                        )
                        for end in ends:
                            b.terminal(end, payoff())
                    else:
                        b.terminal(branch, payoff())
    tree, payoffs = b.build()
    return TreeGame.single(tree, payoffs)
