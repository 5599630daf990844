from __future__ import annotations

from pathlib import Path

import pytest

from koppel.mapping import RuleSet, load_rule_set

MAPPINGS = Path(__file__).parents[2] / "mappings"


@pytest.fixture(scope="session")
def default_rules() -> RuleSet:
    return load_rule_set(root=MAPPINGS)
