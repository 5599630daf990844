"""Run headless Chromium on a local file, offline, for report tests."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

# Everything that could make Chromium reach out is off, and no host name
# resolves: the only thing it may open is the local file.
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


def find_chromium() -> str | None:
    """The Chromium binary, or None when it is not installed."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run(
    binary: str, page: Path, work: Path, *extra: str
) -> subprocess.CompletedProcess:
    """Open ``page`` with the offline flags plus ``extra``."""
    command = [
        binary,
        *FLAGS,
        f"--user-data-dir={work / 'profile'}",
        *extra,
        page.resolve().as_uri(),
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False
    )


def screenshot(binary: str, page: Path, work: Path, size: str = "1280,2000") -> Path:
    """Save a screenshot of ``page`` and return its path."""
    target = work / "report.png"
    run(binary, page, work, f"--screenshot={target}", f"--window-size={size}")
    return target


def dump_dom(binary: str, page: Path, work: Path) -> str:
    """The DOM after rendering, serialised."""
    return run(binary, page, work, "--dump-dom").stdout


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        msg = f"{path} is not a PNG"
        raise ValueError(msg)
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def png_distinct_rows(path: Path) -> int:
    """How many distinct scanlines the image has (a blank page has one)."""
    data = path.read_bytes()
    width, height = png_size(path)
    depth, colour = data[24], data[25]
    channels = {2: 3, 6: 4, 0: 1, 4: 2}[colour]
    stride = width * channels * depth // 8
    idat = b""
    offset = 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset : offset + 4])[0]
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            idat += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(idat)
    # filtered rows still differ when the pixels differ, which is all we ask
    rows = {raw[i * (stride + 1) : (i + 1) * (stride + 1)] for i in range(height)}
    return len(rows)
