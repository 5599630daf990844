"""The load stage: book a LoadPlan in SnelStart exactly once.

:func:`execute_plan` works in five steps, all through the ledger
(:mod:`koppel.ledger`):

1. **Sort** the plan's orders by their ledger state: new, pending (an
   earlier POST may have landed), booked and unchanged (skipped), booked and
   changed (the profile's ``on_change`` policy), cancelled after booking
   (credit-note candidates).
2. **Look up** in SnelStart, ``or``-batched: pending orders by their
   orderreferentie, new orders by orderreferentie and betalingskenmerk when
   the duplicate check is on (booked outside koppel -> skipped).
3. **Write relaties and artikelen** the remaining orders need, before them.
4. **Post orders** in chunks: one committed intent per chunk before its
   POSTs leave, the results in one transaction after. POSTs that may have
   landed (timeouts, 5xx, dropped responses) are looked up by reference in
   a batch and posted again only when SnelStart does not have them.
5. **Update** changed orders (``on_change = "update"``) while SnelStart
   still holds them as an Order.

A dry run does steps 1-2 with GET look-ups only and returns a preview;
nothing is written to SnelStart or to the ledger.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import duckdb

from koppel.ledger import Ledger
from koppel.plan import LoadPlan
from koppel.profile import Profile
from koppel.reasons import Reason
from koppel.snelstart.client import SnelstartClient
from koppel.snelstart.lookup import fetch_snapshot
from koppel.snelstart.runner import LoadOptions, LoadRun, profile_lock

__all__ = ["LoadOptions", "LoadResult", "execute_plan", "fetch_snapshot"]

log = logging.getLogger(__name__)

Failure = tuple[Reason | None, tuple[str, ...], str]


@dataclass
class LoadResult:
    """What one load did.

    Attributes:
        loaded: shop order ids booked by this run.
        skipped: already booked and unchanged, changes ignored by policy,
            or booked outside koppel (see ``external``).
        failed: order id -> (reason, SnelStart codes, message). A reason
            means quarantine (rejected by SnelStart, changed after booking,
            credit-note candidate); None means a transient failure: the
            order stays pending and the next run looks it up first.
        recovered: orders an earlier, interrupted run had booked, confirmed
            now by their reference (not posted again).
        updated: booked orders updated by PUT after a change.
        external: orders SnelStart already had under their
            betalingskenmerk, booked outside koppel; never posted.
        relaties_created, relaties_updated, artikelen_created,
        artikelen_updated: counts of records written.
        calls: SnelStart calls by ``METHOD resource``.
        retries: repeated calls after 5xx, timeouts or 429.
        throttle_wait_seconds: time spent waiting for the throttle, summed
            over the worker threads.
        ambiguous: writes that may have landed and needed a look-up.
        preview: for a dry run, what a real run would do.
    """

    loaded: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: dict[int, Failure] = field(default_factory=dict)
    recovered: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    external: list[int] = field(default_factory=list)
    relaties_created: int = 0
    relaties_updated: int = 0
    artikelen_created: int = 0
    artikelen_updated: int = 0
    calls: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    throttle_wait_seconds: float = 0.0
    ambiguous: int = 0
    preview: dict[str, Any] | None = None
    dry_run: bool = False
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """Counts for the run summary (JSON-ready)."""
        return {
            "loaded": len(self.loaded),
            "skipped": len(self.skipped),
            "failed": len(self.failed),
            "recovered": len(self.recovered),
            "updated": len(self.updated),
            "external": len(self.external),
            "relaties_created": self.relaties_created,
            "relaties_updated": self.relaties_updated,
            "artikelen_created": self.artikelen_created,
            "artikelen_updated": self.artikelen_updated,
            "calls": sum(self.calls.values()),
            "retries": self.retries,
            "ambiguous": self.ambiguous,
            "throttle_wait_seconds": round(self.throttle_wait_seconds, 3),
            "seconds": round(self.seconds, 3),
        }


def execute_plan(
    client: SnelstartClient,
    con: duckdb.DuckDBPyConnection,
    plan: LoadPlan,
    *,
    profile: Profile,
    run_id: str,
    dry_run: bool = False,
    withdrawn: Collection[int] | None = None,
    options: LoadOptions | None = None,
) -> LoadResult:
    """Book the plan's orders in SnelStart, each exactly once.

    Args:
        client: an open SnelStart client for the profile's administration.
        con: the profile's open DuckDB connection (ledger and audit trail).
        plan: the mapping's plan (relaties and artikelen before orders).
        profile: the profile (``loading.on_change``, duplicate check, lock).
        run_id: recorded on every ledger row and audit event.
        dry_run: look up but write nothing; ``result.preview`` says what a
            real run would do.
        withdrawn: shop order ids now cancelled or refunded. None reads them
            from staging: booked orders whose staged state is no longer
            eligible. Each one booked is flagged once as a credit-note
            candidate.
        options: workers, chunk size, settle time and lock timeout.

    Returns:
        The LoadResult; ``failed`` entries with a reason go to quarantine.

    Raises:
        ApiAuthError: SnelStart refused the credentials; the run stops after
            recording what it already did.
        StagingLockedError: another load of the profile held the lock too
            long.
    """
    options = options or LoadOptions.for_profile(profile)
    started = time.monotonic()
    before = _stats(client)
    result = LoadResult(dry_run=dry_run)
    run = LoadRun(client, Ledger(con, run_id), plan, profile, options, result)
    if dry_run:
        run.preview(withdrawn)
    else:
        with profile_lock(profile, options.lock_timeout_seconds):
            run.execute(withdrawn)
    after = _stats(client)
    result.calls = {
        k: v - before["calls"].get(k, 0)
        for k, v in after["calls"].items()
        if v - before["calls"].get(k, 0)
    }
    result.retries = after["retries"] - before["retries"]
    result.throttle_wait_seconds = after["wait"] - before["wait"]
    result.seconds = time.monotonic() - started
    log.info(
        "load%s: %d booked, %d recovered, %d skipped, %d failed, %d calls in %.1f s",
        " (dry run)" if dry_run else "",
        len(result.loaded),
        len(result.recovered),
        len(result.skipped),
        len(result.failed),
        sum(result.calls.values()),
        result.seconds,
    )
    return result


def _stats(client: SnelstartClient) -> dict[str, Any]:
    stats = client.stats
    return {
        "calls": dict(stats.calls),
        "retries": stats.retries + stats.throttled,
        "wait": stats.throttle_wait_seconds,
    }
