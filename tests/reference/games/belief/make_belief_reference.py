"""Write the pygambit reference of the belief-iteration tests (run by hand).

For each seed of :func:`belief_trees.bayesian_tree`, writes the tree as
``bayes_<seed>.efg`` (:func:`realpolitik.games.gambit_io.write_efg`) and asks
pygambit 16.7.0 for its agent logit QRE on the principal branch at each
lambda of ``LAMBDAS`` (``pygambit.qre.logit_solve_lambda``, behaviour
strategies). ``belief_reference.json`` gets, per tree and lambda, the lambda
pygambit reached and, per information set (named by the action labels on the
path to its first node, in pygambit's order), the probabilities of its
actions. Traps (see ``../PEERS.md``): the behaviour profile cannot be built
in pygambit 16.7, so the flat vector ``q[k]`` is read in its order (players,
their information sets, their actions); the lambda reached is recorded and
checked by the tests.

pygambit is GPL: this script and its outputs are test data only.

Run from the repository root: python tests/reference/games/belief/make_belief_reference.py
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pygambit as gbt

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from belief_trees import bayesian_tree  # noqa: E402
from realpolitik.games.gambit_io import write_efg  # noqa: E402

SEEDS = list(range(12))
LAMBDAS = [0.25, 0.5, 1.0, 2.0, 4.0]


def path_of(node: Any) -> list[str]:
    labels: list[str] = []
    while node.parent is not None:
        labels.append(node.prior_action.label)
        node = node.parent
    return list(reversed(labels))


def main() -> None:
    out: dict[str, Any] = {
        "peer": f"pygambit {gbt.__version__}",
        "function": "pygambit.qre.logit_solve_lambda(game, lams)",
        "lambdas_requested": LAMBDAS,
        "trees": [],
    }
    for seed in SEEDS:
        text = write_efg(bayesian_tree(seed), comment=f"belief_trees.bayesian_tree({seed})")
        name = f"bayes_{seed}.efg"
        (HERE / name).write_text(text, encoding="utf-8")
        game = gbt.read_efg(io.StringIO(text))
        points = []
        for point in gbt.qre.logit_solve_lambda(game, LAMBDAS):
            k = 0
            sets = []
            for player in game.players:
                for infoset in player.infosets:
                    probs = []
                    for _ in infoset.actions:
                        probs.append(float(point[k]))
                        k += 1
                    sets.append(
                        {
                            "player": player.label,
                            "path": path_of(next(iter(infoset.members))),
                            "actions": [a.label for a in infoset.actions],
                            "probs": probs,
                        }
                    )
            points.append({"lambda": float(point.lam), "infosets": sets})
        out["trees"].append({"seed": seed, "file": name, "qre": points})
        print(name, [round(p["lambda"], 6) for p in points])
    (HERE / "belief_reference.json").write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
