"""Golden tests: each option value proven by the plan it produces.

Regenerate after an intended change with ``KOPPEL_UPDATE_GOLDEN=1`` and
review the diff of ``tests/mapping/golden/`` like code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from koppel.mapping import build_plan, load_rule_set
from tests.mapping import (
    cases_articles,
    cases_customers,
    cases_extra,
    cases_header,
    cases_lines,
    cases_vat,
)
from tests.mapping.conftest import MAPPINGS
from tests.mapping.factory import staged
from tests.mapping.golden_case import Case

GOLDEN = Path(__file__).parent / "golden"
CASES: list[Case] = [
    *cases_customers.CASES,
    *cases_articles.CASES,
    *cases_lines.CASES,
    *cases_extra.CASES,
    *cases_vat.CASES,
    *cases_header.CASES,
]


def run_case(case: Case) -> dict:
    rules = load_rule_set(root=MAPPINGS, overrides=case.overrides)
    plan = build_plan(staged(*case.orders()), case.snap(), rules, profile_name="demo")
    return {"case": case.name, "proves": case.proves, "overrides": case.overrides,
            "plan": plan.to_dict()}  # fmt: skip


def test_case_names_are_unique():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


def test_every_golden_file_has_a_case():
    names = {c.name for c in CASES}
    assert {p.stem for p in GOLDEN.glob("*.json")} <= names


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_golden_plan(case: Case):
    result = json.loads(json.dumps(run_case(case)))
    path = GOLDEN / f"{case.name}.json"
    if os.environ.get("KOPPEL_UPDATE_GOLDEN") == "1":
        text = json.dumps(result, indent=2, sort_keys=True, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
    expected = json.loads(path.read_text(encoding="utf-8"))
    assert result == expected
