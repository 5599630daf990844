"""Administrations of the SnelStart sandbox and their state file.

One :class:`Administration` per koppelsleutel holds the records of every
resource as the API returns them (camelCase dicts, money as Decimal), the
number sequences and companyInfo. The optional state file keeps all
administrations across restarts; it is keyed by a hash of the koppelsleutel
so the secret itself is never written to disk.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import os
import threading
import uuid
from pathlib import Path
from typing import Any

from koppel.exceptions import ConfigError
from koppel.sandbox.snelstart import jsonwire

__all__ = ["RESOURCES", "Administration", "StateFile", "admin_key"]

logger = logging.getLogger(__name__)

RESOURCES = (
    "relaties",
    "artikelen",
    "artikelomzetgroepen",
    "verkooporders",
    "verkoopordersjablonen",
    "verkoopfacturen",
    "landen",
    "btwtarieven",
    "kostenplaatsen",
)

STATE_VERSION = 1


def admin_key(clientkey: str) -> str:
    """A stable, non-secret key for the administration of a koppelsleutel."""
    return hashlib.sha256(clientkey.encode()).hexdigest()[:24]


class Administration:
    """The records of one SnelStart administration.

    Records are stored per resource in insertion order, keyed by id (or by
    an internal key for id-less records such as btwtarieven). Every read
    returns deep copies, so callers cannot change the store by accident.
    """

    def __init__(self, name: str, identifier: str) -> None:
        self.name = name
        self.identifier = identifier
        self.lock = threading.RLock()
        self.records: dict[str, dict[str, dict[str, Any]]] = {r: {} for r in RESOURCES}
        self.company_info: dict[str, Any] = {}
        self.sequences: dict[str, int] = {}
        self._changes: list[dict[str, Any]] = []

    def count(self, resource: str) -> int:
        """How many records the resource holds (soft-deleted ones included)."""
        with self.lock:
            return len(self._table(resource))

    def list(self, resource: str) -> list[dict[str, Any]]:
        """Copies of all records of a resource, oldest first."""
        with self.lock:
            return copy.deepcopy(list(self._table(resource).values()))

    def get(self, resource: str, record_id: str) -> dict[str, Any] | None:
        """A copy of one record by id (any case), or None."""
        with self.lock:
            found = self._table(resource).get(_norm(record_id))
            return copy.deepcopy(found) if found is not None else None

    def find(self, resource: str, **equals: Any) -> list[dict[str, Any]]:
        """Copies of the records whose top-level fields equal the arguments."""
        with self.lock:
            rows = self._table(resource).values()
            hits = [r for r in rows if all(r.get(k) == v for k, v in equals.items())]
            return copy.deepcopy(hits)

    def put(self, resource: str, record: dict[str, Any]) -> None:
        """Insert or replace a record (keyed by its ``id``)."""
        with self.lock:
            key = _norm(record["id"]) if record.get("id") else _new_key()
            stored = copy.deepcopy(record)
            self._table(resource)[key] = stored
            self._changes.append({"op": "put", "resource": resource, "record": stored})

    def remove(self, resource: str, record_id: str) -> bool:
        """Delete a record by id; False when it did not exist."""
        with self.lock:
            key = _norm(record_id)
            self._changes.append({"op": "del", "resource": resource, "key": key})
            return self._table(resource).pop(key, None) is not None

    def next_number(self, sequence: str, start: int = 1) -> int:
        """Take the next value of a per-administration number sequence."""
        with self.lock:
            value = self.sequences.get(sequence, start)
            self.sequences[sequence] = value + 1
            return value

    def peek_number(self, sequence: str, start: int = 1) -> int:
        """The value `next_number` would return, without taking it."""
        with self.lock:
            return self.sequences.get(sequence, start)

    def iter_records(self, resource: str) -> list[dict[str, Any]]:
        """The stored records themselves, oldest first (do not mutate them)."""
        with self.lock:
            return list(self._table(resource).values())

    def take_changes(self) -> list[dict[str, Any]]:
        """The journal entries of the changes since the last call.

        Ends with the sequences and companyInfo as they are now, so a replay
        restores numbering too. Empty when nothing changed.
        """
        with self.lock:
            changes, self._changes = self._changes, []
            if changes:
                meta = {
                    "sequences": dict(self.sequences),
                    "company_info": copy.deepcopy(self.company_info),
                }
                changes.append({"op": "meta", **meta})
            return changes

    def apply(self, change: dict[str, Any]) -> None:
        """Replay one journal entry from `take_changes`."""
        with self.lock:
            if change["op"] == "put":
                self.put(change["resource"], change["record"])
            elif change["op"] == "del":
                self.remove(change["resource"], change["key"])
            else:
                self.sequences = dict(change["sequences"])
                self.company_info = change["company_info"]

    def _table(self, resource: str) -> dict[str, dict[str, Any]]:
        try:
            return self.records[resource]
        except KeyError:
            allowed = ", ".join(RESOURCES)
            msg = f"unknown sandbox resource {resource!r}; use one of {allowed}"
            raise KeyError(msg) from None

    def to_state(self) -> dict[str, Any]:
        """A JSON-ready dump of the administration."""
        with self.lock:
            return {
                "name": self.name,
                "identifier": self.identifier,
                "company_info": copy.deepcopy(self.company_info),
                "sequences": dict(self.sequences),
                "records": {r: list(t.values()) for r, t in self.records.items()},
            }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Administration:
        """Rebuild an administration from `to_state` output."""
        admin = cls(state["name"], state["identifier"])
        admin.company_info = state.get("company_info", {})
        admin.sequences = dict(state.get("sequences", {}))
        for resource, rows in state.get("records", {}).items():
            if resource in admin.records:
                for row in rows:
                    admin.put(resource, row)
        admin.take_changes()
        return admin


def _norm(record_id: str) -> str:
    return str(record_id).lower()


def _new_key() -> str:
    return f"_{uuid.uuid4()}"


class StateFile:
    """The sandbox's state on disk: a JSON snapshot plus a change journal.

    Every acknowledged write is appended to ``<file>.journal`` (one JSON line
    per change) before the answer leaves, so a killed sandbox loses nothing;
    the snapshot is rewritten, and the journal emptied, every
    ``compact_every`` lines and on `save`. Loading reads the snapshot and
    replays the journal, ignoring a torn last line.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, compact_every: int = 2000
    ) -> None:
        self.path = Path(path)
        self.journal = self.path.with_name(self.path.name + ".journal")
        self.compact_every = compact_every
        self._lines = 0
        self._lock = threading.Lock()

    def load(self) -> dict[str, Administration]:
        """Administrations stored on disk ({} when there is no snapshot).

        Raises:
            ConfigError: the file exists but is not a sandbox state file.
        """
        if not self.path.exists():
            return {}
        try:
            data = jsonwire.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != STATE_VERSION:
                msg = f"version {data.get('version')!r} is not {STATE_VERSION}"
                raise ValueError(msg)
            states = data["administrations"]
            admins = {k: Administration.from_state(v) for k, v in states.items()}
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            msg = (
                f"sandbox state file `{self.path}` cannot be read ({exc}); "
                "delete it to start from the seeded administration"
            )
            raise ConfigError(msg) from exc
        self._replay(admins)
        return admins

    def _replay(self, admins: dict[str, Administration]) -> None:
        if not self.journal.exists():
            return
        for line in self.journal.read_text(encoding="utf-8").splitlines():
            try:
                entry = jsonwire.loads(line)
            except ValueError:
                logger.warning("ignoring a torn line in %s", self.journal)
                break
            admin = admins.get(entry.pop("admin"))
            if admin is not None:
                admin.apply(entry)
        for admin in admins.values():
            admin.take_changes()

    def append(self, administrations: dict[str, Administration]) -> None:
        """Journal the changes since the last call; compact when it is long."""
        lines = [
            jsonwire.dumps({"admin": key, **change})
            for key, admin in administrations.items()
            for change in admin.take_changes()
        ]
        if not lines:
            return
        with self._lock:
            with self.journal.open("a", encoding="utf-8") as handle:
                handle.write("\n".join(lines) + "\n")
            self._lines += len(lines)
            compact = self._lines >= self.compact_every
        if compact:
            self.save(administrations)

    def save(self, administrations: dict[str, Administration]) -> None:
        """Write a full snapshot atomically and empty the journal."""
        for admin in administrations.values():
            admin.take_changes()
        payload = {
            "version": STATE_VERSION,
            "administrations": {k: a.to_state() for k, a in administrations.items()},
        }
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(self.path.suffix + ".tmp")
            tmp.write_text(jsonwire.dumps(payload), encoding="utf-8")
            os.replace(tmp, self.path)
            self.journal.unlink(missing_ok=True)
            self._lines = 0
        logger.debug("saved sandbox state to %s", self.path)
