"""Find each verkooporder's shop order, by the references loading wrote.

Loading books every order with a deterministic orderreferentie and a
betalingskenmerk and records both, with SnelStart's id, in the ledger. A
verkooporder read back from SnelStart is tied to its shop order by, in this
order: the SnelStart id the ledger holds, the orderreferentie, then the
betalingskenmerk. Without a ledger row (an order booked outside koppel), a
betalingskenmerk equal to the shop's order reference still ties it, as long
as that reference is unique among staged orders (PrestaShop reuses one
reference for the orders of a split cart).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from koppel.reports.booked import BookedOrder

__all__ = ["Matches", "match_orders"]


@dataclass
class Matches:
    """Verkooporders per shop order id, and those tied to no staged order."""

    by_order: dict[int, list[BookedOrder]] = field(default_factory=dict)
    unmatched: list[BookedOrder] = field(default_factory=list)

    def get(self, order_id: int) -> list[BookedOrder]:
        """The verkooporders of one shop order (empty when none)."""
        return self.by_order.get(order_id, [])


def _norm(value: object) -> str | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    text = str(value).strip()
    return text.lower() or None


def _index(pairs: Iterable[tuple[object, int]]) -> dict[str, int]:
    """Key -> order id, dropping keys that point at two different orders."""
    seen: dict[str, int] = {}
    clashes: set[str] = set()
    for key, order_id in pairs:
        k = _norm(key)
        if k is None:
            continue
        if k in seen and seen[k] != order_id:
            clashes.add(k)
        seen[k] = order_id
    return {k: v for k, v in seen.items() if k not in clashes}


@dataclass
class _Keys:
    ids: dict[str, int]
    referenties: dict[str, int]
    kenmerken: dict[str, int]
    shop_references: dict[str, int]


def _keys(order_keys: pd.DataFrame, ledger: pd.DataFrame) -> _Keys:
    ids = [int(i) for i in ledger["order_id"]]
    return _Keys(
        ids=_index(zip(ledger["snelstart_id"], ids, strict=True)),
        referenties=_index(zip(ledger["orderreferentie"], ids, strict=True)),
        kenmerken=_index(zip(ledger["betalingskenmerk"], ids, strict=True)),
        shop_references=_index(
            zip(
                order_keys["reference"],
                (int(i) for i in order_keys["order_id"]),
                strict=True,
            )
        ),
    )


def _find(order: BookedOrder, keys: _Keys) -> int | None:
    for key, table in (
        (order.id, keys.ids),
        (order.orderreferentie, keys.referenties),
        (order.betalingskenmerk, keys.kenmerken),
        (order.betalingskenmerk, keys.shop_references),
        (order.orderreferentie, keys.shop_references),
    ):
        k = _norm(key)
        if k is not None and k in table:
            return table[k]
    return None


def match_orders(
    booked: Iterable[BookedOrder], order_keys: pd.DataFrame, ledger: pd.DataFrame
) -> Matches:
    """Tie verkooporders to shop orders.

    Args:
        booked: verkooporders read back from SnelStart.
        order_keys: every staged order's ``order_id`` and ``reference``.
        ledger: loading's ledger rows (``order_id``, ``snelstart_id``,
            ``orderreferentie``, ``betalingskenmerk``).

    Returns:
        The verkooporders per shop order id (two or more means the order was
        booked twice) and the verkooporders tied to no staged order.
    """
    keys = _keys(order_keys, ledger)
    by_order: dict[int, list[BookedOrder]] = defaultdict(list)
    unmatched: list[BookedOrder] = []
    for order in booked:
        order_id = _find(order, keys)
        if order_id is None:
            unmatched.append(order)
        else:
            by_order[order_id].append(order)
    return Matches(dict(by_order), unmatched)
