"""The in-memory shop behind the sandbox, and the mutations tests use.

Records are stored as the webservice shows them (strings, six-decimal money,
string ids in associations) except timestamps, which are aware datetimes
rendered in the shop's timezone at answer time. Changing an order's state
does what PrestaShop does: a history row, ``valid`` from the state's
``logable`` flag, an invoice number on the first invoicing state, a payment
on the first paid state, and a bumped ``date_upd``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from koppel.exceptions import KoppelError
from koppel.sandbox.prestashop import pricing
from koppel.sandbox.prestashop.resources import RESOURCES

__all__ = ["STATE_QUIRKS", "Record", "Shop", "ShopError"]

Record = dict[str, Any]
OrderFactory = Callable[["Shop", int, datetime | None], list[int]]

# Quirk labels answered from the orders' current state, not from generation.
STATE_QUIRKS: dict[str, frozenset[str]] = {
    "awaiting_payment": frozenset({"1", "10", "12", "13"}),
    "paid": frozenset({"2", "11"}),
    "processing": frozenset({"3"}),
    "shipped": frozenset({"4"}),
    "delivered": frozenset({"5"}),
    "cancelled": frozenset({"6"}),
    "refunded": frozenset({"7"}),
    "payment_error": frozenset({"8"}),
    "backorder_paid": frozenset({"9"}),
}
ZERO_DATETIME = "0000-00-00 00:00:00"
SHOP_ADDRESS = "Breiwinkel<br />Singel 10<br />1012 AA Amsterdam<br />Nederland"


class ShopError(KoppelError):
    """A test asked the sandbox shop for something it does not have."""


class Shop:
    """All records of one simulated shop, indexed by resource and id."""

    def __init__(self, *, timezone: ZoneInfo, now: datetime | None = None) -> None:
        self.tables: dict[str, dict[int, Record]] = {name: {} for name in RESOURCES}
        self.timezone = timezone
        self.now = now
        self.lock = threading.RLock()
        self.factory: OrderFactory | None = None
        self._quirks: dict[str, dict[int, None]] = {}
        self._last_id: dict[str, int] = {}
        self._by_order: dict[str, dict[int, list[int]]] = {}
        self._by_reference: dict[str, list[int]] = {}
        self._paid_references: set[str] = set()
        self._invoice_number = 0
        self._delivery_number = 0

    # --- reading ---------------------------------------------------------

    def table(self, resource: str) -> dict[int, Record]:
        """The records of ``resource`` by id."""
        return self.tables[resource]

    def get(self, resource: str, record_id: int) -> Record | None:
        """One record, or None."""
        return self.tables[resource].get(record_id)

    def order(self, order_id: int) -> Record:
        """An order; raises ShopError when there is none."""
        order = self.tables["orders"].get(order_id)
        if order is None:
            msg = f"the sandbox shop has no order {order_id!r}"
            raise ShopError(msg)
        return order

    def details_of(self, order_id: int) -> list[Record]:
        """The order_details rows of one order, in id order."""
        return self.children("order_details", order_id)

    def children(self, resource: str, order_id: int) -> list[Record]:
        """Rows of ``resource`` whose ``id_order`` is ``order_id``."""
        table = self.tables[resource]
        ids = self._by_order.get(resource, {}).get(order_id, ())
        return [table[i] for i in ids if i in table]

    def orders_by_reference(self, reference: str) -> list[int]:
        """Ids of the orders that share ``reference``."""
        return list(self._by_reference.get(reference, ()))

    def orders_with_quirk(self, quirk: str) -> list[int]:
        """Ids of the orders that show ``quirk``.

        Args:
            quirk: a generated label (``QUIRKS``: "split", "eu_b2b", ...,
                plus "combination" and "shop_2"), or a kind of state
                (``STATE_QUIRKS``: "paid", "cancelled", ...) answered from
                the orders' current state.

        Returns:
            Order ids in ascending order; empty for an unknown label.
        """
        if quirk in STATE_QUIRKS:
            states = STATE_QUIRKS[quirk]
            orders = self.tables["orders"].values()
            return [o["id"] for o in orders if o["current_state"] in states]
        return sorted(self._quirks.get(quirk, ()))

    def quirks(self) -> dict[str, int]:
        """Every generated quirk label with its number of orders."""
        return {name: len(ids) for name, ids in sorted(self._quirks.items())}

    # --- writing ---------------------------------------------------------

    def next_id(self, resource: str) -> int:
        """The id the next record of ``resource`` gets."""
        return self._last_id.get(resource, 0) + 1

    def insert(self, resource: str, record: Record) -> Record:
        """Store a record (it must carry its integer ``id``) and index it."""
        record_id = record["id"]
        self.tables[resource][record_id] = record
        self._last_id[resource] = max(self._last_id.get(resource, 0), record_id)
        if "id_order" in record:
            index = self._by_order.setdefault(resource, {})
            index.setdefault(int(record["id_order"]), []).append(record_id)
        elif resource == "order_payments":
            self._paid_references.add(record["order_reference"])
        elif resource == "orders":
            self._by_reference.setdefault(record["reference"], []).append(record["id"])
        return record

    def label(self, quirk: str, order_id: int) -> None:
        """Label an order with a quirk so tests can find it."""
        self._quirks.setdefault(quirk, {})[order_id] = None

    def tick(self, at: datetime | None = None) -> datetime:
        """The time of a mutation: ``at``, else a fixed clock, else now."""
        if at is not None:
            return at
        if self.now is not None:
            self.now += timedelta(seconds=1)
            return self.now
        return datetime.now(self.timezone)

    def add_orders(self, n: int, *, at: datetime | None = None) -> list[int]:
        """Add ``n`` ordinary new orders placed at ``at`` (default: now).

        Returns:
            The new order ids.

        Raises:
            ShopError: when the shop was not built by ``generate_shop``.
        """
        if self.factory is None:
            msg = "this shop has no order generator; build it with generate_shop()"
            raise ShopError(msg)
        with self.lock:
            return self.factory(self, n, at)

    def set_state(
        self,
        order_id: int,
        state_id: int,
        *,
        at: datetime | None = None,
        employee: int = 0,
    ) -> Record:
        """Move an order to another state, with PrestaShop's side effects.

        Args:
            order_id: the order.
            state_id: the new ``order_states`` id.
            at: when it happened (default: the shop clock).
            employee: the ``id_employee`` of the history row (0 = automatic).

        Returns:
            The new order_histories row.

        Raises:
            ShopError: for an unknown order or state.
        """
        with self.lock:
            order = self.order(order_id)
            state = self.tables["order_states"].get(state_id)
            if state is None:
                msg = f"the sandbox shop has no order state {state_id!r}"
                raise ShopError(msg)
            when = self.tick(at)
            history = {
                "id": self.next_id("order_histories"),
                "id_employee": str(employee),
                "id_order_state": str(state_id),
                "id_order": str(order_id),
                "date_add": when,
            }
            self.insert("order_histories", history)
            self._enter_state(order, state, when)
            return history

    def edit_order(
        self,
        order_id: int,
        *,
        quantities: dict[int, int] | None = None,
        note: str | None = None,
        at: datetime | None = None,
    ) -> Record:
        """Edit an order as the back office does; ``date_upd`` moves.

        Args:
            order_id: the order.
            quantities: new quantity per order_details id; totals follow.
            note: a new private note.
            at: when the edit happened (default: the shop clock).

        Returns:
            The edited order.

        Raises:
            ShopError: for an unknown order or order line.
        """
        with self.lock:
            order = self.order(order_id)
            details = {d["id"]: d for d in self.details_of(order_id)}
            for detail_id, quantity in (quantities or {}).items():
                if detail_id not in details or quantity < 1:
                    msg = f"order {order_id!r} has no order line {detail_id!r}"
                    raise ShopError(msg)
                _set_quantity(details[detail_id], quantity)
            if quantities:
                self.recompute_totals(order_id)
            if note is not None:
                order["note"] = note
            order["date_upd"] = self.tick(at)
            return order

    def edit_address(
        self, address_id: int, *, at: datetime | None = None, **fields: str
    ) -> Record:
        """Edit an address; like PrestaShop, orders using it keep their date_upd.

        Raises:
            ShopError: for an unknown address or field.
        """
        with self.lock:
            address = self.tables["addresses"].get(address_id)
            unknown = set(fields) - set(RESOURCES["addresses"].fields)
            if address is None or unknown:
                msg = f"cannot edit address {address_id!r} (fields {sorted(unknown)})"
                raise ShopError(msg)
            address.update(fields)
            address["date_upd"] = self.tick(at)
            return address

    def recompute_totals(self, order_id: int) -> None:
        """Recompute an order's header totals from its lines and vouchers."""
        order = self.order(order_id)
        rules = self.children("order_cart_rules", order_id)
        totals = pricing.order_totals(
            [self._line_tuple(d) for d in self.details_of(order_id)],
            shipping_incl=Decimal(order["total_shipping_tax_incl"]),
            shipping_rate=Decimal(order["carrier_tax_rate"]),
            wrapping_incl=Decimal(order["total_wrapping_tax_incl"]),
            wrapping_rate=Decimal(order["carrier_tax_rate"]),
            voucher_incl=sum(
                (Decimal(r["value"]) for r in rules if r["free_shipping"] == "0"),
                Decimal(0),
            ),
            free_shipping=any(r["free_shipping"] == "1" for r in rules),
        )
        write_totals(order, totals)
        self.sync_rows(order_id)

    def sync_rows(self, order_id: int) -> None:
        """Rebuild ``associations.order_rows`` from the order's lines."""
        order = self.order(order_id)
        fields = RESOURCES["orders"].associations[0].fields
        rows = [
            {f: str(d["id"]) if f == "id" else d[f] for f in fields}
            for d in self.details_of(order_id)
        ]
        order["associations"] = {"order_rows": rows} if rows else {}

    def update_record(
        self, resource: str, record_id: int, values: dict[str, Any], when: datetime
    ) -> Record:
        """Overwrite fields of a record (the webservice's PUT)."""
        with self.lock:
            record = self.tables[resource][record_id]
            record.update(values)
            if "date_upd" in record:
                record["date_upd"] = when
            return record

    # --- state side effects ----------------------------------------------

    def _enter_state(self, order: Record, state: Record, when: datetime) -> None:
        order["current_state"] = str(state["id"])
        order["valid"] = state["logable"]
        order["date_upd"] = when
        if state["invoice"] == "1" and order["invoice_number"] == "0":
            self._create_invoice(order, when)
        if state["delivery"] == "1" and order["delivery_number"] == "0":
            self._delivery_number += 1
            order["delivery_number"] = str(self._delivery_number)
            order["delivery_date"] = when
        if state["paid"] == "1" and order["total_paid_real"] == pricing.ZERO_MONEY:
            self._record_payment(order, when)
        if state["shipped"] == "1":
            self._ship(order)

    def _create_invoice(self, order: Record, when: datetime) -> None:
        self._invoice_number += 1
        number = str(self._invoice_number)
        order["invoice_number"], order["invoice_date"] = number, when
        invoice_id = self.next_id("order_invoices")
        self.insert("order_invoices", invoice_record(invoice_id, order, when))
        for row in self._satellites(order["id"]):
            row["id_order_invoice"] = str(invoice_id)

    def _satellites(self, order_id: int) -> Iterable[Record]:
        for name in ("order_details", "order_carriers", "order_cart_rules"):
            yield from self.children(name, order_id)

    def _record_payment(self, order: Record, when: datetime) -> None:
        order["total_paid_real"] = order["total_paid_tax_incl"]
        reference = order["reference"]
        if reference in self._paid_references:
            return  # one payment covers every order of a split cart
        siblings = [self.order(i) for i in self._by_reference[reference]]
        amount = sum((Decimal(o["total_paid_tax_incl"]) for o in siblings), Decimal(0))
        payment_id = self.next_id("order_payments")
        self.insert(
            "order_payments",
            payment_record(payment_id, reference, amount, order["payment"], when),
        )

    def _ship(self, order: Record) -> None:
        for carrier in self.children("order_carriers", order["id"]):
            if not carrier["tracking_number"]:
                carrier["tracking_number"] = f"3SKPL{order['id']:09d}"
                order["shipping_number"] = carrier["tracking_number"]

    def _line_tuple(self, detail: Record) -> tuple[Decimal, Decimal, Decimal]:
        taxes = detail.get("associations", {}).get("taxes", [])
        rate = Decimal(0)
        if taxes:
            rate = Decimal(self.tables["taxes"][int(taxes[0]["id"])]["rate"])
        return (
            Decimal(detail["total_price_tax_incl"]),
            Decimal(detail["total_price_tax_excl"]),
            rate,
        )


def _set_quantity(detail: Record, quantity: int) -> None:
    detail["product_quantity"] = str(quantity)
    detail["product_quantity_in_stock"] = str(quantity)
    for kind in ("incl", "excl"):
        unit = Decimal(detail[f"unit_price_tax_{kind}"])
        detail[f"total_price_tax_{kind}"] = pricing.money(unit * quantity)


def write_totals(order: Record, totals: pricing.Totals) -> None:
    """Write header totals (and their legacy copies) onto an order record."""
    m = pricing.money
    order["total_discounts"] = m(totals.discounts_incl)
    order["total_discounts_tax_incl"] = m(totals.discounts_incl)
    order["total_discounts_tax_excl"] = m(totals.discounts_excl)
    order["total_paid"] = m(totals.paid_incl)
    order["total_paid_tax_incl"] = m(totals.paid_incl)
    order["total_paid_tax_excl"] = m(totals.paid_excl)
    order["total_products"] = m(totals.products)
    order["total_products_wt"] = m(totals.products_wt)
    order["total_shipping"] = m(totals.shipping_incl)
    order["total_shipping_tax_incl"] = m(totals.shipping_incl)
    order["total_shipping_tax_excl"] = m(totals.shipping_excl)
    order["total_wrapping"] = m(totals.wrapping_incl)
    order["total_wrapping_tax_incl"] = m(totals.wrapping_incl)
    order["total_wrapping_tax_excl"] = m(totals.wrapping_excl)


def invoice_record(invoice_id: int, order: Record, when: datetime) -> Record:
    """An order_invoices row carrying the order's totals."""
    return {
        "id": invoice_id,
        "id_order": str(order["id"]),
        "number": order["invoice_number"],
        "delivery_number": "0",
        "delivery_date": ZERO_DATETIME,
        "total_discount_tax_excl": order["total_discounts_tax_excl"],
        "total_discount_tax_incl": order["total_discounts_tax_incl"],
        "total_paid_tax_excl": order["total_paid_tax_excl"],
        "total_paid_tax_incl": order["total_paid_tax_incl"],
        "total_products": order["total_products"],
        "total_products_wt": order["total_products_wt"],
        "total_shipping_tax_excl": order["total_shipping_tax_excl"],
        "total_shipping_tax_incl": order["total_shipping_tax_incl"],
        "shipping_tax_computation_method": "0",
        "total_wrapping_tax_excl": order["total_wrapping_tax_excl"],
        "total_wrapping_tax_incl": order["total_wrapping_tax_incl"],
        "shop_address": SHOP_ADDRESS,
        "note": "",
        "date_add": when,
    }


def payment_record(
    payment_id: int, reference: str, amount: Decimal, method: str, when: datetime
) -> Record:
    """An order_payments row (linked to orders by reference, not id)."""
    return {
        "id": payment_id,
        "order_reference": reference,
        "id_currency": "1",
        "amount": pricing.money(amount),
        "payment_method": method,
        "conversion_rate": "1.000000",
        "transaction_id": f"tr_{reference.lower()}{payment_id}",
        "card_number": "",
        "card_brand": "",
        "card_expiration": "",
        "card_holder": "",
        "date_add": when,
    }
