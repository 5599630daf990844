"""Builders of staged orders and SnelStart snapshots for mapping tests.

Amounts follow PrestaShop's arithmetic: line totals are rounded per line,
``total_paid_tax_incl`` = products + shipping + wrapping - discounts (+ a
payment fee a module added).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd

from koppel.plan import SnelstartSnapshot
from koppel.staging import StagedOrders

D = Decimal
CENT = D("0.01")
SIX = D("0.000001")


def uid(kind: int, n: int) -> str:
    """A deterministic uuid: kind picks the record type, n the record."""
    return f"00000000-0000-4000-{kind:04d}-{n:012d}"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line(
    position: int,
    reference: str | None,
    name: str,
    quantity: int,
    unit_incl: str | Decimal,
    rate: str | Decimal = "21",
    *,
    attribute_id: int = 0,
    ean: str | None = None,
    base_reference: str | None = None,
    unit_excl: str | Decimal | None = None,
) -> dict[str, Any]:
    """One order row; the tax-excl price is derived like PrestaShop does."""
    unit_incl = D(unit_incl)
    rate = D(rate)
    excl = D(unit_excl) if unit_excl is not None else (unit_incl / (1 + rate / 100))
    excl = excl.quantize(SIX, rounding=ROUND_HALF_UP)
    row = {
        "position": position,
        "product_id": 100 + position,
        "product_attribute_id": attribute_id,
        "product_name": name,
        "product_reference": reference,
        "product_ean13": ean,
        "quantity": quantity,
        "unit_price_tax_incl": unit_incl.quantize(SIX),
        "unit_price_tax_excl": excl,
        "total_price_tax_incl": cents(unit_incl * quantity),
        "total_price_tax_excl": cents(excl * quantity),
        "tax_rate": rate.quantize(D("0.001")),
        "id_customization": 0,
    }
    if base_reference is not None:
        row["product_base_reference"] = base_reference
    return row


def customer(
    customer_id: int = 1,
    email: str = "sanne.devries@example.nl",
    firstname: str = "Sanne",
    lastname: str = "de Vries",
    company: str = "",
    *,
    is_guest: bool = False,
) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "email": email,
        "firstname": firstname,
        "lastname": lastname,
        "company": company,
        "siret": "",
        "is_guest": is_guest,
        "deleted": False,
        "id_lang": 1,
        "date_add": datetime(2025, 1, 5, 9, 0, tzinfo=UTC),
        "date_upd": datetime(2025, 1, 5, 9, 0, tzinfo=UTC),
        "run_id": "test",
    }


def address(
    address_id: int = 11,
    customer_id: int = 1,
    *,
    firstname: str = "Sanne",
    lastname: str = "de Vries",
    company: str = "",
    address1: str = "Prinsengracht 1090",
    address2: str = "",
    postcode: str = "1017 JH",
    city: str = "Amsterdam",
    country: str = "NL",
    phone: str = "+31 6 5555 0123",
    vat_number: str = "",
) -> dict[str, Any]:
    return {
        "address_id": address_id,
        "customer_id": customer_id,
        "company": company,
        "firstname": firstname,
        "lastname": lastname,
        "address1": address1,
        "address2": address2,
        "postcode": postcode,
        "city": city,
        "country_id": 13,
        "country_iso": country,
        "phone": phone,
        "phone_mobile": "",
        "vat_number": vat_number,
        "deleted": False,
        "date_upd": datetime(2025, 1, 5, 9, 0, tzinfo=UTC),
        "run_id": "test",
    }


def discount(
    name: str, incl: str | Decimal, excl: str | Decimal, *, free_shipping: bool = False
) -> dict[str, Any]:
    return {
        "cart_rule_id": 7,
        "name": name,
        "value_tax_incl": D(incl),
        "value_tax_excl": D(excl),
        "free_shipping": free_shipping,
    }


@dataclass
class OrderSpec:
    """One order with its rows in every staged table."""

    order: dict[str, Any]
    lines: list[dict[str, Any]]
    customer: dict[str, Any] | None
    addresses: list[dict[str, Any]]
    payments: list[dict[str, Any]] = field(default_factory=list)
    discounts: list[dict[str, Any]] = field(default_factory=list)


def make_order(
    order_id: int = 1,
    lines: list[dict[str, Any]] | None = None,
    *,
    cust: dict[str, Any] | None = None,
    invoice: dict[str, Any] | None = None,
    delivery: dict[str, Any] | None = None,
    shipping: str | Decimal = "6.95",
    carrier_rate: str | Decimal = "21",
    wrapping: str | Decimal = "0",
    wrapping_excl: str | Decimal | None = None,
    discounts: list[dict[str, Any]] | None = None,
    fee: str | Decimal = "0",
    fee_excl: str | Decimal | None = None,
    reference: str = "KPLABCDEF",
    date_add: datetime | None = None,
    paid_at: datetime | None = None,
    module: str = "ps_wirepayment",
    payment: str = "Bankoverschrijving",
    state_name: str = "Betaling aanvaard",
    invoice_number: int = 0,
    total_paid: str | Decimal | None = None,
) -> OrderSpec:
    """An order whose header totals are consistent with its rows."""
    lines = lines or [line(1, "WW-250", "Wolwasmiddel 250 ml", 2, "12.95")]
    cust = cust or customer()
    invoice = invoice or address(customer_id=cust["customer_id"])
    delivery = delivery or invoice
    discounts = discounts or []
    shipping, carrier_rate = D(shipping), D(carrier_rate)
    shipping_excl = cents(shipping / (1 + carrier_rate / 100))
    wrapping = D(wrapping)
    wrapping_excl = D(wrapping_excl) if wrapping_excl is not None else wrapping
    fee = D(fee)
    fee_excl = D(fee_excl) if fee_excl is not None else fee
    products_wt = sum((x["total_price_tax_incl"] for x in lines), D(0))
    products = sum((x["total_price_tax_excl"] for x in lines), D(0))
    disc_incl = sum((d["value_tax_incl"] for d in discounts), D(0))
    disc_excl = sum((d["value_tax_excl"] for d in discounts), D(0))
    paid_incl = products_wt + shipping + wrapping - disc_incl + fee
    paid_excl = products + shipping_excl + wrapping_excl - disc_excl + fee_excl
    when = date_add or datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    order = {
        "order_id": order_id,
        "reference": reference,
        "id_shop": 1,
        "customer_id": cust["customer_id"],
        "address_delivery_id": delivery["address_id"],
        "address_invoice_id": invoice["address_id"],
        "carrier_id": 2,
        "currency_iso": "EUR",
        "conversion_rate": D("1.000000"),
        "current_state": 2,
        "state_name": state_name,
        "state_paid": True,
        "state_logable": True,
        "state_invoice": True,
        "eligible": True,
        "payment": payment,
        "module": module,
        "total_products": products,
        "total_products_wt": products_wt,
        "total_shipping_tax_incl": shipping,
        "total_shipping_tax_excl": shipping_excl,
        "carrier_tax_rate": carrier_rate.quantize(D("0.001")),
        "total_wrapping_tax_incl": wrapping,
        "total_wrapping_tax_excl": wrapping_excl,
        "total_discounts_tax_incl": disc_incl,
        "total_discounts_tax_excl": disc_excl,
        "total_paid_tax_incl": D(total_paid) if total_paid is not None else paid_incl,
        "total_paid_tax_excl": paid_excl,
        "total_paid_real": paid_incl,
        "gift": wrapping > 0,
        "gift_message": "",
        "invoice_number": invoice_number,
        "invoice_date": None,
        "date_add": when,
        "date_upd": when,
        "date_upd_local": "",
        "paid_at": paid_at,
        "payload_hash": "x",
        "run_id": "test",
        "fetched_at": when,
    }
    for i, row in enumerate(lines):
        row.update(line_id=order_id * 100 + i, order_id=order_id, run_id="test")
    for i, row in enumerate(discounts):
        row.update(discount_id=order_id * 10 + i, order_id=order_id, run_id="test")
    payments = [
        {
            "payment_id": order_id,
            "order_reference": reference,
            "amount": paid_incl,
            "currency_iso": "EUR",
            "payment_method": payment,
            "transaction_id": f"TX{order_id:05d}",
            "date_add": paid_at or when,
            "run_id": "test",
        }
    ]
    addresses = [invoice] if delivery is invoice else [invoice, delivery]
    return OrderSpec(order, lines, cust, addresses, payments, discounts)


def staged(*specs: OrderSpec) -> StagedOrders:
    """StagedOrders of these orders, as read_staged returns them."""

    def frame(rows: list[dict[str, Any]], key: str | None = None) -> pd.DataFrame:
        if key is not None:
            rows = list({r[key]: r for r in rows}.values())
        return pd.DataFrame(rows, dtype=object)

    return StagedOrders(
        orders=frame([s.order for s in specs]),
        lines=frame([x for s in specs for x in s.lines]),
        customers=frame([s.customer for s in specs if s.customer], "customer_id"),
        addresses=frame([a for s in specs for a in s.addresses], "address_id"),
        payments=frame([p for s in specs for p in s.payments]),
        discounts=frame([d for s in specs for d in s.discounts]),
    )


# --- SnelStart side ----------------------------------------------------------

LANDEN = {"NL": 1, "BE": 2, "DE": 3, "FR": 4, "GB": 5, "US": 6, "GR": 7}
OMZETGROEPEN = [
    (1, "Omzet hoog tarief", "Hoog"),
    (2, "Omzet laag tarief", "Laag"),
    (3, "Omzet vrijgesteld / 0%", "Geen"),
    (4, "Omzet btw verlegd", "Geen"),
]
EXTRA_ARTICLES = {
    "VERZEND-H": 1,
    "VERZEND-L": 2,
    "VERZEND-0": 3,
    "INPAK-H": 1,
    "KORTING-H": 1,
    "KORTING-L": 2,
    "KORTING-0": 3,
    "BETAALKOSTEN": 1,
    "AFRONDING": 3,
    "INPAK-L": 2,
    "VERLEGD": 4,
}
PRODUCT_ARTICLES = {
    "WW-250": ("Wolwasmiddel 250 ml", "10.70", 1),
    "KPB-01": ("Breipatronenboek", "7.80", 2),
    "MUTS-01": ("Gebreide muts", "16.49", 1),
    "MWS-M": ("Merino wollen trui - Maat : M", "74.34", 1),
    "THEE-ZW": ("Zwarte thee los 100 g", "5.04", 2),
}


def relatie(
    n: int,
    naam: str,
    email: str,
    *,
    code: int | None = None,
    postcode: str = "1017 JH",
    vat: str | None = None,
    land: str = "NL",
    **extra: Any,
) -> dict[str, Any]:
    record = {
        "id": uid(1, n),
        "uri": f"/relaties/{uid(1, n)}",
        "relatiesoort": ["Klant"],
        "relatiecode": code if code is not None else 1000 + n,
        "naam": naam,
        "email": email,
        "vestigingsAdres": {
            "contactpersoon": naam,
            "straat": "Prinsengracht 1090",
            "postcode": postcode,
            "plaats": "Amsterdam",
            "land": {"id": uid(2, LANDEN[land])},
        },
        "btwNummer": vat,
        "nonactief": False,
        "modifiedOn": "2025-01-01T00:00:00",
    }
    record.update(extra)
    return record


def artikel(code: str, omschrijving: str, prijs: str, groep: int, n: int) -> dict:
    return {
        "id": uid(3, n),
        "uri": f"/artikelen/{uid(3, n)}",
        "artikelcode": code,
        "omschrijving": omschrijving,
        "artikelOmzetgroep": {"id": uid(4, groep)},
        "verkoopprijs": D(prijs),
        "isNonActief": False,
        "voorraadControle": False,
        "modifiedOn": "2025-01-01T00:00:00",
    }


def snapshot(
    relaties: list[dict[str, Any]] | None = None,
    *,
    articles: bool = True,
    extra: bool = True,
    **fields: Any,
) -> SnelstartSnapshot:
    """A snapshot with the demo reference lists and the extra-line articles."""
    arts = []
    if extra:
        arts += [
            artikel(code, code, "0", groep, 100 + i)
            for i, (code, groep) in enumerate(EXTRA_ARTICLES.items())
        ]
    if articles:
        arts += [
            artikel(code, name, price, groep, i)
            for i, (code, (name, price, groep)) in enumerate(PRODUCT_ARTICLES.items())
        ]
    base = SnelstartSnapshot(
        relaties=relaties
        if relaties is not None
        else [relatie(1, "Sanne de Vries", "sanne.devries@example.nl")],
        artikelen=arts,
        landen=[
            {"id": uid(2, n), "landcode": iso, "landcodeISO": iso + "X", "naam": iso}
            for iso, n in LANDEN.items()
        ],
        artikelomzetgroepen=[
            {
                "id": uid(4, n),
                "nummer": n,
                "omschrijving": name,
                "verkoopNederlandBtwSoort": kind,
            }
            for n, name, kind in OMZETGROEPEN
        ],
        verkoopordersjablonen=[
            {"id": uid(5, 1), "omschrijving": "Standaard", "nonactief": False},
            {"id": uid(5, 2), "omschrijving": "Engels", "nonactief": False},
        ],
        kostenplaatsen=[{"id": uid(6, 1), "nummer": 10, "omschrijving": "Webshop"}],
        company_info={
            "verkoopprijsArtikelbestandExclusiefBtw": True,
            "artikelcodeSoort": "Alfanumeriek",
            "artikelcodeMaxLengte": 30,
        },
    )
    for key, value in fields.items():
        setattr(base, key, value)
    return base
