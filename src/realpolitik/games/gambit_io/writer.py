"""Writing Gambit's text formats, shared by ``.efg`` and ``.nfg``: exact
numbers as the shortest fraction or decimal that reads back to the same
float, labels quoted and escaped as Gambit reads them, and the choice of
one draw of a batch of games.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from realpolitik.errors import InputError

FloatArray = NDArray[np.float64]


_GAMBIT_LABEL = re.compile(r"(?:[!-~]+(?: [!-~]+)*)?", re.ASCII)


def fraction_text(value: Fraction) -> str:
    """Exact text: a decimal when the denominator divides a power of ten,
    otherwise ``p/q``."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = max(twos, fives)
    scaled = abs(value.numerator) * (10**digits // value.denominator)
    sign = "-" if value < 0 else ""
    if digits == 0:
        return f"{sign}{scaled}"
    whole, frac = divmod(scaled, 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}".rstrip("0").rstrip(".")


def float_text(value: float) -> str:
    """The shortest decimal that reads back as ``value``, without exponent
    (pygambit 16.7 refuses ``1E+20``)."""
    if value == 0:
        return "0"
    text = repr(value)
    if "e" not in text:  # already plain: "12.5", "3.0"
        return text.removesuffix(".0")
    return fraction_text(Fraction(text))


def _simple_fraction(value: float) -> Fraction:
    """The simplest fraction (smallest denominator up to 10**12) that rounds
    to ``value``, or its shortest decimal."""
    exact = Fraction(value)
    for limit in (10, 1000, 10**6, 10**9, 10**12):
        candidate = exact.limit_denominator(limit)
        if float(candidate) == value:
            return candidate
    return Fraction(repr(value))


def exact_probs(probs: Sequence[float]) -> list[Fraction]:
    """Exact probabilities summing to exactly 1 that round to ``probs``
    (the largest absorbs the rounding)."""
    out = [_simple_fraction(float(p)) for p in probs]
    gap = 1 - sum(out)
    if gap:
        k = max(range(len(out)), key=lambda i: out[i])
        out[k] += gap
        if out[k] < 0:  # pragma: no cover - the tree checks the sum to 1e-9
            raise InputError(f"chance probabilities {list(probs)} cannot be made to sum to 1")
    return out


def gambit_text(text: str) -> str:
    """The label as pygambit 16.7 accepts it: printable ASCII with single inner
    spaces (accents stripped, other characters dropped), and no backslash
    before a quote, a backslash or the end (its reader takes those as
    escapes)."""
    if not _GAMBIT_LABEL.fullmatch(text):
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        text = " ".join(re.sub(r"[^!-~]", " ", text).split())
    return re.sub(r'\\(?=["\\]|$)', "/", text)


def verbatim(text: str) -> str:
    return text


def quote(text: str) -> str:
    """A quoted string: ``"`` as ``\\"``; a backslash doubled only before a
    quote, another backslash or the end (elsewhere Gambit reads it as is)."""
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch == '"':
            out.append('\\"')
        elif ch == "\\" and (i + 1 == len(text) or text[i + 1] in '"\\'):
            out.append("\\\\")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def free_text(text: str, gambit_labels: bool) -> str:
    """Title and comment: verbatim (Gambit does not restrict them), but for
    the backslashes pygambit would misread."""
    if gambit_labels:
        text = re.sub(r'\\(?=["\\]|$)', "/", text)
    return quote(text)


def draw_index(n_draws: int, draw: int) -> int:
    if not -n_draws <= draw < n_draws:
        raise InputError(f"draw {draw} out of range: the game has {n_draws} draws", field="draw")
    return draw % n_draws
