"""Fixtures for extraction tests: profiles, real records and a fake shop."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from koppel import settings
from koppel.profile import Profile, parse_profile
from tests.extract.fakeshop import KEY, FakeShop
from tests.shared import REAL_RECORDS, require

# One real record per resource from a PrestaShop 1.7/8 test shop (anonymised),
# read from the shared reference material beside the repository.
REAL = REAL_RECORDS

# Default PrestaShop 1.7/8 states: id, name, invoice, logable, delivery,
# shipped, paid (reference note §2.7).
STATES = [
    (1, "Awaiting check payment", 0, 0, 0, 0, 0),
    (2, "Payment accepted", 1, 1, 0, 0, 1),
    (3, "Processing in progress", 1, 1, 1, 0, 1),
    (4, "Shipped", 1, 1, 1, 1, 1),
    (6, "Canceled", 0, 0, 0, 0, 0),
    (9, "On backorder (paid)", 1, 0, 0, 0, 1),
    (10, "Awaiting bank wire payment", 0, 0, 0, 0, 0),
]


def real_records() -> dict[str, dict[str, Any]]:
    """One real record per resource (Airbyte's test shop, anonymised)."""
    lines = require(REAL).read_text(encoding="utf-8").splitlines()
    return {d["resource"]: d["record"] for d in map(json.loads, lines)}


def make_profile(tmp_path: Path, **prestashop: Any) -> Profile:
    """A profile whose staging lives in ``tmp_path``."""
    return parse_profile(
        {
            "name": "test",
            "timezone": prestashop.pop("timezone", "Europe/Amsterdam"),
            "data_dir": str(tmp_path),
            "prestashop": {
                "url": "http://127.0.0.1:9/api",
                "key": {"env": "UNUSED"},
                **prestashop,
            },
            "snelstart": {
                "api_url": "http://127.0.0.1:9/v2",
                "token_url": "http://127.0.0.1:9/b2b/token",
                "clientkey": {"env": "UNUSED"},
                "subscription_key": {"env": "UNUSED"},
            },
        }
    )


def state_records() -> list[dict[str, Any]]:
    """``order_states`` as the webservice lists them (flags as strings)."""
    keys = ("invoice", "logable", "delivery", "shipped", "paid")
    return [
        {"id": i, "name": name, **{k: str(v) for k, v in zip(keys, flags, strict=True)}}
        for i, name, *flags in STATES
    ]


def build_shop(
    count: int, *, start: datetime, step: timedelta = timedelta(minutes=1)
) -> dict[str, list[dict[str, Any]]]:
    """``count`` orders cloned from the real record, one customer each."""
    real = real_records()
    shop: dict[str, list[dict[str, Any]]] = {
        "order_states": state_records(),
        "countries": [{"id": 13, "iso_code": "nl", "name": "Nederland"}],
        "currencies": [{"id": 1, "iso_code": "EUR", "conversion_rate": "1.000000"}],
        "taxes": [{"id": 1, "rate": "21.000", "name": "BTW hoog"}],
    }
    for resource in (
        "orders",
        "order_details",
        "customers",
        "addresses",
        "order_payments",
        "order_histories",
        "order_carriers",
        "order_cart_rules",
    ):
        shop[resource] = []
    for n in range(1, count + 1):
        stamp = (start + step * (n - 1)).strftime("%Y-%m-%d %H:%M:%S")
        order = copy.deepcopy(real["orders"])
        order.update(
            id=n,
            id_customer=str(n),
            id_address_delivery=str(n),
            id_address_invoice=str(n),
            current_state="2",
            reference=f"REF{n:06d}",
            date_add=stamp,
            date_upd=stamp,
        )
        rows = order["associations"]["order_rows"]
        for i, row in enumerate(rows):
            row["id"] = str(n * 10 + i)
        shop["orders"].append(order)
        for i, _row in enumerate(rows):
            detail = copy.deepcopy(real["order_details"])
            detail.update(id=n * 10 + i, id_order=str(n))
            detail["unit_price_tax_excl"] = "19.752066"
            detail["total_price_tax_excl"] = "19.752066"
            detail["associations"] = {"taxes": [{"id": "1"}]}
            shop["order_details"].append(detail)
        customer = copy.deepcopy(real["customers"])
        customer.update(id=n, email=f"c{n}@example.test", lastname="D &amp; G")
        shop["customers"].append(customer)
        address = copy.deepcopy(real["addresses"])
        address.update(id=n, id_customer=str(n), id_country="13")
        shop["addresses"].append(address)
        payment = copy.deepcopy(real["order_payments"])
        payment.update(id=n, order_reference=f"REF{n:06d}", date_add=stamp)
        shop["order_payments"].append(payment)
        shop["order_histories"].append(
            {"id": n, "id_order": str(n), "id_order_state": "2", "date_add": stamp}
        )
    return shop


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries without waiting."""
    monkeypatch.setattr(settings, "PRESTASHOP_BACKOFF_SECONDS", 0.0)


@pytest.fixture
def key() -> SecretStr:
    """The fake shop's webservice key."""
    return SecretStr(KEY)


@pytest.fixture
def fake_shop() -> FakeShop:
    """An empty fake shop (tests fill ``records``)."""
    return FakeShop()
