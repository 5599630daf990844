from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from koppel.exceptions import MappingRuleError
from koppel.mapping import load_rule_set, load_rules
from koppel.mapping.schema import ValueSpec
from koppel.profile import parse_profile
from tests.mapping.conftest import MAPPINGS
from tests.mapping.rule_cases import INVALID


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(MAPPINGS / "default", tmp_path / "default")
    (tmp_path / "bad").mkdir()
    return tmp_path


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / "bad" / name
        if name.startswith("lookups/"):  # the rule set brings its own CSV
            path.parent.mkdir(parents=True, exist_ok=True)
            lookups = root / "bad" / "lookups.yaml"
            lookups.write_text(
                "vat_rates: {file: lookups/vat_rates.csv}\n", encoding="utf-8"
            )
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("files", "overrides", "expected"),
    [case[1:] for case in INVALID],
    ids=[case[0] for case in INVALID],
)
def test_load_rule_set_invalid_reports_file_path_problem(
    root, files, overrides, expected
):
    _write(root, files)
    with pytest.raises(MappingRuleError) as info:
        load_rule_set("bad", root=root, overrides=overrides)
    wanted = expected.replace("{root}", str(root))
    assert any(p.startswith(wanted) for p in info.value.problems), info.value.problems


def test_load_rule_set_reports_every_problem_at_once(root):
    _write(root, {"customers.yaml": "matching: {method: x}",
                  "order_header.yaml": "datum: morgen"})  # fmt: skip
    with pytest.raises(MappingRuleError) as info:
        load_rule_set("bad", root=root, overrides={"vat": {"oss": "ja"}})
    problems = info.value.problems
    assert len(problems) == 3
    assert {p.split(":")[0] for p in problems} == {
        f"{root}/bad/customers.yaml",
        f"{root}/bad/order_header.yaml",
        "overrides.vat",
    }


def test_load_rule_set_unknown_rule_set_lists_known_ones(root):
    with pytest.raises(MappingRuleError) as info:
        load_rule_set("nope", root=root)
    assert "known: ['bad', 'default']" in info.value.problems[0]


def test_default_rule_set_loads_with_its_lookup():
    rules = load_rule_set(root=MAPPINGS)
    assert rules.customers.matching.method == "email"
    assert rules.tables["vat_rates"].get("NL", 21)["kind"] == "Hoog"
    assert rules.sources == (str(MAPPINGS / "default"),)


def test_named_rule_set_states_only_differences(root):
    _write(root, {"customers.yaml": "matching: {method: code}\n"
                  "fields: {naam: {from: customer.company}}"})  # fmt: skip
    rules = load_rule_set("bad", root=root)
    assert rules.customers.matching.method == "code"
    assert rules.customers.matching.postcode_from == "delivery"  # default kept
    assert rules.customers.fields["naam"] == ValueSpec.model_validate(
        {"from": "customer.company"}
    )  # a value replaces whole: no first_of left beside `from`
    assert "email" in rules.customers.fields  # other fields kept
    assert rules.articles == load_rule_set(root=root).articles


def test_overrides_dotted_keys_lists_replace_and_fields_keep_dots(root):
    overrides = {
        "customers": {
            "matching.smart_steps": ["vat_number"],
            "fields.vestigingsAdres.straat": "invoice.address1",
        },
        "order_lines": {"mode": "code_and_quantity"},
    }
    before = copy.deepcopy(overrides)
    rules = load_rule_set(root=root, overrides=overrides)
    assert rules.customers.matching.smart_steps == ("vat_number",)
    spec = rules.customers.fields["vestigingsAdres.straat"]
    assert spec.from_ == "invoice.address1"
    assert rules.lines.mode == "code_and_quantity"
    assert overrides == before


def test_override_wins_over_named_rule_set(root):
    _write(root, {"order_lines.yaml": "mode: code_and_quantity"})
    rules = load_rule_set(
        "bad",
        root=root,
        overrides={"order_lines": {"mode": "description_from_snelstart"}},
    )
    assert rules.lines.mode == "description_from_snelstart"


def test_load_rules_takes_rule_set_overrides_and_timezone_from_profile():
    profile = parse_profile(
        {
            "name": "shop2",
            "timezone": "Europe/Brussels",
            "prestashop": {"url": "http://127.0.0.1:1/api", "key": {"env": "K"}},
            "snelstart": {
                "api_url": "http://127.0.0.1:2/v2",
                "token_url": "http://127.0.0.1:2/b2b/token",
                "clientkey": {"env": "C"},
                "subscription_key": {"env": "S"},
            },
            "mapping": {"overrides": {"customers": {"matching.method": "smart"}}},
        }
    )
    rules = load_rules(profile, root=MAPPINGS)
    assert rules.customers.matching.method == "smart"
    assert rules.timezone == "Europe/Brussels"


def test_load_rules_profile_override_problem_names_the_profile():
    profile = parse_profile(
        {
            "name": "shop3",
            "timezone": "Europe/Amsterdam",
            "prestashop": {"url": "http://127.0.0.1:1/api", "key": {"env": "K"}},
            "snelstart": {
                "api_url": "http://127.0.0.1:2/v2",
                "token_url": "http://127.0.0.1:2/b2b/token",
                "clientkey": {"env": "C"},
                "subscription_key": {"env": "S"},
            },
            "mapping": {"overrides": {"order_header": {"datum": "gisteren"}}},
        }
    )
    with pytest.raises(MappingRuleError) as info:
        load_rules(profile, root=MAPPINGS)
    assert info.value.problems[0].startswith(
        "profile `shop3`:mapping.overrides.order_header:datum: "
    )
