"""Relaties and artikelen: create, update or use them before the orders.

Each write is made exactly once with the same discipline as orders: the
ledger gets a ``pending`` entry before the POST, and a pending or ambiguous
create is first looked for in SnelStart by its natural key (artikelcode;
relatiecode, else e-mail and naam). A create refused because the key is
taken (ART-0005, REL-0008) adopts the existing record when it is the same
one, so concurrent runs and earlier crashes never produce twins.

An artikel's ``extraVelden`` are read-only in SnelStart: they leave the POST
body and are written afterwards with ``PUT /artikelen/{id}/customFields``.
Until that PUT succeeds the create stays pending in the ledger, so the next
attempt finds the artikel by its artikelcode and only writes the fields.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from koppel.exceptions import (
    AmbiguousWriteError,
    ApiAuthError,
    FatalApiError,
    TransientApiError,
)
from koppel.plan import ArtikelAction, RelatieAction, payload_hash
from koppel.snelstart.client import SnelstartClient
from koppel.snelstart.lookup import find_artikelen, find_relaties, remember

__all__ = ["RecordOutcome", "write_record"]

log = logging.getLogger(__name__)

_TAKEN = {"artikel": "ART-0005", "relatie": "REL-0008"}


@dataclass
class RecordOutcome:
    """What happened to one relatie or artikel action."""

    kind: str
    key: str
    action: str  # created | updated | used | adopted | unchanged
    snelstart_id: str | None = None
    payload_hash: str | None = None
    codes: Sequence[str] = ()
    message: str | None = None
    transient: bool = False

    @property
    def ok(self) -> bool:
        """True when the record has an id orders can point at."""
        return self.snelstart_id is not None


Action = RelatieAction | ArtikelAction


def kind_of(action: Action) -> str:
    """``relatie`` or ``artikel``."""
    return "relatie" if isinstance(action, RelatieAction) else "artikel"


def existing_id(action: Action) -> str | None:
    """The SnelStart id an ``update`` or ``use`` action names."""
    if isinstance(action, RelatieAction):
        return action.relatie_id
    return action.artikel_id


def find_existing(client: SnelstartClient, action: Action) -> dict[str, Any] | None:
    """Look a record up by its natural key (after an ambiguous create)."""
    payload = action.payload
    if isinstance(action, ArtikelAction):
        code = str(payload.get("artikelcode") or action.key)
        hits = find_artikelen(client, [code], use_cache=False)
        return next((h for h in hits if h.get("artikelcode") == code), None)
    if payload.get("relatiecode") is not None:
        hits = find_relaties(
            client, relatiecodes=[int(payload["relatiecode"])], use_cache=False
        )
    elif payload.get("email"):
        hits = find_relaties(client, emails=[str(payload["email"])], use_cache=False)
    else:
        hits = find_relaties(
            client, names=[str(payload.get("naam", ""))], use_cache=False
        )
    return next((h for h in hits if _same_relatie(h, payload)), None)


def _same_relatie(found: dict[str, Any], payload: dict[str, Any]) -> bool:
    for name in ("relatiecode", "naam", "email"):
        want = payload.get(name)
        if (
            want is not None
            and str(found.get(name, "")).strip().lower() != str(want).strip().lower()
        ):
            return False
    return True


def write_record(
    client: SnelstartClient,
    action: Action,
    *,
    pending: bool,
    last_hash: str | None,
) -> RecordOutcome:
    """Carry out one relatie or artikel action.

    Args:
        client: the SnelStart client.
        action: the plan's action.
        pending: the ledger holds an unconfirmed create for this key: look
            it up before posting.
        last_hash: payload hash of koppel's last successful write of this
            key; an ``update`` with the same payload is not sent again.

    Raises:
        ApiAuthError: credentials or scopes are wrong (stops the run).
    """
    kind = kind_of(action)
    phash = payload_hash(action.payload) if action.payload else None
    if action.action == "use":
        return RecordOutcome(kind, action.key, "used", existing_id(action))
    try:
        if action.action == "update":
            return _update(client, action, kind, phash, last_hash)
        return _create(client, action, kind, phash, pending)
    except ApiAuthError:
        raise
    except TransientApiError as exc:
        return RecordOutcome(
            kind, action.key, "failed", None, phash, (), str(exc), transient=True
        )
    except FatalApiError as exc:
        return RecordOutcome(
            kind, action.key, "failed", None, phash, exc.codes, str(exc)
        )


def _update(
    client: SnelstartClient,
    action: Action,
    kind: str,
    phash: str | None,
    last_hash: str | None,
) -> RecordOutcome:
    record_id = existing_id(action)
    if phash is not None and phash == last_hash:
        return RecordOutcome(kind, action.key, "unchanged", record_id, phash)
    resource = "relaties" if kind == "relatie" else "artikelen"
    client.put(f"{resource}/{record_id}", {**action.payload, "id": record_id})
    return RecordOutcome(kind, action.key, "updated", record_id, phash)


def _create(
    client: SnelstartClient,
    action: Action,
    kind: str,
    phash: str | None,
    pending: bool,
) -> RecordOutcome:
    resource = "relaties" if kind == "relatie" else "artikelen"
    attempts = client.settings.max_retries + 1
    for attempt in range(attempts):
        if pending or attempt > 0:
            found = find_existing(client, action)
            if found is not None:
                # after our own ambiguous POST the record is ours: created
                how = "adopted" if attempt == 0 else "created"
                return _adopt(client, resource, kind, action, found, phash, how)
        try:
            created = client.post(resource, _post_body(action.payload))
        except AmbiguousWriteError:
            if attempt + 1 >= attempts:
                raise
            continue
        except FatalApiError as exc:
            if _TAKEN[kind] not in exc.codes:
                raise
            found = find_existing(client, action)
            if found is None:
                raise
            return _adopt(client, resource, kind, action, found, phash, "adopted")
        created = _write_custom_fields(client, kind, action, created)
        remember(client, resource, created)
        return RecordOutcome(kind, action.key, "created", str(created["id"]), phash)
    raise AssertionError("unreachable")  # pragma: no cover


def _post_body(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload without fields SnelStart only lets koppel write separately."""
    return {k: v for k, v in payload.items() if k != "extraVelden"}


def _write_custom_fields(
    client: SnelstartClient, kind: str, action: Action, record: dict[str, Any]
) -> dict[str, Any]:
    """PUT the artikel's planned extra fields its record does not hold yet.

    Returns:
        The record with the written fields in its ``extraVelden``.

    Raises:
        TransientApiError, FatalApiError: the PUT failed; the create stays
            pending and the next attempt adopts the artikel and tries again.
    """
    wanted = (action.payload.get("extraVelden") or []) if kind == "artikel" else []
    have = {
        (e.get("naam"), str(e.get("waarde"))) for e in record.get("extraVelden") or ()
    }
    missing = [e for e in wanted if (e["naam"], str(e["waarde"])) not in have]
    if not missing:
        return record
    body = [{"name": e["naam"], "value": e["waarde"]} for e in missing]
    client.put(f"artikelen/{record['id']}/customFields", cast(Any, body))
    names = {e["naam"] for e in missing}
    kept = [e for e in record.get("extraVelden") or () if e.get("naam") not in names]
    return {**record, "extraVelden": [*kept, *missing]}


def _adopt(
    client: SnelstartClient,
    resource: str,
    kind: str,
    action: Action,
    found: dict[str, Any],
    phash: str | None,
    how: str,
) -> RecordOutcome:
    log.info("%s `%s` found in SnelStart after a write; using it", kind, action.key)
    found = _write_custom_fields(client, kind, action, found)
    remember(client, resource, found)
    return RecordOutcome(kind, action.key, how, str(found["id"]), phash)
