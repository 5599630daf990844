"""Lookup tables: CSV files with declared column types, like dbt seeds.

A table is declared in ``lookups.yaml`` (file, key columns, column types) and
read once when the rules load. Every cell is parsed to its declared type, so
``0100`` stays a string when declared ``str`` and ``21.000`` becomes
``Decimal("21")`` when declared ``decimal``. Problems are returned as
``file:row:column: problem`` lines, all at once.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from koppel.mapping.schema import LookupDecl

__all__ = ["LookupTable", "read_table"]


@dataclass(frozen=True)
class LookupTable:
    """A parsed lookup table, indexed by its key columns."""

    name: str
    key: tuple[str, ...]
    columns: tuple[str, ...]
    rows: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    source: str = ""

    def get(self, *key: Any) -> dict[str, Any] | None:
        """The row for a key (values already of the declared types)."""
        return self.rows.get(tuple(key))


def _parse(kind: str, text: str) -> Any:
    text = text.strip()
    if kind == "str":
        return text
    if text == "":
        return None
    if kind == "int":
        return int(text)
    if kind == "decimal":
        value = Decimal(text)
        if not value.is_finite():
            raise InvalidOperation
        return value.normalize()
    if text.lower() in {"true", "1", "yes"}:
        return True
    if text.lower() in {"false", "0", "no"}:
        return False
    raise ValueError


def read_table(
    name: str, decl: LookupDecl, base: Path, label: str
) -> tuple[LookupTable | None, list[str]]:
    """Read and type-check one lookup CSV.

    Args:
        name: the table's name in lookups.yaml.
        decl: its declaration.
        base: the rule-set directory the file is relative to.
        label: how problems name the file (e.g. ``mappings/default/x.csv``).

    Returns:
        The table (None when it could not be read) and the problems found.
    """
    path = base / decl.file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [f"{label}: cannot read lookup `{name}`: {exc.strerror}"]
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    problems = [
        f"{label}:1: column {col!r} is declared but missing from the header"
        for col in decl.columns
        if col not in header
    ]
    problems += [
        f"{label}:1: column {col!r} is not declared in `lookups.{name}.columns`"
        for col in header
        if col not in decl.columns
    ]
    if problems:
        return None, problems
    table = LookupTable(name, decl.key, tuple(decl.columns), source=label)
    for number, raw in enumerate(reader, start=2):
        row, row_problems = _typed_row(raw, decl, f"{label}:{number}")
        problems += row_problems
        if row_problems:
            continue
        key = tuple(row[k] for k in decl.key)
        if key in table.rows:
            problems.append(f"{label}:{number}: duplicate key {key!r}")
        table.rows[key] = row
    return table, problems


def _typed_row(
    raw: dict[str, str | None], decl: LookupDecl, where: str
) -> tuple[dict[str, Any], list[str]]:
    row: dict[str, Any] = {}
    problems: list[str] = []
    for column, kind in decl.columns.items():
        text = raw.get(column) or ""
        try:
            row[column] = _parse(kind, text)
        except (ValueError, InvalidOperation):
            problems.append(f"{where}:{column}: {text!r} is not a valid {kind}")
    return row, problems
