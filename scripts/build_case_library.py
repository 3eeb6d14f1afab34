"""Build the case library of issue 14 from the evidence base (data/evidence).

Writes, under ``src/realpolitik/scenario/library/``:

- ``cases/<case>.yaml``, one scenario per past case (``crimea-2014.yaml``, ``iran-oil-2012.yaml``,
  ``iran-2018.yaml``, ``venezuela-2019.yaml``, ``syria-2011.yaml``): the
  third-state alignment fragment of notes/TEMPLATE.md (the third state's
  compound move, a detection signal, the coalition's reply), with the case's
  ``as_of`` (before its decisions), its secondary-sanctions threat (sourced,
  or judgement from absence) and the judgement numbers shared by all cases;
- ``fits/third-state.yaml``: the same fragment without a case (the pooled
  fit's scenario: the threat comes from each decision's ``threat`` column);
- ``cases/<case>.csv``: the outcomes file of each case, one row per
  state-case decision of ``data/evidence/cases/decisions.csv``, with the
  covariates ``pact_us``, ``pact_target``, ``tie_target`` and ``threat``
  and the sources and dates of ``data/evidence/cases/outcomes.csv``.

Run from the repository root: ``python scripts/build_case_library.py``. The
files are data: the tests load and validate them, they do not re-run this.

Coding choices (docs/backtests.md):

- ``un_stance = absent`` (did not vote) is left empty: not observed, as the
  template says; the row keeps its other dimensions;
- ``sanctions = not_observed`` is left empty the same way;
- a row without its ATOP covariates (the E3 in Iran 2018) is kept, with the
  covariates empty: estimation drops it and says so;
- ``threat`` = 1 when ``secondary_sanctions_threat`` is not ``none`` (the
  template's definition), Venezuela included although the evidence dates its
  explicit threat from August 2019.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EVIDENCE = REPO / "data" / "evidence" / "cases"
LIBRARY = REPO / "src" / "realpolitik" / "scenario" / "library"

DIMENSIONS = ("un_stance", "sanctions", "military_aid", "mediation")
NOT_OBSERVED = {"absent", "not_observed", ""}


@dataclass(frozen=True)
class Case:
    """One past case: its evidence id, scenario name, header and threat."""

    evidence_id: str
    name: str
    title: str
    as_of: str
    coalition: str
    target: str
    description: str
    threat: int
    threat_provenance: str  # YAML lines for the threat parameter's source/judgement
    sources: str  # YAML lines of the case's own sources (may be empty)


ABSENCE = (
    "judgement from absence: no threat of secondary sanctions on third states was found in "
    "the case's sources (docs/evidence.md, data/evidence/cases/cases.yaml); coded 0"
)

CASES = (
    Case(
        evidence_id="crimea_2014",
        name="crimea-2014",
        title="Third states and the 2014 sanctions on Russia over Crimea",
        as_of="2014-02-28",
        coalition="the US, the EU and Canada",
        target="Russia",
        description=(
            "Russia seizes Crimea (late February 2014); the US, the EU and Canada prepare visa "
            "bans, asset freezes and later sectoral measures. Each third state chooses a UN stance "
            "(UNSC draft of 15 March, UNGA 68/262 of 27 March), whether to join, abide by or help "
            "evade the sanctions, whether to aid Russia militarily and whether to offer mediation."
        ),
        threat=0,
        threat_provenance=f'    judgement: "{ABSENCE}"\n',
        sources="",
    ),
    Case(
        evidence_id="iran_oil_2012",
        name="iran-oil-2012",
        title="Third states and the 2012 oil sanctions on Iran (NDAA s.1245, EU embargo)",
        as_of="2011-12-31",
        coalition="the US and the EU",
        target="Iran",
        description=(
            "The US (NDAA FY2012 s.1245, signed 31 December 2011) threatens foreign banks that "
            "settle Iranian oil unless their country significantly reduces its purchases; the EU "
            "prepares an oil embargo. Importers choose a UN stance (proxied by the UNGA "
            "human-rights vote on Iran), whether to cut purchases (abide) or keep a channel open "
            "(help evade), military aid and mediation."
        ),
        threat=1,
        threat_provenance="    source: ndaa_fy2012\n",
        sources=(
            "  ndaa_fy2012:\n"
            '    cite: "National Defense Authorization Act for Fiscal Year 2012, Pub. L. 112-81, '
            "section 1245 (sanctions on foreign financial institutions that conduct transactions "
            'with the Central Bank of Iran)"\n'
            '    date: "2011-12-31"\n'
            '    note: "signed into law on 31 December 2011"\n'
        ),
    ),
    Case(
        evidence_id="iran_2018",
        name="iran-2018",
        title="Third states and the 2018-2019 US sanctions on Iran after the JCPOA exit",
        as_of="2018-05-08",
        coalition="the United States",
        target="Iran",
        description=(
            "The US leaves the JCPOA (8 May 2018) and announces the re-imposition of oil and "
            "banking sanctions, with secondary sanctions on foreign firms after wind-down periods "
            "of 90 and 180 days. Importers and the E3 choose a UN stance, whether to wind down "
            "(abide) or keep buying through state firms (help evade), military aid and mediation."
        ),
        threat=1,
        threat_provenance="    source: nspm11_20180508\n",
        sources=(
            "  nspm11_20180508:\n"
            '    cite: "The White House, National Security Presidential Memorandum 11, Ceasing '
            "U.S. Participation in the JCPOA and Taking Additional Action to Counter Iran's "
            'Malign Influence (re-imposition of sanctions, wind-down periods of 90 and 180 days)"\n'
            '    date: "2018-05-08"\n'
        ),
    ),
    Case(
        evidence_id="venezuela_2019",
        name="venezuela-2019",
        title="Third states and the 2019-2020 US oil sanctions on Venezuela",
        as_of="2019-01-28",
        coalition="the United States (with the Lima Group and EU listings)",
        target="Venezuela (the Maduro government)",
        description=(
            "The US recognises Guaido (23 January 2019) and blocks PDVSA (28 January 2019) under "
            "EO 13850, which lets the Treasury designate anyone who materially assists a blocked "
            "person. Third states choose a UN stance (UNSC votes of 28 February 2019), whether to "
            "keep buying or marketing Venezuelan oil, military aid and mediation."
        ),
        threat=1,
        threat_provenance=(
            "    source: [eo13850_20181101, treasury_pdvsa_20190128]\n"
            '    judgement: "the evidence codes the explicit threat from August 2019 (EO 13884); '
            "on 28 January 2019 the threat is the designation authority of EO 13850 applied to "
            'PDVSA, coded 1 as in data/evidence (secondary_sanctions_threat != none)"\n'
        ),
        sources=(
            "  eo13850_20181101:\n"
            '    cite: "Executive Order 13850, Blocking Property of Additional Persons '
            "Contributing to the Situation in Venezuela (designation of persons who materially "
            'assist blocked persons)"\n'
            '    date: "2018-11-01"\n'
            "  treasury_pdvsa_20190128:\n"
            "    cite: \"US Department of the Treasury, Treasury Sanctions Venezuela's State-Owned "
            'Oil Company Petroleos de Venezuela, S.A. (press release sm594)"\n'
            '    date: "2019-01-28"\n'
        ),
    ),
    Case(
        evidence_id="syria_2011",
        name="syria-2011",
        title="Third states and the 2011-2012 sanctions on the Assad government",
        as_of="2011-07-31",
        coalition="the US, the EU, the Arab League and Turkey",
        target="Syria (the Assad government)",
        description=(
            "The Assad government's crackdown (2011) brings US and EU sanctions, later the Arab "
            "League's and Turkey's. Third states choose a UN stance, whether to join, abide by or "
            "help evade the sanctions, military aid to the government and mediation (the Arab "
            "League and Annan missions)."
        ),
        threat=0,
        threat_provenance=f'    judgement: "{ABSENCE}"\n',
        sources="",
    ),
)

#: Judgement shared by every case (and the pooled fit): the signal and the
#: coalition's reply. Reasons in each entry.
SHARED_PARAMETERS = """\
  p_false:
    dist: fixed
    value: 0.05
    unit: probability
    description: evidence of help where there was none (a false alarm)
    judgement: "no source measures false alarms of sanctions enforcement; small by judgement"
  p_det_evade:
    dist: fixed
    value: 0.3
    unit: probability
    description: the coalition finds evidence of help with evasion
    judgement: >-
      no source gives a detection rate (detected cases are known, undetected ones are not:
      docs/evidence.md, F60-F61); a third of evasion channels surfacing is judgement
  p_det_dual:
    dist: fixed
    value: 0.2
    unit: probability
    description: the coalition finds evidence of dual-use military aid
    judgement: "as p_det_evade; dual-use supplies are harder to tell from trade"
  p_det_lethal:
    dist: fixed
    value: 0.5
    unit: probability
    description: the coalition finds evidence of lethal military aid
    judgement: "as p_det_evade; arms deliveries and military personnel are more visible"
  k_secondary:
    dist: fixed
    value: 3
    unit: multiple of a listing
    description: how much worse secondary sanctions on banks are than listings of entities
    judgement: >-
      losing dollar clearing hurts a whole banking channel, a listing a few firms; the ratio
      is judgement (no source compares them)
  gain_punish:
    dist: fixed
    value: 2
    unit: "coalition utility (logit scale)"
    description: the coalition's credibility gain from punishing help that really happened
    judgement: >-
      coalition replies are rarely observed, so its valuations cannot be fitted; judgement,
      the same in every case
  cost_listings:
    dist: fixed
    value: 0.5
    unit: "coalition utility (logit scale)"
    description: the coalition's cost of listing a third state's entities
    judgement: "as gain_punish: diplomatic friction of listings; judgement"
  cost_secondary:
    dist: fixed
    value: 2
    unit: "coalition utility (logit scale)"
    description: the coalition's cost of secondary sanctions on a third state's banks
    judgement: "as gain_punish: blowback on the coalition's own banks and trade; judgement"
"""

FORM = (
    '"the form is the shared third-state template (notes/TEMPLATE.md, docs/backtests.md); '
    'the coefficients are estimated on past cases, never set by hand"'
)

ESTIMATED_PARAMETERS = f"""\
  v_condemn:
    estimate: {{formula: "~ pact_us"}}
    unit: "utility (logit scale) relative to abstaining"
    description: the value of condemning the target at the UN
    judgement: {FORM}
  v_back:
    estimate: {{formula: "~ pact_target"}}
    unit: "utility (logit scale) relative to abstaining"
    description: the value of backing the target at the UN
    judgement: {FORM}
  v_join:
    estimate: {{formula: "~ 1"}}
    unit: "utility (logit scale) relative to abiding"
    description: the value of joining the sanctions
    judgement: {FORM}
  v_evade:
    estimate: {{formula: "~ tie_target"}}
    unit: "utility (logit scale) relative to abiding"
    description: the value of helping the target evade the sanctions
    judgement: {FORM}
  v_arms:
    estimate: {{formula: "~ pact_target"}}
    unit: "utility (logit scale) relative to no aid"
    description: the value of military aid to the target (dual-use or lethal alike)
    judgement: {FORM}
  v_mediate:
    estimate: {{formula: "~ 1"}}
    unit: "utility (logit scale) relative to no offer"
    description: the value of offering mediation
    judgement: {FORM}
  c_punish:
    estimate: {{formula: "~ 1"}}
    unit: "utility (logit scale) per listing, under a threat"
    description: the third state's cost of being punished by the coalition, where a threat was made
    judgement: {FORM}
"""

GAME = """\
moves:
  - id: alignment
    actor: third
    description: The third state's alignment, chosen jointly on four dimensions
    dimensions:
      un_stance: [condemn, abstain, back_target]
      sanctions:
        levels: [join, abide, help_evade]
        observed_by: []
      military_aid:
        levels: [none, dual_use, lethal]
        observed_by: []
      mediation: [none, offer]
    allow: >-
      not (sanctions == join and (military_aid != none or un_stance == back_target))
      and not (un_stance == condemn and (sanctions == help_evade or military_aid == lethal))
  - id: signal
    description: Whether the coalition finds evidence of help (the hidden dimensions)
    chance:
      evidence: "1 - {MISSED}"
      none: "{MISSED}"
  - id: reply
    actor: coalition
    description: The coalition's reply to evidence of help
    when: "signal == evidence"
    actions:
      no_action: No action
      listings: Listings of the third state's entities
      secondary: Secondary sanctions on the third state's banks

derived:
  helped:
    expr: "alignment.sanctions == help_evade or alignment.military_aid != none"
    description: The third state helped the target (hidden from the coalition)
  punishment:
    expr: "(reply == listings) + k_secondary * (reply == secondary)"
    description: The weight of the coalition's reply (a listing = 1)

payoffs:
  third:
    condemn: "v_condemn * (alignment.un_stance == condemn)"
    back: "v_back * (alignment.un_stance == back_target)"
    join: "v_join * (alignment.sanctions == join)"
    evade: "v_evade * (alignment.sanctions == help_evade)"
    arms: "v_arms * (alignment.military_aid != none)"
    mediate: "v_mediate * (alignment.mediation == offer)"
    punished: "-c_punish * threat * punishment"
  coalition:
    credibility: "gain_punish * helped * punishment"
    cost: "-cost_listings * (reply == listings) - cost_secondary * (reply == secondary)"

solve:
  concept: qre
  lambda: 1
"""

#: P(no evidence | the joint action): no false alarm, and neither the evasion
#: nor the military aid is detected.
MISSED = (
    "(1 - p_false) * (1 - p_det_evade * (alignment.sanctions == help_evade))"
    " * (1 - p_det_dual * (alignment.military_aid == dual_use)"
    " - p_det_lethal * (alignment.military_aid == lethal))"
)
GAME = GAME.replace("{MISSED}", MISSED)

HEADER_NOTE = """\
# Generated by scripts/build_case_library.py from data/evidence (docs/evidence.md,
# docs/backtests.md); edit the script, not this file. The game is the shared
# third-state fragment of issue 14: the third state's choice on four dimensions,
# the coalition's detection of hidden help and its reply. The third state's terms
# are linear predictors fitted on past cases (realpolitik estimate --data, the
# outcomes file beside: {outcomes}); lambda is 1 (the logit scale of the fit).
"""


def case_scenario(case: Case) -> str:
    """The case's scenario text."""
    threat = (
        "  threat:\n"
        "    dist: fixed\n"
        f"    value: {case.threat}\n"
        "    unit: 0/1\n"
        "    description: a threat of secondary sanctions on third states was made\n"
        f"{case.threat_provenance}"
    )
    sources = f"sources:\n{case.sources}" if case.sources else ""
    return (
        HEADER_NOTE.format(outcomes=f"{case.name}.csv")
        + "format: 1\n"
        + f"id: {case.name}\n"
        + f'title: "{case.title}"\n'
        + f'as_of: "{case.as_of}"\n'
        + f"description: >-\n  {case.description}\n"
        + sources
        + "actors:\n"
        + "  third: {name: Third state, description: a state outside the coalition}\n"
        + f'  coalition: {{name: Coalition, description: "{case.coalition}"}}\n'
        + f'  target: {{name: Target, description: "{case.target}: passive"}}\n'
        + "parameters:\n"
        + threat
        + SHARED_PARAMETERS
        + ESTIMATED_PARAMETERS
        + GAME
    )


def pooled_scenario() -> str:
    """The case-free fragment for the pooled fit."""
    threat = (
        "  threat:\n"
        "    dist: fixed\n"
        "    value: 1\n"
        "    unit: 0/1\n"
        "    description: a threat of secondary sanctions on third states was made\n"
        '    judgement: "set per decision by the threat column of the cases; 1 is a placeholder '
        'for a forecast: set it to the case"\n'
    )
    return (
        HEADER_NOTE.format(outcomes="*.csv (all cases)")
        + "format: 1\n"
        + "id: third-state\n"
        + 'title: "The third-state alignment fragment, for the pooled fit over past cases"\n'
        + "description: >-\n  The game of every case scenario, without a case: fitted on all "
        "the cases' decisions at once (scripts/fit_case_library.py).\n"
        + "actors:\n"
        + "  third: {name: Third state, description: a state outside the coalition}\n"
        + "  coalition: {name: Coalition, description: the sanctioning coalition}\n"
        + '  target: {name: Target, description: "the sanctioned state: passive"}\n'
        + "parameters:\n"
        + threat
        + SHARED_PARAMETERS
        + ESTIMATED_PARAMETERS
        + GAME
    )


def outcome_rows(case: Case) -> list[dict[str, str]]:
    """The case's decisions as outcomes rows (one per state)."""
    with (EVIDENCE / "decisions.csv").open(newline="", encoding="utf-8") as handle:
        decisions = [r for r in csv.DictReader(handle) if r["case"] == case.evidence_id]
    with (EVIDENCE / "outcomes.csv").open(newline="", encoding="utf-8") as handle:
        coded = [r for r in csv.DictReader(handle) if r["case"] == case.evidence_id]
    rows = []
    for decision in decisions:
        mine = [r for r in coded if r["iso3"] == decision["iso3"]]
        sources = sorted(
            {s.strip() for r in mine for s in r["source_ids"].split(";") if s.strip()}
            | {"atop_shared"}
        )
        dates = sorted({r["date_observed"] for r in mine if r["date_observed"]})
        notes = [
            f"{d} {decision[d]} (not observed)"
            for d in DIMENSIONS
            if decision[d] in NOT_OBSERVED - {""}
        ]
        row = {"case": decision["iso3"]}
        for d in DIMENSIONS:
            value = decision[d]
            row[f"alignment.{d}"] = "" if value in NOT_OBSERVED else value
        row["pact_us"] = decision["defense_pact_with_us"]
        row["pact_target"] = decision["defense_pact_with_target"]
        row["tie_target"] = decision["any_atop_tie_with_target"]
        row["threat"] = str(case.threat)
        if row["pact_us"] == "":
            notes.append("no ATOP covariates (not a state): dropped by estimation")
        row["note"] = f"{decision['state']}" + (f"; {'; '.join(notes)}" if notes else "")
        row["source"] = "; ".join(sources)
        row["date"] = (dates[0] + " to " + dates[-1]) if len(dates) > 1 else "".join(dates)
        rows.append(row)
    threat_coded = {d["secondary_sanctions_threat"] != "none" for d in decisions}
    if threat_coded != {bool(case.threat)}:
        raise SystemExit(f"{case.name}: threat {case.threat} disagrees with the evidence")
    return rows


def main() -> None:
    """Write the case scenarios, the pooled fragment and the outcomes files."""
    (LIBRARY / "cases").mkdir(exist_ok=True)
    (LIBRARY / "fits").mkdir(exist_ok=True)
    for case in CASES:
        (LIBRARY / "cases" / f"{case.name}.yaml").write_text(case_scenario(case), encoding="utf-8")
        rows = outcome_rows(case)
        with (LIBRARY / "cases" / f"{case.name}.csv").open(
            "w", newline="", encoding="utf-8"
        ) as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"{case.name}: {len(rows)} decisions")
    (LIBRARY / "fits" / "third-state.yaml").write_text(pooled_scenario(), encoding="utf-8")


if __name__ == "__main__":
    main()
