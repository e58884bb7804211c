"""The second pass: upsert units, results and figures in batches, set-based.

For each batch of parsed rows the writer fetches what already exists for the batch's keys (units by
path, results by unit, figures by result), inserts what is missing, updates what changed and leaves
the rest alone, so a second run of the same file writes nothing. Figures (1.9 M rows for a Russian
federal election) go through ``COPY`` on PostgreSQL and ``executemany`` on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from ..models import (
    AdminUnit,
    Choice,
    Contest,
    Election,
    OfficialLine,
    OfficialResult,
    OfficialVote,
)
from .mapping import ChoiceSpec, Mapping
from .validation import ParsedRow

_STATION_FIELDS = {
    "registered": "registered_voters",
    "address": "address",
    "latitude": "latitude",
    "longitude": "longitude",
    "abroad": "is_abroad",
    "closed": "closed",
    "settlement": "settlement",
}


@dataclass
class Counts:
    units_created: int = 0
    units_updated: int = 0
    results_created: int = 0
    results_changed: int = 0  # existing results with at least one figure written or removed
    figures_created: int = 0
    figures_updated: int = 0
    figures_deleted: int = 0
    records_created: int = 0  # election, contest, choices
    records_updated: int = 0

    @property
    def created(self) -> int:
        return (
            self.units_created + self.results_created + self.figures_created + self.records_created
        )

    @property
    def updated(self) -> int:
        return (
            self.units_updated + self.figures_updated + self.figures_deleted + self.records_updated
        )


def chunked(items: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_chunk_size() -> int:
    # SQLite's default limit of bound variables is 32766 since 3.32; stay far below it.
    return 900 if connection.vendor == "sqlite" else 5000


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


def insert_rows(model: type, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain tuples fast: COPY on PostgreSQL, executemany elsewhere."""
    if not rows:
        return
    table = _qn(model._meta.db_table)
    cols = ", ".join(_qn(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)


def update_rows(model: type, columns: Sequence[str], rows: list[tuple]) -> None:
    """``UPDATE model SET columns... WHERE id = last`` for each tuple (values..., id)."""
    if not rows:
        return
    table = _qn(model._meta.db_table)
    sets = ", ".join(f"{_qn(model._meta.get_field(c).column)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)


def delete_ids(model: type, ids: list[int]) -> None:
    for part in chunked(ids, in_chunk_size()):
        model.objects.filter(pk__in=part).delete()


def _set_names(obj: Any, names: dict[str, str]) -> list[str]:
    changed = []
    for lang, value in names.items():
        if getattr(obj, f"name_{lang}") != value:
            setattr(obj, f"name_{lang}", value)
            changed.append(f"name_{lang}")
    return changed


class Writer:
    """Writes one validated file. Call `prepare()`, then `write(batch)` for each batch."""

    def __init__(self, mapping: Mapping, source_name: str) -> None:
        self.mapping = mapping
        self.source = mapping.source or source_name
        self.counts = Counts()
        self.station_keys = [k for k in mapping.station if k in _STATION_FIELDS]
        if mapping.registered_line and "registered" not in self.station_keys:
            self.station_keys.append("registered")
        self.row_depth = len(mapping.levels)
        self._to_ledger: set[int] = set()

    # -- election, contest, choices, root -----------------------------------------------------
    def _upsert(self, model: type, lookup: dict, values: dict, names: dict[str, str]) -> Any:
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
            _set_names(obj, names)
            obj.save()
            self.counts.records_created += 1
            return obj
        changed = [k for k, v in values.items() if getattr(obj, k) != v]
        for key in changed:
            setattr(obj, key, values[key])
        changed += _set_names(obj, names)
        if changed:
            obj.save(update_fields=changed)
            self.counts.records_updated += 1
        return obj

    def _prepare_existing(self, choices: list[ChoiceSpec]) -> None:
        """Announced totals and crowd counts: the election, contest and choices exist (validated);
        never rename them from a mapping that names them by code only."""
        m = self.mapping
        self.contest = Contest.objects.select_related("election").get(
            election__code=m.election["code"], code=m.contest["code"]
        )
        self.election = self.contest.election
        by_code = dict(Choice.objects.filter(contest=self.contest).values_list("code", "id"))
        self.choice_ids = {spec.code: by_code[spec.code] for spec in choices}
        self.ancestors = {}
        self._ancestors_seen = set()
        self._ancestor_rows = {}
        self._crowd_new: list[int] = []

    def prepare(self, choices: list[ChoiceSpec]) -> None:
        m = self.mapping
        if m.crowd is not None or m.announced:
            self._prepare_existing(choices)
            return
        e = m.election
        self.election = self._upsert(
            Election,
            {"code": e["code"]},
            {"date": e["date"], "kind": e["kind"], "country": e["country"]},
            e["names"],
        )
        c = m.contest
        contest_values = {
            "kind": c["kind"],
            "protocol_form": c["protocol_form"],
            "protocol_form_version": int(c.get("protocol_form_version", 1)),
        }
        if c.get("majority_threshold") is not None:
            contest_values["majority_threshold"] = c["majority_threshold"]
        self.contest = self._upsert(
            Contest, {"election": self.election, "code": c["code"]}, contest_values, c["names"]
        )
        self.choice_ids: dict[str, int] = {}
        for spec in choices:
            choice = self._upsert(
                Choice,
                {"contest": self.contest, "code": spec.code},
                {"number": spec.number, "kind": spec.kind},
                spec.names,
            )
            self.choice_ids[spec.code] = choice.pk

        if m.existing_units:
            root = AdminUnit.objects.filter(
                election=self.election, parent=None, code=m.root.code
            ).first()
        else:
            created, updated = self.counts.records_created, self.counts.records_updated
            root = self._upsert(
                AdminUnit,
                {"election": self.election, "parent": None, "code": m.root.code},
                {"kind": m.root.kind, "depth": 0, "path": m.root.code},
                m.root.names,
            )
            # the root is a unit: count it as one
            self.counts.units_created += self.counts.records_created - created
            self.counts.units_updated += self.counts.records_updated - updated
            self.counts.records_created, self.counts.records_updated = created, updated
        # Units above the rows' level are few (regions, districts): keep them all in memory.
        self.ancestors: dict[str, int] = {}
        if root is not None:
            self.ancestors[root.path] = root.pk
        self._ancestors_seen: set[str] = set()
        self._ancestor_rows = {
            u.path: u
            for u in AdminUnit.objects.filter(
                election=self.election, depth__gte=1, depth__lt=self.row_depth
            ).only("id", "path", "kind", "name_kk", "name_ru", "name_en", "parent_id", "depth")
        }
        self.ancestors.update({p: u.pk for p, u in self._ancestor_rows.items()})

    # -- units --------------------------------------------------------------------------------
    def _ancestors_for(self, rows: list[ParsedRow]) -> None:
        """Create missing ancestors level by level; update names of those seen the first time."""
        root = self.mapping.root.code
        for depth in range(1, self.row_depth):
            new: dict[str, AdminUnit] = {}
            changed: list[AdminUnit] = []
            fields: set[str] = set()
            for row in rows:
                path = "/".join([root, *(u.code for u in row.chain[:depth])])
                if path in self._ancestors_seen or path in new:
                    continue
                unit_value = row.chain[depth - 1]
                parent_path = path.rsplit("/", 1)[0]
                existing = self._ancestor_rows.get(path)
                if existing is None:
                    unit = AdminUnit(
                        election=self.election,
                        parent_id=self.ancestors[parent_path],
                        kind=unit_value.kind,
                        depth=depth,
                        code=unit_value.code,
                        path=path,
                    )
                    _set_names(unit, unit_value.names)
                    new[path] = unit
                else:
                    self._ancestors_seen.add(path)
                    diff = _set_names(existing, unit_value.names)
                    if existing.kind != unit_value.kind:
                        existing.kind = unit_value.kind
                        diff.append("kind")
                    if diff:
                        changed.append(existing)
                        fields.update(diff)
            if new:
                AdminUnit.objects.bulk_create(list(new.values()), batch_size=500)
                for path, unit in new.items():
                    self.ancestors[path] = unit.pk
                    self._ancestor_rows[path] = unit
                    self._ancestors_seen.add(path)
                self.counts.units_created += len(new)
            if changed:
                AdminUnit.objects.bulk_update(changed, sorted(fields), batch_size=500)
                self.counts.units_updated += len(changed)

    def _unit_values(self, row: ParsedRow) -> dict[str, Any]:
        unit = row.chain[-1]
        values: dict[str, Any] = {"kind": unit.kind}
        for lang, name in unit.names.items():
            values[f"name_{lang}"] = name
        for key in self.station_keys:
            value = row.station.get(key)
            if key in ("closed", "settlement") and value is None:
                value = ""
            values[_STATION_FIELDS[key]] = value
        return values

    def _row_units(self, rows: list[ParsedRow]) -> dict[str, int]:
        paths = [r.path for r in rows]
        if self.mapping.existing_units:
            return self._existing_unit_ids(paths)
        sample = self._unit_values(rows[0])
        fields = list(sample)
        existing: dict[str, tuple] = {}
        for part in chunked(paths, in_chunk_size()):
            for values in AdminUnit.objects.filter(
                election=self.election, path__in=part
            ).values_list("path", "id", "parent_id", *fields):
                existing[values[0]] = values[1:]
        ids: dict[str, int] = {}
        new: list[AdminUnit] = []
        updates: list[tuple] = []
        for row in rows:
            values = self._unit_values(row)
            parent_path = row.path.rsplit("/", 1)[0]
            parent_id = self.ancestors[parent_path]
            found = existing.get(row.path)
            if found is None:
                unit = AdminUnit(
                    election=self.election,
                    parent_id=parent_id,
                    depth=self.row_depth,
                    code=row.chain[-1].code,
                    path=row.path,
                    **values,
                )
                new.append(unit)
                continue
            unit_id, old_parent, *old = found
            ids[row.path] = unit_id
            current = [values[f] for f in fields]
            if old_parent != parent_id or list(old) != current:
                updates.append((parent_id, *current, unit_id))
        if new:
            AdminUnit.objects.bulk_create(new, batch_size=2000)
            ids.update({u.path: u.pk for u in new})
            self.counts.units_created += len(new)
        if updates:
            update_rows(AdminUnit, ["parent", *fields], updates)
            self.counts.units_updated += len(updates)
        return ids

    def _existing_unit_ids(self, paths: list[str]) -> dict[str, int]:
        ids: dict[str, int] = {}
        for part in chunked(paths, in_chunk_size()):
            ids.update(
                AdminUnit.objects.filter(election=self.election, path__in=part).values_list(
                    "path", "id"
                )
            )
        return ids

    # -- results and figures ------------------------------------------------------------------
    def _results(self, unit_ids: list[int]) -> tuple[dict[int, int], set[int]]:
        """result id per unit id, and the set of result ids created now."""
        result_of: dict[int, int] = {}
        for part in chunked(unit_ids, in_chunk_size()):
            result_of.update(
                OfficialResult.objects.filter(contest=self.contest, unit_id__in=part).values_list(
                    "unit_id", "id"
                )
            )
        missing = [
            OfficialResult(contest=self.contest, unit_id=u, source=self.source[:300])
            for u in unit_ids
            if u not in result_of
        ]
        if missing:
            OfficialResult.objects.bulk_create(missing, batch_size=2000)
            self.counts.results_created += len(missing)
        created = {r.pk for r in missing}
        result_of.update({r.unit_id: r.pk for r in missing})
        return result_of, created

    def _sync(
        self,
        model: type,
        key_field: str,
        value_field: str,
        wanted: dict[int, dict[Any, int]],
        created: set[int],
    ) -> set[int]:
        """Make the figures of each result equal to `wanted`; return results that changed."""
        inserts: list[tuple] = []
        updates: list[tuple] = []
        deletes: list[int] = []
        changed: set[int] = set()
        old_results = [r for r in wanted if r not in created]
        existing: dict[int, dict[Any, tuple[int, int]]] = {}
        for part in chunked(old_results, in_chunk_size()):
            for pk, result_id, key, value in model.objects.filter(result_id__in=part).values_list(
                "id", "result_id", key_field, value_field
            ):
                existing.setdefault(result_id, {})[key] = (pk, value)
        managed = self._managed_keys[model]
        for result_id, figures in wanted.items():
            old = existing.get(result_id, {})
            for key, value in figures.items():
                found = old.get(key)
                if found is None:
                    inserts.append((result_id, key, value))
                elif found[1] != value:
                    updates.append((value, found[0]))
                else:
                    continue
                changed.add(result_id)
            for key, (pk, _value) in old.items():
                if key in managed and key not in figures:
                    deletes.append(pk)
                    changed.add(result_id)
        insert_rows(model, ["result", key_field, value_field], inserts)
        update_rows(model, [value_field], updates)
        delete_ids(model, deletes)
        self.counts.figures_created += len(inserts)
        self.counts.figures_updated += len(updates)
        self.counts.figures_deleted += len(deletes)
        return changed

    # -- a crowd platform's counts ----------------------------------------------------------
    def _write_crowd(self, rows: list[ParsedRow]) -> None:
        """A new `CrowdCount` row for each station and choice whose figures differ from the
        latest of this source (a second run of the same file writes nothing)."""
        from baqylau.crowd.models import CrowdCount

        source = self.mapping.crowd.source
        unit_ids = self._existing_unit_ids([r.path for r in rows])
        latest: dict[tuple[int, int], tuple] = {}
        for part in chunked(list(unit_ids.values()), in_chunk_size()):
            for station_id, choice_id, registered, photo in (
                CrowdCount.objects.filter(contest=self.contest, source=source, station_id__in=part)
                .order_by("id")
                .values_list("station_id", "choice_id", "registered", "photo")
            ):
                latest[(station_id, choice_id)] = (registered, photo)
        new = []
        for row in rows:
            station_id = unit_ids[row.path]
            for code, (declared, photo) in row.crowd.items():
                choice_id = self.choice_ids[code]
                if latest.get((station_id, choice_id)) != (declared, photo):
                    new.append(
                        CrowdCount(
                            contest=self.contest,
                            station_id=station_id,
                            choice_id=choice_id,
                            source=source,
                            registered=declared,
                            photo=photo,
                        )
                    )
        CrowdCount.objects.bulk_create(new, batch_size=2000)
        self._crowd_new += [c.pk for c in new]
        self.counts.figures_created += len(new)

    def write(self, rows: list[ParsedRow]) -> None:
        if not rows:
            return
        if self.mapping.crowd is not None:
            self._write_crowd(rows)
            return
        if not hasattr(self, "_managed_keys"):
            self._managed_keys = {
                OfficialLine: set(self.mapping.line_codes),
                OfficialVote: set(self.choice_ids.values()),
            }
        if not self.mapping.existing_units:
            self._ancestors_for(rows)
        unit_ids = self._row_units(rows)
        if self.mapping.empty_figures == "skip":  # a row without any figure has no result
            rows = [r for r in rows if r.lines or r.votes]
            unit_ids = {r.path: unit_ids[r.path] for r in rows}
        result_of, created = self._results(list(dict.fromkeys(unit_ids.values())))
        lines: dict[int, dict[Any, int]] = {}
        votes: dict[int, dict[Any, int]] = {}
        for row in rows:
            result_id = result_of[unit_ids[row.path]]
            lines[result_id] = row.lines
            votes[result_id] = {self.choice_ids[code]: v for code, v in row.votes.items()}
        changed = self._sync(OfficialLine, "line", "value", lines, created)
        changed |= self._sync(OfficialVote, "choice", "votes", votes, created)
        self.counts.results_changed += len(changed - created)
        self._to_ledger.update(changed | created)

    def record_in_ledger(self, run: Any = None) -> int:
        """Put the results created or changed by this import (with their figures) in the
        hash-chained ledger, at the end of the import's transaction; returns the entries made.
        A crowd platform's counts name the import run (`run`) and are recorded as they are."""
        from baqylau.evidence import ledger

        if self.mapping.crowd is not None:
            from baqylau.crowd.models import CrowdCount

            ids = self._crowd_new
            for part in chunked(ids, in_chunk_size()):
                CrowdCount.objects.filter(pk__in=part).update(import_run=run)
            return len(ledger.record_pks({CrowdCount: ids}))

        ids = sorted(self._to_ledger)
        self._to_ledger.clear()
        return len(ledger.record_pks({OfficialResult: ids}))
