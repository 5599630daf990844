"""Constants shared across koppel; defaults that profiles may override."""

from __future__ import annotations

# Demo credentials of the sandboxes. They only open local sandboxes and are
# documented in the README; real credentials never live in the repository.
DEMO_PRESTASHOP_KEY = "KOPPELDEMOKEY0000000000000000001"  # 32 chars, like PS
DEMO_SNELSTART_CLIENTKEY = "demo-koppelsleutel"
DEMO_SNELSTART_SUBSCRIPTION_KEY = "demo-subscription-key"

# Default loopback ports of `koppel sandbox`, used by profiles/demo.toml.
DEFAULT_PRESTASHOP_PORT = 18080
DEFAULT_SNELSTART_PORT = 18081

# Environment variables that profiles/demo.toml names for its secrets.
DEMO_ENV = {
    "KOPPEL_DEMO_PRESTASHOP_KEY": DEMO_PRESTASHOP_KEY,
    "KOPPEL_DEMO_SNELSTART_CLIENTKEY": DEMO_SNELSTART_CLIENTKEY,
    "KOPPEL_DEMO_SNELSTART_SUBSCRIPTION_KEY": DEMO_SNELSTART_SUBSCRIPTION_KEY,
}

# SnelStart gateway limits per administration (production figures).
SNELSTART_CALLS_PER_MINUTE = 500
SNELSTART_CALLS_PER_HOUR = 5000
SNELSTART_CONCURRENCY = 50
# Development-key figures.
SNELSTART_DEV_CALLS_PER_MINUTE = 100
SNELSTART_DEV_CALLS_PER_HOUR = 1000
SNELSTART_DEV_CONCURRENCY = 5

# SnelStart OData page maxima.
SNELSTART_MAX_TOP = 500
SNELSTART_MAX_TOP_ARTIKELEN = 25

# PrestaShop extraction.
PRESTASHOP_PAGE_SIZE = 100
PRESTASHOP_CONCURRENCY = 2
HTTP_TIMEOUT_SECONDS = 30.0
PRESTASHOP_MAX_RETRIES = 4
PRESTASHOP_BACKOFF_SECONDS = 0.5  # first retry waits about this long, then doubles
PRESTASHOP_BACKOFF_CAP_SECONDS = 60.0
PRESTASHOP_MIN_PAGE_SIZE = 10  # a page never shrinks below this after timeouts
PRESTASHOP_MAX_QUERY_CHARS = 3500  # encoded OR-filter values; URLs stay < ~4 KB
PRESTASHOP_SPLIT_RETRIES = 1  # retries per half when a failing chunk is split
PRESTASHOP_STAGE_ORDERS = 1000  # changed orders gathered per staging transaction
