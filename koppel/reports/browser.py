"""Headless Chromium on a local report file, with every network path shut.

Used to screenshot the HTML report (for the README) and by the tests that
check the page renders. Chromium opens only the ``file://`` page: background
networking, component updates, sync and QUIC are off and no host name
resolves, so nothing can be fetched even by mistake.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

__all__ = ["FLAGS", "dump_dom", "find_chromium", "screenshot"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
TIMEOUT_SECONDS = 120


def find_chromium() -> str | None:
    """The Chromium binary on PATH, or None when none is installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _run(
    binary: str, page: Path, work: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    work.mkdir(parents=True, exist_ok=True)
    command = [
        binary,
        *FLAGS,
        f"--user-data-dir={work / 'chromium-profile'}",
        *extra,
        page.resolve().as_uri(),
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False
    )


def screenshot(
    binary: str, page: Path, target: Path, *, work: Path, size: str = "1280,2000"
) -> Path:
    """Save a PNG of ``page`` at ``target`` (``size`` is ``WIDTH,HEIGHT``).

    Args:
        binary: the Chromium executable.
        page: the local HTML file.
        target: where the PNG goes.
        work: a scratch directory for Chromium's profile.
        size: the window size in pixels.

    Returns:
        ``target``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(
        binary, page, work, f"--screenshot={target.resolve()}", f"--window-size={size}"
    )
    return target


def dump_dom(binary: str, page: Path, *, work: Path) -> str:
    """The page's DOM after rendering, serialised as HTML."""
    return _run(binary, page, work, "--dump-dom").stdout
