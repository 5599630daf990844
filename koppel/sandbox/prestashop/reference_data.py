"""The fixed records of the demo shop: states, countries, taxes, carriers.

Order states are the 13 default states of a fresh PrestaShop 1.7/8 install,
with their ids and flags, so clients can (and must) select orders by flags.
Language 1 is Dutch (the shop's default), language 2 English.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from koppel.sandbox.prestashop.store import Record

__all__ = [
    "CARRIER_DHL",
    "CARRIER_POSTNL",
    "COUNTRY_IDS",
    "RULE_FREE_SHIPPING",
    "RULE_PERCENT",
    "RULE_WELCOME",
    "TAX_IDS",
    "reference_records",
]

# id, nl name, en name, template, colour, flags "invoice logable delivery shipped paid"
_STATES = (
    (
        1,
        "In afwachting van chequebetaling",
        "Awaiting check payment",
        "cheque",
        "#34209E",
        "00000",
    ),
    (2, "Betaling aanvaard", "Payment accepted", "payment", "#3498D8", "11001"),
    (
        3,
        "Wordt voorbereid",
        "Processing in progress",
        "preparation",
        "#3498D8",
        "11101",
    ),
    (4, "Verzonden", "Shipped", "shipped", "#01B887", "11111"),
    (5, "Afgeleverd", "Delivered", "", "#01B887", "11111"),
    (6, "Geannuleerd", "Canceled", "order_canceled", "#2C3E50", "00000"),
    (7, "Terugbetaald", "Refunded", "refund", "#ec2e15", "10000"),
    (8, "Betalingsfout", "Payment error", "payment_error", "#ec2e15", "00000"),
    (
        9,
        "In backorder (betaald)",
        "On backorder (paid)",
        "outofstock",
        "#3498D8",
        "10001",
    ),
    (
        10,
        "In afwachting van bankoverschrijving",
        "Awaiting bank wire payment",
        "bankwire",
        "#34209E",
        "00000",
    ),
    (
        11,
        "Betaling op afstand aanvaard",
        "Remote payment accepted",
        "payment",
        "#3498D8",
        "11001",
    ),
    (
        12,
        "In backorder (niet betaald)",
        "On backorder (not paid)",
        "outofstock",
        "#34209E",
        "00000",
    ),
    (
        13,
        "In afwachting van rembours",
        "Awaiting Cash On Delivery validation",
        "cashondelivery",
        "#34209E",
        "00000",
    ),
)
_STATE_MODULES = {1: "ps_checkpayment", 10: "ps_wirepayment", 13: "ps_cashondelivery"}

# iso, id, nl name, en name, call prefix, zip format
_COUNTRIES = (
    ("DE", 1, "Duitsland", "Germany", "49", "NNNNN"),
    ("AT", 2, "Oostenrijk", "Austria", "43", "NNNN"),
    ("BE", 3, "België", "Belgium", "32", "NNNN"),
    ("FR", 8, "Frankrijk", "France", "33", "NNNNN"),
    ("LU", 12, "Luxemburg", "Luxembourg", "352", "NNNN"),
    ("NL", 13, "Nederland", "Netherlands", "31", "NNNN LL"),
    ("GB", 17, "Verenigd Koninkrijk", "United Kingdom", "44", ""),
    ("US", 21, "Verenigde Staten", "United States", "1", "NNNNN"),
)
COUNTRY_IDS = {iso: cid for iso, cid, *_ in _COUNTRIES}
TAX_IDS = {"21": 1, "9": 2}
CARRIER_POSTNL, CARRIER_DHL = 2, 3
RULE_WELCOME, RULE_FREE_SHIPPING, RULE_PERCENT = 1, 2, 3


def _ml(nl: str, en: str | None = None) -> dict[str, str]:
    return {"1": nl, "2": nl if en is None else en}


def _state(row: tuple) -> Record:
    sid, nl, en, template, colour, flags = row
    invoice, logable, delivery, shipped, paid = flags
    return {
        "id": sid,
        "unremovable": "1",
        "delivery": delivery,
        "hidden": "0",
        "send_email": "1" if template else "0",
        "module_name": _STATE_MODULES.get(sid, ""),
        "invoice": invoice,
        "color": colour,
        "logable": logable,
        "shipped": shipped,
        "paid": paid,
        "pdf_delivery": "1" if delivery == "1" and sid != 3 else "0",
        "pdf_invoice": invoice if sid != 7 else "0",
        "deleted": "0",
        "name": _ml(nl, en),
        "template": _ml(template),
    }


def _country(row: tuple) -> Record:
    iso, cid, nl, en, prefix, zip_format = row
    return {
        "id": cid,
        "id_zone": "1" if iso != "US" else "2",
        "id_currency": "0",
        "call_prefix": prefix,
        "iso_code": iso,
        "active": "1" if iso in ("NL", "BE", "DE") else "0",
        "contains_states": "1" if iso == "US" else "0",
        "need_identification_number": "0",
        "need_zip_code": "1" if zip_format else "0",
        "zip_code_format": zip_format,
        "display_tax_label": "1",
        "name": _ml(nl, en),
    }


def _carrier(cid: int, name: str, delay: str, url: str, free: bool) -> Record:
    return {
        "id": cid,
        "deleted": "0",
        "is_module": "0",
        "id_tax_rules_group": "1",
        "id_reference": str(cid),
        "name": name,
        "active": "1",
        "is_free": "1" if free else "0",
        "url": url,
        "shipping_handling": "0",
        "shipping_external": "0",
        "range_behavior": "0",
        "shipping_method": 2,
        "max_width": "0",
        "max_height": "0",
        "max_depth": "0",
        "max_weight": "0.000000",
        "grade": "0",
        "external_module_name": "",
        "need_range": "0",
        "position": str(cid - 1),
        "delay": _ml(delay),
    }


def _cart_rule(rid: int, name: str, code: str, created: datetime, **kw: str) -> Record:
    record = {
        "id": rid,
        "id_customer": "0",
        "date_from": created,
        "date_to": created + timedelta(days=5 * 365),
        "description": "",
        "quantity": "9999",
        "quantity_per_user": "1",
        "priority": "1",
        "partial_use": "0",
        "code": code,
        "minimum_amount": "0.000000",
        "minimum_amount_tax": "0",
        "minimum_amount_currency": "1",
        "minimum_amount_shipping": "0",
        "country_restriction": "0",
        "carrier_restriction": "0",
        "group_restriction": "0",
        "cart_rule_restriction": "0",
        "product_restriction": "0",
        "shop_restriction": "0",
        "free_shipping": "0",
        "reduction_percent": "0.00",
        "reduction_amount": "0.000000",
        "reduction_tax": "1",
        "reduction_currency": "1",
        "reduction_product": "0",
        "reduction_exclude_special": "0",
        "gift_product": "0",
        "gift_product_attribute": "0",
        "highlight": "0",
        "active": "1",
        "date_add": created,
        "date_upd": created,
        "name": _ml(name),
    }
    record.update(kw)
    return record


def _taxes() -> list[Record]:
    return [
        {"id": tid, "rate": f"{rate}.000", "active": "1", "deleted": "0",
         "name": _ml(f"BTW {rate}%", f"VAT {rate}%")}
        for rate, tid in TAX_IDS.items()
    ]  # fmt: skip


def _tax_rules() -> list[Record]:
    rules, rule_id = [], 0
    for group, tax in ((1, 1), (2, 2)):
        for iso in ("NL", "BE", "DE"):
            rule_id += 1
            rules.append(
                {
                    "id": rule_id,
                    "id_tax_rules_group": str(group),
                    "id_state": "0",
                    "id_country": str(COUNTRY_IDS[iso]),
                    "zipcode_from": "0",
                    "zipcode_to": "0",
                    "id_tax": str(tax),
                    "behavior": "0",
                    "description": "",
                }
            )
    return rules


def _shops(count: int) -> list[Record]:
    names = ("Breiwinkel", "Breiwinkel België")
    return [
        {
            "id": i + 1,
            "id_shop_group": "1",
            "id_category": "2",
            "active": "1",
            "deleted": "0",
            "name": names[i],
            "color": "",
            "theme_name": "classic",
        }
        for i in range(count)
    ]


def reference_records(shops: int, created: datetime) -> dict[str, list[Record]]:
    """The fixed records of every demo shop.

    Args:
        shops: 1, or 2 for a multishop install.
        created: when the shop was installed (aware datetime).

    Returns:
        Records per resource name.
    """
    group_flags = {
        "active": "1",
        "deleted": "0",
        "date_add": created,
        "date_upd": created,
    }
    return {
        "order_states": [_state(row) for row in _STATES],
        "countries": [_country(row) for row in _COUNTRIES],
        "currencies": [
            {
                "id": 1,
                "names": "Euro",
                "name": _ml("Euro"),
                "symbol": "€",
                "iso_code": "EUR",
                "numeric_iso_code": "978",
                "precision": "2",
                "conversion_rate": "1.000000",
                "deleted": "0",
                "active": "1",
                "unofficial": "0",
                "modified": "0",
                "pattern": "",
            }
        ],
        "carriers": [
            _carrier(1, "Afhalen in de winkel", "Ophalen in de winkel", "", True),
            _carrier(
                CARRIER_POSTNL,
                "PostNL",
                "1-2 werkdagen",
                "https://postnl.example/track?code=@",
                False,
            ),
            _carrier(
                CARRIER_DHL,
                "DHL Parcel",
                "2-4 werkdagen",
                "https://dhl.example/track?code=@",
                False,
            ),
        ],  # fmt: skip
        "taxes": _taxes(),
        "tax_rule_groups": [
            {"id": 1, "name": "NL Standaardtarief (21%)", **group_flags},
            {"id": 2, "name": "NL Verlaagd tarief (9%)", **group_flags},
        ],
        "tax_rules": _tax_rules(),
        "shops": _shops(shops),
        "shop_groups": [
            {
                "id": 1,
                "name": "Default",
                "color": "",
                "share_customer": "0",
                "share_order": "0",
                "share_stock": "0",
                "active": "1",
                "deleted": "0",
            }
        ],
        "cart_rules": [
            _cart_rule(
                RULE_WELCOME,
                "Welkomstkorting",
                "WELKOM5",
                created,
                reduction_amount="5.000000",
            ),
            _cart_rule(
                RULE_FREE_SHIPPING,
                "Gratis verzending",
                "GRATISVERZENDEN",
                created,
                free_shipping="1",
            ),
            _cart_rule(
                RULE_PERCENT,
                "10% korting",
                "TIENPROCENT",
                created,
                reduction_percent="10.00",
            ),
        ],  # fmt: skip
    }
