"""Golden cases for order_header.yaml."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.mapping.factory import line, make_order, relatie, snapshot, uid
from tests.mapping.golden_case import Case


def _order(**kw):
    return [make_order(1, [line(1, "WW-250", "Wolwasmiddel 250 ml", 1, "12.95")], **kw)]


def _history_snapshot():
    snap = snapshot(
        [relatie(1, "Sanne de Vries", "sanne.devries@example.nl"),
         relatie(2, "Daan Jansen", "daan.jansen@example.nl")]
    )  # fmt: skip
    snap.verkooporders = [
        {"id": uid(7, 1), "nummer": 11, "datum": "2025-05-01T00:00:00",
         "relatie": {"id": uid(1, 1)}, "verkoopordersjabloon": {"id": uid(5, 1)}},
        {"id": uid(7, 2), "nummer": 12, "datum": "2025-09-01T00:00:00",
         "relatie": {"id": uid(1, 1)}, "verkoopordersjabloon": {"id": uid(5, 2)}},
        {"id": uid(7, 3), "nummer": 13, "datum": "2025-10-01T00:00:00",
         "relatie": {"id": uid(1, 2)}, "verkoopordersjabloon": {"id": uid(5, 1)}},
    ]  # fmt: skip
    return snap


LATE = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Amsterdam
PAID = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)

CASES = [
    Case(
        "header_defaults",
        "defaults: SnelStart's default template, betalingskenmerk = shop "
        "reference, 'Webshop-order {id}', orderreferentie PS-{id}, Order, the "
        "order's addresses, the order date in shop time (23:30 UTC = 2 March)",
        lambda: _order(date_add=LATE),
    ),
    Case(
        "header_template_fixed",
        "a fixed verkoopordersjabloon named by omschrijving",
        _order,
        {"order_header": {"template.fixed": "Engels"}},
    ),
    Case(
        "header_template_last_used",
        "last_used: the template of the relatie's most recent order (Engels); "
        "a new relatie gets the fixed one",
        lambda: [*_order(), make_order(2, reference="NEWCUSTOM", **_new_customer())],
        {"order_header": {"template.mode": "last_used", "template.fixed": "Standaard"}},
        snap=_history_snapshot,
    ),  # fmt: skip
    Case(
        "header_template_unknown",
        "a template SnelStart does not have quarantines the order",
        _order,
        {"order_header": {"template.fixed": "Bestaat niet"}},
    ),
    Case(
        "header_betalingskenmerk_order_id",
        "betalingskenmerk from the order id; SnelStart duplicate check off",
        _order,
        {
            "order_header": {
                "betalingskenmerk": {"source": "order_id", "duplicate_check": False}
            }
        },
    ),  # fmt: skip
    Case(
        "header_betalingskenmerk_invoice_number",
        "betalingskenmerk from the shop's invoice number",
        lambda: _order(invoice_number=2026017),
        {"order_header": {"betalingskenmerk.source": "invoice_number"}},
    ),
    Case(
        "header_omschrijving_generated",
        "generated: order state and payment method + transaction",
        _order,
        {"order_header": {"omschrijving.mode": "generated"}},
    ),
    Case(
        "header_omschrijving_empty",
        "empty: no omschrijving",
        _order,
        {"order_header": {"omschrijving.mode": "empty"}},
    ),
    Case(
        "header_omschrijving_profile_name",
        "profile_name: the profile's name",
        _order,
        {"order_header": {"omschrijving.mode": "profile_name"}},
    ),
    Case(
        "header_omschrijving_webshop_order_template",
        "webshop_order with a configured template",
        _order,
        {
            "order_header": {
                "omschrijving.webshop_order": "Bestelling {order.reference}"
            }
        },
    ),
    Case(
        "header_fields",
        "orderreferentie template, procesStatus Pakbon, kostenplaats by "
        "nummer, memo template",
        _order,
        {
            "order_header": {
                "orderreferentie": "SHOP1-{order.order_id}",
                "proces_status": "Pakbon",
                "kostenplaats": 10,
                "memo": "Betaald via {order.payment}",
            }
        },
    ),  # fmt: skip
    Case(
        "header_kostenplaats_unknown",
        "an unknown kostenplaats quarantines the order",
        _order,
        {"order_header": {"kostenplaats": "Winkel"}},
    ),
    Case(
        "header_addresses_customer_card",
        "customer_card: no afleveradres/factuuradres on the order",
        _order,
        {"order_header": {"addresses": "customer_card"}},
    ),
    Case(
        "header_datum_payment_date",
        "datum from the payment date",
        lambda: _order(paid_at=PAID),
        {"order_header": {"datum": "payment_date"}},
    ),
    Case(
        "header_datum_invoice_date_missing",
        "datum from the invoice date, absent here: the order date, with a warning",
        _order,
        {"order_header": {"datum": "invoice_date"}},
    ),
    Case(
        "header_kostenplaats_by_omschrijving",
        "a kostenplaats named by omschrijving",
        _order,
        {"order_header": {"kostenplaats": "Webshop"}},
    ),
    Case(
        "header_datum_invoice_date",
        "datum from the shop's invoice date (in shop time)",
        lambda: [_with_invoice_date(_order(invoice_number=2026017)[0])],
        {"order_header": {"datum": "invoice_date"}},
    ),
]


def _new_customer() -> dict:
    from tests.mapping.factory import address, customer

    return {
        "cust": customer(5, "nieuw@example.nl", "Nieuw", "Klant"),
        "invoice": address(15, 5, firstname="Nieuw", lastname="Klant"),
    }


def _with_invoice_date(spec):
    spec.order["invoice_date"] = datetime(2026, 3, 5, 23, 15, tzinfo=UTC)
    return spec
