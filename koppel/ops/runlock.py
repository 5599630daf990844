"""One run per profile at a time, on one machine: a lock file beside the
profile's DuckDB file.

Prefect's concurrency limits keep runs apart when they go through a Prefect
server; this lock also covers runs started by hand and ephemeral-mode runs.
The lock is an OS file lock (``flock``), so it disappears with a crashed
process and never needs cleaning up.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

from koppel.exceptions import StagingLockedError
from koppel.profile import Profile

__all__ = ["lock_path", "run_lock"]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.5


def lock_path(profile: Profile) -> Path:
    """The lock file of a profile: ``<data_dir>/<name>.run.lock``."""
    return Path(profile.data_dir) / f"{profile.name}.run.lock"


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def run_lock(
    profile: Profile, *, wait_seconds: float = 0.0, holder: str = ""
) -> Iterator[Path]:
    """Hold the profile's run lock for the duration of the block.

    Args:
        profile: whose lock to take.
        wait_seconds: how long to wait for another run to finish; 0 fails at
            once.
        holder: written into the lock file to tell who holds it (a run id).

    Raises:
        StagingLockedError: when another run still holds the lock.
    """
    path = lock_path(profile)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                msg = (
                    f"profile `{profile.name}` is already running (lock "
                    f"`{path}` held by {_holder(path)!r}); one run per profile "
                    "at a time: wait for it to finish"
                )
                raise StagingLockedError(msg)
            time.sleep(_POLL_SECONDS)
        os.ftruncate(fd, 0)
        os.write(fd, f"{holder or 'koppel'} pid={os.getpid()}\n".encode())
        log.debug("run lock %s taken by %s", path, holder)
        try:
            yield path
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"
