"""The list query language of the webservice: display, filter, sort, limit.

Pure functions: :func:`parse_list_query` turns query parameters into a
:class:`ListQuery` (or raises :class:`WebserviceError` with PrestaShop's
code), and :func:`select_records` applies it to records through a ``cell``
callback that returns a field's text as the shop's database would compare it.
Checks run in PrestaShop's order: filters, display, sort, limit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, TypeVar

from koppel.sandbox.prestashop.errors import WebserviceError
from koppel.sandbox.prestashop.resources import ResourceSpec

__all__ = [
    "Cell",
    "Display",
    "Filter",
    "ListQuery",
    "closest",
    "parse_display",
    "parse_list_query",
    "select_records",
]

R = TypeVar("R")
Cell = str | tuple[str, ...] | None
FilterKind = Literal["eq", "in", "between", "like", "gt", "lt", "ne", "none"]

_FILTER_KEY = re.compile(r"^filter\[([^\]]*)\](.*)$")
_BRACKETS = re.compile(r"^(.*)\[(.*)\](.*)$", re.DOTALL)
_RANGE = re.compile(r"^([\d.:\-\s]+),([\d.:\-\s]+)$")
_NUMBER = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?)?$"
)
DATE_GATED = ("date_add", "date_upd")


@dataclass(frozen=True)
class Display:
    """Fields to show; ``fields`` None means ``full``.

    A plain field maps to None; an association maps to its sub-fields.
    """

    fields: Mapping[str, tuple[str, ...] | None] | None = None


@dataclass(frozen=True)
class Filter:
    """One ``filter[field]=...`` condition."""

    field: str
    kind: FilterKind
    values: tuple[str, ...]
    is_date: bool = False


@dataclass(frozen=True)
class ListQuery:
    """A parsed list request."""

    display: Display | None
    filters: tuple[Filter, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()
    offset: int = 0
    count: int | None = None


def parse_list_query(
    params: Mapping[str, str], spec: ResourceSpec, *, refuse_date_sort: bool = False
) -> ListQuery:
    """Parse the query parameters of a list request on ``spec``.

    Args:
        params: decoded query parameters (``filter[id]`` keys kept as is).
        spec: the resource being listed.
        refuse_date_sort: answer a ``date_upd`` sort with error 38 and HTTP
            500, as PrestaShop 9.0 shops were seen to do.

    Returns:
        The parsed query.

    Raises:
        WebserviceError: with PrestaShop's status and code for a bad value.
    """
    dated = bool(params.get("date")) and params.get("date") != "0"
    filterable, i18n = _available_filters(spec, dated=dated)
    filters = _parse_filters(params, spec, filterable, i18n)
    display = parse_display(params.get("display"), spec)
    sort = _parse_sort(params.get("sort"), filterable, i18n, refuse_date_sort)
    offset, count = _parse_limit(params.get("limit"))
    return ListQuery(display, filters, sort, offset, count)


def parse_display(value: str | None, spec: ResourceSpec) -> Display | None:
    """Parse ``display``: None (ids only), ``full`` or ``[f1,assoc[s1,s2]]``.

    Raises:
        WebserviceError: 35 for an unknown field, 36 for bad syntax.
    """
    if value is None or value == "minimum":
        return None
    if value == "full":
        return Display()
    match = re.fullmatch(r"\[(.*)\]", value, re.DOTALL)
    if match is None:
        msg = (
            f"`display` must be `full` or `[field_1,field_2,...]`, got {value!r}; "
            f"fields of {spec.name}: {', '.join(spec.fields)}"
        )
        raise WebserviceError(400, 36, msg)
    fields = _split_display(match.group(1))
    for name, sub in fields.items():
        if not _is_displayable(spec, name, sub):
            msg = (
                f"cannot display field {name!r} of {spec.name}; available: "
                f"{', '.join(spec.fields)}"
            )
            raise WebserviceError(400, 35, msg)
    return Display(fields)


def select_records(
    records: Iterable[R], query: ListQuery, cell: Callable[[R, str], Cell]
) -> list[R]:
    """Filter, sort and cut ``records`` as the shop's SQL would."""
    rows = [
        r for r in records if all(_matches(cell(r, f.field), f) for f in query.filters)
    ]
    directions = {descending for _, descending in query.sort}
    if len(directions) == 1:  # one pass with a composite key
        fields = [field for field, _ in query.sort]
        rows.sort(
            key=lambda r: [_sort_key(cell(r, f)) for f in fields],
            reverse=directions.pop(),
        )
    else:
        for field, descending in reversed(query.sort):
            rows.sort(key=lambda r, f=field: _sort_key(cell(r, f)), reverse=descending)
    end = None if query.count is None else query.offset + query.count
    return rows[query.offset : end]


# --- parsing -----------------------------------------------------------------


def _available_filters(spec: ResourceSpec, *, dated: bool) -> tuple[set[str], set[str]]:
    plain = {f for f in spec.fields if f not in spec.i18n}
    if not dated:
        plain -= set(DATE_GATED)
    return plain, set(spec.i18n)


def _parse_filters(
    params: Mapping[str, str],
    spec: ResourceSpec,
    filterable: set[str],
    i18n: set[str],
) -> tuple[Filter, ...]:
    result: list[Filter] = []
    for key, value in params.items():
        match = _FILTER_KEY.match(key)
        if match is None:
            continue
        field, rest = match.groups()
        if field not in filterable and not (value != "" and field in i18n):
            if rest:
                msg = f"{spec.name} has no linked table to filter on ({key!r})"
                raise WebserviceError(400, 31, msg)
            guess = closest(field, sorted(filterable))
            msg = (
                f"filter {field!r} does not exist on {spec.name}; did you mean "
                f"{guess!r}? (date_add/date_upd need `date=1`)"
            )
            raise WebserviceError(400, 32, msg)
        if value == "":
            raise WebserviceError(400, 33, f"filter {field!r} has an empty value")
        if field in spec.getters:
            msg = f"field {field!r} is computed and cannot be used in a filter"
            raise WebserviceError(400, 34, msg)
        result.append(_parse_filter(field, value, field in spec.dates))
    return tuple(result)


def _parse_filter(field: str, value: str, is_date: bool) -> Filter:
    match = _BRACKETS.match(value)
    if match is None:
        return Filter(field, "eq", (value,), is_date)
    prefix, body, suffix = match.groups()
    if prefix == "%" or suffix == "%":
        return Filter(field, "like", (prefix + body + suffix,), is_date)
    if prefix == "" and suffix == "":
        if body.find("|") > 0:
            return Filter(field, "in", tuple(body.split("|")), is_date)
        bounds = _RANGE.match(body)
        if bounds:
            return Filter(field, "between", _php_sorted(bounds.groups()), is_date)
        return Filter(field, "eq", (body,), is_date)
    kinds: dict[str, FilterKind] = {">": "gt", "<": "lt", "!": "ne"}
    kind = kinds.get(prefix, "none")
    values = tuple(body.split("|")) if kind == "ne" else (body,)
    return Filter(field, kind, values, is_date)


def _php_sorted(pair: Sequence[str]) -> tuple[str, ...]:
    if all(_NUMBER.match(v) for v in pair):
        return tuple(sorted(pair, key=Decimal))
    return tuple(sorted(pair))


def _split_display(text: str) -> dict[str, tuple[str, ...] | None]:
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += char
        depth += (char == "[") - (char == "]")
    if current:
        parts.append(current)
    fields: dict[str, tuple[str, ...] | None] = {}
    for part in parts:
        name, bracket, sub = part.partition("[")
        name = name.strip()
        if bracket:
            subs = tuple(sub[:-1].split(",")) if sub.endswith("]") else (sub,)
            fields[name] = (fields.get(name) or ()) + subs
        else:
            fields.setdefault(name, None)
    return fields


def _is_displayable(spec: ResourceSpec, name: str, sub: tuple[str, ...] | None) -> bool:
    if sub is None:
        return name in spec.fields
    assoc = spec.association(name)
    return assoc is not None and all(s == "id" or s in assoc.fields for s in sub)


def _parse_sort(
    value: str | None, filterable: set[str], i18n: set[str], refuse_date_sort: bool
) -> tuple[tuple[str, bool], ...]:
    if value is None:
        return ()
    match = re.fullmatch(r"\[(.*)\]", value, re.DOTALL)
    items = match.group(1).split(",") if match else [value]
    result = []
    for item in items:
        field, _, direction = item.rpartition("_")
        direction = direction.upper()
        if not field or direction not in ("ASC", "DESC"):
            msg = f"`sort` items look like `field_ASC` or `field_DESC`, got {item!r}"
            raise WebserviceError(400, 37, msg)
        if field not in filterable and field not in i18n:
            msg = f"cannot sort by {field!r} (date_add/date_upd need `date=1`)"
            raise WebserviceError(400, 38, msg)
        if refuse_date_sort and field == "date_upd":
            _raise_refused_date_sort(field)
        result.append((field, direction == "DESC"))
    return tuple(result)


def _raise_refused_date_sort(field: str) -> None:
    error = WebserviceError(400, 38, f"cannot sort by {field!r} on this shop")
    error.add(
        3,
        '[PHP Warning #2] Undefined array key "date_upd" '
        "(/var/www/html/classes/webservice/WebserviceRequest.php, line 1302)",
        status=500,
    )
    raise error


def _parse_limit(value: str | None) -> tuple[int, int | None]:
    if value is None:
        return 0, None
    parts = value.split(",")
    if len(parts) > 2:
        msg = f"`limit` is `count` or `offset,count`, got {value!r}"
        raise WebserviceError(400, 39, msg)
    numbers = [_php_int(p) for p in parts]
    if len(numbers) == 1:
        return 0, max(numbers[0], 0)
    return max(numbers[0], 0), max(numbers[1], 0)


def _php_int(text: str) -> int:
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else 0


def closest(word: str, candidates: Sequence[str]) -> str:
    """The candidate nearest to ``word`` by edit distance."""
    return min(candidates, key=lambda c: _distance(word, c), default="")


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            )
        previous = current
    return previous[-1]


# --- matching ----------------------------------------------------------------


def _matches(cell: Cell, flt: Filter) -> bool:
    if cell is None:
        return False
    if isinstance(cell, tuple):
        return any(_matches(text, flt) for text in cell)
    kind, values = flt.kind, flt.values
    if kind == "none":
        return True
    if kind == "like":
        return _like(values[0]).fullmatch(cell) is not None
    if kind == "ne":
        return all(_compare(cell, v, flt.is_date) != 0 for v in values)
    if kind == "between":
        low, high = (_compare(cell, v, flt.is_date) for v in values)
        return low is not None and high is not None and low >= 0 >= high
    order = [_compare(cell, v, flt.is_date) for v in values]
    wanted = {"eq": (0,), "in": (0,), "gt": (1,), "lt": (-1,)}[kind]
    return any(o in wanted for o in order)


def _compare(cell: str, value: str, is_date: bool) -> int | None:
    """Three-way comparison as MySQL does it, None when incomparable."""
    if is_date:
        left, right = _datetime_text(cell), _datetime_text(value)
        if left is None or right is None:
            return None
    elif _NUMBER.match(cell) and _NUMBER.match(value):
        a, b = Decimal(cell), Decimal(value)
        return (a > b) - (a < b)
    else:
        left, right = cell.casefold().rstrip(), value.casefold().rstrip()
    return (left > right) - (left < right)


def _datetime_text(text: str) -> str | None:
    if len(text) == 19 and text[10] == " " and text[4] == "-" and text[16] == ":":
        return text  # already as the shop writes it
    return _normalised_datetime(text)


@functools.lru_cache(maxsize=4096)
def _normalised_datetime(text: str) -> str | None:
    match = _DATETIME.match(text.strip())
    if match is None:
        return None
    day, hour, minute, second = match.groups()
    return f"{day} {hour or '00'}:{minute or '00'}:{second or '00'}"


@functools.lru_cache(maxsize=256)
def _like(pattern: str) -> re.Pattern[str]:
    wildcards = {"%": ".*", "_": "."}
    parts = [wildcards.get(c) or re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


def _sort_key(cell: Cell) -> tuple[int, Decimal | str]:
    if isinstance(cell, tuple):
        cell = cell[0] if cell else None
    if cell is None:
        return (-1, "")
    if _NUMBER.match(cell):
        return (0, Decimal(cell))
    return (1, cell.casefold())
