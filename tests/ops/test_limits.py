from __future__ import annotations

from pydantic import SecretStr

from koppel.ops.limits import administration_limit_name, profile_limit_name

URL = "https://b2bapi.snelstart.nl/v2"


def test_administration_limit_is_shared_by_profiles_of_one_administration():
    a = administration_limit_name(URL, SecretStr("key-1"))
    b = administration_limit_name(URL + "/", SecretStr("key-1"))
    assert a == b


def test_administration_limit_differs_per_koppelsleutel_and_hides_it():
    a = administration_limit_name(URL, SecretStr("key-1"))
    b = administration_limit_name(URL, SecretStr("key-2"))
    assert a != b
    assert "key-1" not in a
    assert a.startswith("koppel-snelstart-")


def test_profile_limit_name_is_per_profile():
    assert profile_limit_name("shop_nl") == "koppel-profile-shop_nl"
    assert profile_limit_name("a") != profile_limit_name("b")
