"""An alignment forecast (every UN member's vote) as one self-contained HTML file.

Why: the crisis report (:mod:`realpolitik.report.html_report`) is one
document a planner can pass on; an alignment scenario
(:mod:`realpolitik.alignment`) answers a different question (how 193 members
vote, not what a few actors do), so its report has its own layout: the
question and the settings, the expected tally with the 90% range of
simulated roll calls and their distribution, every member ranked by P(yes) -
P(no) as a chart and a table with the 90% interval of P(yes) over draws and
the term that most favours its most likely vote, and what the forecast rests
on (the fitted coefficients, the crisis parameters with their sources or the
judgement they are). No external resources: plots inline as SVG
(:func:`~realpolitik.alignment.plots.probabilities_figure`,
:func:`~realpolitik.alignment.plots.tally_figure`), no scripts. A world map
is left out on purpose: it needs country shapes the project does not ship.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from realpolitik.alignment.choices import CHOICES
from realpolitik.alignment.forecast import AlignmentResult
from realpolitik.alignment.plots import probabilities_figure, tally_figure
from realpolitik.alignment.scenario import AlignmentScenario
from realpolitik.report.html_report import STYLE, inline_svg
from realpolitik.version import __version__

__all__ = ["build_alignment_report"]


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int], css: str) -> str:
    cells = "".join(
        f'<th class="num">{escape(h)}</th>' if k in numeric else f"<th>{escape(h)}</th>"
        for k, h in enumerate(head)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{escape(c)}</td>' if k in numeric else f"<td>{escape(c)}</td>"
            for k, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="{css}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def _tally_section(result: AlignmentResult) -> str:
    rows = [
        [
            str(r["choice"]),
            f"{float(r['expected']):.1f}",
            str(int(r["p50"])),
            f"{int(r['p05'])}-{int(r['p95'])}",
        ]
        for r in result.tally.to_dict("records")
    ]
    samples = len(result.tally_samples)
    return (
        "<h2>Expected tally</h2>"
        f'<p class="small">The expected count is the sum of the members\' mean probabilities; '
        f"the median and the 90% range come from {samples:,} simulated roll calls (the "
        "parameter draws and the votes' own randomness).</p>"
        + _table(["vote", "expected", "median", "90% of roll calls"], rows, {1, 2, 3}, "tally")
        + f"<figure>{inline_svg(tally_figure(result))}</figure>"
    )


def _members_section(result: AlignmentResult) -> str:
    frame = result.countries.assign(_key=result.countries["yes"] - result.countries["no"])
    frame = frame.sort_values(["_key", "yes"], ascending=False)
    reasons = result.reasons.assign(_size=result.reasons["value"].abs())
    lead = reasons.sort_values("_size", ascending=False).drop_duplicates("iso3").set_index("iso3")
    rows = []
    for m in frame.to_dict("records"):
        why = lead.loc[m["iso3"]]
        rows.append(
            [
                str(m["iso3"]),
                str(m["name"]),
                str(m["region"]),
                *(_pct(float(m[c])) for c in CHOICES),
                f"{_pct(float(m['yes_p05']))} to {_pct(float(m['yes_p95']))}",
                str(m["most_likely"]),
                f"vs {why['versus']}: {why['term']} {float(why['value']):+.2f}",
            ]
        )
    head = ["ISO3", "member", "region", *CHOICES, "yes, 90% of draws", "most likely", "why"]
    return (
        "<h2>Every member, ranked by P(yes) - P(no)</h2>"
        f"<figure>{inline_svg(probabilities_figure(result))}</figure>"
        '<p class="small">Why: the largest term in the payoff difference between the most '
        "likely vote and the runner-up, at the central values (logit payoff units).</p>"
        + _table(head, rows, {3, 4, 5, 6, 7}, "members")
    )


def _basis_section(scenario: AlignmentScenario) -> str:
    rows = []
    for p in scenario.crisis:
        dist = ", ".join(f"{k} {v:g}" for k, v in p.args.items())
        source = scenario.sources.get(p.source or "", {})
        cited = f"{source.get('cite', p.source)} [{source.get('date', 'undated')}]"
        rows.append(
            [
                p.name,
                p.description,
                f"{p.dist} ({dist})",
                f"{p.central:.4g}",
                cited if p.source else "-",
                p.judgement or "-",
            ]
        )
    judged = [p.name for p in scenario.crisis if p.judgement]
    fitted = escape(str(scenario.fit.get("fitted_on", "")))
    return (
        "<h2>What the forecast rests on</h2>"
        f"<p>Coefficients of {escape(', '.join(scenario.covariates))} (peers: members of the "
        f"same UN {escape(scenario.peer_groups)}) fitted on {fitted}, drawn from their "
        "estimated distribution. Crisis parameters marked as judgement: "
        f"{escape(', '.join(judged) if judged else 'none')}.</p>"
        + _table(
            ["crisis parameter", "what", "distribution", "central", "source", "judgement"],
            rows,
            {3},
            "crisis",
        )
    )


def build_alignment_report(result: AlignmentResult, scenario: AlignmentScenario) -> str:
    """The report as an HTML document (module docstring).

    Parameters
    ----------
    result : :func:`realpolitik.alignment.align`'s forecast.
    scenario : the alignment scenario it was computed from (its question,
        coefficients and crisis parameters).
    """
    meta = result.meta
    solver = meta.get("solver", {})
    settings = (
        f"As of {escape(str(meta.get('as_of', '')))}. {meta.get('draws')} draws, seed "
        f"{meta.get('seed')}; {escape(str(solver.get('summary', '')))}. realpolitik "
        f"{escape(__version__)}, generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}."
    )
    body = "\n".join(
        [
            f"<h1>{escape(scenario.title)}</h1>",
            f"<p>{escape(scenario.question)}</p>",
            f'<p class="settings">{settings}</p>',
            _tally_section(result),
            _members_section(result),
            _basis_section(scenario),
        ]
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(scenario.title)}</title><style>{STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )
