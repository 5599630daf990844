"""Declarative mapping: rule files under ``mappings/`` turn staged shop orders
into a SnelStart load plan.

Public API::

    rules = load_rules(profile, root=Path("mappings"))
    request = lookup_request(staged, rules)      # what to fetch from SnelStart
    plan = build_plan(staged, snapshot, rules, profile_name=profile.name)

Everything here is pure: no HTTP, no DuckDB writes, no Prefect.
"""

from __future__ import annotations

from koppel.mapping.engine import build_plan
from koppel.mapping.lookup import lookup_request
from koppel.mapping.rules import RuleSet, load_rule_set, load_rules

__all__ = ["RuleSet", "build_plan", "load_rule_set", "load_rules", "lookup_request"]
