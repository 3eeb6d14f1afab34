"""Provenance in a scenario file: when each source was published, which
numbers rest on a source and which on the analyst's judgement.

Why a module of its own: a scenario that claims the information of a given
day (``as_of``) can only be checked if that day and every source's date are
dates, and a number that is judgement must not look like a sourced fact. The
rules (``docs/scenario-format.md``, "Provenance"):

- ``as_of`` is a date, ``YYYY-MM-DD``;
- a source has a ``date`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``: a
  publication is often known to the month only), and optionally ``url`` and
  ``page``;
- a parameter cites a ``source`` (one id or a list), or is marked
  ``judgement: "why"``, or both (a judgement informed by sources); it needs at
  least one of them;
- validation *warns* (the file still loads) for every source that a
  parameter cites and whose date is after ``as_of`` (a partial date counts
  from its first day: ``2022-02`` is not after ``2022-02-23``), and for every
  cited source without a date in a scenario that has an ``as_of``. A source
  no parameter cites (say, the seed text whose argument a judgement
  quantifies) is a reference only and is not checked.

Dates are read with :mod:`datetime` (ISO 8601 calendar dates); YAML may give
an unquoted ``2022-02-23`` as a ``datetime.date`` already.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any

from realpolitik.errors import Problem
from realpolitik.scenario.checker import Checker, kind_of, suggest
from realpolitik.scenario.model import Parameter, Source
from realpolitik.scenario.yaml_source import PathKey, field_name

#: A source's date: a year, a month or a day.
SOURCE_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
SOURCE_KEYS = ("cite", "date", "url", "page", "note")


def first_day(text: str) -> datetime.date:
    """The first day a date of :data:`SOURCE_DATE` can mean (``2022-02`` ->
    1 February 2022); ``ValueError`` if it is not a calendar date."""
    found = SOURCE_DATE.match(text)
    if found is None:
        raise ValueError(text)
    year, month, day = found.groups()
    return datetime.date(int(year), int(month or 1), int(day or 1))


def _date_text(value: Any) -> str | None:
    """A YAML date value as text (``datetime.date`` or a string), else None."""
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # a bare year
    if isinstance(value, str):
        return value.strip()
    return None


def read_as_of(ck: Checker, raw: Any) -> str:
    """The ``as_of`` key: a calendar date ``YYYY-MM-DD`` (or "" when absent)."""
    if raw is None:
        return ""
    text = _date_text(raw)
    try:
        if text is None or len(text) != 10:
            raise ValueError(text)
        datetime.date.fromisoformat(text)
    except ValueError:
        ck.add(
            ("as_of",),
            f"as_of must be a date YYYY-MM-DD (the day of the information used, e.g. "
            f'"2022-02-23"), got {kind_of(raw)}',
        )
        return ""
    return text


def read_sources(ck: Checker, raw: Any) -> dict[str, Source]:
    """The ``sources`` section: each a citation in one line, or ``{cite,
    date, url, page, note}``."""
    out: dict[str, Source] = {}
    if raw is None:
        return out
    table = ck.mapping(raw, ("sources",), what="a mapping of source ids to citations")
    for sid, entry in (table or {}).items():
        path: PathKey = ("sources", sid)
        if isinstance(entry, str):
            out[sid] = Source(sid, entry)
            continue
        spec = ck.mapping(entry, path, allowed=SOURCE_KEYS, required=("cite",))
        if spec is None:
            continue
        date = ""
        if spec.get("date") is not None:
            text = _date_text(spec["date"])
            try:
                if text is None:
                    raise ValueError(text)
                first_day(text)
                date = text
            except ValueError:
                ck.add(
                    (*path, "date"),
                    f"a source's date is YYYY-MM-DD, YYYY-MM or YYYY (its publication), got "
                    f"{kind_of(spec['date'])}",
                )
        out[sid] = Source(
            sid,
            ck.text(spec.get("cite"), (*path, "cite")),
            ck.text(spec.get("url"), (*path, "url")),
            ck.text(spec.get("note"), (*path, "note")),
            date=date,
            page=ck.text(spec.get("page"), (*path, "page")),
        )
    return out


def read_citation(
    ck: Checker, meta: Mapping[str, Any], path: PathKey, sources: Mapping[str, Source]
) -> tuple[tuple[str, ...], str]:
    """A parameter's ``source`` (ids of declared sources) and ``judgement``
    (why the value is judgement): at least one is required."""
    cited = meta.get("source")
    judgement = ck.text(meta.get("judgement"), (*path, "judgement"))
    if "judgement" in meta and not judgement.strip():
        ck.add((*path, "judgement"), "a judgement says why the value was chosen; it is empty")
    cites: list[str] = []
    if cited is None:
        if "judgement" not in meta:
            ck.add(
                path,
                "missing 'source' or 'judgement': every parameter cites where its value comes "
                "from (a key of 'sources', e.g. source: [hung2022]) or says why it is the "
                'analyst\'s judgement (judgement: "...")',
            )
    elif cited == []:
        ck.add((*path, "source"), "the source list is empty; cite at least one source id")
    else:
        items = cited if isinstance(cited, list) else [cited]
        for k, item in enumerate(items):
            where: PathKey = (*path, "source", k) if isinstance(cited, list) else (*path, "source")
            if not isinstance(item, str) or not item:
                ck.add(where, f"a source is a source id, got {kind_of(item)}")
            elif item not in sources:
                ck.add(
                    where,
                    f"unknown source '{item}'{suggest(item, sources)}; declare it under 'sources'",
                )
            else:
                cites.append(item)
    return tuple(cites), judgement.strip()


def date_warnings(
    ck: Checker,
    as_of: str,
    sources: Mapping[str, Source],
    parameters: Mapping[str, Parameter],
) -> list[Problem]:
    """One warning per cited source dated after ``as_of``, and per cited
    source without a date when the scenario has an ``as_of`` (module
    docstring)."""
    if not as_of:
        return []
    day = datetime.date.fromisoformat(as_of)
    citing: dict[str, list[str]] = {}
    for parameter in parameters.values():
        for sid in parameter.sources:
            citing.setdefault(sid, []).append(parameter.id)
    out: list[Problem] = []
    for sid, source in sources.items():
        users = citing.get(sid)
        if not users:
            continue
        path: PathKey = ("sources", sid)
        shown = ", ".join(users[:4]) + (f" and {len(users) - 4} more" if len(users) > 4 else "")
        if not source.date:
            out.append(
                Problem(
                    f"source '{sid}' has no date, so it cannot be checked against as_of "
                    f"{as_of} (cited by {shown}); give its publication date",
                    ck.source.file,
                    ck.source.key_line(path),
                    field_name(path),
                )
            )
        elif first_day(source.date) > day:
            out.append(
                Problem(
                    f"source '{sid}' is dated {source.date}, after as_of {as_of}, but {shown} "
                    "cite it; cite a source published by then, or mark the value as judgement "
                    "and say why",
                    ck.source.file,
                    ck.source.key_line((*path, "date")),
                    field_name((*path, "date")),
                )
            )
    return out
