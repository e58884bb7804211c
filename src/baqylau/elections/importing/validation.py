"""Row parsing and validation: turn the cells of one row into typed values or a list of problems.

Both passes of the importer use the same `RowParser`, so what the first pass accepted is exactly
what the second pass writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .mapping import ChoiceSpec, LevelSpec, Mapping, column_names

MAX_FIGURE = 2_147_483_647  # PositiveIntegerField on every supported database
TRUE_VALUES = {"1", "true", "yes", "y", "x", "да", "иә", "+"}
FALSE_VALUES = {"", "0", "false", "no", "n", "нет", "жоқ", "-"}
CLOSED_VALUES = {"", "military", "hospital", "detention", "other"}
#: Town or village (empty: not known), in the words a table may use.
SETTLEMENT_VALUES = {
    "": "",
    "urban": "urban",
    "town": "urban",
    "city": "urban",
    "город": "urban",
    "қала": "urban",
    "rural": "rural",
    "village": "rural",
    "село": "rural",
    "ауыл": "rural",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One reason a file cannot be imported: where (file, line, column) and why."""

    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        column = f" [{self.column}]" if self.column else ""
        return f"{where}{column}: {self.reason}"


@dataclass
class UnitValue:
    code: str
    kind: str
    names: dict[str, str]


@dataclass
class ParsedRow:
    line: int
    chain: list[UnitValue]  # one per mapping level, top first (the root is not included)
    path: str  # materialised path of the row's unit, root included
    station: dict[str, Any] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    votes: dict[str, int] = field(default_factory=dict)  # choice code -> votes
    #: A crowd platform's counts: choice code -> (declared, photo-confirmed), None where empty.
    crowd: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    def ancestor_paths(self, root: str) -> list[str]:
        paths, current = [], root
        for unit in self.chain[:-1]:
            current = f"{current}/{unit.code}"
            paths.append(current)
        return paths


def parse_figure(value: Any) -> tuple[int | None, str | None]:
    """A vote count: a non-negative whole number. Returns (value, None) or (None, reason)."""
    if value is None:
        return None, "empty figure"
    if isinstance(value, bool):
        return None, f"not a number: {value!r}"
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            return None, f"not a whole number: {value!r}"
        number = int(value)
    else:
        text = str(value).strip().replace("\u00a0", "").replace(" ", "")
        if not text:
            return None, "empty figure"
        try:
            number = int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                return None, f"not a number: {str(value)[:40]!r}"
            if not as_float.is_integer():
                return None, f"not a whole number: {text[:40]!r}"
            number = int(as_float)
    if number < 0:
        return None, f"negative figure: {number}"
    if number > MAX_FIGURE:
        return None, f"figure too large: {number}"
    return number, None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class RowParser:
    """Parses rows of one file according to a mapping, after checking its header."""

    def __init__(self, mapping: Mapping, header: list[Any], file_name: str) -> None:
        self.mapping = mapping
        self.file = file_name
        self.header = column_names([_text(h) for h in header])
        self.width = len(self.header)
        self.problems: list[Problem] = []
        index: dict[str, int] = {}
        duplicated: set[str] = set()
        for i, name in enumerate(self.header):
            if name in index:
                duplicated.add(name)
            else:
                index[name] = i
        self.choices: list[ChoiceSpec] = mapping.resolve_choices(self.header)
        wanted = mapping.used_columns()
        if mapping.crowd is None:
            wanted += [c.column for c in self.choices]
        for column in dict.fromkeys(wanted):
            if column not in index:
                self.problems.append(Problem(file_name, 1, column, "missing column"))
            elif column in duplicated:
                self.problems.append(Problem(file_name, 1, column, "column appears more than once"))
        self.ok = not self.problems
        if not self.ok:
            return
        self._index = index
        self._levels = [
            (
                level,
                index[level.code],
                index[level.if_empty] if level.if_empty else None,
                {lang: (index.get(col), col) for lang, col in level.names.items()},
            )
            for level in mapping.levels
        ]
        self._lines = [(code, index[col], col) for code, col in mapping.lines.items()]
        self._computed = [
            (code, [(index[col], col) for col in parts]) for code, parts in mapping.computed.items()
        ]
        self._missing = mapping.missing_values
        self._crowd = mapping.crowd
        if self._crowd is not None:
            self._votes = []
            self._crowd_columns = [
                (
                    c.code,
                    *[(index[col], col) if col else None for col in self._crowd.columns(c.code)],
                )
                for c in self.choices
            ]
        else:
            self._votes = [(c.code, index[c.column], c.column) for c in self.choices]
        self._station = [(key, index[col], col) for key, col in mapping.station_columns().items()]
        self._registered_line = mapping.registered_line
        self._skip_empty = mapping.empty_figures == "skip"
        self._skip_negative = mapping.negative_figures == "skip"
        self._root = mapping.root.code
        self._unit_i = index[mapping.unit_column] if mapping.unit_column else None

    def _level_value(
        self,
        level: LevelSpec,
        cells: list,
        code_i: int,
        empty_i: int | None,
        names: dict,
        line: int,
        bad: list[Problem],
    ) -> UnitValue:
        raw = _text(cells[code_i])
        fallback = _text(cells[empty_i]) if empty_i is not None else None
        code = level.code_of(raw, fallback)
        if not code:
            bad.append(Problem(self.file, line, level.code, f"empty {level.kind} code"))
        elif "/" in code:
            bad.append(Problem(self.file, line, level.code, f"code {code!r} contains '/'"))
        elif len(code) > 200:
            bad.append(Problem(self.file, line, level.code, "code longer than 200 characters"))
        unit_names: dict[str, str] = {}
        for lang, (col_i, col) in names.items():
            if col_i is None:  # a template such as "УИК №{code}"
                unit_names[lang] = col.replace("{code}", code)
            else:
                value = _text(cells[col_i]) or (fallback or "" if col == level.code else "")
                if len(value) > 300:
                    bad.append(Problem(self.file, line, col, "name longer than 300 characters"))
                unit_names[lang] = value[:300]
        return UnitValue(code=code, kind=level.kind, names=unit_names)

    def _skipped(self, reason: str) -> bool:
        """An empty (or, when the mapping says so, negative) cell that means "no figure"."""
        return (self._skip_empty and reason == "empty figure") or (
            self._skip_negative and reason.startswith("negative figure")
        )

    def _unit_path(self, text: str) -> str:
        """A unit's path as written ("KZ/almaty-city"), or below the mapping's root
        ("almaty-city" with root KZ)."""
        path = text.strip().strip("/")
        root = self._root
        if path and root and path != root and not path.startswith(f"{root}/"):
            path = f"{root}/{path}"
        return path

    def parse(self, line: int, cells: list) -> tuple[ParsedRow | None, list[Problem]]:
        bad: list[Problem] = []
        if len(cells) < self.width:
            if len(cells) == 1 and self.width > 1:
                reason = f"1 field where the header has {self.width} (wrong delimiter?)"
            else:
                reason = f"{len(cells)} fields where the header has {self.width}"
            return None, [Problem(self.file, line, "*", reason)]
        chain = [
            self._level_value(level, cells, code_i, empty_i, names, line, bad)
            for level, code_i, empty_i, names in self._levels
        ]
        path = "/".join([self._root, *(u.code for u in chain)])
        if self._unit_i is not None:  # an existing unit of any level, by its path
            path = self._unit_path(_text(cells[self._unit_i]))
            if not path:
                bad.append(Problem(self.file, line, self.mapping.unit_column, "empty unit path"))

        def figure(i: int, col: str) -> int | None:
            """The cell's count; None for no figure (a missing-value marker, or an empty cell
            where the mapping allows it); a bad cell is a problem."""
            if self._missing and _text(cells[i]) in self._missing:
                return None
            value, reason = parse_figure(cells[i])
            if reason is None:
                return value
            if not self._skipped(reason):
                bad.append(Problem(self.file, line, col, reason))
            return None

        figures: dict[str, int] = {}
        for code, i, col in self._lines:
            if (value := figure(i, col)) is not None:
                figures[code] = value
        for code, parts in self._computed:
            values = [figure(i, col) for i, col in parts]
            if all(v is not None for v in values):
                total = sum(values)
                if total > MAX_FIGURE:
                    bad.append(Problem(self.file, line, parts[0][1], f"{code}: sum too large"))
                figures[code] = total
        votes: dict[str, int] = {}
        for code, i, col in self._votes:
            if (value := figure(i, col)) is not None:
                votes[code] = value

        crowd: dict[str, tuple[int | None, int | None]] = {}
        if self._crowd is not None:
            for code, *columns in self._crowd_columns:
                pair: list[int | None] = []
                for spec in columns:
                    value, reason = (
                        (None, "empty figure") if spec is None else parse_figure(cells[spec[0]])
                    )
                    if reason is not None and reason != "empty figure":
                        bad.append(Problem(self.file, line, spec[1], reason))
                    pair.append(value)
                declared, photo = pair
                if declared is not None and photo is not None and photo > declared:
                    bad.append(
                        Problem(
                            self.file,
                            line,
                            columns[1][1],
                            f"more photo-confirmed votes ({photo}) than declared ({declared})",
                        )
                    )
                if declared is not None or photo is not None:
                    crowd[code] = (declared, photo)

        station: dict[str, Any] = {}
        if self._registered_line is not None:
            station["registered"] = figures.get(self._registered_line)
        for key, i, col in self._station:
            raw = cells[i]
            if key == "registered":
                value, reason = parse_figure(raw)
                if reason == "empty figure":
                    value, reason = None, None
                if reason:
                    bad.append(Problem(self.file, line, col, reason))
                station[key] = value
            elif key in ("latitude", "longitude"):
                text = _text(raw).replace(",", ".")
                if not text:
                    station[key] = None
                    continue
                limit = 90 if key == "latitude" else 180
                try:
                    number = float(text)
                except ValueError:
                    bad.append(Problem(self.file, line, col, f"{key} is not a number: {text!r}"))
                    continue
                if not -limit <= number <= limit:
                    bad.append(Problem(self.file, line, col, f"{key} out of range: {number}"))
                    continue
                station[key] = number
            elif key == "abroad":
                text = _text(raw).lower()
                if text in TRUE_VALUES:
                    station[key] = True
                elif text in FALSE_VALUES:
                    station[key] = False
                else:
                    bad.append(Problem(self.file, line, col, f"not a yes/no value: {text!r}"))
            elif key == "closed":
                text = _text(raw).lower()
                if text not in CLOSED_VALUES:
                    bad.append(
                        Problem(
                            self.file,
                            line,
                            col,
                            f"closed kind {text!r} is not one of {sorted(CLOSED_VALUES - {''})}",
                        )
                    )
                station[key] = text
            elif key == "settlement":
                text = _text(raw).lower()
                if text not in SETTLEMENT_VALUES:
                    bad.append(Problem(self.file, line, col, f"not a town or village: {text!r}"))
                station[key] = SETTLEMENT_VALUES.get(text, "")
            else:  # address
                station[key] = _text(raw)
        if bad:
            return None, bad
        return ParsedRow(line, chain, path, station, figures, votes, crowd), []
