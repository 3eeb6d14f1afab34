"""Safe YAML reading that remembers where every value came from.

Why not ``yaml.safe_load``: validation errors must say ``file:line: field:
message``, so we compose the YAML into nodes (which carry their line) and
convert them ourselves, recording the line of every mapping key and value by
its path. Scenario files are data: only PyYAML's safe constructors are used,
anchors and aliases are refused (they allow exponential "billion laughs"
expansion), and the file size, nesting depth and node count are bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from realpolitik.errors import InputError
from realpolitik.limits import MAX_MAGNITUDE

#: Largest scenario file accepted, in bytes.
MAX_FILE_BYTES = 2_000_000
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 32
#: Most YAML nodes in one file.
MAX_NODES = 200_000

PathKey = tuple[str | int, ...]

_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_STR = "tag:yaml.org,2002:str"

#: A number in exponent form without a decimal point (``1e-7``, ``2E5``):
#: YAML 1.2 reads it as a number, PyYAML (YAML 1.1) as text, so a scenario's
#: ``lambda: 1e-7`` would be refused as "text". Unquoted, it is read as a
#: float here; quoted, it stays text.
_EXPONENT_NUMBER = re.compile(r"[-+]?[0-9]+[eE][-+]?[0-9]+")


@dataclass
class SourceMap:
    """Line numbers (1-based) of every value and mapping key, by path."""

    file: str
    lines: dict[PathKey, int] = field(default_factory=dict)
    key_lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: PathKey) -> int | None:
        """Line of the value at ``path``, or of its nearest enclosing value."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), None)

    def key_line(self, path: PathKey) -> int | None:
        """Line of the mapping key at ``path`` (falls back to :meth:`line`)."""
        return self.key_lines.get(tuple(path)) or self.line(path)


def field_name(path: PathKey) -> str:
    """``moves[2].actions.neutral`` from ``("moves", 2, "actions", "neutral")``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


class _Converter:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, node: yaml.Node, message: str, path: PathKey) -> InputError:
        return InputError(
            message, file=self.source.file, line=node.start_mark.line + 1, field=field_name(path)
        )

    def convert(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.error(node, f"file has more than {MAX_NODES} YAML nodes", path)
        if depth > MAX_DEPTH:
            raise self.error(node, f"nesting deeper than {MAX_DEPTH} levels", path)
        if getattr(node, "anchor", None):
            raise self.error(
                node, "YAML anchors and aliases are not allowed in scenario files", path
            )
        self.source.lines[path] = node.start_mark.line + 1
        plain = _MAP if isinstance(node, yaml.MappingNode) else None
        plain = _SEQ if isinstance(node, yaml.SequenceNode) else plain
        if plain is not None and node.tag != plain:
            # PyYAML's safe constructors would refuse it; composing by hand must too
            raise self.error(
                node, f"unsupported value: YAML tag '{node.tag}' is not allowed here", path
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.MappingNode | yaml.SequenceNode):
                    raise self.error(key_node, "mapping keys must be plain names", path)
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self.error(key_node, "YAML merge keys (<<) are not allowed", path)
                value = self.scalar(key_node, path)
                if not isinstance(value, str | int | float | bool) or value is None:
                    raise self.error(key_node, "mapping keys must be plain names", path)
                # a key is a name: keep it as written (`no:` is "no", not False)
                key = str(key_node.value)
                if key in out:
                    raise self.error(key_node, f"duplicate key {key!r}", path)
                self.source.key_lines[(*path, key)] = key_node.start_mark.line + 1
                out[key] = self.convert(value_node, (*path, key), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [
                self.convert(item, (*path, index), depth + 1)
                for index, item in enumerate(node.value)
            ]
        value = self.scalar(node, path)
        # a 309-digit integer cannot even become a float; anything past
        # MAX_MAGNITUDE overflows the sums and squares made of it
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and MAX_MAGNITUDE < abs(value) < float("inf")
        ):
            raise self.error(
                node,
                f"the number {_short_number(value)} is beyond the largest magnitude "
                f"accepted ({MAX_MAGNITUDE:.0e}); rescale it (for instance to millions)",
                path,
            )
        return value

    def scalar(self, node: yaml.Node, path: PathKey) -> Any:
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == _STR and node.style is None and _EXPONENT_NUMBER.fullmatch(node.value):
            return float(node.value)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (yaml.constructor.ConstructorError, ValueError) as error:
            problem = getattr(error, "problem", None) or str(error)
            raise self.error(node, f"unsupported value: {problem}", path) from None


def _short_number(value: int | float) -> str:
    """A huge number as ``9.99e+308`` (or ``a 309-digit integer``)."""
    try:
        return f"{float(value):.3g}"
    except OverflowError:
        return f"(an integer of {len(str(abs(value)))} digits)"


def _scan_events(text: str, file: str) -> None:
    """Refuse aliases, too deep nesting and too many nodes before composing
    (PyYAML's composer recurses once per level, so depth is bounded first)."""
    depth = 0
    count = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        mark = event.start_mark
        line = None if mark is None else mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InputError(
                "YAML anchors and aliases are not allowed in scenario files", file=file, line=line
            )
        if isinstance(event, yaml.NodeEvent):
            count += 1
            if count > MAX_NODES:
                raise InputError(f"file has more than {MAX_NODES} YAML nodes", file=file, line=line)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"nesting deeper than {MAX_DEPTH} levels", file=file, line=line)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def load_yaml(
    path: str | Path | None = None, *, text: str | None = None, name: str = ""
) -> tuple[Any, SourceMap]:
    """Read YAML data and its :class:`SourceMap` (safe, bounded).

    Parameters
    ----------
    path : file to read (ignored when ``text`` is given, except for messages).
    text : YAML text.
    name : how to call the source in messages (defaults to the path).
    """
    file = name or (str(path) if path is not None else "<text>")
    if text is None:
        if path is None:
            raise ValueError("load_yaml needs a path or text")
        p = Path(path)
        try:
            size = p.stat().st_size
        except OSError as error:
            raise InputError(f"cannot read scenario file: {error.strerror}", file=file) from None
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"file is {size} bytes; scenario files are limited to {MAX_FILE_BYTES} bytes",
                file=file,
            )
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise InputError(
                f"file is not UTF-8 text (byte {error.start}); save it as UTF-8", file=file
            ) from None
        except OSError as error:
            raise InputError(f"cannot read scenario file: {error.strerror}", file=file) from None
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise InputError(f"text longer than {MAX_FILE_BYTES} bytes", file=file)
    source = SourceMap(file)
    try:
        _scan_events(text, file)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "malformed YAML"
        opened = error.context_mark
        if error.problem and error.context and opened is not None and opened.line + 1 != line:
            # say where the unfinished construct began ("while parsing a flow
            # sequence" on an earlier line): that is usually the mistake
            problem += f" ({error.context} that starts on line {opened.line + 1})"
        raise InputError(f"YAML syntax error: {problem}", file=file, line=line) from None
    except yaml.YAMLError as error:
        raise InputError(f"YAML error: {error}", file=file) from None
    except RecursionError:
        raise InputError(f"nesting deeper than {MAX_DEPTH} levels", file=file) from None
    if node is None:
        raise InputError("file is empty; a scenario needs actors, moves and payoffs", file=file)
    try:
        data = _Converter(source).convert(node, (), 0)
    except RecursionError:
        raise InputError(f"nesting deeper than {MAX_DEPTH} levels", file=file) from None
    if data is None:  # "---" alone, or "~"
        raise InputError("file is empty; a scenario needs actors, moves and payoffs", file=file)
    return data, source
