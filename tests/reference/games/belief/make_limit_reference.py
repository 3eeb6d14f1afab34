"""Write pygambit's logit limit of the belief trees (run by hand).

For each ``bayes_<seed>.efg`` beside this file (the trees of
:func:`belief_trees.bayesian_tree`, see ``make_belief_reference.py``) and a
few random trees of perfect information, asks pygambit 16.7.0 for
``pygambit.nash.logit_solve(game, use_strategic=False, maxregret=1e-8)`` (its default):
the end of the principal branch of the agent logit QRE (behaviour
strategies), the reference of ``tests/solve/test_logit_limit.py``.
``limit_reference.json`` gets, per tree, each information set's action
probabilities (sets named by the action labels on the path to their first
node, read from the profile's flat vector in pygambit's order: players, their
sets, their actions; see ``../PEERS.md``), the probability pygambit's
profile reaches each set (``infoset_prob``; its ``max_regret()`` ran out of memory on these trees).

pygambit is GPL: this script and its outputs are test data only.

Run from the repository root: python tests/reference/games/belief/make_limit_reference.py
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


def path_of(node: Any) -> list[str]:
    labels: list[str] = []
    while node.parent is not None:
        labels.append(node.prior_action.label)
        node = node.parent
    return list(reversed(labels))


def limit_of(text: str) -> dict[str, Any]:
    game = gbt.read_efg(io.StringIO(text))
    result = gbt.nash.logit_solve(game, use_strategic=False, maxregret=1e-8)
    profile = result.equilibria[0]
    sets = []
    for player in game.players:
        for infoset in player.infosets:
            sets.append(
                {
                    "player": player.label,
                    "path": path_of(next(iter(infoset.members))),
                    "actions": [a.label for a in infoset.actions],
                    "probs": [float(profile[a]) for a in infoset.actions],
                    "reach": float(profile.infoset_prob(infoset)),
                }
            )
    return {"infosets": sets}


def main() -> None:
    """Seeds on the command line (default all); each run adds its trees to
    the file, so that a tree on which pygambit does not finish (run each seed
    under a time and memory limit) is left out rather than blocking the rest."""
    target = HERE / "limit_reference.json"
    out: dict[str, Any] = {
        "peer": f"pygambit {gbt.__version__}",
        "function": "pygambit.nash.logit_solve(game, use_strategic=False, maxregret=1e-8)",
        "trees": [],
    }
    if target.exists():
        out["trees"] = json.loads(target.read_text(encoding="utf-8"))["trees"]
    seeds = [int(a) for a in sys.argv[1:]] or SEEDS
    out["trees"] = [t for t in out["trees"] if t["seed"] not in seeds]
    for seed in seeds:
        name = f"bayes_{seed}.efg"
        text = (HERE / name).read_text(encoding="utf-8")
        assert text == write_efg(bayesian_tree(seed), comment=f"belief_trees.bayesian_tree({seed})")
        entry = {"seed": seed, "file": name, **limit_of(text)}
        out["trees"].append(entry)
        print(name, "done")
    out["trees"].sort(key=lambda t: t["seed"])
    target.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
