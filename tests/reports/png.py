"""Read back the PNG screenshots Chromium makes in the report tests."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path


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
