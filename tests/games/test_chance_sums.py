"""Chance probabilities are checked node by node (:func:`realpolitik.games.tree.check_chance_probs`:
segment sums over the tree's edge order): a node whose outcomes do not sum to 1 is named."""

from __future__ import annotations

import numpy as np
import pytest

from realpolitik.compiler.scenario_tree import compile_scenario
from realpolitik.errors import InputError
from realpolitik.games.tree import check_chance_probs
from realpolitik.scenario.load import resolve


def test_chance_probabilities_that_do_not_sum_to_one_are_refused_at_their_node() -> None:
    compiled = compile_scenario(resolve("china-russia-2022"))
    probs = np.repeat(compiled.chance_probabilities(compiled.parameter_values()), 3, axis=0)
    check_chance_probs(compiled.tree, probs)  # as compiled: accepted
    column = int(np.flatnonzero(probs[2] > 0.05)[-1])
    probs[2, column] += 0.01
    node = int(compiled.tree.edge_parent[compiled.tree.chance_edge[column]])
    label = compiled.tree.node_label[node] or str(node)
    with pytest.raises(InputError, match=rf"at node {label} sum to 1\.01 at draw 2"):
        check_chance_probs(compiled.tree, probs)
