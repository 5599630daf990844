"""OData v3 ``$filter`` as SnelStart's ASP.NET Web API backend reads it (pure).

`parse_filter` turns a filter into a typed expression tree against a resource
shape (see `models`), refusing what the real backend refuses: unknown or
wrongly cased properties, operands of incompatible types, unknown
functions. `Filter.matches` evaluates it on a stored record.

Supported: ``eq ne gt ge lt le``, ``and or not``, parentheses; literals
``'text'`` (``''`` escapes a quote), ``guid'…'``, ``datetime'…'``,
``datetimeoffset'…'``, integers, decimals (optional ``m``/``d`` suffix),
``true``, ``false``, ``null``; ``Collection/any(x: …)`` and ``all``; string
functions ``substringof startswith endswith tolower toupper trim length
indexof concat substring`` and date parts ``year month day hour minute
second``. Property paths are UpperCamelCase (``VestigingsAdres/Land/Id``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from koppel.exceptions import KoppelError
from koppel.sandbox.snelstart.models import Shape, pascal_to_camel

__all__ = ["Filter", "ODataError", "parse_filter"]

_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<typed>(?:guid|datetime|datetimeoffset|time)'[^']*')"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDlLfF]?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<punct>[(),/:])"
    r")"
)
_COMPARE = {"eq", "ne", "gt", "ge", "lt", "le"}
_NUMERIC = {"int", "dec"}


class ODataError(KoppelError):
    """A ``$filter`` the backend would refuse.

    ``kind`` is ``syntax``, ``property`` (unknown property), ``type``
    (incompatible operands), ``function`` (unknown function) or
    ``not_filterable`` (a property SnelStart does not let you filter on).
    """

    def __init__(self, message: str, *, kind: str) -> None:
        self.kind = kind
        super().__init__(message)


@dataclass(frozen=True)
class _Node:
    kind: str  # literal, prop, func, binop, not, lambda
    type: str  # str int dec bool guid dt null complex list
    value: Any = None
    args: tuple[_Node, ...] = ()


@dataclass(frozen=True)
class Filter:
    """A parsed ``$filter``; call `matches` on a record."""

    text: str
    root: _Node

    def matches(self, record: dict[str, Any]) -> bool:
        """True when the record satisfies the filter."""
        return _evaluate(self.root, record, {}) is True


def parse_filter(text: str, shape: Shape, *, model: str = "Model") -> Filter:
    """Parse a ``$filter`` value against a resource shape.

    Args:
        text: the raw filter, e.g. ``Email eq 'a@b.nl'``.
        shape: the resource's property shape.
        model: backend type name used in error messages.

    Returns:
        The parsed filter.

    Raises:
        ODataError: the filter is malformed or does not fit the shape.
    """
    parser = _Parser(_tokenize(text), shape, model)
    root = parser.expression()
    if parser.peek() is not None:
        msg = f"syntax error at {parser.peek()!r} in `$filter` {text!r}"
        raise ODataError(msg, kind="syntax")
    if root.type not in ("bool", "null"):
        msg = f"`$filter` {text!r} is not a boolean expression"
        raise ODataError(msg, kind="type")
    return Filter(text, root)


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            msg = f"syntax error at position {pos} of `$filter` {text!r}"
            raise ODataError(msg, kind="syntax")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], shape: Shape, model: str):
        self.tokens = tokens
        self.pos = 0
        self.shape = shape
        self.model = model
        self.scopes: dict[str, Any] = {}

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            msg = "`$filter` ends unexpectedly"
            raise ODataError(msg, kind="syntax")
        token = self.tokens[self.pos]
        if expected is not None and token[1] != expected:
            msg = f"expected {expected!r} but found {token[1]!r} in `$filter`"
            raise ODataError(msg, kind="syntax")
        self.pos += 1
        return token

    def expression(self) -> _Node:
        return self._binary(self._and, "or")

    def _and(self) -> _Node:
        return self._binary(self._not, "and")

    def _binary(self, operand: Callable[[], _Node], op: str) -> _Node:
        left = operand()
        while self.peek() == op:
            self.take()
            right = operand()
            _require_bool(left, op)
            _require_bool(right, op)
            left = _Node("binop", "bool", op, (left, right))
        return left

    def _not(self) -> _Node:
        if self.peek() == "not":
            self.take()
            inner = self._not()
            _require_bool(inner, "not")
            return _Node("not", "bool", None, (inner,))
        return self._comparison()

    def _comparison(self) -> _Node:
        left = self._primary()
        op = self.peek()
        if op not in _COMPARE:
            return left
        self.take()
        right = self._primary()
        _check_comparable(left, right, op)
        return _Node("binop", "bool", op, (left, right))

    def _primary(self) -> _Node:
        kind, text = self.take()
        if text == "(" and kind == "punct":
            inner = self.expression()
            self.take(")")
            return inner
        if kind in ("str", "typed", "num"):
            return _literal(kind, text)
        if kind == "name" and text in ("true", "false"):
            return _Node("literal", "bool", text == "true")
        if kind == "name" and text == "null":
            return _Node("literal", "null", None)
        if kind == "name" and self.peek() == "(":
            return self._function(text)
        if kind == "name":
            return self._path(text)
        msg = f"syntax error at {text!r} in `$filter`"
        raise ODataError(msg, kind="syntax")

    def _function(self, name: str) -> _Node:
        if name not in _FUNCTIONS:
            msg = f"unknown function {name!r} in `$filter`"
            raise ODataError(msg, kind="function")
        self.take("(")
        args: list[_Node] = []
        if self.peek() != ")":
            args.append(self.expression())
            while self.peek() == ",":
                self.take()
                args.append(self.expression())
        self.take(")")
        arg_types, result = _FUNCTIONS[name]
        if len(args) not in arg_types:
            msg = f"function {name!r} takes {sorted(arg_types)} arguments"
            raise ODataError(msg, kind="type")
        for arg, wanted in zip(args, arg_types[len(args)], strict=True):
            if arg.type not in (wanted, "null") and not (
                wanted == "int" and arg.type in _NUMERIC
            ):
                msg = f"function {name!r} does not take a {arg.type} argument"
                raise ODataError(msg, kind="type")
        return _Node("func", result, name, tuple(args))

    def _path(self, first: str) -> _Node:
        segments = [first]
        while self.peek() == "/":
            self.take()
            segments.append(self.take()[1])
            if segments[-1] in ("any", "all"):
                return self._lambda(segments[:-1], segments[-1])
        return self._resolve(segments)

    def _resolve(self, segments: list[str]) -> _Node:
        if segments[0] in self.scopes:
            shape: Any = self.scopes[segments[0]]
            keys: list[str] = [segments[0]]
            rest = segments[1:]
        else:
            shape, keys, rest = self.shape, [], segments
        for name in rest:
            key = pascal_to_camel(name)
            if not isinstance(shape, dict) or key not in shape or name == key:
                msg = (
                    f"Could not find a property named {name!r} on type {self.model!r}."
                )
                raise ODataError(msg, kind="property")
            if key == "uri" or key.endswith("Uri"):
                msg = f"property {name!r} cannot be used in `$filter`"
                raise ODataError(msg, kind="not_filterable")
            shape = shape[key]
            keys.append(key)
        return _Node("prop", _type_of(shape), tuple(keys), ())

    def _lambda(self, segments: list[str], quantifier: str) -> _Node:
        collection = self._resolve(segments)
        if collection.type != "list":
            msg = f"{'/'.join(segments)!r} is not a collection in `$filter`"
            raise ODataError(msg, kind="type")
        self.take("(")
        var = self.take()[1]
        self.take(":")
        element = _element_shape(self.shape, self.scopes, collection.value)
        self.scopes = {**self.scopes, var: element}
        body = self.expression()
        del self.scopes[var]
        self.take(")")
        _require_bool(body, quantifier)
        return _Node("lambda", "bool", (quantifier, var), (collection, body))


def _type_of(shape: Any) -> str:
    if isinstance(shape, dict):
        return "complex"
    if isinstance(shape, list):
        return "list"
    return str(shape)


def _element_shape(root: Shape, scopes: dict[str, Any], keys: tuple) -> Any:
    shape: Any = scopes[keys[0]] if keys[0] in scopes else root[keys[0]]
    for key in keys[1:]:
        shape = shape[key]
    return shape[0]


def _literal(kind: str, text: str) -> _Node:
    if kind == "str":
        return _Node("literal", "str", text[1:-1].replace("''", "'"))
    if kind == "num":
        return _number(text)
    prefix, _, rest = text.partition("'")
    raw = rest[:-1]
    try:
        if prefix == "guid":
            return _Node("literal", "guid", str(uuid.UUID(raw)))
        if prefix in ("datetime", "datetimeoffset"):
            value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            return _Node("literal", "dt", value.replace(tzinfo=None))
    except ValueError as exc:
        msg = f"literal {text!r} is not a valid {prefix} in `$filter`"
        raise ODataError(msg, kind="syntax") from exc
    msg = f"literal type {prefix!r} is not supported in `$filter`"
    raise ODataError(msg, kind="syntax")


def _number(text: str) -> _Node:
    suffix = text[-1].lower() if text[-1].isalpha() else ""
    body = text[:-1] if suffix else text
    if suffix == "" and re.fullmatch(r"-?\d+", body):
        return _Node("literal", "int", int(body))
    return _Node("literal", "dec", Decimal(body))


def _require_bool(node: _Node, op: str) -> None:
    if node.type not in ("bool", "null"):
        msg = f"operand of {op!r} must be boolean, found {node.type}"
        raise ODataError(msg, kind="type")


def _check_comparable(left: _Node, right: _Node, op: str) -> None:
    types = {left.type, right.type}
    if "complex" in types or "list" in types:
        msg = f"cannot compare a {'/'.join(sorted(types))} value with {op!r}"
        raise ODataError(msg, kind="type")
    if "null" in types or len(types) == 1 or types <= _NUMERIC:
        return
    msg = (
        f"A binary operator with incompatible types was detected: "
        f"{left.type} and {right.type} for {op!r}."
    )
    raise ODataError(msg, kind="type")


# name -> ({argument count: argument types}, result type)
_FUNCTIONS: dict[str, tuple[dict[int, tuple[str, ...]], str]] = {
    "substringof": ({2: ("str", "str")}, "bool"),
    "startswith": ({2: ("str", "str")}, "bool"),
    "endswith": ({2: ("str", "str")}, "bool"),
    "tolower": ({1: ("str",)}, "str"),
    "toupper": ({1: ("str",)}, "str"),
    "trim": ({1: ("str",)}, "str"),
    "length": ({1: ("str",)}, "int"),
    "indexof": ({2: ("str", "str")}, "int"),
    "concat": ({2: ("str", "str")}, "str"),
    "substring": ({2: ("str", "int"), 3: ("str", "int", "int")}, "str"),
    "year": ({1: ("dt",)}, "int"),
    "month": ({1: ("dt",)}, "int"),
    "day": ({1: ("dt",)}, "int"),
    "hour": ({1: ("dt",)}, "int"),
    "minute": ({1: ("dt",)}, "int"),
    "second": ({1: ("dt",)}, "int"),
}

_CALLS: dict[str, Callable[..., Any]] = {
    "substringof": lambda needle, hay: needle in hay,
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "tolower": str.lower,
    "toupper": str.upper,
    "trim": str.strip,
    "length": len,
    "indexof": lambda s, p: s.find(p),
    "concat": lambda a, b: a + b,
    "substring": lambda s, i, n=None: s[i:] if n is None else s[i : i + n],
    "year": lambda d: d.year,
    "month": lambda d: d.month,
    "day": lambda d: d.day,
    "hour": lambda d: d.hour,
    "minute": lambda d: d.minute,
    "second": lambda d: d.second,
}


def _evaluate(node: _Node, record: dict[str, Any], env: dict[str, Any]) -> Any:
    if node.kind == "literal":
        return node.value
    if node.kind == "prop":
        return _read(node, record, env)
    if node.kind == "not":
        inner = _evaluate(node.args[0], record, env)
        return None if inner is None else not inner
    if node.kind == "func":
        args = [_evaluate(arg, record, env) for arg in node.args]
        return None if any(a is None for a in args) else _CALLS[node.value](*args)
    if node.kind == "lambda":
        return _quantify(node, record, env)
    return _binop(node, record, env)


def _read(node: _Node, record: dict[str, Any], env: dict[str, Any]) -> Any:
    keys = node.value
    value: Any = env[keys[0]] if keys[0] in env else record.get(keys[0])
    for key in keys[1:]:
        value = value.get(key) if isinstance(value, dict) else None
    return _as_type(value, node.type)


def _as_type(value: Any, kind: str) -> Any:
    if value is None:
        return None
    try:
        if kind == "guid":
            return str(uuid.UUID(str(value)))
        if kind == "dt":
            return datetime.fromisoformat(str(value)).replace(tzinfo=None)
        if kind in _NUMERIC and not isinstance(value, bool):
            return Decimal(str(value)) if kind == "dec" else value
    except ValueError:
        return None
    return value


def _quantify(node: _Node, record: dict[str, Any], env: dict[str, Any]) -> bool:
    quantifier, var = node.value
    items = _read(node.args[0], record, env) or []
    results = (_evaluate(node.args[1], record, {**env, var: i}) for i in items)
    if quantifier == "any":
        return any(r is True for r in results)
    return all(r is True for r in results)


def _binop(node: _Node, record: dict[str, Any], env: dict[str, Any]) -> Any:
    left = _evaluate(node.args[0], record, env)
    right = _evaluate(node.args[1], record, env)
    op = node.value
    if op == "and":
        return left is True and right is True
    if op == "or":
        return left is True or right is True
    if op == "eq":
        return left == right
    if op == "ne":
        return left != right
    if left is None or right is None:
        return False
    if op == "gt":
        return left > right
    if op == "ge":
        return left >= right
    if op == "lt":
        return left < right
    return left <= right
