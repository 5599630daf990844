"""Where the read-only reference material lives: ``../shared`` beside the repo.

Tests read it and never copy it into the project; a test that needs a file
that is absent skips and says which.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
REAL_RECORDS = SHARED / "prestashop" / "real" / "test-shop-records.jsonl"


def require(path: Path) -> Path:
    """Return ``path``, or skip the test with a clear message when absent."""
    if not path.exists():
        pytest.skip(f"reference file {path} is not available")
    return path
