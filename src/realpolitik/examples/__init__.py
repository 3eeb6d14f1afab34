"""Example inputs that ship with the package, one for every documented command.

Why this module exists: a newcomer should be able to run every command of the
documentation on a file they have, as SALib's and QuantEcon's examples let
them. :data:`EXAMPLES` names each file, says what it holds, where its numbers
come from and under which licence it ships, and gives the commands to run on
it; ``realpolitik examples`` prints the table, and ``realpolitik examples
--copy DIR`` copies the files out of the installed package.

Every file is ours (MIT, like the package) or a transcription of a published
table: no third-party file is copied (the GPL reference games and the DEU III
reduction are test data under ``tests/reference/``, never package data).
Numbers marked *illustrative* are invented to show a format, not estimates.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from realpolitik.errors import InputError

__all__ = ["EXAMPLES", "Example", "copy_examples", "example_path"]


@dataclass(frozen=True)
class Example:
    """One shipped example file.

    ``commands`` are command lines with ``{path}`` standing for the file.
    """

    file: str
    title: str
    commands: tuple[str, ...]
    source: str
    licence: str = "MIT (ours)"


EXAMPLES: tuple[Example, ...] = (
    Example(
        "third-state.yaml",
        "A small crisis scenario: an aggressor, a defender and a third state "
        "(the complete example of docs/scenario-format.md)",
        (
            "realpolitik validate {path}",
            "realpolitik forecast {path} --draws 1000 --seed 1",
            "realpolitik explain {path}",
            "realpolitik sensitivity {path} --target third:help --samples 256",
            "realpolitik export-gambit {path} third-state.efg",
        ),
        "illustrative numbers (judgement), written for the documentation",
    ),
    Example(
        "evasion-rounds.yaml",
        "Compound moves, private types and rounds: a third state's UN stance and covert "
        "trade (unseen, maybe detected) over two sanctions rounds, against a West that "
        "does not know its type",
        (
            "realpolitik forecast {path}",
            "realpolitik forecast {path} --draws 100 --seed 1 --format json",
            "realpolitik explain {path}",
            "realpolitik report {path} evasion-rounds.html",
        ),
        "illustrative numbers (judgement, each with its reason), written for the documentation",
    ),
    Example(
        "ec-emissions.csv",
        "Bueno de Mesquita's EC car-emissions example: 10 states, positions 4-10 (BDM CSV)",
        ("realpolitik bargain run {path}", "realpolitik bargain run {path} --model smp"),
        "transcribed from Bueno de Mesquita (1994), European Community Decision Making, "
        "ch. 4, as tabulated by Scholz, Calbert and Smith (2011), J. Theoretical Politics "
        "23(4), table 1 (capabilities as shares, salience 0-100)",
        "published data, transcribed by us",
    ),
    Example(
        "eu-council-style.tsv",
        "Three issues in the DEU III layout (Commission, Parliament, 5 states; "
        "observed outcomes for two)",
        (
            "realpolitik bargain run {path} --issue x01",
            "realpolitik bargain evaluate {path}",
        ),
        "illustrative numbers in the layout of DEU III (Arregui and Perarnaud 2021)",
    ),
    Example(
        "ktab-three.csv",
        "A four-actor, two-dimension dispute in KTAB's CSV format",
        ("realpolitik bargain run {path} --model smp",),
        "illustrative numbers in KTAB's SMP input format",
    ),
    Example(
        "ktab-three.xml",
        "The same dispute in KTAB's XML format, with model parameters",
        ("realpolitik bargain run {path} --model smp",),
        "illustrative numbers in KTAB's SMP XML format (smpSchema.xsd)",
    ),
    Example(
        "prisoners-dilemma.nfg",
        "The prisoner's dilemma as a Gambit strategic-form file",
        (
            "realpolitik solve {path}",
            "realpolitik solve {path} --concept qre --lambda 1",
        ),
        "Tucker's textbook payoffs (3, 5, 1, 0)",
    ),
    Example(
        "entry-deterrence.efg",
        "Selten's entry-deterrence stage game as a Gambit extensive-form file",
        (
            "realpolitik solve {path} --concept spe",
            "realpolitik solve {path} --concept pure-nash",
        ),
        "textbook game (Selten 1978), illustrative payoffs",
    ),
)


def example_path(name: str) -> Path:
    """The installed path of a shipped example file.

    Raises
    ------
    InputError
        For a name that is not in :data:`EXAMPLES`.
    """
    names = [e.file for e in EXAMPLES]
    if name not in names:
        raise InputError(f"no example {name!r}; the examples are {', '.join(names)}")
    return Path(str(resources.files(__name__).joinpath(name)))


def copy_examples(directory: str | Path) -> list[Path]:
    """Copy every example file into ``directory`` (created if needed).

    Raises
    ------
    InputError
        When the directory is a file or cannot be written; an existing file of
        the same name is not overwritten.
    """
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} is a file; give a directory to copy the examples into")
    clashes = [e.file for e in EXAMPLES if (target / e.file).exists()]
    if clashes:
        raise InputError(f"{target} already holds {', '.join(clashes)}; nothing was copied")
    try:
        target.mkdir(parents=True, exist_ok=True)
        return [Path(shutil.copyfile(example_path(e.file), target / e.file)) for e in EXAMPLES]
    except OSError as error:
        raise InputError(f"cannot copy the examples into {target}: {error.strerror}") from None
