"""The report's sections on what the scenario language adds to a forecast:
compound moves one dimension at a time, choices given each private type,
the beliefs of an actor that cannot see part of the path, and rounds.

Why a module of its own: the HTML report (:mod:`realpolitik.report.html_report`)
lays out the forecast; these sections read the forecast's optional tables
(``dimensions``, ``type_conditional``, ``beliefs``, ``rounds`` of
:class:`~realpolitik.analysis.forecast_summary.Forecast`) and are empty when
the scenario has none. Each is a table a reader can check, with a figure
(:mod:`realpolitik.plots.information_plots`) where a picture reads faster.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

import pandas as pd

from realpolitik.analysis.forecast_summary import Forecast
from realpolitik.plots.information_plots import staged_levels

__all__ = ["beliefs_section", "dimensions_section", "rounds_section", "types_section"]

#: Information sets listed in the beliefs table (the most likely to be reached).
TOP_BELIEFS = 12


def _pct(p: float) -> str:
    return "-" if not math.isfinite(p) else f"{100 * p:.1f}%"


def _table(
    head: Sequence[str], rows: Sequence[Sequence[str]], numeric: set[int], css: str = ""
) -> str:
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
    klass = f' class="{escape(css)}"' if css else ""
    return f"<table{klass}><thead><tr>{cells}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def dimensions_section(result: Forecast, figure: str) -> str:
    """Each compound move's levels: probability (the sum of the joint actions
    that choose the level) and, over draws, its 90% interval; ``figure`` is
    the inline SVG of :func:`~realpolitik.plots.information_plots.plot_dimensions`."""
    frame = result.dimensions
    if frame.empty:
        return ""
    draws = result.settings.draws > 0
    head = ["actor", "move", "dimension", "level", "probability"]
    head += ["90% of draws"] if draws else []
    rows = []
    for r in frame.to_dict("records"):
        row = [str(r["actor"]), str(r["move"]), str(r["dimension"]), str(r["level"])]
        row.append(_pct(float(r["probability"])))
        if draws:
            row.append(f"{_pct(float(r['p05']))} to {_pct(float(r['p95']))}")
        rows.append(row)
    return (
        "<h2>Compound choices, one dimension at a time</h2>"
        '<p class="small">A compound move chooses one level in each dimension at once; '
        "the table of who does what lists its joint actions. Here each level's probability "
        "is the sum of the probabilities of the joint actions that choose it.</p>"
        + _table(head, rows, {4, 5}, "dimensions")
        + f"<figure>{figure}</figure>"
    )


def types_section(result: Forecast) -> str:
    """Every action's probability given each private type of a typed actor
    (what an observer who knew the type would forecast)."""
    frame = result.type_conditional
    if frame.empty:
        return ""
    parts = [
        "<h2>Given each private type</h2>"
        '<p class="small">An actor with a private type knows it; the others do not. Each '
        "action's probability given the type (the joint probability of the type and the "
        "action over the type's probability, pooled over draws).</p>"
    ]
    for typed, group in frame.groupby("typed_actor", sort=False):
        wide = group.pivot_table(
            index=["actor", "move", "action"], columns="type", values="probability", sort=False
        )
        types = [str(t) for t in pd.unique(group["type"])]
        rows = [
            [str(a), str(m), str(x), *(_pct(float(wide.loc[(a, m, x), t])) for t in types)]
            for a, m, x in wide.index
        ]
        parts.append(
            f"<h3>{escape(str(typed))}'s type</h3>"
            + _table(
                ["actor", "move", "action", *(f"given {t}" for t in types)],
                rows,
                set(range(3, 3 + len(types))),
                "types",
            )
        )
    return "\n".join(parts)


def _seen(observed: object) -> str:
    if not isinstance(observed, tuple | list) or not observed:
        return "nothing yet"
    return ", ".join(f"{a} = {b}" for a, b in observed)


def beliefs_section(result: Forecast, top: int = TOP_BELIEFS) -> str:
    """At information sets that hide part of the path: what the mover saw, how
    likely it is to get there, and its posterior over what it cannot see
    (Bayes' rule on the path); the ``top`` most likely sets."""
    frame = result.beliefs
    if frame.empty:
        return ""
    reached = frame.loc[frame["reach"] > 0]
    sets = reached.groupby("infoset", sort=False)["reach"].first().sort_values(ascending=False)
    shown = list(sets.index[:top])
    columns = list(dict.fromkeys(zip(reached["subject"], reached["level"], strict=True)))
    rows = []
    for infoset in shown:
        group = reached.loc[reached["infoset"] == infoset]
        first = group.iloc[0]
        posterior = {
            (str(s), str(lv)): float(p)
            for s, lv, p in zip(group["subject"], group["level"], group["probability"], strict=True)
        }
        rows.append(
            [
                str(first["actor"]),
                str(first["move"]),
                _seen(first["observed"]),
                _pct(float(first["reach"])),
                *(_pct(posterior.get((str(s), str(lv)), math.nan)) for s, lv in columns),
            ]
        )
    never = frame["infoset"].nunique() - len(sets)
    note = f"The {len(shown)} most likely of {len(sets)} information sets reached"
    note += f"; {never} never reached at these values" if never else ""
    return (
        "<h2>Beliefs where part of the path is hidden</h2>"
        f'<p class="small">{escape(note)}. For each: who moves, what it has seen, the '
        "probability that play gets there, and its belief about what it cannot see (Bayes' "
        "rule on the path, pooled over draws).</p>"
        + _table(
            ["actor", "move", "having seen", "reached", *(f"P({s} = {lv})" for s, lv in columns)],
            rows,
            set(range(3, 4 + len(columns))),
            "beliefs",
        )
    )


def rounds_section(result: Forecast, figure: str) -> str:
    """Per-round probabilities: each action in the round and at least once by
    it; each level of a compound move played in rounds, in each round;
    ``figure`` is the inline SVG of
    :func:`~realpolitik.plots.information_plots.plot_rounds`."""
    staged = staged_levels(result.dimensions)
    if result.rounds.empty and staged.empty:
        return ""
    rows = [
        [
            str(r["actor"]),
            str(r["move"]),
            str(r["action"]),
            str(int(r["round"])),
            _pct(float(r["in_round"])),
            _pct(float(r["by_round"])),
        ]
        for r in result.rounds.to_dict("records")
    ]
    rows += [
        [
            str(r["actor"]),
            str(r["move"]),
            str(r["series"]),
            str(int(r["round"])),
            _pct(float(r["in_round"])),
            "-",
        ]
        for r in staged.to_dict("records")
    ]
    return (
        "<h2>Round by round</h2>"
        '<p class="small">The probability that an action is taken in a round, and that it '
        "has been taken at least once by that round; for a compound move played in rounds, "
        "each level's probability in each round.</p>"
        + _table(
            ["actor", "move", "action or level", "round", "in the round", "by the round"],
            rows,
            {3, 4, 5},
            "rounds",
        )
        + f"<figure>{figure}</figure>"
    )
