"""A local PrestaShop webservice (1.7 / 8 / 9) that behaves like a real shop.

Usage::

    shop = generate_shop(orders=200, seed=1, now=datetime(..., tzinfo=ZoneInfo(...)))
    app = create_app(shop, SandboxOptions(key=DEMO_PRESTASHOP_KEY, version="8"))
    server = start_server(app)          # koppel.sandbox.server; loopback only
    # the webservice is at f"{server.url}/api/"

``shop.add_orders(n)``, ``shop.set_state(order_id, state_id)``,
``shop.edit_order(order_id, ...)`` change the shop while it is served, and
``shop.orders_with_quirk("split")`` finds the generated special cases.
"""

from __future__ import annotations

from koppel.sandbox.prestashop.app import create_app
from koppel.sandbox.prestashop.errors import WebserviceError
from koppel.sandbox.prestashop.generator import QUIRKS, generate_shop
from koppel.sandbox.prestashop.options import SandboxOptions
from koppel.sandbox.prestashop.store import STATE_QUIRKS, Shop, ShopError

__all__ = [
    "QUIRKS",
    "STATE_QUIRKS",
    "SandboxOptions",
    "Shop",
    "ShopError",
    "WebserviceError",
    "create_app",
    "generate_shop",
]
