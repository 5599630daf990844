"""Rule values and lookup declarations: the vocabulary shared by every rule file.

A :class:`ValueSpec` is one value in a rule file (a source path, constant,
template, ``first_of`` or lookup, with named transforms); a
:class:`LookupDecl` declares a lookup CSV and its column types. Both refuse
unknown keys.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from koppel.mapping.transforms import TRANSFORMS
from koppel.mapping.values import check_path, template_paths

__all__ = [
    "ColumnType",
    "LookupDecl",
    "LookupRef",
    "RuleModel",
    "ValueSpec",
    "check_template",
    "source",
]


class RuleModel(BaseModel):
    """Base of every rule model: unknown keys are refused, values frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LookupRef(RuleModel):
    """Look a value up in a CSV table declared in ``lookups.yaml``."""

    table: str = Field(description="lookup table name")
    column: str = Field(description="column whose value is returned")
    default: str | None = Field(None, description="when the key is not found")


class ValueSpec(RuleModel):
    """One value: a source path, a constant, a template or the first of several."""

    from_: str | None = Field(None, alias="from", description="`scope.column`")
    const: str | None = None
    template: str | None = None
    first_of: tuple[ValueSpec, ...] | None = None
    lookup: LookupRef | None = None
    transform: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"from": data}
        if isinstance(data, dict) and "transform" in data:
            if isinstance(data["transform"], str):
                data = {**data, "transform": [data["transform"]]}
        return data

    @model_validator(mode="after")
    def _one_kind(self) -> ValueSpec:
        given = [
            k
            for k in ("from_", "const", "template", "first_of")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            msg = "give exactly one of `from`, `const`, `template`, `first_of`"
            raise ValueError(msg)
        if self.lookup is not None and self.first_of is not None:
            msg = "`lookup` takes its key from `from`, `const` or `template`"
            raise ValueError(msg)
        if self.first_of is not None and not self.first_of:
            msg = "`first_of` needs at least one value"
            raise ValueError(msg)
        return self

    @field_validator("transform")
    @classmethod
    def _known_transforms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if name not in TRANSFORMS:
                msg = f"unknown transform {name!r}; known: {', '.join(TRANSFORMS)}"
                raise ValueError(msg)
        return value

    @field_validator("from_")
    @classmethod
    def _known_path(cls, value: str | None) -> str | None:
        if value is not None and (problem := check_path(value)):
            raise ValueError(problem)
        return value

    @field_validator("template")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        if value is not None:
            check_template(value)
        return value

    def paths(self) -> list[str]:
        """Every source path this value reads."""
        found = [self.from_] if self.from_ else []
        if self.template:
            found += template_paths(self.template)
        for inner in self.first_of or ():
            found += inner.paths()
        return found

    def lookups(self) -> list[LookupRef]:
        """Every lookup this value uses."""
        found = [self.lookup] if self.lookup else []
        for inner in self.first_of or ():
            found += inner.lookups()
        return found


def check_template(value: str) -> str:
    """Check a template's braces and placeholders; return it unchanged.

    Raises:
        ValueError: naming the unbalanced brace or unknown source path.
    """
    if value.replace("{{", "").replace("}}", "").count("{") != value.replace(
        "{{", ""
    ).replace("}}", "").count("}"):
        msg = f"{value!r} has unbalanced braces; write `{{{{` for a literal brace"
        raise ValueError(msg)
    for path in template_paths(value):
        if problem := check_path(path):
            raise ValueError(problem)
    return value


def source(path: str, *transforms: str) -> ValueSpec:
    """A ValueSpec reading one source path, with transforms."""
    return ValueSpec.model_validate({"from": path, "transform": list(transforms)})


# --- lookups.yaml ------------------------------------------------------------

ColumnType = Literal["str", "int", "decimal", "bool"]


class LookupDecl(RuleModel):
    """A lookup CSV with declared column types (dbt-seed style)."""

    file: str = Field(pattern=r"^[A-Za-z0-9_./-]+\.csv$")
    key: tuple[str, ...] = Field(min_length=1)
    columns: dict[str, ColumnType] = Field(min_length=1)

    @model_validator(mode="after")
    def _key_in_columns(self) -> LookupDecl:
        missing = [k for k in self.key if k not in self.columns]
        if missing:
            msg = f"key columns {missing} are not declared in `columns`"
            raise ValueError(msg)
        if ".." in self.file.split("/"):
            msg = f"{self.file!r} must stay inside the rule set"
            raise ValueError(msg)
        return self
