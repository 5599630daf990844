from __future__ import annotations

from pathlib import Path

import pytest

from koppel.profile import Profile, load_profile

DEMO = Path(__file__).parents[2] / "profiles" / "demo.toml"


@pytest.fixture(scope="session")
def profile() -> Profile:
    return load_profile(DEMO)
