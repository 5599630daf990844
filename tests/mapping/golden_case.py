"""The golden-case type shared by the case modules and the golden test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from koppel.plan import SnelstartSnapshot
from tests.mapping.factory import OrderSpec, snapshot


@dataclass(frozen=True)
class Case:
    """One option value proven by output: staged orders + snapshot -> plan.

    ``overrides`` are profile-style (``entity -> setting -> value``) laid
    over ``mappings/default``; the expected plan is
    ``tests/mapping/golden/<name>.json``.
    """

    name: str
    proves: str
    orders: Callable[[], list[OrderSpec]]
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    snap: Callable[[], SnelstartSnapshot] = snapshot
