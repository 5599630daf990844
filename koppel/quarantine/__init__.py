"""The quarantine: orders that must not be booked as they are, with reasons.

Quarantine is per order. An order enters it when any stage (validate, map,
load) finds a problem, recorded as entries: a :class:`~koppel.reasons.Reason`
code, the failing field and value, the run ids that saw it, the order
version (``stg_orders.payload_hash``) and a reference to the raw shop payload
(``raw_records`` resource, record id, payload hash).

Lifecycle of an order (``quarantine_orders.status``):

- ``open``: held back from booking. Validation looks at it again when the
  shop sends a newer version or an operator asks for a retry
  (:func:`request_retry`); it is released when it passes.
- ``released``: it passed; its entries are kept as history.
- ``ignored``: an operator decided it is never to be booked
  (:func:`ignore`, with a reason). Only an explicit retry of its id reopens it.

Every change is also written to ``quarantine_events``, so ``show`` can tell
an order's story. The CLI's views are in
:mod:`koppel.quarantine.views` (:func:`format_entries`, :func:`format_show`).
"""

from __future__ import annotations

from koppel.quarantine.entries import QuarantineEntry, Stage, add
from koppel.quarantine.lifecycle import (
    due_order_ids,
    ignore,
    ignored_order_ids,
    open_order_ids,
    open_stages,
    release,
    request_retry,
)
from koppel.quarantine.views import format_entries, format_show, list_entries, show

__all__ = [
    "QuarantineEntry",
    "Stage",
    "add",
    "due_order_ids",
    "format_entries",
    "format_show",
    "ignore",
    "ignored_order_ids",
    "list_entries",
    "open_order_ids",
    "open_stages",
    "release",
    "request_retry",
    "show",
]
