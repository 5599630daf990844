"""Reading a PrestaShop shop through its webservice (JSON, read-only).

- :mod:`.client`: the HTTP client (auth, retries, empty shapes, redaction).
- :mod:`.pager`: paging through a ``date_upd`` window without gaps.
- :mod:`.related`: related records in OR-filtered batches.
- :mod:`.refs`: order states, countries, currencies and taxes per run.
- :mod:`.normalise`, :mod:`.batch`: records to staging frames (pure).
- :mod:`.store`: writing batches into DuckDB staging.
- :mod:`.shoptime`: shop-local wall-clock time and DST.
"""
