"""Many states choosing sides: the alignment game of all 193 UN members.

Each member chooses to vote yes, no, abstain or stay absent on a General
Assembly resolution; its payoffs depend on its covariates (UN voting affinity,
past votes on related resolutions, regime, alliances), on the crisis, and on
what its regional peers are expected to do; the forecast is the game's logit
quantal response equilibrium over draws of the coefficients (fitted on the
2014 Crimea vote) and of the crisis parameters. See ``docs/alignment.md``.

>>> import realpolitik.alignment as al
>>> result = al.align("unga-2022-aggression", draws=1)
>>> len(result.countries)
193
"""

from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.data import design_matrix, load_table, provenance, vintage_rows
from realpolitik.alignment.fit import VoteEstimate, fit_vote
from realpolitik.alignment.forecast import AlignmentResult, align
from realpolitik.alignment.game import AlignmentGame
from realpolitik.alignment.likelihood import VoteLikelihood
from realpolitik.alignment.qre import QRESolution, solve_qre
from realpolitik.alignment.scenario import (
    AlignmentScenario,
    builtin_names,
    load_alignment_scenario,
)

__all__ = [
    "CHOICES",
    "AlignmentGame",
    "AlignmentResult",
    "AlignmentScenario",
    "QRESolution",
    "VoteEstimate",
    "VoteLikelihood",
    "align",
    "builtin_names",
    "design_matrix",
    "fit_vote",
    "load_alignment_scenario",
    "load_table",
    "provenance",
    "solve_qre",
    "vintage_rows",
]
