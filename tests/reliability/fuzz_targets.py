"""Fuzz targets for every reader (issue 11): inputs, and what counts as wrong.

Each target turns one generated text into a call of a reader (and, where a
cheap independent check exists, a solver) and reports its outcome:

``ok``        the input was read (and the answer passed the target's oracle);
``refused``   a :class:`~realpolitik.errors.RealpolitikError` whose message
              is one line (what the user sees, exit code 2);
``wrong``     read without an error, but an oracle failed (a silent wrong
              answer), or a refusal of more than one line;
anything else escaping is a traceback, counted by the driver.

Inputs are valid seed files mutated by a few edits drawn from tokens that
broke readers before (huge numbers, entity references, quotes, separators,
deep nesting), and free text. The oracles are independent of the code under
test: exact brute-force Nash checks in Python floats, write-then-read round
trips compared with the first read, and the documented invariants of each
format (ranges, shapes, caps).

Used by ``test_fuzz_readers.py`` (bounded for CI) and ``scripts/fuzz.py``
(10^5 inputs per target).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from realpolitik.bargaining.data import read_bdm_csv, read_deu3
from realpolitik.bargaining.ktab_io import read_ktab_csv, read_ktab_xml
from realpolitik.bargaining.types import BargainingProblem
from realpolitik.errors import RealpolitikError
from realpolitik.games.gambit_io import read_efg, read_nfg, write_efg, write_nfg
from realpolitik.limits import MAX_BARGAIN_ACTORS, MAX_BARGAIN_DIMENSIONS
from realpolitik.scenario.expressions import ExpressionContext, ExpressionError, parse_expression
from realpolitik.scenario.load import load
from realpolitik.solve.pure_nash import pure_nash_mask

__all__ = ["TARGETS", "Target", "run_target", "write_input"]

#: Tokens inserted by mutations: what broke readers before.
TOKENS = (
    "0", "1", "-1", "2", "100", "101", "-0", "0.5", "1e308", "1.7976931348623157e308",
    "9" * 309, "1e-320", "nan", "inf", "-inf", "NaN", "Infinity", " ", "\n", "\t", ",", ";",
    '"', "'", "\\", "{", "}", "[", "]", "<", ">", "&", "&a;", "<!ENTITY a 'x'>",
    "<!DOCTYPE x>", "<![CDATA[", "]]>", "#", ":", "- ", "p", "c", "t", "*", "ü", "\x00",
    "\ufeff", "<Actor>", "</Actor>", "<dCoord>", "</dCoord>", "&amp;",
)  # fmt: skip


#: Longest generated input (duplicated lines grow it; the readers' own size
#: caps are tested in test_reproducers.py).
MAX_INPUT_CHARS = 200_000


@dataclass(frozen=True)
class Target:
    """A reader under fuzzing: valid seed inputs (mutated to make the
    fuzz inputs), and how to run one input."""

    name: str
    suffix: str
    seeds: tuple[str, ...]
    run: Callable[[Path], str]

    @property
    def inputs(self) -> st.SearchStrategy[str]:
        return _mutated(self.seeds)


def _mutated(seeds: tuple[str, ...]) -> st.SearchStrategy[str]:
    @st.composite
    def build(draw: st.DrawFn) -> str:
        text = draw(st.sampled_from(seeds))
        for _ in range(draw(st.sampled_from((0, 1, 1, 1, 2, 2, 3, 6)))):
            kind = draw(st.sampled_from(("insert", "delete", "replace", "duplicate")))
            at = draw(st.integers(0, len(text)))
            if kind == "insert":
                text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
            elif kind == "delete":
                text = text[:at] + text[at + draw(st.integers(1, 12)) :]
            elif kind == "replace":
                token = draw(st.sampled_from(TOKENS))
                text = text[:at] + token + text[at + len(token) :]
            else:
                lines = text.splitlines(keepends=True)
                if lines:
                    k = draw(st.integers(0, len(lines) - 1))
                    lines.insert(k, lines[k] * draw(st.integers(1, 40)))
                    text = "".join(lines)[:MAX_INPUT_CHARS]
        return text

    return st.one_of(build(), build(), build(), st.text(max_size=400))


def _one_line(error: RealpolitikError) -> str:
    text = error.one_line()
    return "refused" if text and "\n" not in text else "wrong"


# --------------------------------------------------------------------------- Gambit

NFG_SEEDS = (
    'NFG 1 R "PD" { "Row" "Column" } { 2 2 }\n3 3  5 0  0 5  1 1\n',
    'NFG 1 R "BoS" { "A" "B" } { 2 2 }\n3 2 0 0 0 0 2 3\n',
    'NFG 1 R "" { "1" "2" "3" } { 2 2 2 }\n1 0 2 0 1 1 3 2 0 1 1 1 0 0 0 2 2 2 1 0 0 5 5 5\n',
    'NFG 1 R "o" { "R" "C" }\n{ { "a" "b" } { "x" "y" } }\n""\n{\n{ "" 9, 9 }\n{ "" 10, 0 }\n'
    '{ "" 0, 10 }\n{ "" 1, 1 }\n}\n1 2 3 4\n',
)
EFG_SEEDS = (
    'EFG 2 R "Entry" { "E" "I" }\n""\np "" 1 1 "" { "Out" "In" } 0\nt "" 1 "" { 0, 2 }\n'
    'p "" 2 1 "" { "F" "A" } 0\nt "" 2 "" { -1, -1 }\nt "" 3 "" { 1, 1 }\n',
    'EFG 2 R "c" { "A" "B" }\n""\nc "" 1 "" { "h" 1/2 "t" 1/2 } 0\np "" 1 1 "" { "x" "y" } 0\n'
    't "" 1 "" { 1, 0 }\nt "" 2 "" { 0, 1 }\np "" 2 1 "" { "x" "y" } 0\nt "" 3 "" { 2, 2 }\n'
    't "" 4 "" { 0, 3 }\n',
    'EFG 2 R "stage" { "A" "B" }\n""\np "" 1 1 "" { "U" "D" } 0\np "" 2 1 "" { "l" "r" } 0\n'
    't "" 1 "" { 3, 1 }\nt "" 2 "" { 3, 0 }\np "" 2 1 "" { "l" "r" } 0\nt "" 3 "" { 0, 1 }\n'
    't "" 4 "" { 0, 0 }\n',
)


def _exact_pure_nash(payoffs: np.ndarray) -> set[tuple[int, ...]]:
    """Profiles where no player gains by deviating, in exact Python floats."""
    players = payoffs.shape[0]
    shape = payoffs.shape[1:]
    found = set()
    for profile in product(*(range(n) for n in shape)):
        ok = True
        for i in range(players):
            here = float(payoffs[(i, *profile)])
            for t in range(shape[i]):
                other = list(profile)
                other[i] = t
                if float(payoffs[(i, *other)]) > here:
                    ok = False
        if ok:
            found.add(profile)
    return found


def _run_nfg(path: Path) -> str:
    try:
        game = read_nfg(path)
    except RealpolitikError as error:
        return _one_line(error)
    back = read_nfg("again.nfg", text=write_nfg(game))
    if not np.array_equal(back.payoffs, game.payoffs):
        return "wrong"
    if game.payoffs[0, 0].size > 512:
        return "ok"
    table = game.payoffs[0]
    mask = pure_nash_mask(game.payoffs)[0]
    exact = _exact_pure_nash(table)
    ours = {tuple(int(i) for i in idx) for idx in np.argwhere(mask)}
    if not exact <= ours:  # an exact equilibrium missed
        return "wrong"
    for profile in ours - exact:  # a near-tie accepted: within 1e-12 of the player's scale
        for i in range(table.shape[0]):
            best = max(
                float(table[(i, *profile[:i], t, *profile[i + 1 :])])
                for t in range(table.shape[1 + i])
            )
            if best - float(table[(i, *profile)]) > 1e-12 * float(np.abs(table[i]).max()):
                return "wrong"
    return "ok"


def _run_efg(path: Path) -> str:
    try:
        game = read_efg(path)
    except RealpolitikError as error:
        return _one_line(error)
    back = read_efg("again.efg", text=write_efg(game))
    if not np.array_equal(back.payoffs, game.payoffs):
        return "wrong"
    return "ok"


# --------------------------------------------------------------------------- bargaining

KTAB_CSV_SEEDS = (
    "Scn,Desc,3,1\nActor,Description,Influence,Pol Position,Pol Salience\n"
    "A,a,10,20,50\nB,b,20,60,40\nC,c,5,90,80\n",
    "Scn,Desc,3,2\nActor,Description,Influence,P Position,P Salience,Q Position,Q Salience\n"
    "A,a,10,20,50,30,20\nB,b,20,60,40,10,10\nC,c,5,90,30,70,60\n",
)
KTAB_XML_SEEDS = (
    "<Scenario><name>s</name><desc>d</desc><prngSeed>1</prngSeed><Dimensions><dName>P</dName>"
    "</Dimensions><Actors>"
    + "".join(
        f"<Actor><name>{n}</name><description/><capability>{c}</capability><Position><dCoord>"
        f"{x}</dCoord></Position><Salience><dSal>{s}</dSal></Salience></Actor>"
        for n, c, x, s in (("A", 10, 20, 50), ("B", 20, 60, 40), ("C", 5, 90, 80))
    )
    + "</Actors><IdealAdjustment><iaPair><adjustingIdeal>A</adjustingIdeal><referencePos>B"
    "</referencePos><adjust>0.2</adjust></iaPair><iaPair><adjustingIdeal>A</adjustingIdeal>"
    "<referencePos>A</referencePos><adjust>0.8</adjust></iaPair></IdealAdjustment></Scenario>",
)
BDM_SEEDS = (
    "Actor,Capability,Position,Salience\nBelgium,0.08,7,40\nFrance,0.2,3,60\nGermany,0.25,9,80\n"
    "Italy,0.15,4,50\n",
    "actor,position,capability,salience\nA,0.5,1,0.4\nB,0.1,2,0.9\nC,0.9,3,0.5\n",
)
DEU_SEEDS = (
    "isnr\tprname\tout\tpA\tsA\tpB\tsB\tpC\tsC\n\t\t\t10\t\t20\t\t30\t\n"
    "1\tfirst\t50\t0\t50\t100\t40\t50\t90\n2\tsecond\t\t20\t10\t80\t\t60\t70\n",
)


def _problem_holds(problem: BargainingProblem, scale: tuple[float, float] | None) -> bool:
    """The invariants every reader promises of a problem it returns."""
    n = problem.n_actors
    if not 1 <= n <= MAX_BARGAIN_ACTORS or problem.position.shape[0] != n:
        return False
    if problem.position.shape[1] > MAX_BARGAIN_DIMENSIONS:
        return False
    arrays = (problem.capability, problem.position, problem.salience)
    if not all(np.isfinite(a).all() for a in arrays):
        return False
    if (problem.capability <= 0).any() or (problem.salience < 0).any():
        return False
    if (problem.salience > 1 + 1e-12).any():
        return False
    if scale is not None:
        lo, hi = scale
        if (problem.position < lo).any() or (problem.position > hi).any():
            return False
    return True


def _bargain(
    read: Callable[[Path], Any], scale: tuple[float, float] | None
) -> Callable[[Path], str]:
    def run(path: Path) -> str:
        try:
            got = read(path)
        except RealpolitikError as error:
            return _one_line(error)
        problems = [got[0]] if isinstance(got, tuple) else got if isinstance(got, list) else [got]
        for item in problems:
            problem = getattr(item, "problem", item)
            if problem.n_actors >= 1 and not _problem_holds(problem, scale):
                return "wrong"
        return "ok"

    return run


# --------------------------------------------------------------------------- scenarios

YAML_SEEDS = (
    """id: small-chain
sources:
  s: A source
actors:
  a: Alpha
  b: Beta
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
  y: {dist: pert, low: 0.1, mode: 0.3, high: 0.9, source: [s]}
moves:
  - id: first
    actor: a
    actions: {go: Go ahead, stop: Stop}
  - id: reply
    actor: b
    when: "a == go"
    actions: [hit, pass]
payoffs:
  a:
    gain: "2 * (b == pass) - y * (a == go)"
  b:
    cost: "-x * (b == hit)"
metrics:
  win: "b == pass"
solve: {concept: qre, lambda: 3}
""",
)
EXPRESSION_CONTEXT = ExpressionContext(
    parameters=frozenset({"p0", "p1"}),
    actors={"china": ("a0", "a1"), "west": ("b0", "b1")},
    numbers=frozenset({"m"}),
    conditions=frozenset({"flag"}),
)
EXPRESSION_SEEDS = (
    "clip(p0 * 2 - m, 0, 1) + where(china == a1, p1, 0)",
    "max(p0, p1) ** 2 / (1 + abs(m))",
    "not flag and (west == b0 or p0 > 0.5)",
    "exp(log(1 + p0 * p0)) - min(p1, 3e2)",
)


def _run_yaml(path: Path) -> str:
    try:
        scenario = load(path)
    except RealpolitikError as error:
        return _one_line(error)
    if not scenario.actors or (not scenario.parameters and not scenario.moves):
        return "wrong"
    return "ok"


def _run_expression(path: Path) -> str:
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        expression = parse_expression(text, EXPRESSION_CONTEXT)
    except (ExpressionError, RealpolitikError) as error:
        return "refused" if "\n" not in str(error) else "wrong"
    values: dict[str, Any] = {"p0": np.array([0.25, -1.0]), "p1": 2.0, "m": 3.0, "flag": np.True_}
    actions: dict[str, Any] = {"china": np.array([0, 1]), "west": np.int64(1)}
    try:
        result = expression.evaluate(values, actions)
    except RealpolitikError as error:
        return _one_line(error)
    if result.dtype not in (np.float64, np.bool_):
        return "wrong"
    return "ok"


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("nfg", ".nfg", NFG_SEEDS, _run_nfg),
        Target("efg", ".efg", EFG_SEEDS, _run_efg),
        Target("ktab-csv", ".csv", KTAB_CSV_SEEDS, _bargain(read_ktab_csv, (0, 100))),
        Target("ktab-xml", ".xml", KTAB_XML_SEEDS, _bargain(read_ktab_xml, (0, 100))),
        Target("bdm", ".csv", BDM_SEEDS, _bargain(read_bdm_csv, None)),
        Target("deu", ".tsv", DEU_SEEDS, _bargain(read_deu3, (0, 100))),
        Target("scenario-yaml", ".yaml", YAML_SEEDS, _run_yaml),
        Target("expression", ".txt", EXPRESSION_SEEDS, _run_expression),
    )
}


def write_input(target: Target, text: str, folder: Path | None = None) -> Path:
    """The file a target reads ``text`` from."""
    where = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    path = where / f"fuzz{target.suffix}"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    return path


def run_target(target: Target, text: str, folder: Path | None = None) -> str:
    """Write ``text`` to a file and run the target on it; its outcome."""
    outcome = target.run(write_input(target, text, folder))
    assert outcome in ("ok", "refused", "wrong"), outcome
    return outcome
