"""Which orders a staged row belongs to, and how to name the row.

Quarantine is per order, so every failing row of any staged table is
charged to the orders that use it: a line or discount to its order, a
customer to the orders placed by it, an address to the orders that deliver
or invoice to it, a payment to the orders sharing its reference (split
orders share one).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from koppel.staging import StagedOrders

__all__ = ["KEY_COLUMNS", "Owners"]

# staged table -> the column that names one of its rows in a field path
KEY_COLUMNS: dict[str, str | None] = {
    "orders": None,
    "order_lines": "line_id",
    "customers": "customer_id",
    "addresses": "address_id",
    "payments": "payment_id",
    "discounts": "discount_id",
}


def _index(pairs: Any) -> dict[Hashable, list[int]]:
    found: dict[Hashable, list[int]] = defaultdict(list)
    for key, order_id in pairs:
        if key is not None and order_id is not None:
            found[key].append(int(order_id))
    return found


def _column(frame: Any, name: str) -> list[Any]:
    return list(frame[name]) if name in frame.columns else [None] * len(frame)


class Owners:
    """Maps rows of the staged frames to the order ids they belong to."""

    def __init__(self, staged: StagedOrders) -> None:
        self.staged = staged
        orders = staged.orders
        ids = _column(orders, "order_id")
        self.order_ids = sorted({int(i) for i in ids if isinstance(i, int)})
        self._by = {
            "customers": _index(zip(_column(orders, "customer_id"), ids, strict=True)),
            "payments": _index(zip(_column(orders, "reference"), ids, strict=True)),
            "addresses": _index(
                list(zip(_column(orders, "address_delivery_id"), ids, strict=True))
                + list(zip(_column(orders, "address_invoice_id"), ids, strict=True))
            ),
        }

    def frame(self, table: str) -> Any:
        """The staged frame of ``table`` (``order_lines`` is ``lines``)."""
        return getattr(self.staged, "lines" if table == "order_lines" else table)

    def of_row(self, table: str, index: Any) -> list[int]:
        """Orders that use row ``index`` of ``table``; None means every row."""
        frame = self.frame(table)
        if index is None or index not in frame.index:
            return self.of_table(table)
        return self._of_record(table, frame.loc[index])

    def of_table(self, table: str) -> list[int]:
        """Orders that use any row of ``table`` (every order for ``orders``)."""
        if table == "orders":
            return list(self.order_ids)
        frame = self.frame(table)
        found = {o for i in frame.index for o in self._of_record(table, frame.loc[i])}
        return sorted(found)

    def _of_record(self, table: str, row: Any) -> list[int]:
        if table in ("orders", "order_lines", "discounts"):
            order_id = row.get("order_id")
            return [int(order_id)] if isinstance(order_id, int) else []
        key = row.get("order_reference" if table == "payments" else KEY_COLUMNS[table])
        try:
            return sorted(set(self._by[table].get(key, [])))
        except TypeError:  # an unhashable value in a key column
            return []

    def field(self, table: str, index: Any, column: str) -> str:
        """A readable path to a value: ``customers[387].email``."""
        key_column = KEY_COLUMNS[table]
        frame = self.frame(table)
        if (
            key_column is None
            or key_column not in frame.columns
            or index is None
            or index not in frame.index
        ):
            return f"{table}.{column}"
        return f"{table}[{frame.at[index, key_column]}].{column}"
