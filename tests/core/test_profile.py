from __future__ import annotations

from pathlib import Path

import pytest

from koppel.exceptions import ConfigError, ProfileError
from koppel.profile import SecretRef, load_profile, parse_profile, resolve_secret

DEMO = Path(__file__).parents[2] / "profiles" / "demo.toml"


def test_demo_profile_loads():
    profile = load_profile(DEMO)
    assert profile.name == "demo"
    assert profile.prestashop.url.endswith("/api")
    assert profile.database_path.name == "demo.duckdb"


def test_bad_profile_reports_every_problem_as_path_lines():
    with pytest.raises(ProfileError) as info:
        parse_profile(
            {
                "name": "Bad Name",
                "timezone": "Mars/Olympus",
                "colour": "red",
                "prestashop": {"url": "ftp://shop", "key": {}},
            }
        )
    problems = info.value.problems
    assert "name: 'Bad Name' must be lower case letters, digits, - or _" in problems
    assert "timezone: 'Mars/Olympus' is not a known IANA timezone" in problems
    assert "colour: unknown key" in problems
    assert "prestashop.key: give exactly one of `env` or `block`" in problems
    assert "snelstart: Field required" in problems
    assert any(p.startswith("prestashop.url:") for p in problems)


def test_profile_with_toml_syntax_error_is_reported(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text('name = "x"\n[prestashop\n')
    with pytest.raises(ProfileError, match=r"\(toml\)"):
        load_profile(path)


def test_secret_from_env_is_read_and_missing_env_names_the_variable(monkeypatch):
    monkeypatch.setenv("KOPPEL_TEST_SECRET", "s3cr3t-value")
    assert resolve_secret(SecretRef(env="KOPPEL_TEST_SECRET")).get_secret_value() == (
        "s3cr3t-value"
    )
    monkeypatch.delenv("KOPPEL_TEST_SECRET")
    with pytest.raises(ConfigError, match="KOPPEL_TEST_SECRET"):
        resolve_secret(SecretRef(env="KOPPEL_TEST_SECRET"))


def test_secret_block_error_never_leaks_the_loader_message():
    def loader(name: str) -> str:
        raise RuntimeError("token=abc123 leaked")

    with pytest.raises(ConfigError) as info:
        resolve_secret(SecretRef(block="shop-key"), loader)
    assert "abc123" not in str(info.value)
    assert "shop-key" in str(info.value)
