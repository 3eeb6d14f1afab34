"""The report's sections on what a forecast rests on: judgement, noise
(lambda and the concept) and analysts' views.

Why a module of its own: the HTML report (:mod:`realpolitik.report.html_report`)
lays out the forecast; these sections read the forecast's assumption
summaries (:mod:`realpolitik.analysis.judgement`,
:mod:`realpolitik.analysis.noise`) and a comparison of views
(:mod:`realpolitik.analysis.compare`) and say, in tables a reader can check,
which numbers are judgement and how much of each probability is noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from realpolitik.analysis.compare import Comparison
from realpolitik.analysis.forecast_summary import Forecast
from realpolitik.analysis.judgement import JUDGEMENT_ALONE, JudgementShares
from realpolitik.analysis.noise import NoiseShares


def _pct(p: float) -> str:
    return "-" if not math.isfinite(p) else f"{100 * p:.1f}%"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    cells = "".join(
        f'<th class="num">{escape(h)}</th>' if k in numeric else f"<th>{escape(h)}</th>"
        for k, h in enumerate(head)
    )
    body = [
        "<tr>"
        + "".join(
            f'<td class="num">{escape(c)}</td>' if k in numeric else f"<td>{escape(c)}</td>"
            for k, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    ]
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def judgement_section(result: Forecast) -> str:
    """Which numbers rest on judgement (the forecast's ``extra["judgement"]``)."""
    shares = result.extra.get("judgement")
    if not isinstance(shares, JudgementShares):
        return ""
    alone = shares.resting_on_judgement()["name"].tolist()
    rows = [
        [
            str(r["name"]),
            _pct(float(r["value"]))
            if r["kind"] in ("action", "level")
            else f"{float(r['value']):.4g}",
            f"{float(r['swing']):.3g}",
            _pct(float(r["share"])),
            str(r["top_judgement"]) or "-",
        ]
        for r in shares.table.to_dict("records")
    ]
    n_judged = len(shares.judgement_parameters)
    listed = ", ".join(alone) if alone else "none"
    return (
        "<h2>What rests on judgement</h2>"
        f'<p class="small">{n_judged} of {len(result.scenario.parameters)} parameters are '
        "marked as the analyst's judgement. For each number: the share of its one-at-a-time "
        "swing (each parameter from its 5% to its 95% quantile, the others central) that comes "
        "from judgement parameters. It is local and one at a time (interactions are not seen) "
        "and says nothing about whether a judgement is good.</p>"
        f"<p>Resting on judgement alone (share at least {_pct(JUDGEMENT_ALONE)}): "
        f"{escape(listed)}.</p>"
        + _table(
            ["action or metric", "central value", "total swing", "from judgement", "largest"],
            rows,
            {1, 2, 3},
        )
    )


#: How the noise section names each best-response concept.
_BEST_RESPONSE = {
    "spe": "the SPE, by backward induction",
    "logit-limit": "the logit limit, the QRE branch at lambda to infinity, since the game "
    "has information sets and no backward induction",
}


def noise_section(result: Forecast) -> str:
    """How much of each probability is noise (the forecast's ``extra["noise"]``)."""
    noise = result.extra.get("noise")
    if not isinstance(noise, NoiseShares):
        return ""
    best_label = noise.best_response_concept or "none"
    head = ["action", "forecast", f"best response ({best_label})", "gap"]
    if noise.lambda_drawn:
        head.append("variance share of lambda (S1)")
    rows = []
    for r in noise.table.to_dict("records"):
        row = [
            str(r["name"]),
            _pct(float(r["forecast"])),
            _pct(float(r["best_response"])),
            f"{100 * float(r['gap']):+.1f} pts",
        ]
        if noise.lambda_drawn:
            row.append(_pct(float(r["lambda_s1"])))
        rows.append(row)
    where = "at the central values" if result.settings.draws == 0 else f"on {noise.draws} draws"
    s1 = (
        f" Lambda is drawn: its first-order Sobol' index (SALib, {noise.sobol_base * 4} rows, "
        "the other parameters as one group, taken as independent) is the share of each "
        "probability's variance across draws that lambda alone explains."
        if noise.lambda_drawn
        else ""
    )
    return (
        "<h2>How much is noise</h2>"
        f'<p class="small">Each probability beside the same {escape(where)} under best '
        f"responses ({escape(_BEST_RESPONSE.get(best_label, best_label))}): where they agree, "
        "the probability comes from the payoffs; the gap is what the logit noise adds or "
        f"takes.{escape(s1)}"
        + (f" Note: {escape(noise.note)}." if noise.note else "")
        + "</p>"
        + _table(head, rows, set(range(1, len(head))))
    )


def views_section(comparison: Comparison, top: int = 6) -> str:
    """Views side by side, what drives each difference, what tells them apart."""
    wide = comparison.side_by_side()
    rows = [
        [str(name), *(f"{float(row[v]):.3f}" for v in comparison.views)]
        for name, row in wide.iterrows()
    ]
    parts = [
        "<h2>Views of the crisis</h2>",
        f'<p class="small">Each view solved on the same {comparison.draws} draws (common '
        f"random numbers, seed {comparison.seed}); reference: {escape(comparison.reference)}."
        "</p><ul>"
        + "".join(
            f"<li><strong>{escape(v)}</strong>: {escape(comparison.descriptions.get(v, ''))}</li>"
            for v in comparison.views
        )
        + "</ul>",
        _table(["action or metric", *comparison.views], rows, set(range(1, 1 + len(rows[0])))),
    ]
    for v, d in comparison.decompositions.items():
        shown = comparison.tells_apart[v].head(top)
        how = (
            "exact Shapley values, which sum to the difference"
            if d.method == "shapley"
            else "one element at a time; the rest is interaction"
        )
        extra = ["interaction"] if d.interaction is not None else []
        body = []
        for r in shown.to_dict("records"):
            name = str(r["name"])
            cells = [name, f"{float(r['reference']):.3f}", f"{float(r['view']):.3f}"]
            cells += [f"{d.contribution(e, str(name)):+.3f}" for e in d.elements]
            if d.interaction is not None:
                cells.append(f"{float(d.interaction[name]):+.3f}")
            cells.append(f"{float(r['log_ratio']):+.2f}")
            body.append(cells)
        head = ["action", comparison.reference, v, *d.elements, *extra, "log ratio"]
        parts.append(
            f"<h3>{escape(v)} against {escape(comparison.reference)} ({escape(how)})</h3>"
            '<p class="small">The actions whose probabilities differ most (what would tell '
            "the views apart), each difference split into the view's changes; the log ratio "
            "is the evidence for the view that seeing the action gives.</p>"
            + _table(head, body, set(range(1, len(head))))
        )
    return "\n".join(parts)
