"""Products, combinations, stock, customers and addresses of the demo shop.

Built from the shared demo catalogue (:mod:`koppel.sandbox.catalogue`) so
the SnelStart sandbox knows the same articles and customers. Extra invented
customers give large shops a realistic spread of buyers.
"""

from __future__ import annotations

import html
import random
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from koppel.sandbox import catalogue
from koppel.sandbox.prestashop.pricing import excl_from_incl, money
from koppel.sandbox.prestashop.reference_data import COUNTRY_IDS, TAX_IDS
from koppel.sandbox.prestashop.store import Record

__all__ = [
    "ANONYMOUS_ID",
    "Article",
    "Buyer",
    "DemoRecords",
    "build_catalogue",
    "build_customers",
]

ANONYMOUS_ID = 1
ZERO_DATETIME = "0000-00-00 00:00:00"
# Products whose names arrive HTML-encoded, as after an XML import client.
ENTITY_ENCODED = frozenset({"TAS-JUT"})
_OPTION_IDS = {"S": 1, "M": 2, "L": 3, "NAV": 10, "RED": 11}
_FIRST = "Ruben Fleur Thijs Iris Milan Sophie Lars Eva Jesse Noa Bas Lieke".split()
_LAST = "Dekker Vos Kok Prins Bos Willems Hoekstra Brouwer Postma Kuipers".split()
_PLACES = (
    ("Leiden", "2311 EZ"),
    ("Haarlem", "2011 HB"),
    ("Delft", "2611 GN"),
    ("Nijmegen", "6511 KW"),
    ("Breda", "4811 XJ"),
    ("Maastricht", "6211 CK"),
)


@dataclass(frozen=True)
class Article:
    """Something a cart line can hold: a product or one of its combinations."""

    product_id: int
    attribute_id: int
    name: str
    reference: str
    ean13: str
    list_incl: Decimal
    rate: Decimal
    weight: Decimal
    virtual: bool = False
    downloadable: bool = False

    @property
    def rules_group(self) -> str:
        """The product's tax rules group id ("0" = no tax)."""
        return str(TAX_IDS.get(str(self.rate), 0))

    @property
    def tax_id(self) -> int | None:
        """The tax a taxed line points at, or None for 0 %."""
        return TAX_IDS.get(str(self.rate))


@dataclass(frozen=True)
class Buyer:
    """A customer with the addresses an order uses."""

    customer_id: int
    invoice_address: int
    delivery_address: int
    country: str
    shop_id: int = 1
    exempt: bool = False


@dataclass
class DemoRecords:
    """Records per resource plus the handles the order builder needs."""

    records: dict[str, list[Record]]
    articles: list[Article]
    buyers: dict[str, list[Buyer]]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
    words = "".join(c if c.isalnum() else " " for c in ascii_text.decode().lower())
    return "-".join(words.split())


def _ml(text: str) -> dict[str, str]:
    return {"1": text, "2": text}


def _weight(product: catalogue.DemoProduct) -> Decimal:
    return Decimal("0") if product.is_virtual else Decimal("0.350")


def _wholesale(product: catalogue.DemoProduct) -> Decimal:
    return excl_from_incl(product.price_incl, product.tax_rate) * Decimal("0.45")


def build_catalogue(created: datetime) -> DemoRecords:
    """Products, their combinations and stock, from the demo catalogue."""
    records: dict[str, list[Record]] = {
        "products": [],
        "combinations": [],
        "stock_availables": [],
    }
    articles: list[Article] = []
    for pid, product in enumerate(catalogue.PRODUCTS, start=1):
        name = product.name
        if product.reference in ENTITY_ENCODED:
            name = html.escape(name)
        combos = _combinations(pid, product, records, articles, name)
        stock = _stock(pid, [c["id"] for c in combos], records)
        records["products"].append(_product(pid, product, name, combos, stock, created))
        if not combos:
            articles.append(
                Article(pid, 0, name, product.reference, product.ean13,
                        product.price_incl, product.tax_rate, _weight(product),
                        product.is_virtual, product.reference.startswith("EBOOK"))
            )  # fmt: skip
    return DemoRecords(records, articles, {})


def deleted_article() -> Article:
    """A product that was sold once and has since been deleted from the shop."""
    return Article(
        len(catalogue.PRODUCTS) + 81,
        0,
        "Breipakket omslagdoek (uit assortiment)",
        "OUD-OMSLAG",
        catalogue.ean13("871234109999"),
        Decimal("39.95"),
        Decimal("21"),
        Decimal("0.400"),
    )


def _combinations(
    pid: int,
    product: catalogue.DemoProduct,
    records: dict[str, list[Record]],
    articles: list[Article],
    name: str,
) -> list[Record]:
    combos = []
    for suffix, label in product.combinations:
        cid = len(records["combinations"]) + 1
        reference = f"{product.reference}-{suffix}"
        ean = catalogue.ean13(f"871234{200000 + cid:06d}")
        combo = {
            "id": cid,
            "id_product": str(pid),
            "location": "",
            "ean13": ean,
            "isbn": "",
            "upc": "",
            "mpn": "",
            "quantity": 40 + cid,
            "reference": reference,
            "supplier_reference": "",
            "wholesale_price": money(_wholesale(product)),
            "price": "0.000000",
            "ecotax": "0.000000",
            "weight": "0.000000",
            "unit_price_impact": "0.000000",
            "minimal_quantity": "1",
            "low_stock_threshold": None,
            "low_stock_alert": "0",
            "default_on": "1" if not combos else "0",
            "available_date": None,
            "associations": {
                "product_option_values": [{"id": str(_OPTION_IDS[suffix])}],
                "images": [{"id": str(pid)}],
            },
        }  # fmt: skip
        records["combinations"].append(combo)
        combos.append(combo)
        articles.append(
            Article(pid, cid, f"{name} - {label}", reference, ean,
                    product.price_incl, product.tax_rate, _weight(product))
        )  # fmt: skip
    return combos


def _stock(
    pid: int, combo_ids: list[int], records: dict[str, list[Record]]
) -> list[Record]:
    rows = []
    for attribute in [0, *combo_ids]:
        row = {
            "id": len(records["stock_availables"]) + 1,
            "id_product": str(pid),
            "id_product_attribute": str(attribute),
            "id_shop": "1",
            "id_shop_group": "0",
            "quantity": str(40 + pid + attribute),
            "depends_on_stock": "0",
            "out_of_stock": "2",
            "location": "",
        }
        records["stock_availables"].append(row)
        rows.append(row)
    return rows


def _product(
    pid: int,
    product: catalogue.DemoProduct,
    name: str,
    combos: list[Record],
    stock: list[Record],
    created: datetime,
) -> Record:
    price_excl = excl_from_incl(product.price_incl, product.tax_rate)
    default_combo = str(combos[0]["id"]) if combos else "0"
    kind = "combinations" if combos else "virtual" if product.is_virtual else "standard"
    associations: dict[str, list[dict[str, str]]] = {
        "categories": [{"id": "2"}, {"id": str(3 + pid % 4)}],
        "images": [{"id": str(pid)}],
        "product_features": [{"id": "1", "id_feature_value": str(10 + pid % 3)}],
        "stock_availables": [
            {"id": str(s["id"]), "id_product_attribute": s["id_product_attribute"]}
            for s in stock
        ],
    }
    if combos:
        associations["combinations"] = [{"id": str(c["id"])} for c in combos]
        associations["product_option_values"] = [
            v for c in combos for v in c["associations"]["product_option_values"]
        ]
    return {
        "id": pid, "id_manufacturer": "1", "id_supplier": "0",
        "id_category_default": str(3 + pid % 4), "new": None,
        "cache_default_attribute": default_combo, "id_default_image": str(pid),
        "id_default_combination": default_combo,
        "id_tax_rules_group": str(TAX_IDS.get(str(product.tax_rate), 0)),
        "position_in_category": str(pid), "manufacturer_name": "Breiwinkel",
        "quantity": str(sum(int(s["quantity"]) for s in stock)),
        "type": "virtual" if product.is_virtual else "simple", "id_shop_default": "1",
        "reference": product.reference, "supplier_reference": "", "location": "",
        "width": "0.000000", "height": "0.000000", "depth": "0.000000",
        "weight": money(_weight(product)), "quantity_discount": "0",
        "ean13": product.ean13, "isbn": "", "upc": "", "mpn": "",
        "cache_is_pack": "0", "cache_has_attachments": "0",
        "is_virtual": "1" if product.is_virtual else "0", "state": "1",
        "additional_delivery_times": "1", "delivery_in_stock": _ml(""),
        "delivery_out_stock": _ml(""), "product_type": kind, "on_sale": "0",
        "online_only": "0", "ecotax": "0.000000", "minimal_quantity": "1",
        "low_stock_threshold": None, "low_stock_alert": "0",
        "price": money(price_excl),
        "wholesale_price": money(price_excl * Decimal("0.45")), "unity": "",
        "unit_price_ratio": "0.000000", "additional_shipping_cost": "0.000000",
        "customizable": "0", "text_fields": "0", "uploadable_files": "0",
        "active": "1", "redirect_type": "301-category", "id_type_redirected": "0",
        "available_for_order": "1", "available_date": "0000-00-00",
        "show_condition": "0", "condition": "new", "show_price": "1", "indexed": "1",
        "visibility": "both", "advanced_stock_management": "0",
        "date_add": created, "date_upd": created, "pack_stock_type": "3",
        "meta_description": _ml(""), "meta_keywords": _ml(""), "meta_title": _ml(""),
        "link_rewrite": _ml(_slug(product.name)), "name": _ml(name),
        "description": _ml(f"<p>{name}</p>"),
        "description_short": _ml(f"<p>{name} uit onze winkel.</p>"),
        "available_now": _ml("Op voorraad"), "available_later": _ml(""),
        "associations": associations,
    }  # fmt: skip


def build_customers(
    rng: random.Random, created: datetime, *, extra: int, shops: int
) -> DemoRecords:
    """Customers and addresses: GDPR anonymous, the catalogue, invented extras.

    The returned ``buyers`` groups customers by role: ``regular``, ``shop_2``,
    ``guest`` (two guests sharing one e-mail), ``converted``, ``eu_b2b``,
    ``nl_b2b``, ``anonymous`` and ``deleted`` (a removed customer whose
    address stays, soft-deleted, because an order uses it).
    """
    out = DemoRecords({"customers": [], "addresses": []}, [], {})
    _add(out, rng, created, _anonymous(), role="anonymous")
    out.records["addresses"][0].update(
        alias="Anonymous", phone_mobile="0000000000", dni="0000"
    )
    for person in catalogue.CUSTOMERS:
        _add(out, rng, created, person, role=_role(person))
    for n in range(extra):
        shop_id = 2 if shops == 2 and n % 3 == 0 else 1
        role = "shop_2" if shop_id == 2 else "regular"
        _add(out, rng, created, _invented(n), role=role, shop_id=shop_id)
    deleted = _invented(extra + 1)
    _add(out, rng, created, deleted, role="deleted")
    out.records["customers"].pop()  # the customer is gone, the address stays
    out.records["addresses"][-1]["deleted"] = "1"
    return out


def _role(person: catalogue.DemoCustomer) -> str:
    if person.is_guest:
        return "guest"
    if person.firstname == "Sem":
        return "converted"
    if person.vat_number:
        return "nl_b2b" if person.country == "NL" else "eu_b2b"
    return "regular"


def _anonymous() -> catalogue.DemoCustomer:
    return catalogue.DemoCustomer(
        "Anonymous", "Anonymous", "anonymous@psgdpr.com", "Anonymous",
        "Anonymous", "00000", "Anonymous", "NL", "0000000000", "0000",
    )  # fmt: skip


def _invented(n: int) -> catalogue.DemoCustomer:
    first, last = _FIRST[n % len(_FIRST)], _LAST[(n // len(_FIRST)) % len(_LAST)]
    city, postcode = _PLACES[n % len(_PLACES)]
    email = f"{_slug(first)}.{_slug(last)}{n}@example.nl".replace("-", "")
    return catalogue.DemoCustomer(
        first, last, email, "", f"Lindelaan {n % 200 + 1}", postcode, city, "NL"
    )


def _add(
    out: DemoRecords,
    rng: random.Random,
    created: datetime,
    person: catalogue.DemoCustomer,
    *,
    role: str,
    shop_id: int = 1,
) -> None:
    cid = len(out.records["customers"]) + 1
    if role == "deleted":
        cid = max((c["id"] for c in out.records["customers"]), default=0) + 1
    since = created + timedelta(minutes=rng.randrange(0, 600 * 24 * 60))
    customer = _customer(cid, person, rng, since, shop_id)
    if role == "anonymous":
        customer.update(active="0", optin="1", id_gender="1")
    out.records["customers"].append(customer)
    invoice = _address(len(out.records["addresses"]) + 1, cid, person, since)
    out.records["addresses"].append(invoice)
    delivery = invoice
    if role == "nl_b2b":
        delivery = _address(invoice["id"] + 1, cid, person, since, home=True)
        out.records["addresses"].append(delivery)
    exempt = role == "eu_b2b"
    buyer = Buyer(cid, invoice["id"], delivery["id"], person.country, shop_id, exempt)
    out.buyers.setdefault(role, []).append(buyer)


def _customer(
    cid: int,
    person: catalogue.DemoCustomer,
    rng: random.Random,
    since: datetime,
    shop_id: int,
) -> Record:
    guest = person.is_guest
    return {
        "id": cid, "id_default_group": "2" if guest else "3", "id_lang": "1",
        "newsletter_date_add": ZERO_DATETIME, "ip_registration_newsletter": "",
        "last_passwd_gen": since, "secure_key": f"{rng.getrandbits(128):032x}",
        "deleted": "0", "passwd": f"$2y$10${rng.getrandbits(200):050x}"[:60],
        "lastname": person.lastname, "firstname": person.firstname,
        "email": person.email, "id_gender": "0", "birthday": "0000-00-00",
        "newsletter": "0", "optin": "0", "website": "", "company": person.company,
        "siret": "", "ape": "", "outstanding_allow_amount": "0.000000",
        "show_public_prices": "0", "id_risk": "0", "max_payment_days": "0",
        "active": "1", "note": "", "is_guest": "1" if guest else "0",
        "id_shop": str(shop_id), "id_shop_group": "1", "date_add": since,
        "date_upd": since, "reset_password_token": "",
        "reset_password_validity": None,
        "associations": {"groups": [{"id": "2" if guest else "3"}]},
    }  # fmt: skip


def _address(
    aid: int,
    cid: int,
    person: catalogue.DemoCustomer,
    since: datetime,
    *,
    home: bool = False,
) -> Record:
    company = "" if home else html.escape(person.company, quote=False)
    return {
        "id": aid, "id_customer": str(cid), "id_manufacturer": "0",
        "id_supplier": "0", "id_warehouse": "0",
        "id_country": str(COUNTRY_IDS[person.country]), "id_state": "0",
        "alias": "Thuis" if home else "Mijn adres", "company": company,
        "lastname": person.lastname, "firstname": person.firstname,
        "vat_number": "" if home else person.vat_number,
        "address1": "Prinsengracht 1090" if home else person.address1,
        "address2": "", "postcode": "1017 JH" if home else person.postcode,
        "city": "Amsterdam" if home else person.city, "other": "",
        "phone": person.phone, "phone_mobile": "", "dni": "", "deleted": "0",
        "date_add": since, "date_upd": since,
    }  # fmt: skip
