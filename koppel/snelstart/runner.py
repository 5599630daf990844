"""The machinery behind :func:`koppel.loading.execute_plan`.

:class:`LoadRun` carries one load through its steps (see the docstring of
:mod:`koppel.loading`): :mod:`~koppel.snelstart.settle` sorts and settles the
plan's orders, :mod:`~koppel.snelstart.writes` writes relaties, artikelen and
orders. HTTP runs in a thread pool; ledger writes stay on the calling thread.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from koppel.exceptions import StagingLockedError
from koppel.profile import Profile
from koppel.snelstart.runstate import Sorted
from koppel.snelstart.settle import VOID, SettleSteps
from koppel.snelstart.writes import WriteSteps

__all__ = ["VOID", "LoadOptions", "LoadRun", "profile_lock"]

log = logging.getLogger(__name__)

_LOCK_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class LoadOptions:
    """How a load runs.

    Attributes:
        workers: POSTs in flight at once (the throttle caps them too).
        chunk_size: orders per intent commit; a crash leaves at most one
            chunk pending, to be looked up by the next run.
        settle_seconds: wait before looking up writes that may have landed,
            so SnelStart can finish a slow request first.
        max_rounds: look-up-and-repost rounds for ambiguous writes.
        lock_timeout_seconds: how long to wait for another load of the same
            profile to finish.
    """

    workers: int = 4
    chunk_size: int = 50
    settle_seconds: float = 1.0
    max_rounds: int = 5
    lock_timeout_seconds: float = 900.0

    @classmethod
    def for_profile(cls, profile: Profile) -> LoadOptions:
        """Defaults within the profile's concurrency and retry settings."""
        snel = profile.snelstart
        return cls(workers=min(snel.concurrency, 8), max_rounds=snel.max_retries)


@contextlib.contextmanager
def profile_lock(profile: Profile, timeout: float) -> Iterator[None]:
    """One load per profile at a time, across threads and processes.

    Raises:
        StagingLockedError: when another load holds the lock past ``timeout``.
    """
    path = Path(profile.data_dir) / f"{profile.name}.load.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    with open(path, "ab") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    msg = (
                        f"another load of profile `{profile.name}` still holds "
                        f"`{path}` after {timeout:.0f} s; wait for it to finish"
                    )
                    raise StagingLockedError(msg) from None
                time.sleep(_LOCK_POLL_SECONDS)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class LoadRun(SettleSteps, WriteSteps):
    """One load of one plan; see :func:`koppel.loading.execute_plan`."""

    def execute(self, withdrawn: Collection[int] | None) -> None:
        """Carry out the plan (steps 1-5)."""
        with ThreadPoolExecutor(self.options.workers) as pool:
            self.pool = pool
            todo = self._prepare(withdrawn)
            try:
                needs = todo.post + [b for b, _ in todo.update]
                self._write_records(needs)
                self._post_orders(todo.post)
                self._put_orders(todo.update)
            finally:
                self.ledger.flush()

    def preview(self, withdrawn: Collection[int] | None) -> None:
        """Fill ``result.preview`` with what a real run would do."""
        from koppel.snelstart.preview import build_preview

        with ThreadPoolExecutor(self.options.workers) as pool:
            self.pool = pool
            todo = self._prepare(withdrawn, dry_run=True)
        self.result.preview = build_preview(self, todo)
        # a dry run quarantines nothing: its flags live in the preview only
        self.result.preview["flags"] = {
            oid: {"reason": str(reason), "message": message}
            for oid, (reason, _, message) in self.result.failed.items()
        }
        self.result.failed = {}

    def _prepare(
        self, withdrawn: Collection[int] | None, *, dry_run: bool = False
    ) -> Sorted:
        withdrawn_ids = self._withdrawn_ids(withdrawn)
        self.ledger.load(list(self.bookings) + withdrawn_ids)
        self.ledger.load_records()
        self.shop_hashes = self.ledger.shop_hashes(self.bookings)
        todo = self._sort(withdrawn_ids)
        self._look_up(todo)
        self._flag_withdrawn(todo)
        self._apply_changes(todo, dry_run=dry_run)
        if not dry_run:
            self.ledger.flush()
        return todo
