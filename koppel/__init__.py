"""koppel: book PrestaShop webshop orders in SnelStart.

The core package holds everything that is not orchestration: API clients,
DuckDB staging, pandera schemas, the mapping engine, the ledger, the
sandboxes and the command line. It never imports Prefect; the thin Prefect
layer lives in the top-level ``flows`` and ``tasks`` packages.
"""

from __future__ import annotations

__version__ = "0.1.0"
