"""Loading rule sets: defaults, a named rule set and profile overrides.

A rule set is a directory under ``mappings/`` with one YAML file per entity
(see :data:`FILES`) and lookup CSVs. Three layers are merged, later ones
winning:

1. ``mappings/default/`` - the defaults, always read;
2. ``mappings/<profile.mapping.rules>/`` - only the files and keys that
   differ (skipped when the profile uses ``default``);
3. ``profile.mapping.overrides`` - ``entity -> setting -> value``.

Merge rules: mappings merge key by key; lists and scalars replace; a *value*
(a mapping with ``from``, ``const``, ``template`` or ``first_of``) replaces
whole; dotted override keys (``"matching.method"``) stand for nested keys,
except that everything after ``fields.`` is one relatie field name. Every
problem in every layer is reported at once as ``file:path: problem`` in a
:class:`~koppel.exceptions.MappingRuleError`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel, ValidationError

from koppel.exceptions import MappingRuleError
from koppel.mapping import schema
from koppel.mapping.tables import LookupTable, read_table
from koppel.mapping.values import SOURCES, check_path

if TYPE_CHECKING:
    from koppel.profile import Profile

__all__ = ["DEFAULT_ROOT", "FILES", "RuleSet", "load_rule_set", "load_rules"]

DEFAULT_ROOT = Path("mappings")
FILES: dict[str, type[BaseModel] | None] = {
    "customers": schema.CustomerRules,
    "articles": schema.ArticleRules,
    "order_lines": schema.LineRules,
    "order_header": schema.HeaderRules,
    "extra_lines": schema.ExtraLineRules,
    "vat": schema.VatRules,
    "lookups": None,
}
"""Entity name -> model of ``<entity>.yaml`` (lookups are checked apart)."""

_VALUE_KEYS = frozenset({"from", "const", "template", "first_of"})
_ORDER_SCOPES = frozenset(SOURCES) - {"line"}
_LINE_SCOPES = frozenset({"line", "order", "profile"})

Provenance = dict[tuple[str, ...], str]


@dataclass(frozen=True)
class RuleSet:
    """Validated rules for one profile: what :func:`build_plan` reads."""

    name: str
    customers: schema.CustomerRules
    articles: schema.ArticleRules
    lines: schema.LineRules
    header: schema.HeaderRules
    extra: schema.ExtraLineRules
    vat: schema.VatRules
    tables: Mapping[str, LookupTable] = field(default_factory=dict)
    timezone: str = "Europe/Amsterdam"
    sources: tuple[str, ...] = ()


def load_rules(profile: Profile, root: Path = DEFAULT_ROOT) -> RuleSet:
    """Load the rule set a profile names, with the profile's overrides.

    Args:
        profile: the validated profile.
        root: the ``mappings/`` directory.

    Returns:
        The merged and validated rules.

    Raises:
        MappingRuleError: listing every problem as ``file:path: problem``.
    """
    return load_rule_set(
        profile.mapping.rules,
        root=root,
        overrides=profile.mapping.overrides,
        overrides_label=f"profile `{profile.name}`:mapping.overrides",
        timezone=profile.timezone,
    )


def load_rule_set(
    name: str = "default",
    *,
    root: Path = DEFAULT_ROOT,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    overrides_label: str = "overrides",
    timezone: str = "Europe/Amsterdam",
) -> RuleSet:
    """Load ``root/default`` merged with ``root/name`` and the overrides.

    Raises:
        MappingRuleError: listing every problem as ``file:path: problem``.
    """
    problems: list[str] = []
    layers = [root / "default"] + ([root / name] if name != "default" else [])
    if not layers[-1].is_dir():
        known = sorted(p.name for p in root.glob("*") if p.is_dir())
        msg = f"{layers[-1]}: rule set {name!r} does not exist; known: {known}"
        raise MappingRuleError([msg])
    merged: dict[str, dict[str, Any]] = {entity: {} for entity in FILES}
    origin: dict[str, Provenance] = {entity: {} for entity in FILES}
    for layer in layers:
        problems += _read_layer(layer, merged, origin)
    problems += _apply_overrides(overrides or {}, overrides_label, merged, origin)
    models, model_problems = _validate(merged, origin)
    problems += model_problems
    tables, table_problems = _read_tables(merged["lookups"], origin["lookups"], root)
    problems += table_problems
    if not model_problems:
        problems += _cross_check(models, tables, origin)
    if problems:
        raise MappingRuleError(problems)
    return RuleSet(
        name=name,
        customers=models["customers"],
        articles=models["articles"],
        lines=models["order_lines"],
        header=models["order_header"],
        extra=models["extra_lines"],
        vat=models["vat"],
        tables=tables,
        timezone=timezone,
        sources=tuple(str(p) for p in layers),
    )


# --- reading and merging -----------------------------------------------------


def _read_layer(
    layer: Path, merged: dict[str, dict[str, Any]], origin: dict[str, Provenance]
) -> list[str]:
    problems = []
    for path in sorted(layer.glob("*.y*ml")):
        label = str(path)
        entity = path.stem
        if entity not in FILES:
            problems.append(f"{label}: unknown rule file; known: {', '.join(FILES)}")
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            problems.append(f"{label}:(yaml): {exc}".replace("\n", " "))
            continue
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(f"{label}:(top level): must be a mapping of settings")
            continue
        _merge(merged[entity], data, origin[entity], label, ())
    return problems


def _merge(
    base: dict[str, Any],
    update: Mapping[str, Any],
    origin: Provenance,
    label: str,
    prefix: tuple[str, ...],
) -> None:
    for key, value in update.items():
        path = (*prefix, str(key))
        old = base.get(key)
        mergeable = isinstance(value, Mapping) and isinstance(old, dict)
        if mergeable and not (_VALUE_KEYS & (set(value) | set(old))):
            _merge(old, value, origin, label, path)
            continue
        base[key] = copy.deepcopy(dict(value) if isinstance(value, Mapping) else value)
        for known in [p for p in origin if p[: len(path)] == path]:
            del origin[known]
        _mark(base[key], origin, label, path)


def _mark(value: Any, origin: Provenance, label: str, path: tuple[str, ...]) -> None:
    origin[path] = label
    if isinstance(value, dict):
        for key, inner in value.items():
            _mark(inner, origin, label, (*path, str(key)))


def _expand(setting: str) -> list[str]:
    head, _, rest = setting.partition("fields.")
    if not head and rest:
        return ["fields", rest]
    parts = setting.split(".")
    if "fields" in parts[:-1]:
        cut = parts.index("fields") + 1
        return [*parts[:cut], ".".join(parts[cut:])]
    return parts


def _apply_overrides(
    overrides: Mapping[str, Mapping[str, Any]],
    label: str,
    merged: dict[str, dict[str, Any]],
    origin: dict[str, Provenance],
) -> list[str]:
    problems = []
    for entity, settings in overrides.items():
        if entity not in FILES:
            problems.append(
                f"{label}.{entity}: unknown entity; known: {', '.join(FILES)}"
            )
            continue
        if not isinstance(settings, Mapping):
            problems.append(f"{label}.{entity}: must be a table of settings")
            continue
        for setting, value in settings.items():
            nested: Any = value
            for part in reversed(_expand(str(setting))):
                nested = {part: nested}
            _merge(merged[entity], nested, origin[entity], f"{label}.{entity}", ())
    return problems


# --- validating --------------------------------------------------------------


def _where(origin: Provenance, entity: str, loc: tuple[Any, ...]) -> str:
    """The file that last set ``loc`` or anything below it (else an ancestor)."""
    path = tuple(str(p) for p in loc)
    below = [label for p, label in origin.items() if p[: len(path)] == path]
    if below:
        return below[-1]  # origin keeps insertion order: later layers come last
    for size in range(len(path), -1, -1):
        if path[:size] in origin:
            return origin[path[:size]]
    labels = sorted(set(origin.values()))
    return labels[0] if labels else f"{entity}.yaml"


def _describe(err: Mapping[str, Any]) -> str:
    message = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required setting is missing"
    return message.removeprefix("Value error, ")


def _validate(
    merged: dict[str, dict[str, Any]], origin: dict[str, Provenance]
) -> tuple[dict[str, Any], list[str]]:
    models: dict[str, Any] = {}
    problems: list[str] = []
    for entity, model in FILES.items():
        if model is None:
            continue
        try:
            models[entity] = model.model_validate(merged[entity])
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(p for p in err["loc"] if not str(p).startswith("function-"))
                where = _where(origin[entity], entity, loc)
                path = ".".join(str(p) for p in loc) or "(top level)"
                problems.append(f"{where}:{path}: {_describe(err)}")
    return models, problems


def _read_tables(
    data: dict[str, Any], origin: Provenance, root: Path
) -> tuple[dict[str, LookupTable], list[str]]:
    tables: dict[str, LookupTable] = {}
    problems: list[str] = []
    for name, raw in data.items():
        where = _where(origin, "lookups", (name,))
        try:
            decl = schema.LookupDecl.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                path = ".".join(str(p) for p in (name, *err["loc"]))
                problems.append(f"{where}:{path}: {_describe(err)}")
            continue
        source = _where(origin, "lookups", (name, "file"))
        base = Path(source).parent if source.endswith((".yaml", ".yml")) else root
        table, found = read_table(name, decl, base, str(base / decl.file))
        problems += found
        if table is not None:
            tables[name] = table
    return tables, problems


def _cross_check(
    models: dict[str, Any],
    tables: Mapping[str, LookupTable],
    origin: dict[str, Provenance],
) -> list[str]:
    checks: list[
        tuple[str, tuple[str, ...], schema.ValueSpec | str, frozenset[str]]
    ] = []
    customers: schema.CustomerRules = models["customers"]
    for target, spec in customers.fields.items():
        checks.append(("customers", ("fields", target), spec, _ORDER_SCOPES))
    checks.append(
        ("customers", ("matching", "code"), customers.matching.code, _ORDER_SCOPES)
    )
    articles: schema.ArticleRules = models["articles"]
    if articles.code.custom is not None:
        checks.append(
            ("articles", ("code", "custom"), articles.code.custom, _LINE_SCOPES)
        )
    checks.append(
        (
            "articles",
            ("new_articles", "description"),
            articles.new_articles.description,
            _LINE_SCOPES,
        )
    )
    lines: schema.LineRules = models["order_lines"]
    checks.append(("order_lines", ("description",), lines.description, _LINE_SCOPES))
    header: schema.HeaderRules = models["order_header"]
    for loc, text in (
        (("orderreferentie",), header.orderreferentie),
        (("memo",), header.memo),
        (("omschrijving", "webshop_order"), header.omschrijving.webshop_order),
        (("omschrijving", "generated"), header.omschrijving.generated),
    ):
        if text is not None:
            checks.append(
                ("order_header", loc, schema.ValueSpec(template=text), _ORDER_SCOPES)
            )
    problems = []
    for entity, loc, spec, scopes in checks:
        assert isinstance(spec, schema.ValueSpec)
        where = f"{_where(origin[entity], entity, loc)}:{'.'.join(loc)}"
        problems += [f"{where}: {p}" for p in _spec_problems(spec, scopes, tables)]
    problems += _vat_table_problems(models["vat"], tables, origin["vat"])
    return problems


def _spec_problems(
    spec: schema.ValueSpec, scopes: frozenset[str], tables: Mapping[str, LookupTable]
) -> list[str]:
    problems = [p for path in spec.paths() if (p := check_path(path, scopes))]
    for ref in spec.lookups():
        table = tables.get(ref.table)
        if table is None:
            problems.append(
                f"lookup table {ref.table!r} is not declared in lookups.yaml"
            )
        elif ref.column not in table.columns:
            problems.append(f"lookup `{ref.table}` has no column {ref.column!r}")
        elif len(table.key) != 1:
            problems.append(f"lookup `{ref.table}` needs a one-column key here")
    return problems


def _vat_table_problems(
    vat: schema.VatRules, tables: Mapping[str, LookupTable], origin: Provenance
) -> list[str]:
    where = f"{_where(origin, 'vat', ('table',))}:table"
    table = tables.get(vat.table)
    if table is None:
        return [f"{where}: lookup table {vat.table!r} is not declared in lookups.yaml"]
    if table.key != ("country", "rate") or "kind" not in table.columns:
        return [f"{where}: `{vat.table}` needs key [country, rate] and a `kind` column"]
    bad = sorted({str(row["kind"]) for row in table.rows.values()} - set(schema.KINDS))
    if bad:
        return [f"{table.source}: kinds {bad} are not in {list(schema.KINDS)}"]
    return []
