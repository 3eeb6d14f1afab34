"""A scenario's forecast as one self-contained HTML file.

Why: policy planners and teachers pass results on as documents. The report
holds, in one file with no external resources (plots inline as SVG, styles
inline, no scripts): the settings it was computed with, who does what with
90% intervals, the most likely pathways, the expected metrics, the
term-by-term reasons of every decision on the equilibrium path, compound
moves one dimension at a time, choices given each private type, beliefs at
information sets that hide part of the path and round-by-round
probabilities (when the scenario has them), optionally a
tornado of the parameters that move one target most, what rests on
judgement and how much of each probability is noise, the scenario's views
side by side (when it declares any), and every parameter with its
distribution, the dated sources it cites or the judgement it is. Every number in it comes
from :func:`realpolitik.forecast`, :func:`realpolitik.explain` and
:func:`realpolitik.sensitivity` with the settings
printed at its top.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from realpolitik.analysis.compare import compare
from realpolitik.analysis.explain import Explanation, explain
from realpolitik.analysis.forecast import forecast
from realpolitik.analysis.forecast_summary import Forecast
from realpolitik.analysis.scenario_sensitivity import scenario_sensitivity
from realpolitik.concepts import uses_lambda
from realpolitik.errors import InputError
from realpolitik.plots.explain_plots import plot_explanation
from realpolitik.plots.forecast_plots import plot_forecast
from realpolitik.plots.sensitivity_plots import plot_tornado
from realpolitik.report.assumption_sections import (
    judgement_section,
    noise_section,
    views_section,
)
from realpolitik.report.information_sections import (
    beliefs_section,
    dimensions_section,
    rounds_section,
    types_section,
)
from realpolitik.scenario.load import ScenarioLike, as_scenario
from realpolitik.scenario.model import Scenario
from realpolitik.version import __version__

#: Pathways listed in the report's table.
TOP_PATHWAYS = 10
#: Parameters shown in the tornado.
TOP_TORNADO = 12
#: Common draws of the views' comparison.
VIEW_DRAWS = 1000

STYLE = """
body { font-family: system-ui, sans-serif; color: #1d2733; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.4; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem;
     border-bottom: 1px solid #dde2e8; }
table { border-collapse: collapse; width: 100%; font-size: 0.85rem; margin: 0.5rem 0; }
th, td { border-bottom: 1px solid #eef1f5; padding: 0.25rem 0.4rem; text-align: left;
         vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.settings { font-size: 0.9rem; color: #45505c; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
li { margin-bottom: 0.4rem; } .small { font-size: 0.8rem; color: #5a6776; }
"""


def _pct(p: float) -> str:
    return f"{100 * p:.1f}%"


def _num(x: float) -> str:
    return f"{x:.4g}"


def inline_svg(fig: Figure) -> str:
    """The figure as inline SVG (no XML prologue), fonts as paths, reproducible ids."""
    buffer = io.StringIO()
    with mpl.rc_context({"svg.hashsalt": "realpolitik", "svg.fonttype": "path"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int]) -> str:
    cells = "".join(
        f'<th class="num">{escape(h)}</th>' if k in numeric else f"<th>{escape(h)}</th>"
        for k, h in enumerate(head)
    )
    body = []
    for row in rows:
        tds = "".join(
            f'<td class="num">{escape(c)}</td>' if k in numeric else f"<td>{escape(c)}</td>"
            for k, c in enumerate(row)
        )
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _settings_line(result: Forecast) -> str:
    s = result.settings
    solve = result.scenario.solve
    how = s.concept.upper()
    if s.concept == "mixture":
        how = "a mixture of " + ", ".join(f"{c.upper()} ({w:g})" for c, w in solve.mixture)
    if s.lam is not None:
        how += f", lambda = {s.lam:g}"
    elif solve.lam_varies and uses_lambda(s.concept, solve.mixture):
        lam = result.scenario.parameters["lambda"]
        if s.draws:
            how += f", lambda drawn from {lam.distribution.describe()}"
        else:
            how += (
                f", lambda = {lam.central:g} (the central value of {lam.distribution.describe()})"
            )
    if s.draws:
        how += f", {s.draws:,} parameter draws ({s.method}, seed {s.seed})"
    else:
        how += ", at the parameters' central values"
    if s.values:
        held = ", ".join(f"{k} = {v:g}" for k, v in s.values)
        how += f"; held by hand: {held}"
    return how


def _forecast_section(result: Forecast, figures: Mapping[str, Figure]) -> str:
    draws = result.settings.draws > 0
    # probability: marginal (the action is taken); conditional: given that
    # its move is reached (with the move's reach beside it)
    head = ["actor", "move", "action", "probability (marginal)", "given the move", "move reached"]
    if draws:
        head += ["90% of draws", "most likely in"]
    rows = []
    for r in result.actions.to_dict("records"):
        row = [
            str(r["actor"]),
            str(r["move"]),
            str(r["label"] or r["action"]),
            _pct(r["probability"]),
            _pct(r["conditional"]) if r["reach"] > 0 else "-",
            _pct(r["reach"]),
        ]
        if draws:
            row += [f"{_pct(r['p05'])} to {_pct(r['p95'])}", _pct(r["most_likely_share"])]
        rows.append(row)
    numeric = {3, 4, 5, 6, 7}
    metrics = [m.id for m in result.scenario.metrics]
    path_rows = [
        [
            " > ".join(f"{a}:{b}" for a, b in p["steps"]),
            _pct(p["probability"]),
            *[_num(p[m]) for m in metrics],
        ]
        for p in result.pathways.head(TOP_PATHWAYS).to_dict("records")
    ]
    metric_rows = [
        [str(m["metric"]), _num(m["mean"])]
        + ([f"{_num(m['p05'])} to {_num(m['p95'])}"] if draws else [])
        + [str(m["unit"]), str(m["description"])]
        for m in result.metrics.to_dict("records")
    ]
    metric_head = ["metric", "expected"] + (["90% of draws"] if draws else []) + ["unit", "what"]
    parts = [
        "<h2>Who does what</h2>",
        _table(head, rows, numeric),
        f"<figure>{inline_svg(figures['forecast'])}</figure>",
        f"<h2>The {min(TOP_PATHWAYS, len(result.pathways))} most likely pathways "
        f"(of {len(result.pathways)})</h2>",
        _table(["pathway", "probability", *metrics], path_rows, set(range(1, 2 + len(metrics)))),
        f"<figure>{inline_svg(figures['pathways'])}</figure>",
        "<h2>Expected metrics</h2>",
        _table(metric_head, metric_rows, {1, 2} if draws else {1}),
    ]
    return "\n".join(parts)


def _explanation_section(why: Explanation) -> str:

    items = "".join(
        f"<li>{escape(d.sentence(why.scenario.actors[d.actor].name))}</li>" for d in why.decisions
    )
    return (
        "<h2>Why: the calculation on the equilibrium path</h2>"
        '<p class="small">Each decision against each alternative; the difference in the '
        "actor's expected payoff split exactly into the named costs and benefits "
        "(positive terms favour the chosen action).</p>"
        f"<ol>{items}</ol><figure>{inline_svg(plot_explanation(why))}</figure>"
    )


def _tornado_section(
    scenario: Scenario, target: str, concept: str | None, lam: float | None, seed: int | None
) -> str:

    result = scenario_sensitivity(
        scenario, target, methods=("tornado",), concept=concept, lam=lam, seed=seed
    )
    assert result.tornado is not None
    frame = result.tornado
    fig = plot_tornado(frame, top=TOP_TORNADO)
    return (
        f"<h2>What moves {escape(target)} most</h2>"
        '<p class="small">One parameter at a time from its 5% to its 95% quantile, '
        "the others at their central values.</p>"
        f"<figure>{inline_svg(fig)}</figure>"
    )


def _parameters_section(scenario: Scenario) -> str:
    rows = [
        [
            p.id,
            p.description,
            p.unit,
            p.distribution.describe(),
            _num(p.central),
            ", ".join(p.sources),
            p.judgement,
        ]
        for p in scenario.parameters.values()
    ]
    sources = "".join(
        f'<li id="source-{escape(s.id)}"><strong>{escape(s.id)}</strong>'
        f" [{escape(s.date or 'undated')}]: {escape(s.cite)}"
        + (f" ({escape(s.page)})" if s.page else "")
        + (f' <a href="{escape(s.url)}">{escape(s.url)}</a>' if s.url else "")
        + (f' <span class="small">({escape(s.note)})</span>' if s.note else "")
        + "</li>"
        for s in scenario.sources.values()
    )
    return (
        "<h2>Parameters and where their numbers come from</h2>"
        + _table(
            ["parameter", "what", "unit", "distribution", "central", "sources", "judgement"],
            rows,
            {4},
        )
        + f"<h2>Sources</h2><ul>{sources}</ul>"
    )


def build_report(
    scenario: ScenarioLike,
    *,
    concept: str | None = None,
    lam: float | None = None,
    draws: int = 0,
    seed: int | None = None,
    values: Mapping[str, float] | None = None,
    target: str | None = None,
) -> str:
    """The report as an HTML document (module docstring).

    Parameters
    ----------
    scenario : a loaded scenario, a built-in name or a path.
    concept, lam, draws, seed, values : as :func:`realpolitik.forecast`.
    target : a target such as ``"china:covert_assist"`` for a tornado of the
        parameters that move it most (None: no tornado).
    """
    scenario = as_scenario(scenario)
    result = forecast(scenario, concept=concept, lam=lam, draws=draws, seed=seed, values=values)
    seed = result.settings.seed  # drawn when not given: the explanation uses the same draws
    why = explain(scenario, concept=concept, lam=lam, draws=draws, seed=seed, values=values)
    figures = plot_forecast(result)
    drawn = {
        name: inline_svg(fig) for name, fig in figures.items() if name in ("dimensions", "rounds")
    }
    sections = [
        f"<h1>{escape(scenario.title)}</h1>",
        f"<p>{escape(scenario.description)}</p>" if scenario.description else "",
        f'<p class="settings">As of {escape(scenario.as_of)}. {escape(_settings_line(result))}. '
        f"realpolitik {escape(__version__)}, generated "
        f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.</p>",
        _forecast_section(result, figures),
        dimensions_section(result, drawn.get("dimensions", "")),
        types_section(result),
        beliefs_section(result),
        rounds_section(result, drawn.get("rounds", "")),
        _explanation_section(why),
        _tornado_section(scenario, target, concept, lam, seed) if target else "",
        judgement_section(result),
        noise_section(result),
        views_section(compare(scenario, draws=VIEW_DRAWS, seed=seed or 0))
        if scenario.views
        else "",
        _parameters_section(scenario),
    ]
    body = "\n".join(s for s in sections if s)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(scenario.title)}</title><style>{STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def check_report_path(path: Path | str) -> Path:
    """``path`` if a report can be written there, else an :class:`InputError`."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{target} is a directory; give a file name such as report.html")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {target}: no such directory {folder}")
    return target


def write_report(html: str, path: Path | str) -> Path:
    """Write the report atomically: a temporary file beside ``path``, renamed
    over it once complete, so a failure never leaves half a report."""
    target = check_report_path(path)
    folder = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(html)
        mask = os.umask(0)  # mkstemp makes the file private; give it the usual mode
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise InputError(f"cannot write {target}: {error.strerror}") from None
    return target


def report(
    scenario: ScenarioLike,
    path: Path | str | None = None,
    *,
    concept: str | None = None,
    lam: float | None = None,
    draws: int = 0,
    seed: int | None = None,
    values: Mapping[str, float] | None = None,
    target: str | None = None,
) -> str:
    """The scenario's report as HTML (see :func:`build_report`), also written
    atomically to ``path`` when given (checked before anything is computed)."""
    if path is not None:
        check_report_path(path)
    html = build_report(
        scenario, concept=concept, lam=lam, draws=draws, seed=seed, values=values, target=target
    )
    if path is not None:
        write_report(html, path)
    return html
