"""The stages of one import run as plain functions, free of Prefect.

Each function opens what it needs (the profile's DuckDB file, an API client),
does one stage, closes it again and returns a small summary. The Prefect
tasks in ``tasks/`` are thin wrappers around these, and the same functions
serve the CLI's ``replay`` and the tests.

A run's outcome for every order it looked at is one of: loaded, quarantined,
skipped (not eligible, already booked, or unchanged) or failed (a transient
load failure; the order stays pending and the next run tries again).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from koppel import staging
from koppel.plan import LoadPlan
from koppel.profile import Profile, find_profile, load_profile, resolve_secret

__all__ = [
    "RunContext",
    "new_run_id",
    "open_context",
    "pending_order_ids",
    "stage_extract",
    "stage_load",
    "stage_plan",
    "stage_validate",
]

log = logging.getLogger(__name__)

BlockLoader = Callable[[str], str]


def new_run_id() -> str:
    """A sortable, unique run id: UTC time plus a random suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


@dataclass
class RunContext:
    """Everything a stage needs; secrets stay in SecretStr and never leave.

    Attributes:
        profile: the validated profile.
        run_id: this run's id, recorded on every staged row and ledger entry.
        prestashop_key, snelstart_clientkey, snelstart_subscription_key:
            resolved secrets.
        prestashop_transport, snelstart_transport: optional httpx transports,
            for tests that serve the sandboxes in-process.
        mappings_root: where the rule sets live.
    """

    profile: Profile
    run_id: str
    prestashop_key: SecretStr
    snelstart_clientkey: SecretStr
    snelstart_subscription_key: SecretStr
    prestashop_transport: httpx.BaseTransport | None = None
    snelstart_transport: httpx.BaseTransport | None = None
    mappings_root: Path = field(default_factory=lambda: Path("mappings"))

    @property
    def database(self) -> Path:
        """The profile's DuckDB file."""
        return self.profile.database_path


def open_context(
    profile_ref: str | Path,
    run_id: str,
    *,
    block_loader: BlockLoader | None = None,
) -> RunContext:
    """Load a profile by name or path and resolve its secrets.

    Raises:
        ConfigError: when the profile is invalid or a secret is missing.
    """
    profile = load_profile(find_profile(str(profile_ref)))
    ps, sn = profile.prestashop, profile.snelstart
    return RunContext(
        profile=profile,
        run_id=run_id,
        prestashop_key=resolve_secret(ps.key, block_loader),
        snelstart_clientkey=resolve_secret(sn.clientkey, block_loader),
        snelstart_subscription_key=resolve_secret(sn.subscription_key, block_loader),
    )


# --- extract -----------------------------------------------------------------


def stage_extract(
    ctx: RunContext,
    *,
    mode: str = "incremental",
    since: datetime | None = None,
    until: datetime | None = None,
    days: int | None = None,
) -> dict[str, Any]:
    """Extract orders from the shop into staging.

    Returns:
        The extract summary, with ``changed_order_ids`` and ``seen_order_ids``.
    """
    from koppel.extract import extract_orders

    result = extract_orders(
        ctx.profile,
        ctx.prestashop_key,
        run_id=ctx.run_id,
        mode=mode,
        since=since,
        until=until,
        days=days,
        transport=ctx.prestashop_transport,
    )
    summary = dict(vars(result))
    unreadable = unreadable_order_ids(result.problems)
    if unreadable:
        log.warning(
            "extract: the shop did not return %d order(s), read again next run: %s",
            len(unreadable),
            unreadable[:20],
        )
    log.info(
        "extract: %d orders seen, %d staged, %d requests in %.1f s",
        result.orders_seen,
        result.orders_staged,
        result.requests,
        result.seconds,
    )
    return summary


# --- validate ----------------------------------------------------------------


def stage_validate(ctx: RunContext, order_ids: Sequence[int] | None) -> dict[str, Any]:
    """Validate staged orders; failures go to quarantine, the rest pass.

    Args:
        ctx: the run context.
        order_ids: orders to validate (this run's changed orders plus any
            marked for retry); None validates every staged order.
    """
    from koppel.validation import validate_orders

    with staging.connect(ctx.database) as con:
        # orders whose customer, address or lines the shop failed to return
        # wait for the next run instead of being judged on missing data
        incomplete = _incomplete_ids(con)
        if order_ids is not None:
            order_ids = [i for i in order_ids if int(i) not in incomplete]
        # validation adds the quarantined orders that are due on its own
        result = validate_orders(
            con, profile=ctx.profile, run_id=ctx.run_id, order_ids=order_ids
        )
    log.info(
        "validate: %d checked, %d passed, %d quarantined",
        result.checked,
        len(result.passed_order_ids),
        len(result.quarantined),
    )
    return {
        "checked": result.checked,
        "passed_order_ids": list(result.passed_order_ids),
        "quarantined": {
            int(k): [str(r) for r in v] for k, v in result.quarantined.items()
        },
        "released_order_ids": list(result.released_order_ids),
        "incomplete_order_ids": sorted(incomplete),
        "figures": dict(result.figures),
    }


def _incomplete_ids(con: Any) -> set[int]:
    """Orders staged with gaps (a related record the shop did not return)."""
    from koppel.prestashop.store import incomplete_orders

    return set(incomplete_orders(con))


def pending_order_ids(con: Any) -> list[int]:
    """Eligible staged orders to plan: not quarantined, and either not booked
    yet or changed in the shop since they were booked (so loading can apply
    the profile's ``on_change`` policy)."""
    from koppel import quarantine
    from koppel.ledger import booked_orders

    booked = booked_orders(con)
    blocked = quarantine.open_order_ids(con) | _incomplete_ids(con)
    rows = con.execute(
        "SELECT order_id, payload_hash FROM stg_orders WHERE eligible ORDER BY order_id"
    ).fetchall()
    return [
        int(oid)
        for oid, shop_hash in rows
        if int(oid) not in blocked and booked.get(int(oid)) != shop_hash
    ]


# --- plan and load -----------------------------------------------------------


def _client(ctx: RunContext) -> Any:
    from koppel.snelstart.client import SnelstartClient
    from koppel.snelstart.throttle import Throttle

    # the throttle's state lives beside the DuckDB file, so every process
    # booking into this administration shares its minute and hour ceilings
    throttle = Throttle.for_profile(
        ctx.profile, ctx.snelstart_clientkey.get_secret_value()
    )
    return SnelstartClient(
        ctx.profile.snelstart,
        clientkey=ctx.snelstart_clientkey,
        subscription_key=ctx.snelstart_subscription_key,
        transport=ctx.snelstart_transport,
        throttle=throttle,
    )


def stage_plan(
    ctx: RunContext, only: Sequence[int] | None = None
) -> tuple[LoadPlan, dict[str, Any]]:
    """Look up what SnelStart knows and map pending orders to a load plan.

    Args:
        ctx: the run context.
        only: restrict the plan to these pending orders (replay).

    Orders the mapping cannot plan are quarantined with their reason.
    """
    from koppel import quarantine
    from koppel.loading import fetch_snapshot
    from koppel.mapping import build_plan, load_rules, lookup_request

    started = time.monotonic()
    rules = load_rules(ctx.profile, root=ctx.mappings_root)
    with staging.connect(ctx.database) as con:
        ids = pending_order_ids(con)
        if only is not None:
            ids = [i for i in ids if i in set(only)]
        staged = staging.read_staged(con, ids)
    with _client(ctx) as client:
        snapshot = fetch_snapshot(client, lookup_request(staged, rules))
    plan = build_plan(staged, snapshot, rules, profile_name=ctx.profile.name)
    if plan.issues:
        entries = [
            quarantine.QuarantineEntry(
                order_id=i.order_id,
                reason=i.reason,
                field=i.field,
                value=i.value,
                message=i.message,
            )
            for i in plan.issues
        ]
        with staging.connect(ctx.database) as con:
            quarantine.add(con, entries, run_id=ctx.run_id, stage="map")
    summary = {
        "pending": len(ids),
        "pending_order_ids": ids,
        "orders_planned": len(plan.orders),
        "issues": len(plan.issues),
        "relaties": len(plan.relaties),
        "artikelen": len(plan.artikelen),
        "seconds": round(time.monotonic() - started, 3),
    }
    log.info(
        "map: %d pending, %d planned, %d quarantined by mapping",
        len(ids),
        len(plan.orders),
        len(plan.issues),
    )
    return plan, summary


def stage_load(
    ctx: RunContext, plan: LoadPlan, *, dry_run: bool = False
) -> dict[str, Any]:
    """Book the plan in SnelStart through the ledger; quarantine rejections.

    Returns:
        ``loaded``, ``skipped``, ``failed`` (transient, still pending) and
        ``quarantined`` order ids, what was created, call counts and, for a
        dry run, the preview.
    """
    from koppel import quarantine
    from koppel.loading import execute_plan

    with staging.connect(ctx.database) as con, _client(ctx) as client:
        result = execute_plan(
            client,
            con,
            plan,
            profile=ctx.profile,
            run_id=ctx.run_id,
            dry_run=dry_run,
        )
        rejected = _load_rejections(result.failed)
        if rejected:
            quarantine.add(con, rejected, run_id=ctx.run_id, stage="load")
    quarantined = sorted({e.order_id for e in rejected})
    failed = sorted(set(map(int, result.failed)) - set(quarantined))
    # recovered (booked by an interrupted run, confirmed now) and updated
    # orders were written for this run's plan: they count as loaded
    loaded = set(result.loaded) | set(result.recovered) | set(result.updated)
    log.info(
        "load: %d booked, %d skipped, %d failed, %d quarantined",
        len(result.loaded),
        len(result.skipped),
        len(failed),
        len(quarantined),
    )
    external = sorted(map(int, result.external))
    if external:
        log.warning(
            "%d order(s) not booked: SnelStart already has an order with the same "
            "orderreferentie or betalingskenmerk, booked outside this profile "
            "(see `koppel status`): %s",
            len(external),
            external[:20],
        )
    return {
        "external": external,
        "loaded": sorted(map(int, loaded)),
        "skipped": sorted(map(int, result.skipped)),
        "failed": failed,
        "quarantined": quarantined,
        "relaties_created": result.relaties_created,
        "relaties_updated": result.relaties_updated,
        "artikelen_created": result.artikelen_created,
        "artikelen_updated": result.artikelen_updated,
        "calls": dict(result.calls),
        "retries": getattr(result, "retries", 0),
        "throttle_wait_seconds": getattr(result, "throttle_wait_seconds", 0.0),
        "preview": getattr(result, "preview", None),
    }


def _load_rejections(failed: dict[Any, Any]) -> list[Any]:
    """Failures that are data errors (SnelStart said 400) become quarantine."""
    from koppel import quarantine

    entries = []
    for order_id, failure in failed.items():
        reason, codes, message = failure
        if reason is None:
            continue  # transient: stays pending for the next run
        entries.append(
            quarantine.QuarantineEntry(
                order_id=int(order_id),
                reason=reason,
                field="snelstart",
                value=",".join(codes) if codes else None,
                message=message,
            )
        )
    return entries


# --- the run's outcome -------------------------------------------------------


_UNREADABLE = re.compile(r"^`orders` id=(\d+)")


def unreadable_order_ids(problems: Sequence[str]) -> list[int]:
    """Orders the shop failed to return (PHP errors, fatal pages).

    They are not staged, so no stage can count them; the extraction keeps
    them below the watermark and reads them again next run.
    """
    found = (_UNREADABLE.match(p) for p in problems)
    return sorted({int(m.group(1)) for m in found if m})


def summarise(
    extract: dict[str, Any],
    validation: dict[str, Any],
    planned: dict[str, Any],
    plan: LoadPlan,
    load: dict[str, Any],
) -> dict[str, Any]:
    """Count every order the run looked at exactly once.

    ``extracted`` (orders seen in the shop) plus ``backlog`` (orders pending
    from earlier runs) equals loaded + quarantined + skipped + failed.
    """
    changed = {int(i) for i in extract.get("changed_order_ids", [])}
    backlog = {int(i) for i in planned.get("pending_order_ids", [])} - changed
    considered = changed | backlog
    loaded = set(load["loaded"]) & considered
    quarantined = (
        {int(i) for i in validation.get("quarantined", {})}
        | {int(i.order_id) for i in plan.issues}
        | set(load["quarantined"])
    ) & considered
    # an order counts once: booked now wins over a flag raised on it
    quarantined -= loaded
    incomplete = {int(i) for i in validation.get("incomplete_order_ids", [])}
    failed = ((set(load["failed"]) | incomplete) & considered) - quarantined - loaded
    # a dry run books nothing: orders it would book are not "skipped"
    preview = load.get("preview") or {}
    would_book = {
        int(o["order_id"])
        for o in preview.get("orders", [])
        if o.get("action") in ("book", "update")
    } & considered
    skipped = considered - loaded - quarantined - failed - would_book
    unchanged_seen = max(int(extract.get("orders_seen", 0)) - len(changed), 0)
    unreadable = unreadable_order_ids(extract.get("problems", []))
    return {
        "run_id": extract.get("run_id"),
        "extracted": int(extract.get("orders_seen", 0)),
        "changed": len(changed),
        "backlog": len(backlog),
        "validated": int(validation.get("checked", 0)),
        "loaded": len(loaded),
        "quarantined": len(quarantined),
        "skipped": len(skipped) + unchanged_seen,
        "failed": len(failed),
        "would_book": len(would_book),
        "already_in_snelstart": len(set(load.get("external", [])) & considered),
        "unreadable_in_shop": len(unreadable),
        "unreadable_order_ids": unreadable,
        "customers_created": int(load.get("relaties_created", 0)),
        "customers_updated": int(load.get("relaties_updated", 0)),
        "articles_created": int(load.get("artikelen_created", 0)),
        "articles_updated": int(load.get("artikelen_updated", 0)),
        "requests_prestashop": int(extract.get("requests", 0)),
        "calls_snelstart": int(sum(load.get("calls", {}).values())),
        "retries": int(load.get("retries", 0)),
        "throttle_wait_seconds": float(load.get("throttle_wait_seconds", 0.0)),
        "loaded_order_ids": sorted(loaded),
        "quarantined_order_ids": sorted(quarantined),
        "failed_order_ids": sorted(failed),
    }


def replay_order(
    ctx: RunContext, order_id: int, *, dry_run: bool = False
) -> dict[str, Any]:
    """Validate, map and load one staged order again (``koppel replay``)."""
    validation = stage_validate(ctx, [order_id])
    plan, planned = stage_plan(ctx, only=[order_id])
    load = stage_load(ctx, plan, dry_run=dry_run)
    extract = {"run_id": ctx.run_id, "orders_seen": 0, "changed_order_ids": []}
    summary = summarise(extract, validation, planned, plan, load)
    summary["order_id"] = order_id
    return summary


def run_once(ctx: RunContext, *, dry_run: bool = False) -> dict[str, Any]:
    """One incremental run of the four stages without Prefect.

    The flow runs the same stages as tasks; this is for scripts, benchmarks
    and tests that do not need a Prefect API.
    """
    extracted = stage_extract(ctx)
    validated = stage_validate(ctx, extracted["changed_order_ids"])
    plan, planned = stage_plan(ctx)
    loaded = stage_load(ctx, plan, dry_run=dry_run)
    return summarise(extracted, validated, planned, plan, loaded)
